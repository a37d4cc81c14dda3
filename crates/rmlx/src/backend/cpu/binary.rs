//! CPU kernels of the binary family: the per-type scalar semantics (MLX's:
//! Python-style floor division and remainder, NaN-propagating max/min,
//! integer division by zero gives 0 instead of a crash) and dispatch onto the
//! elementwise engine.

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
            #[inline(always)] fn max(a: Self, b: Self) -> Self { if a.is_nan() || a > b { a } else if b.is_nan() { b } else { b } }
            #[inline(always)] fn min(a: Self, b: Self) -> Self { if a.is_nan() || a < b { a } else if b.is_nan() { b } else { b } }
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
            #[inline(always)] fn max(a: Self, b: Self) -> Self { <$t>::from_f32(f32::max(a.to_f32(), b.to_f32())) }
            #[inline(always)] fn min(a: Self, b: Self) -> Self { <$t>::from_f32(f32::min(a.to_f32(), b.to_f32())) }
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
        Divide | FloorDivide => apply2(a, b, out, shape, |x: C, y: C| x / y),
        LogAddExp => apply2(a, b, out, shape, |x: C, y: C| {
            let (hi, lo) = if (x.re, x.im) > (y.re, y.im) {
                (x, y)
            } else {
                (y, x)
            };
            hi + (C::new(1.0, 0.0) + (lo - hi).exp()).ln()
        }),
        Power => apply2(a, b, out, shape, |x: C, y: C| x.powc(y)),
        // MLX orders complex numbers lexicographically (real, then imaginary).
        Maximum => apply2(a, b, out, shape, |x: C, y: C| {
            if (x.re, x.im) > (y.re, y.im) {
                x
            } else {
                y
            }
        }),
        Minimum => apply2(a, b, out, shape, |x: C, y: C| {
            if (x.re, x.im) < (y.re, y.im) {
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
