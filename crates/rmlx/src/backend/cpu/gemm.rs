//! CPU matrix products. Every product form (matmul, addmm, the gathered,
//! segmented and masked products) reduces to a list of `m x k` by `k x n`
//! products of strided operands, run here through the `gemm` crate, which
//! packs operands itself: transposed, strided and broadcast (stride 0)
//! operands need no copies.
//!
//! * float32, float64 and complex64 go straight to `gemm`.
//! * float16 and bfloat16 are widened to float32 (in parallel, into cached
//!   scratch blocks), multiplied with float32 accumulation and rounded
//!   once. Measured on the 1024^2 product this is faster than the `gemm`
//!   crate's own half path (11 ms against 15 ms), which also rounds to half
//!   precision between its depth blocks.
//! * Matrix-vector products (`m == 1` or `n == 1`) in float32/float64 use
//!   the row-dot and axpy kernels of `gemv.rs`, which run at memory
//!   bandwidth.
//! * Many small products are spread across cores one product per task;
//!   large ones let `gemm` split the product itself.

use gemm::Parallelism;
use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use num_complex::Complex32;

use super::gemv::{self, split_rows};
use super::SyncPtr;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::memory::Buffer;

/// Work (m·n·k) above which one product is split across cores by `gemm`.
const PAR_PRODUCT: usize = 1 << 18;
/// Work per product below which a batch is split product by product.
const SMALL_PRODUCT: usize = 1 << 22;

/// A batch of products `out[i] = alpha * a[i] @ b[i] + beta * out[i]`.
/// `out[i]` is the row-major `m x n` block at element `i * m * n`; operands
/// are read at `a + a_offs[i]` (elements) with strides `a_rs`/`a_cs`.
#[derive(Clone, Copy)]
pub struct Products<'a> {
    /// Element type of operands and output.
    pub dtype: Dtype,
    /// Rows of each product.
    pub m: usize,
    /// Columns of each product.
    pub n: usize,
    /// Contracted extent.
    pub k: usize,
    /// Base of the left operands.
    pub a: *const u8,
    /// Element offset of each product's left operand.
    pub a_offs: &'a [isize],
    /// Row stride of the left operands (elements).
    pub a_rs: isize,
    /// Column stride of the left operands (elements).
    pub a_cs: isize,
    /// Base of the right operands.
    pub b: *const u8,
    /// Element offset of each product's right operand.
    pub b_offs: &'a [isize],
    /// Row stride of the right operands (elements).
    pub b_rs: isize,
    /// Column stride of the right operands (elements).
    pub b_cs: isize,
    /// The output (row-major, products one after another).
    pub out: *mut u8,
    /// Scale of the product.
    pub alpha: f64,
    /// Scale of the output's previous contents (0: overwritten, never read).
    pub beta: f64,
}

/// Element types `gemm` multiplies natively.
trait Native: Copy + Send + Sync + 'static {
    fn from_f64(v: f64) -> Self;
    fn zero() -> Self;
    fn scale(self, s: Self) -> Self;
    fn plus(self, o: Self) -> Self;
}

impl Native for f32 {
    fn from_f64(v: f64) -> Self {
        v as f32
    }
    fn zero() -> Self {
        0.0
    }
    fn scale(self, s: Self) -> Self {
        self * s
    }
    fn plus(self, o: Self) -> Self {
        self + o
    }
}
impl Native for f64 {
    fn from_f64(v: f64) -> Self {
        v
    }
    fn zero() -> Self {
        0.0
    }
    fn scale(self, s: Self) -> Self {
        self * s
    }
    fn plus(self, o: Self) -> Self {
        self + o
    }
}
impl Native for Complex32 {
    fn from_f64(v: f64) -> Self {
        Complex32::new(v as f32, 0.0)
    }
    fn zero() -> Self {
        Complex32::new(0.0, 0.0)
    }
    fn scale(self, s: Self) -> Self {
        self * s
    }
    fn plus(self, o: Self) -> Self {
        self + o
    }
}

/// Half-precision types computed through float32.
trait Half: Copy + Send + Sync + 'static {
    fn widen(self) -> f32;
    fn widen_row(src: &[Self], dst: &mut [f32]);
    fn narrow_row(src: &[f32], dst: &mut [Self]);
}

macro_rules! half_impl {
    ($t:ty) => {
        impl Half for $t {
            #[inline(always)]
            fn widen(self) -> f32 {
                self.to_f32()
            }
            fn widen_row(src: &[Self], dst: &mut [f32]) {
                src.convert_to_f32_slice(dst)
            }
            fn narrow_row(src: &[f32], dst: &mut [Self]) {
                dst.convert_from_f32_slice(src)
            }
        }
    };
}
half_impl!(f16);
half_impl!(bf16);

/// Runs the batch of products `p`.
pub fn products(p: &Products) -> Result<()> {
    let count = p.a_offs.len();
    debug_assert_eq!(count, p.b_offs.len());
    if count == 0 || p.m == 0 || p.n == 0 {
        return Ok(());
    }
    match p.dtype {
        Dtype::Float32 => run_native::<f32>(p),
        Dtype::Float64 => run_native::<f64>(p),
        Dtype::Complex64 => run_native::<Complex32>(p),
        Dtype::Float16 => run_half::<f16>(p)?,
        Dtype::Bfloat16 => run_half::<bf16>(p)?,
        dt => {
            return Err(Error::value(format!(
                "[matmul] No CPU matrix product for dtype {dt}."
            )))
        }
    }
    Ok(())
}

/// How a batch is spread over cores: `(split the batch, split each product)`.
fn plan(count: usize, m: usize, n: usize, k: usize) -> (bool, bool) {
    let threads = rayon::current_num_threads();
    if threads <= 1 {
        return (false, false);
    }
    let work = m.saturating_mul(n).saturating_mul(k.max(1));
    if count >= threads && work < SMALL_PRODUCT && work.saturating_mul(count) >= PAR_PRODUCT {
        (true, false)
    } else {
        (false, work >= PAR_PRODUCT)
    }
}

/// Runs `f(i)` for every product index, over cores when `split`.
fn for_each_product(count: usize, split: bool, f: impl Fn(usize) + Sync + Send) {
    if !split {
        (0..count).for_each(f);
        return;
    }
    let threads = rayon::current_num_threads();
    let chunks = (threads * 4).min(count);
    let per = count.div_ceil(chunks);
    rayon::scope(|s| {
        let f = &f;
        for c in 1..chunks {
            let (lo, hi) = (c * per, ((c + 1) * per).min(count));
            if lo < hi {
                s.spawn(move |_| (lo..hi).for_each(f));
            }
        }
        (0..per.min(count)).for_each(f);
    });
}

/// One product `dst = alpha * lhs @ rhs + beta * dst` (`dst` row-major,
/// row stride `dst_rs`).
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_one<T: Native>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_rs: isize,
    lhs: *const T,
    lhs_rs: isize,
    lhs_cs: isize,
    rhs: *const T,
    rhs_rs: isize,
    rhs_cs: isize,
    alpha: T,
    beta: Option<T>,
    par: bool,
) {
    // The crate splits work over the rows of `lhs` and packs a
    // column-major `rhs` only when there are many rows, so a short `lhs`
    // times a column-major `rhs` (`x @ W.T`, the forward pass of a Linear
    // layer) runs on about one core: 128x784 @ (512x784)^T took 0.49 ms
    // against 0.31 ms for `W @ x.T`. Compute that product into a scratch
    // block and add its transpose into `dst` (a few microseconds).
    if rhs_rs == 1 && rhs_cs != 1 && n > m && m <= 256 && m > 1 {
        // Uninitialised scratch: the product overwrites all of it (no beta).
        let mut scratch: Vec<std::mem::MaybeUninit<T>> = Vec::with_capacity(n * m);
        scratch.resize_with(n * m, std::mem::MaybeUninit::uninit);
        let tp = scratch.as_mut_ptr() as *mut T;
        gemm_strided(
            n, m, k, tp, 1, m as isize, rhs, rhs_cs, rhs_rs, lhs, lhs_cs, lhs_rs, alpha, None, par,
        );
        if beta.is_none() && std::mem::size_of::<T>() == 4 {
            // f32: 8x8 register transposes.
            super::transpose::transpose_u32(
                tp as *const u32,
                m as isize,
                dst as *mut u32,
                dst_rs,
                m,
                n,
            );
            return;
        }
        // 16x16 tiles keep both the reads and the writes in cache lines.
        const TB: usize = 16;
        for i0 in (0..m).step_by(TB) {
            for j0 in (0..n).step_by(TB) {
                for i in i0..(i0 + TB).min(m) {
                    let row = dst.offset(i as isize * dst_rs);
                    for j in j0..(j0 + TB).min(n) {
                        let v = *tp.add(j * m + i);
                        *row.add(j) = match beta {
                            Some(b) => (*row.add(j)).scale(b).plus(v),
                            None => v,
                        };
                    }
                }
            }
        }
        return;
    }
    gemm_strided(
        m, n, k, dst, 1, dst_rs, lhs, lhs_rs, lhs_cs, rhs, rhs_rs, rhs_cs, alpha, beta, par,
    )
}

/// `gemm_one` with explicit output strides (`dst_cs` between columns).
#[allow(clippy::too_many_arguments)]
unsafe fn gemm_strided<T: Native>(
    m: usize,
    n: usize,
    k: usize,
    dst: *mut T,
    dst_cs: isize,
    dst_rs: isize,
    lhs: *const T,
    lhs_rs: isize,
    lhs_cs: isize,
    rhs: *const T,
    rhs_rs: isize,
    rhs_cs: isize,
    alpha: T,
    beta: Option<T>,
    par: bool,
) {
    if k == 0 {
        for i in 0..m {
            let row = dst.offset(i as isize * dst_rs);
            for j in 0..n {
                let p = row.offset(j as isize * dst_cs);
                *p = match beta {
                    Some(b) => (*p).scale(b),
                    None => T::zero(),
                };
            }
        }
        return;
    }
    let parallelism = if par {
        Parallelism::Rayon(rayon::current_num_threads())
    } else {
        Parallelism::None
    };
    // The crate computes dst := s * dst + t * lhs @ rhs with (s, t) =
    // (its `alpha`, its `beta`).
    gemm::gemm(
        m,
        n,
        k,
        dst,
        dst_cs,
        dst_rs,
        beta.is_some(),
        lhs,
        lhs_cs,
        lhs_rs,
        rhs,
        rhs_cs,
        rhs_rs,
        beta.unwrap_or(T::zero()),
        alpha,
        false,
        false,
        false,
        parallelism,
    );
}

fn run_native<T: Native>(p: &Products) {
    let (m, n, k) = (p.m, p.n, p.k);
    let count = p.a_offs.len();
    let (split, par) = plan(count, m, n, k);
    let (a, b, out) = (
        SyncPtr(p.a as *mut T),
        SyncPtr(p.b as *mut T),
        SyncPtr(p.out as *mut T),
    );
    let alpha = T::from_f64(p.alpha);
    let beta = (p.beta != 0.0).then(|| T::from_f64(p.beta));
    let plain = p.alpha == 1.0 && beta.is_none();
    let (a_offs, b_offs) = (p.a_offs, p.b_offs);
    let (a_rs, a_cs, b_rs, b_cs) = (p.a_rs, p.a_cs, p.b_rs, p.b_cs);
    for_each_product(count, split, |i| {
        let (a, b, out) = (a, b, out);
        // SAFETY: offsets and strides come from the operands' views; the
        // output block i is written by this call only.
        unsafe {
            let lhs = a.0.offset(a_offs[i]) as *const T;
            let rhs = b.0.offset(b_offs[i]) as *const T;
            let dst = out.0.add(i * m * n);
            if plain
                && k > 0
                && gemv::try_gemv::<T>(m, n, k, lhs, a_rs, a_cs, rhs, b_rs, b_cs, dst, !split)
            {
                return;
            }
            gemm_one(
                m, n, k, dst, n as isize, lhs, a_rs, a_cs, rhs, b_rs, b_cs, alpha, beta, par,
            );
        }
    });
}

/// Copies the strided `rows x cols` half matrix at `src` into the
/// row-major float32 block `dst`, splitting rows across cores when `par`.
unsafe fn widen_matrix<T: Half>(
    src: *const T,
    rows: usize,
    cols: usize,
    rs: isize,
    cs: isize,
    dst: *mut f32,
    par: bool,
) {
    let (src, dst) = (SyncPtr(src as *mut T), SyncPtr(dst));
    let body = move |r0: usize, r1: usize| {
        let (src, dst) = (src, dst);
        if cs == 1 {
            for r in r0..r1 {
                let row = std::slice::from_raw_parts(src.0.offset(r as isize * rs), cols);
                T::widen_row(
                    row,
                    std::slice::from_raw_parts_mut(dst.0.add(r * cols), cols),
                );
            }
        } else if rs == 1 && r1 - r0 > 1 {
            // Column-major source: walk it in its own order.
            for c in 0..cols {
                let col = src.0.offset(c as isize * cs);
                for r in r0..r1 {
                    *dst.0.add(r * cols + c) = (*col.add(r)).widen();
                }
            }
        } else {
            for r in r0..r1 {
                let row = src.0.offset(r as isize * rs);
                for c in 0..cols {
                    *dst.0.add(r * cols + c) = (*row.offset(c as isize * cs)).widen();
                }
            }
        }
    };
    split_rows(rows, par && rows * cols >= 1 << 16, body);
}

/// Rounds the row-major float32 block `src` into `dst` (same layout).
unsafe fn narrow_block<T: Half>(src: *const f32, dst: *mut T, len: usize, par: bool) {
    let (src, dst) = (SyncPtr(src as *mut f32), SyncPtr(dst));
    const CHUNK: usize = 1 << 14;
    split_rows(len.div_ceil(CHUNK), par && len >= 1 << 16, move |c0, c1| {
        let (src, dst) = (src, dst);
        let (lo, hi) = (c0 * CHUNK, (c1 * CHUNK).min(len));
        T::narrow_row(
            std::slice::from_raw_parts(src.0.add(lo), hi - lo),
            std::slice::from_raw_parts_mut(dst.0.add(lo), hi - lo),
        );
    });
}

/// A float32 scratch block from the buffer cache (no page faults on reuse).
fn scratch(len: usize) -> Result<Buffer> {
    Buffer::new(len.max(1) * 4)
}

fn run_half<T: Half>(p: &Products) -> Result<()> {
    let (m, n, k) = (p.m, p.n, p.k);
    let count = p.a_offs.len();
    let (split, par) = plan(count, m, n, k);
    let (a, b, out) = (
        SyncPtr(p.a as *mut T),
        SyncPtr(p.b as *mut T),
        SyncPtr(p.out as *mut T),
    );
    let beta = (p.beta != 0.0).then_some(p.beta as f32);
    let alpha = p.alpha as f32;
    let (a_offs, b_offs) = (p.a_offs, p.b_offs);
    let (a_rs, a_cs, b_rs, b_cs) = (p.a_rs, p.a_cs, p.b_rs, p.b_cs);
    // The whole-product work is spread across cores when products run
    // one at a time (conversions included).
    let wide = !split;
    let failed = std::sync::atomic::AtomicBool::new(false);
    for_each_product(count, split, |i| {
        let (a, b, out) = (a, b, out);
        let (Ok(la), Ok(rb), Ok(acc)) = (scratch(m * k), scratch(k * n), scratch(m * n)) else {
            failed.store(true, std::sync::atomic::Ordering::Relaxed);
            return;
        };
        let (la, rb, acc) = (
            la.as_ptr() as *mut f32,
            rb.as_ptr() as *mut f32,
            acc.as_ptr() as *mut f32,
        );
        // SAFETY: as in `run_native`; the scratch blocks are sized above.
        unsafe {
            let lhs = a.0.offset(a_offs[i]) as *const T;
            let rhs = b.0.offset(b_offs[i]) as *const T;
            widen_matrix(lhs, m, k, a_rs, a_cs, la, wide);
            widen_matrix(rhs, k, n, b_rs, b_cs, rb, wide);
            let dst = out.0.add(i * m * n);
            if beta.is_some() {
                widen_matrix(dst as *const T, m, n, n as isize, 1, acc, wide);
            }
            let done = k > 0
                && alpha == 1.0
                && beta.is_none()
                && gemv::try_gemv::<f32>(m, n, k, la, k as isize, 1, rb, n as isize, 1, acc, wide);
            if !done {
                gemm_one(
                    m, n, k, acc, n as isize, la, k as isize, 1, rb, n as isize, 1, alpha, beta,
                    par,
                );
            }
            narrow_block(acc, dst, m * n, wide);
        }
    });
    if failed.into_inner() {
        return Err(Error::memory("[matmul] Could not allocate scratch memory."));
    }
    Ok(())
}

/// Element offsets of every entry of a batch of `shape` whose strides are
/// `strides` (row-major order of the batch index).
pub fn batch_offsets(shape: &[i64], strides: &[i64]) -> Vec<isize> {
    let count: usize = shape.iter().product::<i64>().max(0) as usize;
    let mut out = Vec::with_capacity(count);
    if count == 0 {
        return out;
    }
    let nd = shape.len();
    let mut idx = vec![0i64; nd];
    let mut off = 0i64;
    for _ in 0..count {
        out.push(off as isize);
        for ax in (0..nd).rev() {
            idx[ax] += 1;
            off += strides[ax];
            if idx[ax] < shape[ax] {
                break;
            }
            off -= strides[ax] * shape[ax];
            idx[ax] = 0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(batch_offsets(&[2, 3], &[10, 1]), vec![0, 1, 2, 10, 11, 12]);
        assert_eq!(batch_offsets(&[2, 2], &[0, 5]), vec![0, 5, 0, 5]);
        assert_eq!(batch_offsets(&[], &[]), vec![0]);
        assert!(batch_offsets(&[0, 2], &[1, 1]).is_empty());
    }
}
