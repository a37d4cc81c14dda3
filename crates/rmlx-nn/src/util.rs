//! Arithmetic with Rust scalars under MLX's *weak scalar* rule: a Python
//! float next to an array takes the array's dtype when that is floating
//! (float32 otherwise), and a Python int takes an integer array's dtype.
//! The Python layers, losses and optimizers are written with such scalars;
//! these helpers keep the Rust versions computing in the same dtypes.

use rmlx::ops;
use rmlx::{Array, Dtype, Result, Scalar};

/// A float scalar in the dtype MLX gives a Python float next to `like`.
pub(crate) fn weak(v: f64, like: &Array) -> Array {
    let dt = like.dtype();
    let dt = if dt.is_inexact() { dt } else { Dtype::Float32 };
    Array::from_scalar(Scalar::Float(v), dt).expect("scalar of a float dtype")
}

/// An integer scalar in the dtype MLX gives a Python int next to `like`.
pub(crate) fn weak_int(v: i64, like: &Array) -> Array {
    let dt = match like.dtype() {
        Dtype::Bool => Dtype::Int32,
        d => d,
    };
    Array::from_scalar(Scalar::Int(v), dt).expect("scalar of a numeric dtype")
}

/// `a * v`.
pub(crate) fn mul_s(a: &Array, v: f64) -> Result<Array> {
    ops::multiply(a, &weak(v, a), None)
}

/// `a + v`.
pub(crate) fn add_s(a: &Array, v: f64) -> Result<Array> {
    ops::add(a, &weak(v, a), None)
}

/// `a - v`.
pub(crate) fn sub_s(a: &Array, v: f64) -> Result<Array> {
    ops::subtract(a, &weak(v, a), None)
}

/// `v - a`.
pub(crate) fn rsub_s(v: f64, a: &Array) -> Result<Array> {
    ops::subtract(&weak(v, a), a, None)
}

/// `a / v`.
pub(crate) fn div_s(a: &Array, v: f64) -> Result<Array> {
    ops::divide(a, &weak(v, a), None)
}

/// `maximum(a, v)`.
pub(crate) fn max_s(a: &Array, v: f64) -> Result<Array> {
    ops::maximum(a, &weak(v, a), None)
}

/// `minimum(a, v)`.
pub(crate) fn min_s(a: &Array, v: f64) -> Result<Array> {
    ops::minimum(a, &weak(v, a), None)
}

/// A float32 scalar (MLX `mx.array(v)` for a Python float).
pub(crate) fn f32_scalar(v: f64) -> Array {
    Array::scalar(v as f32)
}
