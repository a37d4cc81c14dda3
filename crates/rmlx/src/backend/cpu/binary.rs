//! CPU kernels of the binary family: the per-type scalar semantics (MLX's:
//! Python-style floor division and remainder, NaN-propagating max/min,
//! integer division by zero gives 0 instead of a crash, complex division and
//! power with the results of C's complex arithmetic that MLX inherits) and
//! dispatch onto the elementwise engine.

use half::{bf16, f16};
use num_complex::Complex32;

use super::elementwise::{apply2, Kern};
use crate::array::Data;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::binary::BinaryOp;

/// Scalar semantics of the arithmetic binary ops for one element type.
pub trait Arith: Kern + PartialOrd {
    /// a + b
    fn add(a: Self, b: Self) -> Self;
    /// a - b
    fn sub(a: Self, b: Self) -> Self;
    /// a * b
    fn mul(a: Self, b: Self) -> Self;
    /// a / b
    fn div(a: Self, b: Self) -> Self;
    /// floor(a / b)
    fn floor_div(a: Self, b: Self) -> Self;
    /// Python's a % b (result has the divisor's sign)
    fn rem(a: Self, b: Self) -> Self;
    /// a ** b
    fn pow(a: Self, b: Self) -> Self;
    /// max, NaN-propagating
    fn max(a: Self, b: Self) -> Self;
    /// min, NaN-propagating
    fn min(a: Self, b: Self) -> Self;
    /// Whether the value is NaN.
    fn nan(self) -> bool {
        false
    }
}

macro_rules! arith_int {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(a: Self, b: Self) -> Self { a.wrapping_add(b) }
            #[inline(always)] fn sub(a: Self, b: Self) -> Self { a.wrapping_sub(b) }
            #[inline(always)] fn mul(a: Self, b: Self) -> Self { a.wrapping_mul(b) }
            #[inline(always)] fn div(a: Self, b: Self) -> Self { if b == 0 { 0 } else { a.wrapping_div(b) } }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn floor_div(a: Self, b: Self) -> Self {
                if b == 0 { return 0; }
                let q = a.wrapping_div(b);
                if (a % b != 0) && ((a < 0) != (b < 0)) { q.wrapping_sub(1) } else { q }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn rem(a: Self, b: Self) -> Self {
                if b == 0 { return 0; }
                let r = a.wrapping_rem(b);
                if r != 0 && ((r < 0) != (b < 0)) { r.wrapping_add(b) } else { r }
            }
            #[inline(always)]
            #[allow(unused_comparisons)]
            fn pow(a: Self, b: Self) -> Self {
                if b < 0 { return 0; }
                let (mut base, mut e, mut acc) = (a, b, 1 as $t);
                while e != 0 {
                    if e & 1 != 0 { acc = acc.wrapping_mul(base); }
                    base = base.wrapping_mul(base);
                    e >>= 1;
                }
                acc
            }
            #[inline(always)] fn max(a: Self, b: Self) -> Self { if a > b { a } else { b } }
            #[inline(always)] fn min(a: Self, b: Self) -> Self { if a < b { a } else { b } }
        }
    )*};
}
arith_int!(u8, u16, u32, u64, i8, i16, i32, i64);

macro_rules! arith_float {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(a: Self, b: Self) -> Self { a + b }
            #[inline(always)] fn sub(a: Self, b: Self) -> Self { a - b }
            #[inline(always)] fn mul(a: Self, b: Self) -> Self { a * b }
            #[inline(always)] fn div(a: Self, b: Self) -> Self { a / b }
            #[inline(always)] fn floor_div(a: Self, b: Self) -> Self { (a / b).floor() }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> Self {
                let r = a % b;
                if r != 0.0 && ((r < 0.0) != (b < 0.0)) { r + b } else { r }
            }
            #[inline(always)] fn pow(a: Self, b: Self) -> Self { a.powf(b) }
            // A NaN in `a` wins, then one in `b` (the `else` branch), as in MLX.
            #[inline(always)] fn max(a: Self, b: Self) -> Self { if a.is_nan() || a > b { a } else { b } }
            #[inline(always)] fn min(a: Self, b: Self) -> Self { if a.is_nan() || a < b { a } else { b } }
            #[inline(always)] fn nan(self) -> bool { self.is_nan() }
        }
    )*};
}
arith_float!(f32, f64);

macro_rules! arith_half {
    ($($t:ty),*) => {$(
        impl Arith for $t {
            #[inline(always)] fn add(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() + b.to_f32()) }
            #[inline(always)] fn sub(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() - b.to_f32()) }
            #[inline(always)] fn mul(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() * b.to_f32()) }
            #[inline(always)] fn div(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32() / b.to_f32()) }
            // The quotient is rounded to the half type before flooring, as MLX does.
            #[inline(always)] fn floor_div(a: Self, b: Self) -> Self { <$t>::from_f32(<$t>::from_f32(a.to_f32() / b.to_f32()).to_f32().floor()) }
            #[inline(always)] fn rem(a: Self, b: Self) -> Self { <$t>::from_f32(f32::rem(a.to_f32(), b.to_f32())) }
            #[inline(always)] fn pow(a: Self, b: Self) -> Self { <$t>::from_f32(a.to_f32().powf(b.to_f32())) }
            // NaN-propagating like float32 (`f32::max` would drop the NaN).
            #[inline(always)] fn max(a: Self, b: Self) -> Self { if a.is_nan() || a > b { a } else { b } }
            #[inline(always)] fn min(a: Self, b: Self) -> Self { if a.is_nan() || a < b { a } else { b } }
            #[inline(always)] fn nan(self) -> bool { self.is_nan() }
        }
    )*};
}
arith_half!(f16, bf16);

impl Arith for bool {
    #[inline(always)]
    fn add(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn sub(a: Self, b: Self) -> Self {
        a ^ b
    }
    #[inline(always)]
    fn mul(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn div(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn floor_div(a: Self, b: Self) -> Self {
        a & b
    }
    #[inline(always)]
    fn rem(_a: Self, _b: Self) -> Self {
        false
    }
    #[inline(always)]
    fn pow(a: Self, b: Self) -> Self {
        a | !b
    }
    #[inline(always)]
    fn max(a: Self, b: Self) -> Self {
        a | b
    }
    #[inline(always)]
    fn min(a: Self, b: Self) -> Self {
        a & b
    }
}

/// Complex arithmetic (the ops MLX defines on complex64).
fn complex_op(op: BinaryOp, a: &Data, b: &Data, out: &Data, shape: &[i64]) -> Result<()> {
    type C = Complex32;
    use BinaryOp::*;
    match op {
        Add => apply2(a, b, out, shape, |x: C, y: C| x + y),
        Subtract => apply2(a, b, out, shape, |x: C, y: C| x - y),
        Multiply => apply2(a, b, out, shape, |x: C, y: C| x * y),
        // MLX's complex floor_divide is plain division.
        Divide | FloorDivide => apply2(a, b, out, shape, complex_div),
        LogAddExp => apply2(a, b, out, shape, |x: C, y: C| {
            let (hi, lo) = if (x.re, x.im) > (y.re, y.im) {
                (x, y)
            } else {
                (y, x)
            };
            hi + (C::new(1.0, 0.0) + (lo - hi).exp()).ln()
        }),
        Power => apply2(a, b, out, shape, complex_pow),
        // MLX orders complex numbers lexicographically (real, then imaginary)
        // and propagates NaN: `a` with a NaN in either part wins, then `b`
        // with a NaN real part (MLX tests `b` through its real part only).
        Maximum => apply2(a, b, out, shape, |x: C, y: C| {
            if x.re.is_nan() || x.im.is_nan() || (!y.re.is_nan() && (x.re, x.im) > (y.re, y.im)) {
                x
            } else {
                y
            }
        }),
        Minimum => apply2(a, b, out, shape, |x: C, y: C| {
            if x.re.is_nan() || x.im.is_nan() || (!y.re.is_nan() && (x.re, x.im) < (y.re, y.im)) {
                x
            } else {
                y
            }
        }),
        Equal => apply2(a, b, out, shape, |x: C, y: C| x == y),
        NotEqual => apply2(a, b, out, shape, |x: C, y: C| x != y),
        Less => apply2(a, b, out, shape, |x: C, y: C| (x.re, x.im) < (y.re, y.im)),
        LessEqual => apply2(a, b, out, shape, |x: C, y: C| (x.re, x.im) <= (y.re, y.im)),
        Greater => apply2(a, b, out, shape, |x: C, y: C| (x.re, x.im) > (y.re, y.im)),
        GreaterEqual => apply2(a, b, out, shape, |x: C, y: C| (x.re, x.im) >= (y.re, y.im)),
        LogicalAnd => apply2(a, b, out, shape, |x: C, y: C| {
            x != C::default() && y != C::default()
        }),
        LogicalOr => apply2(a, b, out, shape, |x: C, y: C| {
            x != C::default() || y != C::default()
        }),
        _ => {
            return Err(Error::value(format!(
                "[{}] complex64 inputs are not supported.",
                op.name()
            )))
        }
    }
    Ok(())
}

/// Complex division with the results of MLX's C++ `std::complex<float>`
/// division (libgcc's `__divsc3`): the quotient is formed in double
/// precision, so `x / y` neither overflows nor underflows where the exact
/// result is representable, and C99 Annex G recovers the infinities and
/// zeros that the formula turns into NaN + NaN i (`1 / 0`, `inf / 1`,
/// `1 / inf`).
pub fn complex_div(x: Complex32, y: Complex32) -> Complex32 {
    let (mut a, mut b, mut c, mut d) = (x.re, x.im, y.re, y.im);
    let (aa, bb, cc, dd) = (a as f64, b as f64, c as f64, d as f64);
    let denom = cc * cc + dd * dd;
    let mut re = ((aa * cc + bb * dd) / denom) as f32;
    let mut im = ((bb * cc - aa * dd) / denom) as f32;
    if re.is_nan() && im.is_nan() {
        if c == 0.0 && d == 0.0 && (!a.is_nan() || !b.is_nan()) {
            let inf = f32::INFINITY.copysign(c);
            re = inf * a;
            im = inf * b;
        } else if (a.is_infinite() || b.is_infinite()) && c.is_finite() && d.is_finite() {
            a = box_inf(a);
            b = box_inf(b);
            re = f32::INFINITY * (a * c + b * d);
            im = f32::INFINITY * (b * c - a * d);
        } else if (c.is_infinite() || d.is_infinite()) && a.is_finite() && b.is_finite() {
            c = box_inf(c);
            d = box_inf(d);
            re = 0.0 * (a * c + b * d);
            im = 0.0 * (b * c - a * d);
        }
    }
    Complex32::new(re, im)
}

/// Annex G's "box": ±1 for an infinity, ±0 otherwise (keeping the sign).
#[inline(always)]
fn box_inf(v: f32) -> f32 {
    (if v.is_infinite() { 1.0f32 } else { 0.0 }).copysign(v)
}

/// Complex multiplication as C (libgcc's `__mulsc3`): the plain formula,
/// then recovery of the infinities it turns into NaN + NaN i.
fn complex_mul(x: Complex32, y: Complex32) -> Complex32 {
    let (mut a, mut b, mut c, mut d) = (x.re, x.im, y.re, y.im);
    let (ac, bd, ad, bc) = (a * c, b * d, a * d, b * c);
    let (re, im) = (ac - bd, ad + bc);
    if !(re.is_nan() && im.is_nan()) {
        return Complex32::new(re, im);
    }
    let zero_nan = |v: f32| if v.is_nan() { 0.0f32.copysign(v) } else { v };
    let mut recalc = false;
    if a.is_infinite() || b.is_infinite() {
        a = box_inf(a);
        b = box_inf(b);
        c = zero_nan(c);
        d = zero_nan(d);
        recalc = true;
    }
    if c.is_infinite() || d.is_infinite() {
        c = box_inf(c);
        d = box_inf(d);
        a = zero_nan(a);
        b = zero_nan(b);
        recalc = true;
    }
    if !recalc && (ac.is_infinite() || bd.is_infinite() || ad.is_infinite() || bc.is_infinite()) {
        a = zero_nan(a);
        b = zero_nan(b);
        c = zero_nan(c);
        d = zero_nan(d);
        recalc = true;
    }
    if recalc {
        Complex32::new(
            f32::INFINITY * (a * c - b * d),
            f32::INFINITY * (a * d + b * c),
        )
    } else {
        Complex32::new(re, im)
    }
}

/// glibc's `clogf`: log|z| computed without overflow and accurately near
/// |z| = 1, and the argument; `log(0)` is -inf.
fn complex_log(z: Complex32) -> Complex32 {
    let (x, y) = (z.re, z.im);
    if x == 0.0 && y == 0.0 {
        let arg = if x.is_sign_negative() {
            std::f32::consts::PI
        } else {
            0.0
        };
        return Complex32::new(-1.0 / x.abs(), arg.copysign(y));
    }
    if x.is_nan() || y.is_nan() {
        let re = if x.is_infinite() || y.is_infinite() {
            f32::INFINITY
        } else {
            f32::NAN
        };
        return Complex32::new(re, f32::NAN);
    }
    let (mut ax, mut ay) = (x.abs(), y.abs());
    if ax < ay {
        std::mem::swap(&mut ax, &mut ay);
    }
    let mut scale = 0i32;
    if ax > f32::MAX / 2.0 {
        scale = -1;
        ax *= 0.5;
        ay = if ay >= f32::MIN_POSITIVE * 2.0 {
            ay * 0.5
        } else {
            0.0
        };
    } else if ax < f32::MIN_POSITIVE && ay < f32::MIN_POSITIVE {
        scale = f32::MANTISSA_DIGITS as i32;
        ax *= 2f32.powi(scale);
        ay *= 2f32.powi(scale);
    }
    let re = if ax == 1.0 && scale == 0 {
        (ay * ay).ln_1p() / 2.0
    } else if ax > 1.0 && ax < 2.0 && ay < 1.0 && scale == 0 {
        let mut d2m1 = (ax - 1.0) * (ax + 1.0);
        if ay >= f32::EPSILON {
            d2m1 += ay * ay;
        }
        d2m1.ln_1p() / 2.0
    } else if (0.5..1.0).contains(&ax) && ay < f32::EPSILON / 2.0 && scale == 0 {
        ((ax - 1.0) * (ax + 1.0)).ln_1p() / 2.0
    } else if (0.5..1.0).contains(&ax) && scale == 0 && ax * ax + ay * ay >= 0.5 {
        // glibc's __x2y2m1f: x^2 + y^2 - 1 in double precision.
        let (dx, dy) = (ax as f64, ay as f64);
        let d2m1 = ((dx - 1.0) * (dx + 1.0) + dy * dy) as f32;
        d2m1.ln_1p() / 2.0
    } else {
        ax.hypot(ay).ln() - scale as f32 * std::f32::consts::LN_2
    };
    Complex32::new(re, y.atan2(x))
}

/// glibc's `cexpf`, with its scaling that keeps `exp(89 + 0i)` from turning
/// the zero imaginary part into NaN (inf * 0).
fn complex_exp(z: Complex32) -> Complex32 {
    let (mut x, y) = (z.re, z.im);
    let sin_cos = |v: f32| {
        if v.abs() > f32::MIN_POSITIVE {
            v.sin_cos()
        } else {
            (v, 1.0)
        }
    };
    if x.is_finite() {
        if !y.is_finite() {
            return Complex32::new(f32::NAN, f32::NAN);
        }
        // (FLT_MAX_EXP - 1) * ln 2, truncated.
        const T: f32 = 88.0;
        let (mut s, mut c) = sin_cos(y);
        if x > T {
            let exp_t = T.exp();
            x -= T;
            s *= exp_t;
            c *= exp_t;
            if x > T {
                x -= T;
                s *= exp_t;
                c *= exp_t;
            }
        }
        if x > T {
            return Complex32::new(f32::MAX * c, f32::MAX * s);
        }
        let e = x.exp();
        return Complex32::new(e * c, e * s);
    }
    if x.is_infinite() {
        if y.is_finite() {
            let value = if x.is_sign_negative() {
                0.0
            } else {
                f32::INFINITY
            };
            if y == 0.0 {
                return Complex32::new(value, y);
            }
            let (s, c) = sin_cos(y);
            return Complex32::new(value.copysign(c), value.copysign(s));
        }
        if x.is_sign_positive() {
            // glibc's `y - y`: NaN for an infinite or NaN `y`.
            return Complex32::new(f32::INFINITY, f32::NAN);
        }
        return Complex32::new(0.0, 0.0f32.copysign(y));
    }
    Complex32::new(f32::NAN, if y == 0.0 { y } else { f32::NAN })
}

/// Complex power as MLX's `std::pow(complex<float>, complex<float>)`
/// (glibc's `cpowf`): `exp(y * log(x))` with C's complex multiplication, so
/// `0 ** 0` is NaN and overflow gives `inf + 0i` rather than NaN parts.
pub fn complex_pow(x: Complex32, y: Complex32) -> Complex32 {
    complex_exp(complex_mul(y, complex_log(x)))
}

fn arith_op<T: Arith>(op: BinaryOp, a: &Data, b: &Data, out: &Data, shape: &[i64]) -> Result<()> {
    use BinaryOp::*;
    match op {
        Add => apply2(a, b, out, shape, T::add),
        Subtract => apply2(a, b, out, shape, T::sub),
        Multiply => apply2(a, b, out, shape, T::mul),
        Divide => apply2(a, b, out, shape, T::div),
        FloorDivide => apply2(a, b, out, shape, T::floor_div),
        Remainder => apply2(a, b, out, shape, T::rem),
        Power => apply2(a, b, out, shape, T::pow),
        Maximum => apply2(a, b, out, shape, T::max),
        Minimum => apply2(a, b, out, shape, T::min),
        Equal => apply2(a, b, out, shape, |x: T, y: T| x == y),
        NotEqual => apply2(a, b, out, shape, |x: T, y: T| x != y),
        Less => apply2(a, b, out, shape, |x: T, y: T| x < y),
        LessEqual => apply2(a, b, out, shape, |x: T, y: T| x <= y),
        Greater => apply2(a, b, out, shape, |x: T, y: T| x > y),
        GreaterEqual => apply2(a, b, out, shape, |x: T, y: T| x >= y),
        NanEqual => apply2(a, b, out, shape, |x: T, y: T| {
            x == y || (x.nan() && y.nan())
        }),
        LogicalAnd => apply2(a, b, out, shape, |x: T, y: T| {
            x != T::default() && y != T::default()
        }),
        LogicalOr => apply2(a, b, out, shape, |x: T, y: T| {
            x != T::default() || y != T::default()
        }),
        _ => {
            return Err(Error::runtime(format!(
                "[{}] unsupported input type.",
                op.name()
            )))
        }
    }
    Ok(())
}

macro_rules! bitwise_int {
    ($op:expr, $a:expr, $b:expr, $out:expr, $shape:expr, $t:ty) => {{
        type T = $t;
        let bits = (std::mem::size_of::<T>() * 8) as u32;
        match $op {
            BinaryOp::BitwiseAnd => apply2($a, $b, $out, $shape, |x: T, y: T| x & y),
            BinaryOp::BitwiseOr => apply2($a, $b, $out, $shape, |x: T, y: T| x | y),
            BinaryOp::BitwiseXor => apply2($a, $b, $out, $shape, |x: T, y: T| x ^ y),
            BinaryOp::LeftShift => apply2($a, $b, $out, $shape, move |x: T, y: T| {
                if (y as u64) < bits as u64 {
                    x.wrapping_shl(y as u32)
                } else {
                    0
                }
            }),
            BinaryOp::RightShift => apply2($a, $b, $out, $shape, move |x: T, y: T| {
                #[allow(unused_comparisons)]
                let neg = x < 0;
                if (y as u64) < bits as u64 {
                    x.wrapping_shr(y as u32)
                } else if neg {
                    !0
                } else {
                    0
                }
            }),
            _ => unreachable!(),
        }
    }};
}

fn float_op<T: Kern + Copy>(
    op: BinaryOp,
    a: &Data,
    b: &Data,
    out: &Data,
    shape: &[i64],
    atan2: fn(T, T) -> T,
    lae: fn(T, T) -> T,
) {
    match op {
        BinaryOp::ArcTan2 => apply2(a, b, out, shape, atan2),
        _ => apply2(a, b, out, shape, lae),
    }
}

#[inline(always)]
fn logaddexp64(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        return f64::NAN;
    }
    let m = a.max(b);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + (-(a - b).abs()).exp().ln_1p()
}

#[inline(always)]
fn logaddexp32(a: f32, b: f32) -> f32 {
    if a.is_nan() || b.is_nan() {
        return f32::NAN;
    }
    let m = a.max(b);
    if m == f32::NEG_INFINITY {
        return m;
    }
    m + (-(a - b).abs()).exp().ln_1p()
}

/// Runs binary op `op` on views `a`, `b` (of input dtype `dt`, broadcast to
/// `shape`) into the row-contiguous `out`.
pub fn binary(
    op: BinaryOp,
    dt: Dtype,
    a: &Data,
    b: &Data,
    out: &Data,
    shape: &[i64],
) -> Result<()> {
    use BinaryOp::*;
    if matches!(
        op,
        BitwiseAnd | BitwiseOr | BitwiseXor | LeftShift | RightShift
    ) {
        match dt {
            Dtype::Bool => match op {
                BitwiseAnd => apply2(a, b, out, shape, |x: bool, y: bool| x & y),
                BitwiseOr => apply2(a, b, out, shape, |x: bool, y: bool| x | y),
                BitwiseXor => apply2(a, b, out, shape, |x: bool, y: bool| x ^ y),
                _ => {
                    return Err(Error::value(format!(
                        "[{}] bool inputs must be cast first.",
                        op.name()
                    )))
                }
            },
            Dtype::Uint8 => bitwise_int!(op, a, b, out, shape, u8),
            Dtype::Uint16 => bitwise_int!(op, a, b, out, shape, u16),
            Dtype::Uint32 => bitwise_int!(op, a, b, out, shape, u32),
            Dtype::Uint64 => bitwise_int!(op, a, b, out, shape, u64),
            Dtype::Int8 => bitwise_int!(op, a, b, out, shape, i8),
            Dtype::Int16 => bitwise_int!(op, a, b, out, shape, i16),
            Dtype::Int32 => bitwise_int!(op, a, b, out, shape, i32),
            Dtype::Int64 => bitwise_int!(op, a, b, out, shape, i64),
            _ => {
                return Err(Error::value(format!(
                    "[{}] Only allowed on integer or boolean types but got type {dt}.",
                    op.name()
                )))
            }
        }
        return Ok(());
    }
    if matches!(op, ArcTan2 | LogAddExp) && dt != Dtype::Complex64 {
        match dt {
            Dtype::Float32 => float_op(op, a, b, out, shape, f32::atan2, logaddexp32),
            Dtype::Float64 => float_op(op, a, b, out, shape, f64::atan2, logaddexp64),
            Dtype::Float16 => float_op(
                op,
                a,
                b,
                out,
                shape,
                |x: f16, y: f16| f16::from_f32(x.to_f32().atan2(y.to_f32())),
                |x: f16, y: f16| f16::from_f32(logaddexp32(x.to_f32(), y.to_f32())),
            ),
            Dtype::Bfloat16 => float_op(
                op,
                a,
                b,
                out,
                shape,
                |x: bf16, y: bf16| bf16::from_f32(x.to_f32().atan2(y.to_f32())),
                |x: bf16, y: bf16| bf16::from_f32(logaddexp32(x.to_f32(), y.to_f32())),
            ),
            _ => {
                return Err(Error::value(format!(
                    "[{}] requires a real floating input, got {dt}.",
                    op.name()
                )))
            }
        }
        return Ok(());
    }
    match dt {
        Dtype::Complex64 => complex_op(op, a, b, out, shape),
        Dtype::Bool => arith_op::<bool>(op, a, b, out, shape),
        Dtype::Uint8 => arith_op::<u8>(op, a, b, out, shape),
        Dtype::Uint16 => arith_op::<u16>(op, a, b, out, shape),
        Dtype::Uint32 => arith_op::<u32>(op, a, b, out, shape),
        Dtype::Uint64 => arith_op::<u64>(op, a, b, out, shape),
        Dtype::Int8 => arith_op::<i8>(op, a, b, out, shape),
        Dtype::Int16 => arith_op::<i16>(op, a, b, out, shape),
        Dtype::Int32 => arith_op::<i32>(op, a, b, out, shape),
        Dtype::Int64 => arith_op::<i64>(op, a, b, out, shape),
        Dtype::Float16 => arith_op::<f16>(op, a, b, out, shape),
        Dtype::Bfloat16 => arith_op::<bf16>(op, a, b, out, shape),
        Dtype::Float32 => arith_op::<f32>(op, a, b, out, shape),
        Dtype::Float64 => arith_op::<f64>(op, a, b, out, shape),
    }
}
