//! The contiguous float32/float64 entry points of the unary transcendental
//! functions (`o[i] = f(x[i])`): the one place that chooses how they are
//! computed. They run the vectorised kernels of `backend/cpu/vmath.rs`.

use super::vmath::{apply_f32, apply_f64, UnaryMath};
use crate::primitives::unary::UnaryOp;

/// The vectorised-math function of a unary op, if it has one.
fn vm(op: UnaryOp) -> Option<UnaryMath> {
    use UnaryMath as M;
    use UnaryOp::*;
    Some(match op {
        Sqrt => M::Sqrt,
        Rsqrt => M::Rsqrt,
        Exp => M::Exp,
        Expm1 => M::Expm1,
        Log => M::Log,
        Log1p => M::Log1p,
        Log2 => M::Log2,
        Log10 => M::Log10,
        Sin => M::Sin,
        Cos => M::Cos,
        Tan => M::Tan,
        ArcSin => M::Asin,
        ArcCos => M::Acos,
        ArcTan => M::Atan,
        Sinh => M::Sinh,
        Cosh => M::Cosh,
        Tanh => M::Tanh,
        ArcSinh => M::Asinh,
        ArcCosh => M::Acosh,
        ArcTanh => M::Atanh,
        Erf => M::Erf,
        ErfInv => M::Erfinv,
        Sigmoid => M::Sigmoid,
        _ => return None,
    })
}

/// `o[i] = op(x[i])` for `i < n` in float32, for the transcendental ops
/// (`sqrt`, `rsqrt`, `exp` ... `erfinv`, `sigmoid`); other ops are a no-op.
///
/// # Safety
/// `x` and `o` must be valid for `n` elements; they may be equal but must
/// not otherwise overlap.
pub unsafe fn math_f32(op: UnaryOp, x: *const f32, o: *mut f32, n: usize) {
    if let Some(m) = vm(op) {
        // SAFETY: forwarded contract.
        unsafe { apply_f32(m, x, o, n) }
    }
}

/// `o[i] = op(x[i])` for `i < n` in float64 (see [`math_f32`]).
///
/// # Safety
/// As [`math_f32`].
pub unsafe fn math_f64(op: UnaryOp, x: *const f64, o: *mut f64, n: usize) {
    if let Some(m) = vm(op) {
        // SAFETY: forwarded contract.
        unsafe { apply_f64(m, x, o, n) }
    }
}
