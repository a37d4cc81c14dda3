//! CPU kernels of the reduce family, continued: the fused row kernels
//! `softmax` and `logsumexp` (max, exp-sum and normalisation per row in one
//! pass over cache-resident data, with a vectorisable f32 `exp` evaluated
//! in registers).

use half::{bf16, f16};
use num_complex::Complex32;

use super::more::{cgt, fmax};
use super::{plan, prod, row_impl, Mode};
use crate::array::Data;
use crate::backend::cpu::{isa, par_range, Isa, SyncPtr};
use crate::dtype::Dtype;
use crate::error::{Error, Result};

// ---------------------------------------------------------------------------
// Fused row kernels.

/// `e^x` for f32, vectorisable (branch-free selects, integer exponent
/// arithmetic), within 2 ulp for `x <= 88.37`; results below the smallest
/// normal flush to 0; NaN propagates. Callers pass `x - max <= 0`.
#[inline(always)]
fn exp_f32<const FMA: bool>(x: f32) -> f32 {
    // a * b + c, fused where the ISA has FMA (a libm call otherwise).
    let fma = |a: f32, b: f32, c: f32| if FMA { a.mul_add(b, c) } else { a * b + c };
    const LO: f32 = -87.336_54;
    const HI: f32 = 88.376_26;
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    const MAGIC: f32 = 12_582_912.0; // 1.5 * 2^23: adding it rounds to an integer
    let xc = x.clamp(LO, HI); // NaN stays NaN
    let t = fma(xc, LOG2E, MAGIC);
    let k = t - MAGIC;
    let ki = (t.to_bits() as i32).wrapping_sub(MAGIC.to_bits() as i32);
    let r = fma(-k, LN2_LO, fma(-k, LN2_HI, xc));
    let mut p = 1.987_569_1e-4_f32;
    p = fma(p, r, 1.398_199_9e-3);
    p = fma(p, r, 8.333_452e-3);
    p = fma(p, r, 4.166_579_6e-2);
    p = fma(p, r, 1.666_666_5e-1);
    p = fma(p, r, 0.5);
    let y = fma(p * r, r, r) + 1.0;
    let scale = f32::from_bits(((ki + 127) << 23) as u32);
    if x < LO {
        0.0
    } else if x > 88.722_84 {
        f32::INFINITY
    } else {
        y * scale
    }
}

const W: usize = 16;

/// Sum of `exp(p[i] - m)`, optionally storing each term to `o`.
#[inline(always)]
unsafe fn exp_sum_f32<const STORE: bool, const FMA: bool>(
    p: *const f32,
    o: *mut f32,
    n: usize,
    m: f32,
) -> f32 {
    let mut acc = [0f32; W];
    let mut i = 0;
    while i + W <= n {
        let mut x = [0f32; W];
        for j in 0..W {
            x[j] = *p.add(i + j);
        }
        for j in 0..W {
            let e = exp_f32::<FMA>(x[j] - m);
            if STORE {
                *o.add(i + j) = e;
            }
            acc[j] += e;
        }
        i += W;
    }
    let mut w = W;
    while w > 1 {
        w /= 2;
        for j in 0..w {
            acc[j] += acc[j + w];
        }
    }
    let mut s = acc[0];
    while i < n {
        let e = exp_f32::<FMA>(*p.add(i) - m);
        if STORE {
            *o.add(i) = e;
        }
        s += e;
        i += 1;
    }
    s
}

#[inline(always)]
unsafe fn softmax_row_f32<const FMA: bool>(p: *const f32, o: *mut f32, n: usize) {
    let m = row_impl(f32::NEG_INFINITY, p, n, fmax, fmax);
    let s = exp_sum_f32::<true, FMA>(p, o, n, m);
    let inv = 1.0 / s;
    for i in 0..n {
        *o.add(i) *= inv;
    }
}

#[inline(always)]
unsafe fn logsumexp_row_f32<const FMA: bool>(p: *const f32, n: usize) -> f32 {
    let m = row_impl(f32::NEG_INFINITY, p, n, fmax, fmax);
    if m.is_infinite() {
        return m;
    }
    exp_sum_f32::<false, FMA>(p, std::ptr::null_mut(), n, m).ln() + m
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
unsafe fn softmax_rows_f32_avx512(p: *const f32, o: *mut f32, n: usize, rows: usize) {
    for r in 0..rows {
        softmax_row_f32::<true>(p.add(r * n), o.add(r * n), n);
    }
}
#[target_feature(enable = "avx2,fma")]
unsafe fn softmax_rows_f32_avx2(p: *const f32, o: *mut f32, n: usize, rows: usize) {
    for r in 0..rows {
        softmax_row_f32::<true>(p.add(r * n), o.add(r * n), n);
    }
}
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
unsafe fn logsumexp_rows_f32_avx512(p: *const f32, o: *mut f32, n: usize, rows: usize) {
    for r in 0..rows {
        *o.add(r) = logsumexp_row_f32::<true>(p.add(r * n), n);
    }
}
#[target_feature(enable = "avx2,fma")]
unsafe fn logsumexp_rows_f32_avx2(p: *const f32, o: *mut f32, n: usize, rows: usize) {
    for r in 0..rows {
        *o.add(r) = logsumexp_row_f32::<true>(p.add(r * n), n);
    }
}

/// A half type computed through f32.
trait Half: Copy + Send + Sync + 'static {
    fn f(self) -> f32;
    fn h(x: f32) -> Self;
    /// Rounds an f32 to this type's precision.
    fn r(x: f32) -> f32 {
        Self::h(x).f()
    }
}
impl Half for f16 {
    fn f(self) -> f32 {
        self.to_f32()
    }
    fn h(x: f32) -> Self {
        f16::from_f32(x)
    }
}
impl Half for bf16 {
    fn f(self) -> f32 {
        self.to_f32()
    }
    fn h(x: f32) -> Self {
        bf16::from_f32(x)
    }
}

/// Softmax of one half-precision row. `precise`: float32 accumulation.
/// Otherwise MLX's accumulation in the half type itself: every
/// intermediate (difference, exponential, running sum, reciprocal,
/// product) is rounded to the half type.
unsafe fn softmax_row_half<H: Half>(p: *const H, o: *mut H, n: usize, precise: bool) {
    let mut m = f32::NEG_INFINITY;
    for i in 0..n {
        m = fmax(m, (*p.add(i)).f());
    }
    if precise {
        let mut s = 0f32;
        for i in 0..n {
            s += ((*p.add(i)).f() - m).exp();
        }
        let inv = 1.0 / s;
        for i in 0..n {
            *o.add(i) = H::h(((*p.add(i)).f() - m).exp() * inv);
        }
    } else {
        let mut s = 0f32;
        for i in 0..n {
            let e = H::r(H::r((*p.add(i)).f() - m).exp());
            *o.add(i) = H::h(e);
            s = H::r(s + e);
        }
        let inv = H::r(1.0 / s);
        for i in 0..n {
            *o.add(i) = H::h((*o.add(i)).f() * inv);
        }
    }
}

unsafe fn softmax_row_f64(p: *const f64, o: *mut f64, n: usize) {
    let m = row_impl(f64::NEG_INFINITY, p, n, fmax, fmax);
    let mut s = 0f64;
    for i in 0..n {
        let e = (*p.add(i) - m).exp();
        *o.add(i) = e;
        s += e;
    }
    let inv = 1.0 / s;
    for i in 0..n {
        *o.add(i) *= inv;
    }
}

/// Lexicographic maximum of a complex row (MLX's complex ordering).
unsafe fn cmax_row(p: *const Complex32, n: usize) -> Complex32 {
    let mut m = Complex32::new(f32::NEG_INFINITY, f32::NEG_INFINITY);
    for i in 0..n {
        let x = *p.add(i);
        if cgt(x, m) {
            m = x;
        }
    }
    m
}

unsafe fn softmax_row_c64(p: *const Complex32, o: *mut Complex32, n: usize) {
    let m = cmax_row(p, n);
    let mut s = Complex32::new(0.0, 0.0);
    for i in 0..n {
        let e = (*p.add(i) - m).exp();
        *o.add(i) = e;
        s += e;
    }
    for i in 0..n {
        *o.add(i) /= s;
    }
}

/// Runs `f(first_row, rows)` over row blocks of a `rows x n` problem,
/// in parallel when large.
fn by_rows(rows: usize, n: usize, f: impl Fn(usize, usize) + Sync + Send) {
    let n = n.max(1);
    par_range(rows * n, |a, b| {
        let (r0, r1) = (a.div_ceil(n), b.div_ceil(n).min(rows));
        if r0 < r1 {
            f(r0, r1 - r0);
        }
    });
}

/// Softmax over the last axis of the view `input` (dtype `dt`, `shape`)
/// into the row-contiguous `out` (which may be the input's own buffer).
pub fn softmax(dt: Dtype, precise: bool, input: &Data, shape: &[i64], out: &Data) -> Result<()> {
    let size = prod(shape.iter().copied()) as usize;
    if size == 0 {
        return Ok(());
    }
    let n = shape.last().copied().unwrap_or(1) as usize;
    let rows = size / n;
    let src = if input.is_row_contiguous(shape) {
        input.clone()
    } else {
        let tmp = Data::alloc(shape, dt)?;
        crate::backend::cpu::copy::copy_to_contiguous(input, shape, dt.size(), tmp.byte_ptr(dt));
        tmp
    };
    macro_rules! rows_of {
        ($t:ty, $body:expr) => {{
            let (p, o) = (SyncPtr(src.ptr::<$t>()), SyncPtr(out.ptr::<$t>()));
            by_rows(rows, n, |r0, cnt| {
                let (p, o) = (p, o);
                // SAFETY: rows r0..r0+cnt of n elements lie in both buffers.
                unsafe { $body(p.0.add(r0 * n), o.0.add(r0 * n), cnt) }
            });
        }};
    }
    match dt {
        Dtype::Float32 => rows_of!(f32, |p: *mut f32, o: *mut f32, cnt: usize| match isa() {
            Isa::Avx512 => softmax_rows_f32_avx512(p, o, n, cnt),
            Isa::Avx2 => softmax_rows_f32_avx2(p, o, n, cnt),
            Isa::Baseline =>
                (0..cnt).for_each(|r| softmax_row_f32::<false>(p.add(r * n), o.add(r * n), n)),
        }),
        Dtype::Float64 => rows_of!(f64, |p: *mut f64, o: *mut f64, cnt: usize| (0..cnt)
            .for_each(|r| softmax_row_f64(p.add(r * n), o.add(r * n), n))),
        Dtype::Float16 => rows_of!(f16, |p: *mut f16, o: *mut f16, cnt: usize| (0..cnt)
            .for_each(|r| softmax_row_half(p.add(r * n), o.add(r * n), n, precise))),
        Dtype::Bfloat16 => rows_of!(bf16, |p: *mut bf16, o: *mut bf16, cnt: usize| (0..cnt)
            .for_each(|r| softmax_row_half(p.add(r * n), o.add(r * n), n, precise))),
        Dtype::Complex64 => {
            rows_of!(Complex32, |p: *mut Complex32,
                                 o: *mut Complex32,
                                 cnt: usize| (0
                ..cnt)
                .for_each(|r| softmax_row_c64(p.add(r * n), o.add(r * n), n)))
        }
        d => {
            return Err(Error::type_(format!(
                "[softmax] Softmax is defined only for floating point types, got {d}."
            )))
        }
    }
    Ok(())
}

/// `log(sum(exp(x)))` over the sorted `axes` of the view `input` (dtype
/// `dt`, `shape`) into the row-contiguous `out`. An infinite maximum is the
/// result as is (so all `-inf` gives `-inf`).
pub fn logsumexp(dt: Dtype, input: &Data, shape: &[i64], axes: &[usize], out: &Data) -> Result<()> {
    let nout = shape
        .iter()
        .enumerate()
        .filter(|(i, _)| axes.binary_search(i).is_err())
        .map(|(_, &d)| d)
        .product::<i64>() as usize;
    if nout == 0 {
        return Ok(());
    }
    if axes.iter().any(|&ax| shape[ax] == 0) {
        return Err(Error::value("[logsumexp] Received empty array."));
    }
    let plan = plan(input, shape, axes, dt, true)?;
    let Mode::Rows(n) = plan.mode else {
        return Err(Error::runtime(
            "[logsumexp] internal error: expected a row plan.",
        ));
    };
    macro_rules! rows_of {
        ($t:ty, $ot:ty, $body:expr) => {{
            let (p, o) = (SyncPtr(plan.data.ptr::<$t>()), SyncPtr(out.ptr::<$ot>()));
            by_rows(nout, n, |r0, cnt| {
                let (p, o) = (p, o);
                for r in r0..r0 + cnt {
                    // SAFETY: row r of n elements lies in the input, r < nout.
                    unsafe { *o.0.add(r) = $body(p.0.add(r * n)) };
                }
            });
        }};
    }
    fn half_lse<H: Half>(p: *const H, n: usize) -> H {
        let mut m = f32::NEG_INFINITY;
        // SAFETY: callers pass a row of n elements.
        unsafe {
            for i in 0..n {
                m = fmax(m, (*p.add(i)).f());
            }
            if m.is_infinite() {
                return H::h(m);
            }
            let mut s = 0f32;
            for i in 0..n {
                s += ((*p.add(i)).f() - m).exp();
            }
            H::h(s.ln() + m)
        }
    }
    match dt {
        Dtype::Float32 => {
            let (p, o) = (SyncPtr(plan.data.ptr::<f32>()), SyncPtr(out.ptr::<f32>()));
            by_rows(nout, n, |r0, cnt| {
                let (p, o) = (p, o);
                // SAFETY: rows r0..r0+cnt lie in the input and the output.
                unsafe {
                    let (p, o) = (p.0.add(r0 * n), o.0.add(r0));
                    match isa() {
                        Isa::Avx512 => logsumexp_rows_f32_avx512(p, o, n, cnt),
                        Isa::Avx2 => logsumexp_rows_f32_avx2(p, o, n, cnt),
                        Isa::Baseline => (0..cnt)
                            .for_each(|r| *o.add(r) = logsumexp_row_f32::<false>(p.add(r * n), n)),
                    }
                }
            });
        }
        Dtype::Float64 => rows_of!(f64, f64, |p: *mut f64| {
            let m = row_impl(f64::NEG_INFINITY, p, n, fmax, fmax);
            if m.is_infinite() {
                m
            } else {
                (0..n).map(|i| (*p.add(i) - m).exp()).sum::<f64>().ln() + m
            }
        }),
        Dtype::Float16 => rows_of!(f16, f16, |p: *mut f16| half_lse(p, n)),
        Dtype::Bfloat16 => rows_of!(bf16, bf16, |p: *mut bf16| half_lse(p, n)),
        Dtype::Complex64 => rows_of!(Complex32, Complex32, |p: *mut Complex32| {
            let m = cmax_row(p, n);
            if m.re.is_infinite() || m.im.is_infinite() {
                m
            } else {
                (0..n)
                    .map(|i| (*p.add(i) - m).exp())
                    .sum::<Complex32>()
                    .ln()
                    + m
            }
        }),
        d => {
            return Err(Error::type_(format!(
                "[logsumexp] only supports inexact types, got {d}."
            )))
        }
    }
    Ok(())
}
