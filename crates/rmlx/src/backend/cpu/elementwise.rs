//! The elementwise engine shared by unary, binary and ternary kernels:
//! per-layout inner loops (vector-vector, scalar-vector, strided) that LLVM
//! vectorises, compiled three times (AVX-512, AVX2+FMA, baseline) for the
//! float types and chosen at run time, plus splitting across cores.

use super::strided::{collapse, for_rows, num_rows};
use super::{isa, par_range, Isa, SyncPtr};
use crate::array::{row_strides, Data};
use crate::element::Element;

// The inner loops. `#[inline(always)]` so they are compiled inside each
// target-feature wrapper below with that wrapper's ISA.
#[inline(always)]
unsafe fn loop2<T: Copy, U, F: Fn(T, T) -> U>(
    a: *const T,
    sa: isize,
    b: *const T,
    sb: isize,
    o: *mut U,
    n: usize,
    f: F,
) {
    match (sa, sb) {
        (1, 1) => {
            for i in 0..n {
                *o.add(i) = f(*a.add(i), *b.add(i));
            }
        }
        (0, 1) => {
            let x = *a;
            for i in 0..n {
                *o.add(i) = f(x, *b.add(i));
            }
        }
        (1, 0) => {
            let y = *b;
            for i in 0..n {
                *o.add(i) = f(*a.add(i), y);
            }
        }
        _ => {
            for i in 0..n as isize {
                *o.offset(i) = f(*a.offset(i * sa), *b.offset(i * sb));
            }
        }
    }
}

#[inline(always)]
unsafe fn loop1<T: Copy, U, F: Fn(T) -> U>(a: *const T, sa: isize, o: *mut U, n: usize, f: F) {
    if sa == 1 {
        for i in 0..n {
            *o.add(i) = f(*a.add(i));
        }
    } else {
        for i in 0..n as isize {
            *o.offset(i) = f(*a.offset(i * sa));
        }
    }
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
unsafe fn loop3<A: Copy, T: Copy, U, F: Fn(A, T, T) -> U>(
    c: *const A,
    sc: isize,
    a: *const T,
    sa: isize,
    b: *const T,
    sb: isize,
    o: *mut U,
    n: usize,
    f: F,
) {
    if sc == 1 && sa == 1 && sb == 1 {
        for i in 0..n {
            *o.add(i) = f(*c.add(i), *a.add(i), *b.add(i));
        }
    } else {
        for i in 0..n as isize {
            *o.offset(i) = f(*c.offset(i * sc), *a.offset(i * sa), *b.offset(i * sb));
        }
    }
}

macro_rules! multiversion {
    ($name:ident, $avx512:ident, $avx2:ident, $inner:ident, [$($g:tt)*], ($($arg:ident : $ty:ty),*)) => {
        #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
        unsafe fn $avx512<$($g)*>($($arg: $ty),*) { $inner($($arg),*) }
        #[target_feature(enable = "avx2,fma")]
        unsafe fn $avx2<$($g)*>($($arg: $ty),*) { $inner($($arg),*) }
    };
}

/// Element types with the inner loops; the float types override them with
/// run-time ISA dispatch, the others use the baseline loops (keeping the
/// number of compiled variants, and so build time, down).
pub trait Kern: Element {
    /// `o[i] = f(a[i*sa], b[i*sb])` for `i < n`.
    ///
    /// # Safety
    /// Pointers must be valid for the strided ranges.
    #[inline(always)]
    unsafe fn map2<U, F: Fn(Self, Self) -> U>(
        a: *const Self,
        sa: isize,
        b: *const Self,
        sb: isize,
        o: *mut U,
        n: usize,
        f: F,
    ) {
        loop2(a, sa, b, sb, o, n, f)
    }
    /// `o[i] = f(a[i*sa])` for `i < n`.
    ///
    /// # Safety
    /// Pointers must be valid for the strided ranges.
    #[inline(always)]
    unsafe fn map1<U, F: Fn(Self) -> U>(a: *const Self, sa: isize, o: *mut U, n: usize, f: F) {
        loop1(a, sa, o, n, f)
    }
}

multiversion!(map2_avx512, map2_avx512_impl, map2_avx2_impl, loop2, [T: Copy, U, F: Fn(T, T) -> U],
    (a: *const T, sa: isize, b: *const T, sb: isize, o: *mut U, n: usize, f: F));
multiversion!(map1_avx512, map1_avx512_impl, map1_avx2_impl, loop1, [T: Copy, U, F: Fn(T) -> U],
    (a: *const T, sa: isize, o: *mut U, n: usize, f: F));

macro_rules! kern_simd {
    ($($t:ty),*) => {$(
        impl Kern for $t {
            #[inline(always)]
            unsafe fn map2<U, F: Fn(Self, Self) -> U>(a: *const Self, sa: isize, b: *const Self, sb: isize, o: *mut U, n: usize, f: F) {
                match isa() {
                    Isa::Avx512 => map2_avx512_impl(a, sa, b, sb, o, n, f),
                    Isa::Avx2 => map2_avx2_impl(a, sa, b, sb, o, n, f),
                    Isa::Baseline => loop2(a, sa, b, sb, o, n, f),
                }
            }
            #[inline(always)]
            unsafe fn map1<U, F: Fn(Self) -> U>(a: *const Self, sa: isize, o: *mut U, n: usize, f: F) {
                match isa() {
                    Isa::Avx512 => map1_avx512_impl(a, sa, o, n, f),
                    Isa::Avx2 => map1_avx2_impl(a, sa, o, n, f),
                    Isa::Baseline => loop1(a, sa, o, n, f),
                }
            }
        }
    )*};
}
kern_simd!(f32, f64);

macro_rules! kern_plain {
    ($($t:ty),*) => {$( impl Kern for $t {} )*};
}
kern_plain!(
    bool,
    u8,
    u16,
    u32,
    u64,
    i8,
    i16,
    i32,
    i64,
    half::f16,
    half::bf16,
    num_complex::Complex32
);

fn all_zero(s: &[i64]) -> bool {
    s.iter().all(|&x| x == 0)
}

/// Writes `f(a, b)` into the row-contiguous `out` for views `a`, `b` already
/// broadcast to `shape`.
pub fn apply2<T: Kern, U: Element, F: Fn(T, T) -> U + Sync + Send + Copy>(
    a: &Data,
    b: &Data,
    out: &Data,
    shape: &[i64],
    f: F,
) {
    let n: usize = shape.iter().product::<i64>() as usize;
    if n == 0 {
        return;
    }
    let (pa, pb, po) = (
        SyncPtr(a.ptr::<T>()),
        SyncPtr(b.ptr::<T>()),
        SyncPtr(out.ptr::<U>()),
    );
    let (ac, bc) = (a.is_row_contiguous(shape), b.is_row_contiguous(shape));
    let (az, bz) = (all_zero(&a.strides), all_zero(&b.strides));
    if (ac || az) && (bc || bz) {
        let (sa, sb) = (isize::from(!az), isize::from(!bz));
        par_range(n, move |s, e| {
            let (pa, pb, po) = (pa, pb, po);
            // SAFETY: s..e lies within every operand.
            unsafe {
                T::map2(
                    pa.0.offset(s as isize * sa),
                    sa,
                    pb.0.offset(s as isize * sb),
                    sb,
                    po.0.add(s),
                    e - s,
                    f,
                )
            }
        });
        return;
    }
    let rs = row_strides(shape);
    let (cs, strides) = collapse(shape, [&a.strides, &b.strides, &rs]);
    let inner = *cs.last().expect("collapsed shape") as usize;
    let (ia, ib) = (
        strides[0][cs.len() - 1] as isize,
        strides[1][cs.len() - 1] as isize,
    );
    let rows = num_rows(&cs);
    par_range(rows * inner, |s, e| {
        let (pa, pb, po) = (pa, pb, po);
        for_rows(
            &cs,
            &strides,
            s.div_ceil(inner),
            e.div_ceil(inner).min(rows),
            |_, [oa, ob, oo]| {
                // SAFETY: offsets come from the views' strides.
                unsafe {
                    T::map2(
                        pa.0.offset(oa),
                        ia,
                        pb.0.offset(ob),
                        ib,
                        po.0.offset(oo),
                        inner,
                        f,
                    )
                }
            },
        );
    });
}

/// Writes `f(a)` into the row-contiguous `out` for a view `a` of `shape`.
pub fn apply1<T: Kern, U: Element, F: Fn(T) -> U + Sync + Send + Copy>(
    a: &Data,
    out: &Data,
    shape: &[i64],
    f: F,
) {
    let n: usize = shape.iter().product::<i64>() as usize;
    if n == 0 {
        return;
    }
    let (pa, po) = (SyncPtr(a.ptr::<T>()), SyncPtr(out.ptr::<U>()));
    if a.is_row_contiguous(shape) {
        par_range(n, move |s, e| {
            let (pa, po) = (pa, po);
            // SAFETY: s..e lies within both operands.
            unsafe { T::map1(pa.0.add(s), 1, po.0.add(s), e - s, f) }
        });
        return;
    }
    let rs = row_strides(shape);
    let (cs, strides) = collapse(shape, [&a.strides, &rs]);
    let inner = *cs.last().expect("collapsed shape") as usize;
    let ia = strides[0][cs.len() - 1] as isize;
    let rows = num_rows(&cs);
    par_range(rows * inner, |s, e| {
        let (pa, po) = (pa, po);
        for_rows(
            &cs,
            &strides,
            s.div_ceil(inner),
            e.div_ceil(inner).min(rows),
            |_, [oa, oo]| {
                // SAFETY: offsets come from the views' strides.
                unsafe { T::map1(pa.0.offset(oa), ia, po.0.offset(oo), inner, f) }
            },
        );
    });
}

/// Writes `f(c, a, b)` into the row-contiguous `out` (for `where`-like ops).
pub fn apply3<A: Element, T: Element, U: Element, F: Fn(A, T, T) -> U + Sync + Send + Copy>(
    c: &Data,
    a: &Data,
    b: &Data,
    out: &Data,
    shape: &[i64],
    f: F,
) {
    let n: usize = shape.iter().product::<i64>() as usize;
    if n == 0 {
        return;
    }
    let (pc, pa, pb, po) = (
        SyncPtr(c.ptr::<A>()),
        SyncPtr(a.ptr::<T>()),
        SyncPtr(b.ptr::<T>()),
        SyncPtr(out.ptr::<U>()),
    );
    let rs = row_strides(shape);
    let (cs, strides) = collapse(shape, [&c.strides, &a.strides, &b.strides, &rs]);
    let inner = *cs.last().expect("collapsed shape") as usize;
    let last = cs.len() - 1;
    let (ic, ia, ib) = (
        strides[0][last] as isize,
        strides[1][last] as isize,
        strides[2][last] as isize,
    );
    let rows = num_rows(&cs);
    par_range(rows * inner, |s, e| {
        let (pc, pa, pb, po) = (pc, pa, pb, po);
        for_rows(
            &cs,
            &strides,
            s.div_ceil(inner),
            e.div_ceil(inner).min(rows),
            |_, [oc, oa, ob, oo]| {
                // SAFETY: offsets come from the views' strides.
                unsafe {
                    loop3(
                        pc.0.offset(oc),
                        ic,
                        pa.0.offset(oa),
                        ia,
                        pb.0.offset(ob),
                        ib,
                        po.0.offset(oo),
                        inner,
                        f,
                    )
                }
            },
        );
    });
}
