//! Matrix-vector products (`m == 1` or `n == 1`) in float32 and float64.
//! They are memory bound, so the aim is to stream the matrix once at full
//! bandwidth: a row-dot kernel when the contracted axis is contiguous, an
//! axpy kernel (columns accumulated into a block of outputs) when the
//! output axis is. Both are compiled for AVX-512, AVX2+FMA and the baseline
//! and chosen at run time; rows (or output blocks) are split across cores.

use std::any::TypeId;

use super::{isa, Isa, SyncPtr};

/// Matrix elements (rows x k) above which the product uses all cores.
const PAR_ELEMS: usize = 1 << 16;
/// Outputs accumulated together by the axpy kernel (fits in L1).
const AXPY_BLOCK: usize = 1024;

trait Float:
    Copy + Send + Sync + 'static + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
    const ZERO: Self;
    fn fma(a: Self, b: Self, c: Self) -> Self;
}
impl Float for f32 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn fma(a: Self, b: Self, c: Self) -> Self {
        a.mul_add(b, c)
    }
}
impl Float for f64 {
    const ZERO: Self = 0.0;
    #[inline(always)]
    fn fma(a: Self, b: Self, c: Self) -> Self {
        a.mul_add(b, c)
    }
}

/// `sum_i a[i] * b[i]` over contiguous ranges, with `L` independent
/// accumulator lanes so the loop vectorises (FMA when `FMA`).
#[inline(always)]
unsafe fn dot<T: Float, const L: usize, const FMA: bool>(a: *const T, b: *const T, n: usize) -> T {
    let mut acc = [T::ZERO; L];
    let mut i = 0;
    while i + L <= n {
        for j in 0..L {
            let (x, y) = (*a.add(i + j), *b.add(i + j));
            acc[j] = if FMA {
                T::fma(x, y, acc[j])
            } else {
                acc[j] + x * y
            };
        }
        i += L;
    }
    let mut tail = T::ZERO;
    while i < n {
        tail = tail + *a.add(i) * *b.add(i);
        i += 1;
    }
    // Pairwise lane sum keeps rounding low.
    let mut w = L;
    while w > 1 {
        w /= 2;
        for j in 0..w {
            acc[j] = acc[j] + acc[j + w];
        }
    }
    acc[0] + tail
}

/// `y[r] = dot(mat[r*rs ..], v)` for rows `r0..r1`.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn dot_rows_inner<T: Float, const L: usize, const FMA: bool>(
    mat: *const T,
    rs: isize,
    v: *const T,
    k: usize,
    y: *mut T,
    ys: isize,
    r0: usize,
    r1: usize,
) {
    for r in r0..r1 {
        *y.offset(r as isize * ys) = dot::<T, L, FMA>(mat.offset(r as isize * rs), v, k);
    }
}

/// `y[r0..r1] = sum_k v[k] * mat[r + k*ks]` (rows contiguous).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn axpy_inner<T: Float, const FMA: bool>(
    mat: *const T,
    ks: isize,
    v: *const T,
    vs: isize,
    k: usize,
    y: *mut T,
    ys: isize,
    r0: usize,
    r1: usize,
) {
    let mut acc = [T::ZERO; AXPY_BLOCK];
    let mut b0 = r0;
    while b0 < r1 {
        let w = AXPY_BLOCK.min(r1 - b0);
        let acc = &mut acc[..w];
        acc.fill(T::ZERO);
        for kk in 0..k {
            let s = *v.offset(kk as isize * vs);
            let col = mat.offset(kk as isize * ks).add(b0);
            for j in 0..w {
                acc[j] = if FMA {
                    T::fma(s, *col.add(j), acc[j])
                } else {
                    acc[j] + s * *col.add(j)
                };
            }
        }
        for j in 0..w {
            *y.offset((b0 + j) as isize * ys) = acc[j];
        }
        b0 += w;
    }
}

macro_rules! variants {
    ($t:ty, $dot512:ident, $dot2:ident, $axpy512:ident, $axpy2:ident) => {
        #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $dot512(
            mat: *const $t,
            rs: isize,
            v: *const $t,
            k: usize,
            y: *mut $t,
            ys: isize,
            r0: usize,
            r1: usize,
        ) {
            dot_rows_inner::<$t, { 256 / std::mem::size_of::<$t>() }, true>(
                mat, rs, v, k, y, ys, r0, r1,
            )
        }
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $dot2(
            mat: *const $t,
            rs: isize,
            v: *const $t,
            k: usize,
            y: *mut $t,
            ys: isize,
            r0: usize,
            r1: usize,
        ) {
            dot_rows_inner::<$t, { 128 / std::mem::size_of::<$t>() }, true>(
                mat, rs, v, k, y, ys, r0, r1,
            )
        }
        #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $axpy512(
            mat: *const $t,
            ks: isize,
            v: *const $t,
            vs: isize,
            k: usize,
            y: *mut $t,
            ys: isize,
            r0: usize,
            r1: usize,
        ) {
            axpy_inner::<$t, true>(mat, ks, v, vs, k, y, ys, r0, r1)
        }
        #[target_feature(enable = "avx2,fma")]
        #[allow(clippy::too_many_arguments)]
        unsafe fn $axpy2(
            mat: *const $t,
            ks: isize,
            v: *const $t,
            vs: isize,
            k: usize,
            y: *mut $t,
            ys: isize,
            r0: usize,
            r1: usize,
        ) {
            axpy_inner::<$t, true>(mat, ks, v, vs, k, y, ys, r0, r1)
        }
    };
}
variants!(f32, dot512_f32, dot2_f32, axpy512_f32, axpy2_f32);
variants!(f64, dot512_f64, dot2_f64, axpy512_f64, axpy2_f64);

/// Runs `f(r0, r1)` over `0..rows` in chunks, on all cores when `par`.
pub(super) fn split_rows(rows: usize, par: bool, f: impl Fn(usize, usize) + Sync + Send) {
    let threads = rayon::current_num_threads();
    if !par || threads <= 1 || rows < 2 {
        f(0, rows);
        return;
    }
    let chunks = (threads * 4).min(rows);
    let per = rows.div_ceil(chunks);
    rayon::scope(|s| {
        let f = &f;
        for c in 1..chunks {
            let (a, b) = (c * per, ((c + 1) * per).min(rows));
            if a < b {
                s.spawn(move |_| f(a, b));
            }
        }
        f(0, per.min(rows));
    });
}

/// The typed kernels of one element type.
struct Kernels<T> {
    #[allow(clippy::type_complexity)]
    dot: unsafe fn(*const T, isize, *const T, usize, *mut T, isize, usize, usize),
    #[allow(clippy::type_complexity)]
    axpy: unsafe fn(*const T, isize, *const T, isize, usize, *mut T, isize, usize, usize),
}

#[allow(clippy::too_many_arguments)]
unsafe fn dot_base<T: Float>(
    mat: *const T,
    rs: isize,
    v: *const T,
    k: usize,
    y: *mut T,
    ys: isize,
    r0: usize,
    r1: usize,
) {
    dot_rows_inner::<T, 16, false>(mat, rs, v, k, y, ys, r0, r1)
}
#[allow(clippy::too_many_arguments)]
unsafe fn axpy_base<T: Float>(
    mat: *const T,
    ks: isize,
    v: *const T,
    vs: isize,
    k: usize,
    y: *mut T,
    ys: isize,
    r0: usize,
    r1: usize,
) {
    axpy_inner::<T, false>(mat, ks, v, vs, k, y, ys, r0, r1)
}

fn kernels_f32() -> Kernels<f32> {
    match isa() {
        Isa::Avx512 => Kernels {
            dot: dot512_f32,
            axpy: axpy512_f32,
        },
        Isa::Avx2 => Kernels {
            dot: dot2_f32,
            axpy: axpy2_f32,
        },
        Isa::Baseline => Kernels {
            dot: dot_base::<f32>,
            axpy: axpy_base::<f32>,
        },
    }
}
fn kernels_f64() -> Kernels<f64> {
    match isa() {
        Isa::Avx512 => Kernels {
            dot: dot512_f64,
            axpy: axpy512_f64,
        },
        Isa::Avx2 => Kernels {
            dot: dot2_f64,
            axpy: axpy2_f64,
        },
        Isa::Baseline => Kernels {
            dot: dot_base::<f64>,
            axpy: axpy_base::<f64>,
        },
    }
}

/// `y = mat @ v` for a `rows x k` matrix with strides `(rs, ks)` and a
/// vector of stride `vs`; false when no kernel fits the layout.
#[allow(clippy::too_many_arguments)]
unsafe fn gemv_typed<T: Float>(
    kern: Kernels<T>,
    rows: usize,
    k: usize,
    mat: *const T,
    rs: isize,
    ks: isize,
    v: *const T,
    vs: isize,
    y: *mut T,
    ys: isize,
    par: bool,
) -> bool {
    let par = par && rows.saturating_mul(k) >= PAR_ELEMS;
    let (mat, y) = (SyncPtr(mat as *mut T), SyncPtr(y));
    if ks == 1 || k == 1 {
        // A strided vector is gathered once so the dot loop streams.
        let packed: Vec<T>;
        let v = if vs == 1 || k == 1 {
            SyncPtr(v as *mut T)
        } else {
            packed = (0..k).map(|i| *v.offset(i as isize * vs)).collect();
            SyncPtr(packed.as_ptr() as *mut T)
        };
        split_rows(rows, par, |r0, r1| {
            let (mat, v, y) = (mat, v, y);
            (kern.dot)(mat.0, rs, v.0, k, y.0, ys, r0, r1);
        });
        true
    } else if rs == 1 {
        let v = SyncPtr(v as *mut T);
        split_rows(rows.div_ceil(64), par, |b0, b1| {
            let (mat, v, y) = (mat, v, y);
            (kern.axpy)(mat.0, ks, v.0, vs, k, y.0, ys, b0 * 64, (b1 * 64).min(rows));
        });
        true
    } else {
        false
    }
}

/// Computes `dst = lhs @ rhs` (`dst` row-major `m x n`) when it is a
/// matrix-vector product of float32/float64 in a layout the kernels
/// stream; returns false (nothing written) otherwise.
///
/// # Safety
/// Operands must be valid for their shapes and strides; `dst` for `m * n`
/// elements.
#[allow(clippy::too_many_arguments)]
pub unsafe fn try_gemv<T: 'static>(
    m: usize,
    n: usize,
    k: usize,
    lhs: *const T,
    a_rs: isize,
    a_cs: isize,
    rhs: *const T,
    b_rs: isize,
    b_cs: isize,
    dst: *mut T,
    par: bool,
) -> bool {
    if m != 1 && n != 1 {
        return false;
    }
    macro_rules! go {
        ($t:ty, $kern:expr) => {{
            let (lhs, rhs, dst) = (lhs as *const $t, rhs as *const $t, dst as *mut $t);
            if n == 1 {
                // Rows of lhs against the column of rhs.
                gemv_typed($kern, m, k, lhs, a_rs, a_cs, rhs, b_rs, dst, 1, par)
            } else {
                // Columns of rhs against the row of lhs: rhs^T @ lhs^T.
                gemv_typed($kern, n, k, rhs, b_cs, b_rs, lhs, a_cs, dst, 1, par)
            }
        }};
    }
    if TypeId::of::<T>() == TypeId::of::<f32>() {
        go!(f32, kernels_f32())
    } else if TypeId::of::<T>() == TypeId::of::<f64>() {
        go!(f64, kernels_f64())
    } else {
        false
    }
}
