//! CPU kernels of the unary family. The transcendental functions of
//! float32/float64 run through one chunked entry point per type
//! ([`math_f32`]/[`math_f64`], contiguous chunks split across cores, strided
//! inputs gathered into a stack buffer first); float16/bfloat16 convert
//! chunks to float32, run the float32 kernel and convert back. The cheap ops
//! (`abs`, `floor`, predicates ...) are closures on the elementwise engine.
//! Complex functions are computed in double precision and rounded.

use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};
use num_complex::{Complex32, Complex64};

use super::elementwise::{apply1, Kern};
use super::strided::{collapse, for_rows};
use super::{par_range, SyncPtr};
use crate::array::{row_strides, shape_size, Data};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::unary::UnaryOp;

pub use super::unary_math::{math_f32, math_f64};

/// Elements per stack buffer for gathers and half-precision conversions.
const CHUNK: usize = 512;

/// Calls `f(src, dst, len)` over the view `a` (of `shape`) and the
/// row-contiguous `out`, in parallel pieces: `src` points at `len`
/// contiguous input elements (gathered into a stack buffer when `a` is
/// strided), `dst` at the matching output elements. `src` may equal `dst`
/// (donated buffers).
pub fn for_chunks<T: Copy + Default, U: Copy>(
    a: &Data,
    out: &Data,
    shape: &[i64],
    f: impl Fn(*const T, *mut U, usize) + Sync + Send,
) {
    let n = shape_size(shape);
    if n == 0 {
        return;
    }
    let (pa, po) = (SyncPtr(a.ptr::<T>()), SyncPtr(out.ptr::<U>()));
    if a.is_row_contiguous(shape) {
        par_range(n, |s, e| {
            let (pa, po) = (pa, po);
            // SAFETY: s..e lies within both operands.
            unsafe { f(pa.0.add(s), po.0.add(s), e - s) }
        });
        return;
    }
    let rs = row_strides(shape);
    let (cs, strides) = collapse(shape, [&a.strides, &rs]);
    let inner = *cs.last().expect("collapsed shape") as usize;
    let ia = strides[0][cs.len() - 1] as isize;
    par_range(n, |s, e| {
        let (pa, po) = (pa, po);
        for_rows(
            &cs,
            &strides,
            s / inner,
            (e - 1) / inner + 1,
            |row, [oa, oo]| {
                let base = row * inner;
                let (lo, hi) = (s.max(base) - base, e.min(base + inner) - base);
                // SAFETY: offsets come from the views' strides; lo..hi is
                // within the row.
                unsafe {
                    let src = pa.0.offset(oa + lo as isize * ia);
                    let dst = po.0.offset(oo + lo as isize);
                    if ia == 1 {
                        f(src, dst, hi - lo);
                        return;
                    }
                    let mut buf = [T::default(); CHUNK];
                    let mut i = 0;
                    while i < hi - lo {
                        let m = CHUNK.min(hi - lo - i);
                        for (j, b) in buf[..m].iter_mut().enumerate() {
                            *b = *src.offset((i + j) as isize * ia);
                        }
                        f(buf.as_ptr(), dst.add(i), m);
                        i += m;
                    }
                }
            },
        );
    });
}

/// The two half-precision element types.
trait Half: Kern {
    fn to32(self) -> f32;
    fn from32(v: f32) -> Self;
    fn cvt_to(src: &[Self], dst: &mut [f32]);
    fn cvt_from(src: &[f32], dst: &mut [Self]);
}

macro_rules! half_impl {
    ($($t:ty),*) => {$(
        impl Half for $t {
            #[inline(always)]
            fn to32(self) -> f32 { self.to_f32() }
            #[inline(always)]
            fn from32(v: f32) -> Self { <$t>::from_f32(v) }
            #[inline(always)]
            fn cvt_to(src: &[Self], dst: &mut [f32]) { src.convert_to_f32_slice(dst) }
            #[inline(always)]
            fn cvt_from(src: &[f32], dst: &mut [Self]) { dst.convert_from_f32_slice(src) }
        }
    )*};
}
half_impl!(f16, bf16);

/// Runs `k` in place on float32 copies of chunks of a half-precision view,
/// writing the results back as `H`.
fn half_chunks<H: Half>(a: &Data, out: &Data, shape: &[i64], k: impl Fn(&mut [f32]) + Sync + Send) {
    for_chunks::<H, H>(a, out, shape, |src, dst, len| {
        let mut buf = [0f32; CHUNK];
        let mut i = 0;
        while i < len {
            let m = CHUNK.min(len - i);
            // SAFETY: src/dst hold `len` elements; the source slice is dropped
            // before the (possibly aliasing) destination slice is made.
            unsafe {
                H::cvt_to(std::slice::from_raw_parts(src.add(i), m), &mut buf[..m]);
                k(&mut buf[..m]);
                H::cvt_from(&buf[..m], std::slice::from_raw_parts_mut(dst.add(i), m));
            }
            i += m;
        }
    });
}

/// `v = g(v)` over a float32 buffer, vectorised for the running CPU.
#[inline(always)]
fn map_buf(b: &mut [f32], g: impl Fn(f32) -> f32) {
    let p = b.as_mut_ptr();
    // SAFETY: in place over the buffer's elements.
    unsafe { f32::map1(p, 1, p, b.len(), g) }
}

/// MLX's scale factors for `round(x, decimals)` in float32: `10^d` and its
/// float32 reciprocal.
fn round_scales_f32(d: i32) -> (f32, f32) {
    let s = 10f64.powi(d) as f32;
    (s, 1.0 / s)
}

/// float32 sign as MLX: NaN gives 0.
#[inline(always)]
fn sign32(x: f32) -> f32 {
    f32::from(u8::from(x > 0.0)) - f32::from(u8::from(x < 0.0))
}

#[inline(always)]
fn sign64(x: f64) -> f64 {
    f64::from(u8::from(x > 0.0)) - f64::from(u8::from(x < 0.0))
}

fn unsupported(op: UnaryOp, dt: Dtype) -> Error {
    Error::value(format!("[{}] Not supported for {dt}.", op.name()))
}

macro_rules! float_kernel {
    ($fname:ident, $t:ty, $math:ident, $sign:ident, $round:expr) => {
        fn $fname(op: UnaryOp, a: &Data, out: &Data, shape: &[i64]) -> Result<()> {
            use UnaryOp::*;
            match op {
                Abs => apply1(a, out, shape, |x: $t| x.abs()),
                Negative => apply1(a, out, shape, |x: $t| -x),
                Sign => apply1(a, out, shape, $sign),
                Square => apply1(a, out, shape, |x: $t| x * x),
                Reciprocal => apply1(a, out, shape, |x: $t| 1.0 / x),
                Floor => apply1(a, out, shape, |x: $t| x.floor()),
                Ceil => apply1(a, out, shape, |x: $t| x.ceil()),
                Round(0) => apply1(a, out, shape, |x: $t| x.round_ties_even()),
                Round(d) => {
                    let r = $round(d);
                    apply1(a, out, shape, r)
                }
                LogicalNot => apply1(a, out, shape, |x: $t| x == 0.0),
                IsNan => apply1(a, out, shape, |x: $t| x.is_nan()),
                IsInf => apply1(a, out, shape, |x: $t| x.is_infinite()),
                IsPosInf => apply1(a, out, shape, |x: $t| x == <$t>::INFINITY),
                IsNegInf => apply1(a, out, shape, |x: $t| x == <$t>::NEG_INFINITY),
                IsFinite => apply1(a, out, shape, |x: $t| x.is_finite()),
                Conjugate | Real => apply1(a, out, shape, |x: $t| x),
                Imag => apply1(a, out, shape, |_: $t| 0.0 as $t),
                BitwiseInvert => {
                    return Err(unsupported(op, <$t as crate::element::Element>::DTYPE))
                }
                // SAFETY: for_chunks passes valid ranges of `len` elements.
                _ => {
                    for_chunks::<$t, $t>(a, out, shape, |s, d, len| unsafe { $math(op, s, d, len) })
                }
            }
            Ok(())
        }
    };
}

float_kernel!(unary_f32, f32, math_f32, sign32, |d: i32| {
    let (s, inv) = round_scales_f32(d);
    move |x: f32| (x * s).round_ties_even() * inv
});
// float64 rounds as NumPy does (divide by the exact power of ten), so that
// float64 results are float64-accurate.
float_kernel!(unary_f64, f64, math_f64, sign64, |d: i32| {
    let p = 10f64.powi(d.abs());
    let pos = d >= 0;
    move |x: f64| {
        if pos {
            (x * p).round_ties_even() / p
        } else {
            (x / p).round_ties_even() * p
        }
    }
});

fn unary_half<H: Half>(op: UnaryOp, a: &Data, out: &Data, shape: &[i64]) -> Result<()> {
    use UnaryOp::*;
    match op {
        // Sign-bit operations on the raw bits (bit 15 in both formats).
        Abs => apply1(a, out, shape, |x: u16| x & 0x7fff),
        Negative => apply1(a, out, shape, |x: u16| x ^ 0x8000),
        Sign => half_chunks::<H>(a, out, shape, |b| map_buf(b, sign32)),
        Square => half_chunks::<H>(a, out, shape, |b| map_buf(b, |x| x * x)),
        Reciprocal => half_chunks::<H>(a, out, shape, |b| map_buf(b, |x| 1.0 / x)),
        Floor => half_chunks::<H>(a, out, shape, |b| map_buf(b, f32::floor)),
        Ceil => half_chunks::<H>(a, out, shape, |b| map_buf(b, f32::ceil)),
        Round(0) => half_chunks::<H>(a, out, shape, |b| map_buf(b, f32::round_ties_even)),
        Round(d) => {
            // MLX multiplies in the half type by half-rounded scales.
            let (s, inv) = round_scales_f32(d);
            let (s, inv) = (H::from32(s).to32(), H::from32(inv).to32());
            apply1(a, out, shape, move |x: H| {
                H::from32(H::from32(x.to32() * s).to32().round_ties_even() * inv)
            })
        }
        LogicalNot => apply1(a, out, shape, |x: H| x.to32() == 0.0),
        IsNan => apply1(a, out, shape, |x: H| x.to32().is_nan()),
        IsInf => apply1(a, out, shape, |x: H| x.to32().is_infinite()),
        IsPosInf => apply1(a, out, shape, |x: H| x.to32() == f32::INFINITY),
        IsNegInf => apply1(a, out, shape, |x: H| x.to32() == f32::NEG_INFINITY),
        IsFinite => apply1(a, out, shape, |x: H| x.to32().is_finite()),
        Conjugate | Real => apply1(a, out, shape, |x: H| x),
        Imag => apply1(a, out, shape, |_: H| H::from32(0.0)),
        BitwiseInvert => return Err(unsupported(op, H::DTYPE)),
        // SAFETY: the buffer is valid for its length (in place).
        _ => half_chunks::<H>(a, out, shape, |b| unsafe {
            math_f32(op, b.as_ptr(), b.as_mut_ptr(), b.len())
        }),
    }
    Ok(())
}

/// Integer element types with the unary integer semantics (wrapping, as C).
trait IntK: Kern {
    fn abs_(self) -> Self;
    fn neg_(self) -> Self;
    fn sign_(self) -> Self;
    fn sq_(self) -> Self;
    fn not_(self) -> Self;
    fn zero_(self) -> bool;
    fn to32(self) -> f32;
    fn from32(v: f32) -> Self;
}

macro_rules! int_impl {
    ($abs:ident; $($t:ty),*) => {$(
        impl IntK for $t {
            #[inline(always)] fn abs_(self) -> Self { int_impl!(@$abs self) }
            #[inline(always)] fn neg_(self) -> Self { self.wrapping_neg() }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn sign_(self) -> Self { (self > 0) as $t - ((self < 0) as $t) }
            #[inline(always)] fn sq_(self) -> Self { self.wrapping_mul(self) }
            #[inline(always)] fn not_(self) -> Self { !self }
            #[inline(always)] fn zero_(self) -> bool { self == 0 }
            #[inline(always)] fn to32(self) -> f32 { self as f32 }
            #[inline(always)] fn from32(v: f32) -> Self { v as $t }
        }
    )*};
    (@signed $x:ident) => { $x.wrapping_abs() };
    (@unsigned $x:ident) => { $x };
}
int_impl!(signed; i8, i16, i32, i64);
int_impl!(unsigned; u8, u16, u32, u64);

fn unary_int<T: IntK>(op: UnaryOp, a: &Data, out: &Data, shape: &[i64]) -> Result<()> {
    use UnaryOp::*;
    match op {
        Abs => apply1(a, out, shape, T::abs_),
        Negative => apply1(a, out, shape, T::neg_),
        Sign => apply1(a, out, shape, T::sign_),
        Square => apply1(a, out, shape, T::sq_),
        BitwiseInvert => apply1(a, out, shape, T::not_),
        LogicalNot => apply1(a, out, shape, T::zero_),
        Floor | Ceil | Round(0) | Conjugate | Real => apply1(a, out, shape, |x: T| x),
        Round(d) => {
            // MLX: through float32, then cast back.
            let (s, inv) = round_scales_f32(d);
            apply1(a, out, shape, move |x: T| {
                T::from32((x.to32() * s).round_ties_even() * inv)
            })
        }
        Imag => apply1(a, out, shape, |_: T| T::default()),
        IsNan | IsInf | IsPosInf | IsNegInf => apply1(a, out, shape, |_: T| false),
        IsFinite => apply1(a, out, shape, |_: T| true),
        _ => return Err(unsupported(op, T::DTYPE)),
    }
    Ok(())
}

fn unary_bool(op: UnaryOp, a: &Data, out: &Data, shape: &[i64]) -> Result<()> {
    use UnaryOp::*;
    match op {
        Abs | Sign | Square | Floor | Ceil | Round(0) | Conjugate | Real => {
            apply1(a, out, shape, |x: bool| x)
        }
        BitwiseInvert | LogicalNot => apply1(a, out, shape, |x: bool| !x),
        Round(d) => {
            let (s, inv) = round_scales_f32(d);
            apply1(a, out, shape, move |x: bool| {
                (f32::from(u8::from(x)) * s).round_ties_even() * inv != 0.0
            })
        }
        Imag | IsNan | IsInf | IsPosInf | IsNegInf => apply1(a, out, shape, |_: bool| false),
        IsFinite => apply1(a, out, shape, |_: bool| true),
        _ => return Err(unsupported(op, Dtype::Bool)),
    }
    Ok(())
}

#[inline(always)]
fn c64(z: Complex32) -> Complex64 {
    Complex64::new(f64::from(z.re), f64::from(z.im))
}

#[inline(always)]
fn c32(z: Complex64) -> Complex32 {
    Complex32::new(z.re as f32, z.im as f32)
}

fn unary_complex(op: UnaryOp, a: &Data, out: &Data, shape: &[i64]) -> Result<()> {
    use UnaryOp::*;
    // A complex function evaluated in double precision.
    macro_rules! cf {
        ($f:expr) => {
            apply1(a, out, shape, |z: Complex32| c32($f(c64(z))))
        };
    }
    let ln2 = std::f64::consts::LN_2;
    let ln10 = std::f64::consts::LN_10;
    let one = Complex64::new(1.0, 0.0);
    match op {
        Abs => apply1(a, out, shape, |z: Complex32| {
            f64::from(z.re).hypot(f64::from(z.im)) as f32
        }),
        Real => apply1(a, out, shape, |z: Complex32| z.re),
        Imag => apply1(a, out, shape, |z: Complex32| z.im),
        Negative => apply1(a, out, shape, |z: Complex32| -z),
        Conjugate => apply1(a, out, shape, |z: Complex32| z.conj()),
        Square => cf!(|w: Complex64| w * w),
        Sign => cf!(|w: Complex64| if w.re == 0.0 && w.im == 0.0 {
            w * 0.0
        } else {
            w / Complex64::new(w.norm(), 0.0)
        }),
        Sqrt => cf!(|w: Complex64| w.sqrt()),
        Rsqrt => cf!(|w: Complex64| one / w.sqrt()),
        Reciprocal => cf!(|w: Complex64| one / w),
        Exp => cf!(|w: Complex64| w.exp()),
        Log => cf!(|w: Complex64| w.ln()),
        Log1p => cf!(|w: Complex64| (w + 1.0).ln()),
        Log2 => cf!(|w: Complex64| w.ln() / ln2),
        Log10 => cf!(|w: Complex64| w.ln() / ln10),
        Sin => cf!(|w: Complex64| w.sin()),
        Cos => cf!(|w: Complex64| w.cos()),
        Tan => cf!(|w: Complex64| w.tan()),
        ArcSin => cf!(|w: Complex64| w.asin()),
        ArcCos => cf!(|w: Complex64| w.acos()),
        ArcTan => cf!(|w: Complex64| w.atan()),
        Sinh => cf!(|w: Complex64| w.sinh()),
        Cosh => cf!(|w: Complex64| w.cosh()),
        Tanh => cf!(|w: Complex64| w.tanh()),
        ArcSinh => cf!(|w: Complex64| w.asinh()),
        ArcCosh => cf!(|w: Complex64| w.acosh()),
        ArcTanh => cf!(|w: Complex64| w.atanh()),
        Round(d) => {
            let (s, inv) = round_scales_f32(d);
            let r = move |x: f32| {
                if d == 0 {
                    x.round_ties_even()
                } else {
                    (x * s).round_ties_even() * inv
                }
            };
            apply1(a, out, shape, move |z: Complex32| {
                Complex32::new(r(z.re), r(z.im))
            })
        }
        LogicalNot => apply1(a, out, shape, |z: Complex32| z.re == 0.0 && z.im == 0.0),
        IsNan => apply1(a, out, shape, |z: Complex32| z.re.is_nan() || z.im.is_nan()),
        IsInf => apply1(a, out, shape, |z: Complex32| {
            z.re.is_infinite() || z.im.is_infinite()
        }),
        IsPosInf => apply1(a, out, shape, |z: Complex32| {
            z.re == f32::INFINITY && z.im == 0.0
        }),
        IsNegInf => apply1(a, out, shape, |z: Complex32| {
            z.re == f32::NEG_INFINITY && z.im == 0.0
        }),
        IsFinite => apply1(a, out, shape, |z: Complex32| {
            z.re.is_finite() && z.im.is_finite()
        }),
        Expm1 | Floor | Ceil | Erf | ErfInv | Sigmoid | BitwiseInvert => {
            return Err(unsupported(op, Dtype::Complex64))
        }
    }
    Ok(())
}

/// Runs unary op `op` on the view `a` (input dtype `dt`, of `shape`) into
/// the row-contiguous `out`, whose dtype is the op's result dtype.
pub fn unary(op: UnaryOp, dt: Dtype, a: &Data, out: &Data, shape: &[i64]) -> Result<()> {
    match dt {
        Dtype::Float32 => unary_f32(op, a, out, shape),
        Dtype::Float64 => unary_f64(op, a, out, shape),
        Dtype::Float16 => unary_half::<f16>(op, a, out, shape),
        Dtype::Bfloat16 => unary_half::<bf16>(op, a, out, shape),
        Dtype::Complex64 => unary_complex(op, a, out, shape),
        Dtype::Bool => unary_bool(op, a, out, shape),
        Dtype::Uint8 => unary_int::<u8>(op, a, out, shape),
        Dtype::Uint16 => unary_int::<u16>(op, a, out, shape),
        Dtype::Uint32 => unary_int::<u32>(op, a, out, shape),
        Dtype::Uint64 => unary_int::<u64>(op, a, out, shape),
        Dtype::Int8 => unary_int::<i8>(op, a, out, shape),
        Dtype::Int16 => unary_int::<i16>(op, a, out, shape),
        Dtype::Int32 => unary_int::<i32>(op, a, out, shape),
        Dtype::Int64 => unary_int::<i64>(op, a, out, shape),
    }
}
