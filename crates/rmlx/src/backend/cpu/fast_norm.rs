//! CPU kernels of the `fast` family's row ops: `rms_norm`, `layer_norm` and
//! `cross_entropy`. Each output row is computed in one visit of its input
//! row (the row stays in L1 between the statistics and the write), rows are
//! spread across cores. float16/bfloat16 rows are widened to float32 once
//! and computed there; float32 accumulates in float32 (as MLX's fallback),
//! float64 in float64. The shared helpers (contiguous views, small vectors
//! read as f32/f64) serve the rope and attention kernels too.

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};

use crate::array::{Array, Data};
use crate::backend::cpu::{isa, par_range, Isa, SyncPtr};
use crate::dtype::Dtype;
use crate::error::{Error, Result};

/// `a`'s data as a row-contiguous view (a copy when it is not one).
pub(crate) fn contig(a: &Array) -> Result<Data> {
    let d = a.data();
    if d.is_row_contiguous(a.shape()) {
        return Ok(d.clone());
    }
    let out = Data::alloc(a.shape(), a.dtype())?;
    super::copy::copy_to_contiguous(d, a.shape(), a.itemsize(), out.byte_ptr(a.dtype()));
    Ok(out)
}

/// The elements of a small floating array, widened to f64.
pub(crate) fn to_f64_vec(a: &Array) -> Result<Vec<f64>> {
    let d = contig(a)?;
    let n = a.size();
    // SAFETY: `d` is row-contiguous with `n` elements of `a.dtype()`.
    unsafe {
        Ok(match a.dtype() {
            Dtype::Float32 => std::slice::from_raw_parts(d.ptr::<f32>(), n)
                .iter()
                .map(|&v| v as f64)
                .collect(),
            Dtype::Float64 => std::slice::from_raw_parts(d.ptr::<f64>(), n).to_vec(),
            Dtype::Float16 => std::slice::from_raw_parts(d.ptr::<f16>(), n)
                .iter()
                .map(|v| v.to_f64())
                .collect(),
            Dtype::Bfloat16 => std::slice::from_raw_parts(d.ptr::<bf16>(), n)
                .iter()
                .map(|v| v.to_f64())
                .collect(),
            Dtype::Int32 => std::slice::from_raw_parts(d.ptr::<i32>(), n)
                .iter()
                .map(|&v| v as f64)
                .collect(),
            Dtype::Uint32 => std::slice::from_raw_parts(d.ptr::<u32>(), n)
                .iter()
                .map(|&v| v as f64)
                .collect(),
            dt => {
                return Err(Error::type_(format!(
                    "[fast] Unsupported dtype {dt:?} for a parameter vector."
                )))
            }
        })
    }
}

/// Floating types the row kernels accumulate in.
pub(crate) trait Acc:
    Copy
    + Send
    + Sync
    + 'static
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + PartialOrd
{
    const ZERO: Self;
    const ONE: Self;
    fn of(v: f64) -> Self;
    fn sqrt(self) -> Self;
}
impl Acc for f32 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn of(v: f64) -> Self {
        v as f32
    }
    fn sqrt(self) -> Self {
        f32::sqrt(self)
    }
}
impl Acc for f64 {
    const ZERO: Self = 0.0;
    const ONE: Self = 1.0;
    fn of(v: f64) -> Self {
        v
    }
    fn sqrt(self) -> Self {
        f64::sqrt(self)
    }
}

const W: usize = 16;

/// Sum of `f(x[i])` with `W` independent accumulators (vectorisable).
#[inline(always)]
pub(crate) fn sum_by<T: Acc>(x: &[T], f: impl Fn(T) -> T) -> T {
    let mut acc = [T::ZERO; W];
    let mut ch = x.chunks_exact(W);
    for c in &mut ch {
        for j in 0..W {
            acc[j] = acc[j] + f(c[j]);
        }
    }
    let mut w = W;
    while w > 1 {
        w /= 2;
        for j in 0..w {
            acc[j] = acc[j] + acc[j + w];
        }
    }
    let mut s = acc[0];
    for &v in ch.remainder() {
        s = s + f(v);
    }
    s
}

/// Row parameters of a norm: weight and bias (empty: absent).
struct Affine<'a, T> {
    w: &'a [T],
    b: &'a [T],
}

#[inline(always)]
fn rms_row<T: Acc>(x: &[T], o: &mut [T], p: &Affine<T>, eps: T) {
    let n = T::of(x.len() as f64);
    let ss = sum_by(x, |v| v * v);
    let inv = T::ONE / (ss / n + eps).sqrt();
    if p.w.is_empty() {
        for (o, &v) in o.iter_mut().zip(x) {
            *o = v * inv;
        }
    } else {
        for ((o, &v), &w) in o.iter_mut().zip(x).zip(p.w) {
            *o = v * inv * w;
        }
    }
}

#[inline(always)]
fn ln_row<T: Acc>(x: &[T], o: &mut [T], p: &Affine<T>, eps: T) {
    let n = T::of(x.len() as f64);
    let mean = sum_by(x, |v| v) / n;
    let var = sum_by(x, |v| (v - mean) * (v - mean)) / n;
    let inv = T::ONE / (var + eps).sqrt();
    match (p.w.is_empty(), p.b.is_empty()) {
        (true, true) => {
            for (o, &v) in o.iter_mut().zip(x) {
                *o = (v - mean) * inv;
            }
        }
        (false, true) => {
            for ((o, &v), &w) in o.iter_mut().zip(x).zip(p.w) {
                *o = (v - mean) * inv * w;
            }
        }
        (true, false) => {
            for ((o, &v), &b) in o.iter_mut().zip(x).zip(p.b) {
                *o = (v - mean) * inv + b;
            }
        }
        (false, false) => {
            for (((o, &v), &w), &b) in o.iter_mut().zip(x).zip(p.w).zip(p.b) {
                *o = (v - mean) * inv * w + b;
            }
        }
    }
}

/// Which norm a row kernel computes.
#[derive(Clone, Copy)]
enum Norm {
    Rms,
    Layer,
}

#[inline(always)]
unsafe fn rows_impl<T: Acc>(
    kind: Norm,
    x: *const T,
    o: *mut T,
    n: usize,
    rows: usize,
    p: &Affine<T>,
    eps: T,
) {
    for r in 0..rows {
        let xr = std::slice::from_raw_parts(x.add(r * n), n);
        let or = std::slice::from_raw_parts_mut(o.add(r * n), n);
        match kind {
            Norm::Rms => rms_row(xr, or, p, eps),
            Norm::Layer => ln_row(xr, or, p, eps),
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
unsafe fn rows_avx512<T: Acc>(
    kind: Norm,
    x: *const T,
    o: *mut T,
    n: usize,
    rows: usize,
    p: &Affine<T>,
    eps: T,
) {
    rows_impl(kind, x, o, n, rows, p, eps)
}

#[target_feature(enable = "avx2,fma")]
unsafe fn rows_avx2<T: Acc>(
    kind: Norm,
    x: *const T,
    o: *mut T,
    n: usize,
    rows: usize,
    p: &Affine<T>,
    eps: T,
) {
    rows_impl(kind, x, o, n, rows, p, eps)
}

/// Runs the row kernel with the widest ISA available.
unsafe fn rows<T: Acc>(
    kind: Norm,
    x: *const T,
    o: *mut T,
    n: usize,
    rows: usize,
    p: &Affine<T>,
    eps: T,
) {
    match isa() {
        Isa::Avx512 => rows_avx512(kind, x, o, n, rows, p, eps),
        Isa::Avx2 => rows_avx2(kind, x, o, n, rows, p, eps),
        Isa::Baseline => rows_impl(kind, x, o, n, rows, p, eps),
    }
}

/// Runs `f(first_row, count)` over blocks of a `rows x n` problem, in
/// parallel when large.
pub(crate) fn by_rows(rows: usize, n: usize, f: impl Fn(usize, usize) + Sync + Send) {
    let n = n.max(1);
    par_range(rows * n, |a, b| {
        let (r0, r1) = (a.div_ceil(n), b.div_ceil(n).min(rows));
        if r0 < r1 {
            f(r0, r1 - r0);
        }
    });
}

/// Half types computed through float32.
trait HalfRow: Copy + Send + Sync + 'static {
    fn widen(src: &[Self], dst: &mut [f32]);
    fn narrow(src: &[f32], dst: &mut [Self]);
}
impl HalfRow for f16 {
    fn widen(src: &[Self], dst: &mut [f32]) {
        src.convert_to_f32_slice(dst)
    }
    fn narrow(src: &[f32], dst: &mut [Self]) {
        dst.convert_from_f32_slice(src)
    }
}
impl HalfRow for bf16 {
    fn widen(src: &[Self], dst: &mut [f32]) {
        src.convert_to_f32_slice(dst)
    }
    fn narrow(src: &[f32], dst: &mut [Self]) {
        dst.convert_from_f32_slice(src)
    }
}

fn norm_typed<T: Acc>(
    kind: Norm,
    x: &Data,
    out: &Data,
    n: usize,
    nrows: usize,
    p: &Affine<T>,
    eps: T,
) {
    let (xp, op) = (SyncPtr(x.ptr::<T>()), SyncPtr(out.ptr::<T>()));
    by_rows(nrows, n, |r0, cnt| {
        let (xp, op) = (xp, op);
        // SAFETY: blocks of rows are disjoint; buffers hold nrows * n.
        unsafe { rows(kind, xp.0.add(r0 * n), op.0.add(r0 * n), n, cnt, p, eps) }
    });
}

fn norm_half<H: HalfRow>(
    kind: Norm,
    x: &Data,
    out: &Data,
    n: usize,
    nrows: usize,
    p: &Affine<f32>,
    eps: f32,
) {
    let (xp, op) = (SyncPtr(x.ptr::<H>()), SyncPtr(out.ptr::<H>()));
    by_rows(nrows, n, |r0, cnt| {
        let (xp, op) = (xp, op);
        let mut xi = vec![0f32; n];
        let mut xo = vec![0f32; n];
        for r in r0..r0 + cnt {
            // SAFETY: row r lies in both buffers; rows are disjoint per block.
            unsafe {
                H::widen(std::slice::from_raw_parts(xp.0.add(r * n), n), &mut xi);
                rows(kind, xi.as_ptr(), xo.as_mut_ptr(), n, 1, p, eps);
                H::narrow(&xo, std::slice::from_raw_parts_mut(op.0.add(r * n), n));
            }
        }
    });
}

fn params(a: &Array) -> Result<Vec<f64>> {
    if a.ndim() == 0 {
        Ok(Vec::new())
    } else {
        to_f64_vec(a)
    }
}

fn norm(kind: Norm, x: &Array, w: &Array, b: Option<&Array>, eps: f32, out: &Data) -> Result<()> {
    let dt = x.dtype();
    let n = *x.shape().last().unwrap_or(&1) as usize;
    if x.size() == 0 || n == 0 {
        return Ok(());
    }
    let nrows = x.size() / n;
    let xd = contig(x)?;
    let w = params(w)?;
    let b = match b {
        Some(b) => params(b)?,
        None => Vec::new(),
    };
    if dt == Dtype::Float64 {
        let p = Affine { w: &w, b: &b };
        norm_typed::<f64>(kind, &xd, out, n, nrows, &p, eps as f64);
        return Ok(());
    }
    let w32: Vec<f32> = w.iter().map(|&v| v as f32).collect();
    let b32: Vec<f32> = b.iter().map(|&v| v as f32).collect();
    let p = Affine { w: &w32, b: &b32 };
    match dt {
        Dtype::Float32 => norm_typed::<f32>(kind, &xd, out, n, nrows, &p, eps),
        Dtype::Float16 => norm_half::<f16>(kind, &xd, out, n, nrows, &p, eps),
        Dtype::Bfloat16 => norm_half::<bf16>(kind, &xd, out, n, nrows, &p, eps),
        _ => {
            return Err(Error::type_(format!(
                "[fast] Unsupported dtype {dt:?} for a norm."
            )))
        }
    }
    Ok(())
}

/// `x * rsqrt(mean(x^2, -1) + eps) * w` per row of `x` into the
/// row-contiguous `out` (`w` 0-d: no weight).
pub fn rms_norm(x: &Array, w: &Array, eps: f32, out: &Data) -> Result<()> {
    norm(Norm::Rms, x, w, None, eps, out)
}

/// `(x - mean) * rsqrt(var + eps) * w + b` per row of `x` into the
/// row-contiguous `out` (`w`/`b` 0-d: absent).
pub fn layer_norm(x: &Array, w: &Array, b: &Array, eps: f32, out: &Data) -> Result<()> {
    norm(Norm::Layer, x, w, Some(b), eps, out)
}

/// `logsumexp(row) - row[target]` per row of `logits`, in float32 (float64
/// for float64 logits, rounded to float32). Negative targets count from
/// the end; other out-of-range targets give NaN.
pub fn cross_entropy(logits: &Array, targets: &Array, out: &Data) -> Result<()> {
    let n = *logits.shape().last().unwrap_or(&1) as usize;
    let nrows = targets.size();
    if nrows == 0 {
        return Ok(());
    }
    let t = to_i64_vec(targets)?;
    let ld = contig(logits)?;
    let dt = logits.dtype();
    let op = SyncPtr(out.ptr::<f32>());
    let lp = SyncPtr(ld.byte_ptr(dt));
    let t = &t;
    by_rows(nrows, n, |r0, cnt| {
        let (op, lp) = (op, lp);
        let mut row = vec![0f64; n];
        for r in r0..r0 + cnt {
            // SAFETY: row r of `ld` holds n elements of `dt`.
            unsafe { widen_row(dt, lp.0, r * n, &mut row) };
            let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let lse = if m.is_infinite() {
                m
            } else {
                row.iter().map(|&v| (v - m).exp()).sum::<f64>().ln() + m
            };
            let mut ti = t[r];
            if ti < 0 {
                ti += n as i64;
            }
            let v = if (0..n as i64).contains(&ti) {
                lse - row[ti as usize]
            } else {
                f64::NAN
            };
            // SAFETY: r < nrows; each row written by one block.
            unsafe { *op.0.add(r) = v as f32 };
        }
    });
    Ok(())
}

/// Widens `dst.len()` elements of `dt` at element `off` of `base`.
unsafe fn widen_row(dt: Dtype, base: *const u8, off: usize, dst: &mut [f64]) {
    let n = dst.len();
    match dt {
        Dtype::Float32 => {
            let s = std::slice::from_raw_parts((base as *const f32).add(off), n);
            for (d, &v) in dst.iter_mut().zip(s) {
                *d = v as f64;
            }
        }
        Dtype::Float64 => {
            dst.copy_from_slice(std::slice::from_raw_parts((base as *const f64).add(off), n))
        }
        Dtype::Float16 => {
            let s = std::slice::from_raw_parts((base as *const f16).add(off), n);
            for (d, v) in dst.iter_mut().zip(s) {
                *d = v.to_f64();
            }
        }
        _ => {
            let s = std::slice::from_raw_parts((base as *const bf16).add(off), n);
            for (d, v) in dst.iter_mut().zip(s) {
                *d = v.to_f64();
            }
        }
    }
}

/// The elements of an integer array as i64.
pub(crate) fn to_i64_vec(a: &Array) -> Result<Vec<i64>> {
    let d = contig(a)?;
    let n = a.size();
    // SAFETY: `d` is row-contiguous with `n` elements of `a.dtype()`.
    unsafe {
        macro_rules! conv {
            ($t:ty) => {
                std::slice::from_raw_parts(d.ptr::<$t>(), n)
                    .iter()
                    .map(|&v| v as i64)
                    .collect()
            };
        }
        Ok(match a.dtype() {
            Dtype::Int8 => conv!(i8),
            Dtype::Int16 => conv!(i16),
            Dtype::Int32 => conv!(i32),
            Dtype::Int64 => conv!(i64),
            Dtype::Uint8 => conv!(u8),
            Dtype::Uint16 => conv!(u16),
            Dtype::Uint32 => conv!(u32),
            Dtype::Uint64 => conv!(u64),
            dt => {
                return Err(Error::type_(format!(
                    "[fast] Expected integer indices, got {dt:?}."
                )))
            }
        })
    }
}
