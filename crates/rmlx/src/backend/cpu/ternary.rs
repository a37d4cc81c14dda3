//! CPU kernels of the ternary family and its fused elementwise composites:
//! `select` (the kernel of `where`, by element size: it only moves bits),
//! `isclose` with MLX's exact per-dtype arithmetic, `nan_to_num`, and the
//! fused all-reductions behind `allclose` and `array_equal`.

use std::sync::atomic::{AtomicBool, Ordering};

use half::{bf16, f16};
use num_complex::Complex32;

use super::elementwise::{apply1, apply2};
use super::strided::{collapse, for_rows, num_rows};
use super::{isa, par_range, Isa, SyncPtr};
use crate::array::{row_strides, Data};
use crate::dtype::Dtype;
use crate::error::{Error, Result};

// ---------------------------------------------------------------- select

/// `o[i] = c[i] ? x[i] : y[i]` over one row with the given strides; the
/// common layouts get their own loops so LLVM emits vector blends.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn select_row<T: Copy>(
    c: *const u8,
    sc: isize,
    x: *const T,
    sx: isize,
    y: *const T,
    sy: isize,
    o: *mut T,
    n: usize,
) {
    match (sc, sx, sy) {
        (1, 1, 1) => {
            for i in 0..n {
                *o.add(i) = if *c.add(i) != 0 { *x.add(i) } else { *y.add(i) };
            }
        }
        (1, 1, 0) => {
            let y = *y;
            for i in 0..n {
                *o.add(i) = if *c.add(i) != 0 { *x.add(i) } else { y };
            }
        }
        (1, 0, 1) => {
            let x = *x;
            for i in 0..n {
                *o.add(i) = if *c.add(i) != 0 { x } else { *y.add(i) };
            }
        }
        (1, 0, 0) => {
            let (x, y) = (*x, *y);
            for i in 0..n {
                *o.add(i) = if *c.add(i) != 0 { x } else { y };
            }
        }
        (0, _, _) => {
            // One condition for the whole row: a plain (strided) copy.
            let (src, s) = if *c != 0 { (x, sx) } else { (y, sy) };
            if s == 1 {
                // `copy`, not `copy_nonoverlapping`: the output may be the
                // donated buffer of the chosen operand.
                std::ptr::copy(src, o, n);
            } else {
                for i in 0..n as isize {
                    *o.offset(i) = *src.offset(i * s);
                }
            }
        }
        _ => {
            for i in 0..n as isize {
                *o.offset(i) = if *c.offset(i * sc) != 0 {
                    *x.offset(i * sx)
                } else {
                    *y.offset(i * sy)
                };
            }
        }
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
#[allow(clippy::too_many_arguments)]
unsafe fn select_row_avx512<T: Copy>(
    c: *const u8,
    sc: isize,
    x: *const T,
    sx: isize,
    y: *const T,
    sy: isize,
    o: *mut T,
    n: usize,
) {
    select_row(c, sc, x, sx, y, sy, o, n)
}

#[target_feature(enable = "avx2")]
#[allow(clippy::too_many_arguments)]
unsafe fn select_row_avx2<T: Copy>(
    c: *const u8,
    sc: isize,
    x: *const T,
    sx: isize,
    y: *const T,
    sy: isize,
    o: *mut T,
    n: usize,
) {
    select_row(c, sc, x, sx, y, sy, o, n)
}

/// Runs `row(offsets, start, len)` over the elements `0..n` of a collapsed
/// view split across cores by elements (partial first and last rows), so
/// that a contiguous 1-d operand is split as well as a many-row one.
fn for_chunks<const N: usize>(
    cs: &[i64],
    st: &[Vec<i64>; N],
    row: impl Fn([isize; N], usize, usize) + Sync + Send,
) {
    let inner = *cs.last().expect("collapsed shape") as usize;
    let rows = num_rows(cs);
    par_range(rows * inner, |s, e| {
        let (r0, r1) = (s / inner, e.div_ceil(inner).min(rows));
        for_rows(cs, st, r0, r1, |r, offs| {
            let lo = s.saturating_sub(r * inner).min(inner);
            let hi = (e - r * inner).min(inner);
            if lo < hi {
                row(offs, lo, hi - lo);
            }
        });
    });
}

fn select_typed<T: Copy + Send + Sync>(c: &Data, x: &Data, y: &Data, out: &Data, shape: &[i64]) {
    let (pc, px, py, po) = (
        SyncPtr(c.ptr::<u8>()),
        SyncPtr(x.ptr::<T>()),
        SyncPtr(y.ptr::<T>()),
        SyncPtr(out.ptr::<T>()),
    );
    let rs = row_strides(shape);
    let (cs, st) = collapse(shape, [&c.strides, &x.strides, &y.strides, &rs]);
    let last = cs.len() - 1;
    let (ic, ix, iy) = (
        st[0][last] as isize,
        st[1][last] as isize,
        st[2][last] as isize,
    );
    let level = isa();
    for_chunks(&cs, &st, move |[oc, ox, oy, oo], lo, n| {
        let (pc, px, py, po) = (pc, px, py, po);
        let l = lo as isize;
        // SAFETY: offsets and in-row ranges come from the views' strides.
        unsafe {
            let args = (
                pc.0.offset(oc + l * ic),
                px.0.offset(ox + l * ix),
                py.0.offset(oy + l * iy),
                po.0.offset(oo + l),
            );
            match level {
                Isa::Avx512 => select_row_avx512(args.0, ic, args.1, ix, args.2, iy, args.3, n),
                Isa::Avx2 => select_row_avx2(args.0, ic, args.1, ix, args.2, iy, args.3, n),
                Isa::Baseline => select_row(args.0, ic, args.1, ix, args.2, iy, args.3, n),
            }
        }
    });
}

/// `out = c ? x : y` for a bool view `c` and views `x`, `y` (elements of
/// `esize` bytes), all broadcast to `shape`, into the row-contiguous `out`.
pub fn select(esize: usize, c: &Data, x: &Data, y: &Data, out: &Data, shape: &[i64]) {
    if shape.contains(&0) {
        return;
    }
    match esize {
        1 => select_typed::<u8>(c, x, y, out, shape),
        2 => select_typed::<u16>(c, x, y, out, shape),
        4 => select_typed::<u32>(c, x, y, out, shape),
        8 => select_typed::<u64>(c, x, y, out, shape),
        _ => unreachable!("element size {esize}"),
    }
}

// ---------------------------------------------------------------- isclose

/// Per-dtype `isclose` / `array_equal` predicates with MLX's arithmetic:
/// `|a - b|` in the operands' dtype (integers wrap), the right-hand side
/// `atol + rtol * |b|` in float32 (float64 for float64 operands), and the
/// infinity and NaN corrections.
pub trait ClosePred: Copy + Send + Sync + 'static {
    /// Whether `a` and `b` are close.
    fn close(a: Self, b: Self, rtol: f64, atol: f64, equal_nan: bool) -> bool;
    /// `a == b`, or both NaN when `equal_nan`.
    fn same(a: Self, b: Self, equal_nan: bool) -> bool;
}

#[inline(always)]
fn close_f32(
    lhs: f32,
    a_inf: bool,
    b_inf: bool,
    same_inf: bool,
    b_abs: f32,
    rtol: f32,
    atol: f32,
) -> bool {
    let ok = lhs <= atol + rtol * b_abs;
    (ok && !(a_inf || b_inf)) || same_inf
}

impl ClosePred for f32 {
    #[inline(always)]
    fn close(a: f32, b: f32, rtol: f64, atol: f64, en: bool) -> bool {
        close_f32(
            (a - b).abs(),
            a.is_infinite(),
            b.is_infinite(),
            a.is_infinite() && a == b,
            b.abs(),
            rtol as f32,
            atol as f32,
        ) || (en && a.is_nan() && b.is_nan())
    }
    #[inline(always)]
    fn same(a: f32, b: f32, en: bool) -> bool {
        a == b || (en && a.is_nan() && b.is_nan())
    }
}

impl ClosePred for f64 {
    #[inline(always)]
    fn close(a: f64, b: f64, rtol: f64, atol: f64, en: bool) -> bool {
        // MLX builds rtol and atol as float32 scalars.
        let (rtol, atol) = (rtol as f32 as f64, atol as f32 as f64);
        let ok = (a - b).abs() <= atol + rtol * b.abs();
        (ok && !(a.is_infinite() || b.is_infinite()))
            || (a.is_infinite() && a == b)
            || (en && a.is_nan() && b.is_nan())
    }
    #[inline(always)]
    fn same(a: f64, b: f64, en: bool) -> bool {
        a == b || (en && a.is_nan() && b.is_nan())
    }
}

macro_rules! close_half {
    ($($t:ty),*) => {$(
        impl ClosePred for $t {
            #[inline(always)]
            fn close(a: $t, b: $t, rtol: f64, atol: f64, en: bool) -> bool {
                let (x, y) = (a.to_f32(), b.to_f32());
                // |a - b| rounds to the half type before widening.
                let lhs = <$t>::from_f32(x - y).to_f32().abs();
                close_f32(lhs, x.is_infinite(), y.is_infinite(), x.is_infinite() && x == y, y.abs(), rtol as f32, atol as f32)
                    || (en && x.is_nan() && y.is_nan())
            }
            #[inline(always)]
            fn same(a: $t, b: $t, en: bool) -> bool {
                let (x, y) = (a.to_f32(), b.to_f32());
                x == y || (en && x.is_nan() && y.is_nan())
            }
        }
    )*};
}
close_half!(f16, bf16);

macro_rules! close_int {
    ($($t:ty),*) => {$(
        impl ClosePred for $t {
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn close(a: $t, b: $t, rtol: f64, atol: f64, _en: bool) -> bool {
                // Two's-complement abs: MLX's abs wraps like this for MIN.
                let abs = |v: $t| if v < 0 { (0 as $t).wrapping_sub(v) } else { v };
                let lhs = abs(a.wrapping_sub(b)) as f32;
                lhs <= atol as f32 + rtol as f32 * abs(b) as f32
            }
            #[inline(always)]
            fn same(a: $t, b: $t, _en: bool) -> bool {
                a == b
            }
        }
    )*};
}
close_int!(u8, u16, u32, u64, i8, i16, i32, i64);

impl ClosePred for bool {
    #[inline(always)]
    fn close(a: bool, b: bool, rtol: f64, atol: f64, _en: bool) -> bool {
        f32::from(u8::from(a ^ b)) <= atol as f32 + rtol as f32 * f32::from(u8::from(b))
    }
    #[inline(always)]
    fn same(a: bool, b: bool, _en: bool) -> bool {
        a == b
    }
}

#[inline(always)]
fn c_nan(z: Complex32) -> bool {
    z.re.is_nan() || z.im.is_nan()
}

impl ClosePred for Complex32 {
    #[inline(always)]
    fn close(a: Complex32, b: Complex32, rtol: f64, atol: f64, en: bool) -> bool {
        // MLX's infinity correction uses isposinf / isneginf, which for
        // complex numbers compare with (+-inf, 0): other infinities are
        // compared by magnitude like finite values.
        let signed_inf = |z: Complex32| z.im == 0.0 && z.re.is_infinite();
        let same_inf = signed_inf(a) && a == b;
        close_f32(
            (a - b).norm(),
            signed_inf(a),
            signed_inf(b),
            same_inf,
            b.norm(),
            rtol as f32,
            atol as f32,
        ) || (en && c_nan(a) && c_nan(b))
    }
    #[inline(always)]
    fn same(a: Complex32, b: Complex32, en: bool) -> bool {
        a == b || (en && c_nan(a) && c_nan(b))
    }
}

/// Writes `isclose(a, b)` (views of dtype `dt` broadcast to `shape`) into
/// the row-contiguous bool `out`; `tol` is `(rtol, atol, equal_nan)`.
pub fn isclose(dt: Dtype, a: &Data, b: &Data, out: &Data, shape: &[i64], tol: (f64, f64, bool)) {
    let (rtol, atol, equal_nan) = tol;
    crate::dispatch!(dt, T => apply2(a, b, out, shape, move |x: T, y: T| T::close(x, y, rtol, atol, equal_nan)))
}

/// Whether `f(a[i], b[i])` holds for every element of views `a`, `b`
/// broadcast to `shape` (stops early once a chunk finds a failure).
fn all_pairs<T: Copy + Send + Sync, F: Fn(T, T) -> bool + Sync + Send>(
    a: &Data,
    b: &Data,
    shape: &[i64],
    f: F,
) -> bool {
    if shape.contains(&0) {
        return true;
    }
    let (pa, pb) = (SyncPtr(a.ptr::<T>()), SyncPtr(b.ptr::<T>()));
    let (cs, st) = collapse(shape, [&a.strides, &b.strides]);
    let last = cs.len() - 1;
    let (ia, ib) = (st[0][last] as isize, st[1][last] as isize);
    let ok = AtomicBool::new(true);
    for_chunks(&cs, &st, |[oa, ob], lo, n| {
        let (pa, pb) = (pa, pb);
        const BLOCK: usize = 4096;
        let mut i = 0;
        while i < n {
            if !ok.load(Ordering::Relaxed) {
                return;
            }
            let m = BLOCK.min(n - i);
            let mut acc = true;
            let base = (lo + i) as isize;
            // SAFETY: offsets come from the views' strides.
            unsafe {
                let (x, y) = (pa.0.offset(oa + base * ia), pb.0.offset(ob + base * ib));
                if ia == 1 && ib == 1 {
                    for j in 0..m {
                        acc &= f(*x.add(j), *y.add(j));
                    }
                } else {
                    for j in 0..m as isize {
                        acc &= f(*x.offset(j * ia), *y.offset(j * ib));
                    }
                }
            }
            if !acc {
                ok.store(false, Ordering::Relaxed);
                return;
            }
            i += m;
        }
    });
    ok.load(Ordering::Relaxed)
}

/// `all(isclose(a, b))` without materialising the elementwise result.
pub fn all_close(
    dt: Dtype,
    a: &Data,
    b: &Data,
    shape: &[i64],
    rtol: f64,
    atol: f64,
    equal_nan: bool,
) -> bool {
    crate::dispatch!(dt, T => all_pairs(a, b, shape, move |x: T, y: T| T::close(x, y, rtol, atol, equal_nan)))
}

/// `all(a == b)` (NaNs equal when `equal_nan`) without materialising.
pub fn all_equal(dt: Dtype, a: &Data, b: &Data, shape: &[i64], equal_nan: bool) -> bool {
    crate::dispatch!(dt, T => all_pairs(a, b, shape, move |x: T, y: T| T::same(x, y, equal_nan)))
}

// ---------------------------------------------------------------- nan_to_num

/// Replaces NaN, +inf and -inf in the float view `a` (of `shape`) with the
/// given values (converted to the dtype) into the row-contiguous `out`.
pub fn nan_to_num(
    dt: Dtype,
    a: &Data,
    out: &Data,
    shape: &[i64],
    nan: f64,
    posinf: f64,
    neginf: f64,
) -> Result<()> {
    macro_rules! half {
        ($t:ty) => {{
            let (n, p, m) = (
                <$t>::from_f64(nan),
                <$t>::from_f64(posinf),
                <$t>::from_f64(neginf),
            );
            apply1(a, out, shape, move |x: $t| {
                if x.is_nan() {
                    n
                } else if x.is_infinite() {
                    if x.is_sign_negative() {
                        m
                    } else {
                        p
                    }
                } else {
                    x
                }
            })
        }};
    }
    match dt {
        Dtype::Float32 => {
            let (n, p, m) = (nan as f32, posinf as f32, neginf as f32);
            apply1(a, out, shape, move |x: f32| {
                if x.is_nan() {
                    n
                } else if x == f32::INFINITY {
                    p
                } else if x == f32::NEG_INFINITY {
                    m
                } else {
                    x
                }
            })
        }
        Dtype::Float64 => apply1(a, out, shape, move |x: f64| {
            if x.is_nan() {
                nan
            } else if x == f64::INFINITY {
                posinf
            } else if x == f64::NEG_INFINITY {
                neginf
            } else {
                x
            }
        }),
        Dtype::Float16 => half!(f16),
        Dtype::Bfloat16 => half!(bf16),
        Dtype::Complex64 => {
            // MLX: NaN if either part is NaN; +-inf only as (+-inf, 0).
            let (n, p, m) = (
                Complex32::new(nan as f32, 0.0),
                Complex32::new(posinf as f32, 0.0),
                Complex32::new(neginf as f32, 0.0),
            );
            apply1(a, out, shape, move |x: Complex32| {
                if x.im == 0.0 && x.re == f32::NEG_INFINITY {
                    m
                } else if x.im == 0.0 && x.re == f32::INFINITY {
                    p
                } else if c_nan(x) {
                    n
                } else {
                    x
                }
            })
        }
        _ => {
            return Err(Error::value(format!(
                "[nan_to_num] Does not yet support given type: {dt}."
            )))
        }
    }
    Ok(())
}
