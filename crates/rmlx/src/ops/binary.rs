//! Binary ops: `add` ... `right_shift`, `divmod`, and the composites built on
//! them (`isclose`, `allclose`, `array_equal`).

use std::sync::Arc;

use super::{astype, broadcast_shapes};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{promote_types, Dtype};
use crate::error::{Error, Result};
use crate::primitives::binary::{Binary, BinaryOp, DivMod};

/// Builds a binary op node: promotes, casts, broadcasts.
pub fn binary_op(op: BinaryOp, a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, op.name())?;
    let mut dt = promote_types(a.dtype(), b.dtype());
    use BinaryOp::*;
    match op {
        Divide | ArcTan2 | LogAddExp => dt = dt.to_inexact(),
        BitwiseAnd | BitwiseOr | BitwiseXor | LeftShift | RightShift => {
            if dt.is_inexact() {
                return Err(Error::runtime(format!(
                    "[{}] Only allowed on integer or boolean types but got types {} and {}.",
                    op.name(),
                    a.dtype(),
                    b.dtype()
                )));
            }
            if dt == Dtype::Bool && matches!(op, LeftShift | RightShift) {
                dt = Dtype::Uint8;
            }
        }
        _ => {}
    }
    if dt == Dtype::Complex64 && op == Remainder {
        return Err(Error::value("[remainder] Complex type not supported."));
    }
    if dt == Dtype::Complex64 && op == ArcTan2 {
        return Err(Error::value("[arctan2] Not supported for complex64."));
    }
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let a = astype(a, dt, Some(s))?;
    let b = astype(b, dt, Some(s))?;
    let out_dt = if op.is_predicate() { Dtype::Bool } else { dt };
    Ok(Array::from_op(
        shape,
        out_dt,
        s,
        Arc::new(Binary(op)),
        vec![a, b],
    ))
}

macro_rules! binary_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
            binary_op(BinaryOp::$op, a, b, s)
        }
    )*};
}

binary_fns! {
    /// Elementwise sum.
    add => Add,
    /// Elementwise difference.
    subtract => Subtract,
    /// Elementwise product.
    multiply => Multiply,
    /// Elementwise true division (integers give float32).
    divide => Divide,
    /// Elementwise floor division.
    floor_divide => FloorDivide,
    /// Elementwise remainder with the divisor's sign.
    remainder => Remainder,
    /// Elementwise power.
    power => Power,
    /// Elementwise maximum (NaN propagates).
    maximum => Maximum,
    /// Elementwise minimum (NaN propagates).
    minimum => Minimum,
    /// Elementwise `a == b`.
    equal => Equal,
    /// Elementwise `a != b`.
    not_equal => NotEqual,
    /// Elementwise `a < b`.
    less => Less,
    /// Elementwise `a <= b`.
    less_equal => LessEqual,
    /// Elementwise `a > b`.
    greater => Greater,
    /// Elementwise `a >= b`.
    greater_equal => GreaterEqual,
    /// Elementwise logical and.
    logical_and => LogicalAnd,
    /// Elementwise logical or.
    logical_or => LogicalOr,
    /// Elementwise bitwise and.
    bitwise_and => BitwiseAnd,
    /// Elementwise bitwise or.
    bitwise_or => BitwiseOr,
    /// Elementwise bitwise xor.
    bitwise_xor => BitwiseXor,
    /// Elementwise left shift.
    left_shift => LeftShift,
    /// Elementwise right shift (arithmetic for signed types).
    right_shift => RightShift,
    /// Elementwise `atan2(a, b)`.
    arctan2 => ArcTan2,
    /// Elementwise `log(exp(a) + exp(b))`, computed stably.
    logaddexp => LogAddExp,
}

/// `(floor_divide(a, b), remainder(a, b))` computed together.
pub fn divmod(a: &Array, b: &Array, s: Option<Stream>) -> Result<(Array, Array)> {
    let s = resolve_stream(s, "divmod")?;
    let dt = promote_types(a.dtype(), b.dtype());
    if dt == Dtype::Complex64 {
        return Err(Error::value("[divmod] Complex type not supported."));
    }
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let a = astype(a, dt, Some(s))?;
    let b = astype(b, dt, Some(s))?;
    let mut outs = Array::from_multi_op(
        vec![(shape.clone(), dt), (shape, dt)],
        s,
        Arc::new(DivMod),
        vec![a, b],
    );
    let r = outs.pop().expect("two outputs");
    let q = outs.pop().expect("two outputs");
    Ok((q, r))
}

/// Elementwise exclusive or of the truth values (MLX `logical_xor`).
pub fn logical_xor(a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
    let a = astype(a, Dtype::Bool, s)?;
    let b = astype(b, Dtype::Bool, s)?;
    not_equal(&a, &b, s)
}
