//! Creation ops: `full`, `zeros`, `ones`, `arange` (more in the creation
//! family files as they land).

use std::sync::Arc;

use super::{astype, broadcast_to, fmt_shape};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::primitives::creation::Arange;

fn check_shape(op: &str, shape: &[i64]) -> Result<()> {
    if shape.iter().any(|&d| d < 0) {
        return Err(Error::value(format!("[{op}] Negative dimensions not allowed in shape {}.", fmt_shape(shape))));
    }
    Ok(())
}

/// An array of `shape` filled with `vals` (broadcast), as `dtype` if given
/// (MLX `full`).
pub fn full(shape: &[i64], vals: &Array, dtype: Option<Dtype>, s: Option<Stream>) -> Result<Array> {
    check_shape("full", shape)?;
    let v = astype(vals, dtype.unwrap_or(vals.dtype()), s)?;
    broadcast_to(&v, shape, s)
}

/// An array of `shape` filled with the scalar `v` converted to `dtype`.
pub fn full_scalar(shape: &[i64], v: Scalar, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    check_shape("full", shape)?;
    let s = resolve_stream(s, "full")?;
    let v = Array::from_scalar(v, dtype)?;
    broadcast_to(&v, shape, Some(s))
}

/// Zeros of `shape` and `dtype`.
pub fn zeros(shape: &[i64], dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    full_scalar(shape, Scalar::Int(0), dtype, s)
}

/// Ones of `shape` and `dtype`.
pub fn ones(shape: &[i64], dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    full_scalar(shape, Scalar::Int(1), dtype, s)
}

/// `start, start + step, ...` below `stop` (MLX `arange`).
pub fn arange(start: f64, stop: f64, step: f64, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "arange")?;
    if dtype == Dtype::Bool {
        return Err(Error::value("[arange] Cannot compute length with bool dtype."));
    }
    if step == 0.0 {
        return Err(Error::value("[arange] Cannot compute length with step of 0."));
    }
    if !start.is_finite() || !stop.is_finite() || !step.is_finite() {
        return Err(Error::value("[arange] Cannot compute length with non-finite start, stop or step."));
    }
    let real = ((stop - start) / step).ceil();
    let n = if real > 0.0 { real as i64 } else { 0 };
    if n > i32::MAX as i64 {
        return Err(Error::value(format!("[arange] Maximum size exceeded ({n} elements).")));
    }
    Ok(Array::from_op(vec![n], dtype, s, Arc::new(Arange { start, step }), vec![]))
}
