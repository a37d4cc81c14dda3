//! CPU kernel of `fast.scaled_dot_product_attention`: flash-attention
//! style. Each task takes one (batch, query head, block of queries), walks
//! the key blocks of its key/value head (grouped-query heads share them),
//! computes the block's scores with one `gemm` call, applies the mask,
//! folds them into a running max / sum (online softmax, starting from the
//! head's sink when there is one) and accumulates `P @ V` with a second
//! `gemm` call. No score matrix larger than one block ever exists, and
//! causal attention skips the key blocks above the diagonal.
//!
//! float32 and float64 read their operands in place (any strides);
//! float16/bfloat16 are widened to float32 once. Masked scores take the
//! float32 (float64) lowest value, as MLX's fallback does with `finfo.min`,
//! so a fully masked row averages the values like MLX; an additive `-inf`
//! everywhere gives NaN, as MLX.

use half::{bf16, f16};
use rayon::prelude::*;

use super::fast_norm::{contig, sum_by, to_f64_vec, Acc};
use crate::array::{Array, Data};
use crate::backend::cpu::{vmath, SyncPtr};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::fast::Sdpa;

const BQ: usize = 64;
const BK: usize = 256;

/// Float types `gemm` multiplies that the kernel computes in.
trait Flt: Acc + Default {
    const LOWEST: Self;
    const NEG_INF: Self;
    fn exp(self) -> Self;
    fn max(self, o: Self) -> Self;
    fn is_neg_inf(self) -> bool;
    /// `row[i] = exp(row[i])` with the vectorised polynomial kernels
    /// (libm's scalar `exp` would dominate the whole kernel).
    fn exp_in_place(row: &mut [Self]);
}
impl Flt for f32 {
    fn exp_in_place(row: &mut [Self]) {
        // SAFETY: in-place use of a valid slice is allowed by the contract.
        unsafe { vmath::exp_f32(row.as_ptr(), row.as_mut_ptr(), row.len()) }
    }
    const LOWEST: Self = f32::MIN;
    const NEG_INF: Self = f32::NEG_INFINITY;
    fn exp(self) -> Self {
        f32::exp(self)
    }
    fn max(self, o: Self) -> Self {
        f32::max(self, o)
    }
    fn is_neg_inf(self) -> bool {
        self == f32::NEG_INFINITY
    }
}
impl Flt for f64 {
    fn exp_in_place(row: &mut [Self]) {
        // SAFETY: as for f32.
        unsafe { vmath::exp_f64(row.as_ptr(), row.as_mut_ptr(), row.len()) }
    }
    const LOWEST: Self = f64::MIN;
    const NEG_INF: Self = f64::NEG_INFINITY;
    fn exp(self) -> Self {
        f64::exp(self)
    }
    fn max(self, o: Self) -> Self {
        f64::max(self, o)
    }
    fn is_neg_inf(self) -> bool {
        self == f64::NEG_INFINITY
    }
}

/// A 4-d operand: base pointer and element strides.
#[derive(Clone, Copy)]
struct Op4<T> {
    p: SyncPtr<T>,
    s: [isize; 4],
}

impl<T> Op4<T> {
    fn at(&self, b: usize, h: usize, i: usize) -> *const T {
        let off = b as isize * self.s[0] + h as isize * self.s[1] + i as isize * self.s[2];
        // SAFETY: callers stay within the operand's extents.
        unsafe { self.p.0.offset(off) }
    }
}

/// The mask as the kernel reads it.
#[derive(Clone, Copy)]
enum Mask<T> {
    None,
    Bool(Op4<bool>),
    Add(Op4<T>),
}

struct Problem<T> {
    q: Op4<T>,
    k: Op4<T>,
    v: Op4<T>,
    mask: Mask<T>,
    sinks: Option<Vec<T>>,
    causal: bool,
    scale: T,
    b: usize,
    hq: usize,
    rep: usize,
    lq: usize,
    lk: usize,
    d: usize,
    dv: usize,
}

fn op4<T>(d: &Data) -> Op4<T> {
    let s = &d.strides;
    Op4 {
        p: SyncPtr(d.ptr::<T>()),
        s: [s[0] as isize, s[1] as isize, s[2] as isize, s[3] as isize],
    }
}

#[allow(clippy::too_many_arguments)]
fn gemm_call<T: Flt>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_rs: isize,
    read_dst: bool,
    lhs: *const T,
    lhs_cs: isize,
    lhs_rs: isize,
    rhs: *const T,
    rhs_cs: isize,
    rhs_rs: isize,
    beta: T,
) {
    // SAFETY: callers pass extents and strides inside their buffers.
    unsafe {
        gemm::gemm(
            m,
            n,
            k,
            dst,
            1,
            dst_rs,
            read_dst,
            lhs,
            lhs_cs,
            lhs_rs,
            rhs,
            rhs_cs,
            rhs_rs,
            T::ONE,
            beta,
            false,
            false,
            false,
            gemm::Parallelism::None,
        )
    }
}

/// Computes one (batch, head, query block) into `out` rows (f32/f64
/// accumulator rows of length dv, row-major, `nq` rows).
fn block<T: Flt>(pb: &Problem<T>, bi: usize, h: usize, q0: usize, out: &mut [T]) {
    let nq = BQ.min(pb.lq - q0);
    let kvh = h / pb.rep;
    let (d, dv) = (pb.d, pb.dv);
    let off = pb.lk as isize - pb.lq as isize;
    let mut kend = pb.lk;
    // Rows that see no key at all attend uniformly (MLX's finfo.min
    // fill), so their blocks must not be skipped.
    if pb.causal && (q0 as isize + off) >= 0 {
        kend = ((q0 + nq) as isize + off).clamp(0, pb.lk as isize) as usize;
    }
    let mut s = vec![T::ZERO; nq * BK];
    let (mut m, mut l) = match &pb.sinks {
        Some(sk) => (vec![sk[h]; nq], vec![T::ONE; nq]),
        None => (vec![T::NEG_INF; nq], vec![T::ZERO; nq]),
    };
    out[..nq * dv].fill(T::ZERO);
    let qp = pb.q.at(bi, h, q0);
    let mut k0 = 0;
    while k0 < kend {
        // Keys at or past `kend` are masked for every row of the block.
        let nk = BK.min(kend - k0);
        let kp = pb.k.at(bi, kvh, k0);
        let vp = pb.v.at(bi, kvh, k0);
        gemm_call(
            nq,
            nk,
            d,
            s.as_mut_ptr(),
            BK as isize,
            false,
            qp,
            pb.q.s[3],
            pb.q.s[2],
            kp,
            pb.k.s[2],
            pb.k.s[3],
            pb.scale,
        );
        for r in 0..nq {
            let row = &mut s[r * BK..r * BK + nk];
            let qi = q0 + r;
            match pb.mask {
                Mask::None => {}
                Mask::Bool(mk) => {
                    let base = mk.at(bi, h, qi);
                    for (j, v) in row.iter_mut().enumerate() {
                        // SAFETY: (bi, h, qi, k0 + j) is inside the mask.
                        if !unsafe { *base.offset((k0 + j) as isize * mk.s[3]) } {
                            *v = T::LOWEST;
                        }
                    }
                }
                Mask::Add(mk) => {
                    let base = mk.at(bi, h, qi);
                    for (j, v) in row.iter_mut().enumerate() {
                        // SAFETY: as above.
                        *v = *v + unsafe { *base.offset((k0 + j) as isize * mk.s[3]) };
                    }
                }
            }
            if pb.causal {
                let lim = qi as isize + off;
                for (j, v) in row.iter_mut().enumerate() {
                    if (k0 + j) as isize > lim {
                        *v = T::LOWEST;
                    }
                }
            }
            let bm = row.iter().fold(T::NEG_INF, |a, &b| a.max(b));
            let mn = m[r].max(bm);
            let acc = &mut out[r * dv..(r + 1) * dv];
            if mn.is_neg_inf() {
                // Nothing finite yet: the block contributes nothing.
                row.fill(T::ZERO);
                continue;
            }
            let corr = (m[r] - mn).exp();
            for v in row.iter_mut() {
                *v = *v - mn;
            }
            T::exp_in_place(row);
            let sum = sum_by(row, |v| v);
            l[r] = l[r] * corr + sum;
            m[r] = mn;
            if corr != T::ONE {
                for a in acc.iter_mut() {
                    *a = *a * corr;
                }
            }
        }
        gemm_call(
            nq,
            dv,
            nk,
            out.as_mut_ptr(),
            dv as isize,
            true,
            s.as_ptr(),
            1,
            BK as isize,
            vp,
            pb.v.s[3],
            pb.v.s[2],
            T::ONE,
        );
        k0 += BK;
    }
    for r in 0..nq {
        let inv = T::ONE / l[r];
        for a in &mut out[r * dv..(r + 1) * dv] {
            *a = *a * inv;
        }
    }
}

/// Runs every block and hands each finished block to `store(row0, rows)`.
fn run<T: Flt>(pb: &Problem<T>, store: impl Fn(usize, &[T]) + Sync) {
    let nqb = pb.lq.div_ceil(BQ);
    let tasks = pb.b * pb.hq * nqb;
    let work = pb.b * pb.hq * pb.lq * pb.lk * (pb.d + pb.dv);
    let task = |t: usize, buf: &mut Vec<T>| {
        let (bh, qb) = (t / nqb, t % nqb);
        let (bi, h) = (bh / pb.hq, bh % pb.hq);
        block(pb, bi, h, qb * BQ, buf);
        let nq = BQ.min(pb.lq - qb * BQ);
        store(bh * pb.lq + qb * BQ, &buf[..nq * pb.dv]);
    };
    if work < (1 << 18) || tasks == 1 {
        let mut buf = vec![T::ZERO; BQ * pb.dv];
        for t in 0..tasks {
            task(t, &mut buf);
        }
    } else {
        (0..tasks)
            .into_par_iter()
            .for_each_init(|| vec![T::ZERO; BQ * pb.dv], |buf, t| task(t, buf));
    }
}

/// Element `i` of the output; taking the whole `SyncPtr` keeps closures
/// from capturing its raw pointer field alone.
fn at<T>(p: SyncPtr<T>, i: usize) -> *mut T {
    p.0.wrapping_add(i)
}

fn widen(a: &Array) -> Result<Data> {
    let d = contig(a)?;
    let out = Data::alloc(a.shape(), Dtype::Float32)?;
    let n = a.size();
    // SAFETY: both buffers hold n contiguous elements.
    unsafe {
        let dst = std::slice::from_raw_parts_mut(out.ptr::<f32>(), n);
        match a.dtype() {
            Dtype::Float16 => {
                let s = std::slice::from_raw_parts(d.ptr::<f16>(), n);
                half::slice::HalfFloatSliceExt::convert_to_f32_slice(s, dst);
            }
            _ => {
                let s = std::slice::from_raw_parts(d.ptr::<bf16>(), n);
                half::slice::HalfFloatSliceExt::convert_to_f32_slice(s, dst);
            }
        }
    }
    Ok(out)
}

/// Attention of `inputs` = `[q, k, v, mask?, sinks?]` (mask broadcast to
/// `(B, Hq, Lq, Lk)`, bool or of the output dtype) into the row-contiguous
/// `out` of shape `(B, Hq, Lq, Dv)`.
pub fn sdpa(p: &Sdpa, inputs: &[Array], out: &Data) -> Result<()> {
    let (q, k, v) = (&inputs[0], &inputs[1], &inputs[2]);
    let mask = p.has_mask.then(|| &inputs[3]);
    let sinks = p.has_sinks.then(|| &inputs[3 + usize::from(p.has_mask)]);
    let dt = q.dtype();
    let sh = q.shape();
    let (b, hq, lq, d) = (
        sh[0] as usize,
        sh[1] as usize,
        sh[2] as usize,
        sh[3] as usize,
    );
    let (hkv, lk, dv) = (
        k.shape()[1] as usize,
        k.shape()[2] as usize,
        v.shape()[3] as usize,
    );
    if b * hq * lq * dv == 0 {
        return Ok(());
    }
    let sinks_v = sinks.map(to_f64_vec).transpose()?;
    macro_rules! problem {
        ($T:ty, $q:expr, $k:expr, $v:expr, $madd:expr) => {
            Problem::<$T> {
                q: op4(&$q),
                k: op4(&$k),
                v: op4(&$v),
                mask: match mask {
                    None => Mask::None,
                    Some(m) if m.dtype() == Dtype::Bool => Mask::Bool(op4(m.data())),
                    Some(_) => Mask::Add(op4(&$madd)),
                },
                sinks: sinks_v
                    .as_ref()
                    .map(|s| s.iter().map(|&x| <$T>::of(x)).collect()),
                causal: p.causal,
                scale: <$T>::of(p.scale as f64),
                b,
                hq,
                rep: hq / hkv.max(1),
                lq,
                lk,
                d,
                dv,
            }
        };
    }
    // Additive masks of half types are widened with the operands.
    let madd = |m: Option<&Array>, wide: bool| -> Result<Data> {
        match m {
            Some(m) if m.dtype() != Dtype::Bool && wide => widen(m),
            Some(m) => Ok(m.data().clone()),
            None => Ok(q.data().clone()),
        }
    };
    match dt {
        Dtype::Float32 => {
            let md = madd(mask, false)?;
            let pb = problem!(f32, q.data(), k.data(), v.data(), md);
            let o = SyncPtr(out.ptr::<f32>());
            run(&pb, |r0, rows| {
                // SAFETY: each block's rows are written by one task.
                unsafe { std::ptr::copy_nonoverlapping(rows.as_ptr(), at(o, r0 * dv), rows.len()) };
            });
        }
        Dtype::Float64 => {
            let md = madd(mask, false)?;
            let pb = problem!(f64, q.data(), k.data(), v.data(), md);
            let o = SyncPtr(out.ptr::<f64>());
            run(&pb, |r0, rows| {
                // SAFETY: as above.
                unsafe { std::ptr::copy_nonoverlapping(rows.as_ptr(), at(o, r0 * dv), rows.len()) };
            });
        }
        Dtype::Float16 | Dtype::Bfloat16 => {
            let (qw, kw, vw) = (widen(q)?, widen(k)?, widen(v)?);
            let md = madd(mask, true)?;
            let pb = problem!(f32, qw, kw, vw, md);
            let o = SyncPtr(out.ptr::<u16>());
            let is_f16 = dt == Dtype::Float16;
            run(&pb, |r0, rows| {
                // SAFETY: as above.
                let dst = unsafe { std::slice::from_raw_parts_mut(at(o, r0 * dv), rows.len()) };
                for (d, &v) in dst.iter_mut().zip(rows) {
                    *d = if is_f16 {
                        f16::from_f32(v).to_bits()
                    } else {
                        bf16::from_f32(v).to_bits()
                    };
                }
            });
        }
        _ => {
            return Err(Error::type_(format!(
                "[scaled_dot_product_attention] Unsupported dtype {dt:?}."
            )))
        }
    }
    Ok(())
}
