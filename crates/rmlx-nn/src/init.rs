//! Parameter initialisers (MLX `mlx.nn.init`). Each factory returns an
//! [`Initializer`]: a function from an array to a new array of its shape,
//! drawn with the global random key as MLX does.
//!
//! MLX's Glorot / He initialisers take `gain` (and `mode`) when *called*;
//! here they are factory arguments, since a boxed Rust closure has one
//! signature.

use rmlx::ops::{self, random};
use rmlx::{Array, Dtype, Error, Result, Scalar};

use crate::util::f32_scalar;

/// A parameter initialiser: an array in, a new array of its shape out.
pub type Initializer = Box<dyn Fn(&Array) -> Result<Array>>;

/// Which fan the He initialisers scale by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    /// The input fan (MLX `"fan_in"`).
    FanIn,
    /// The output fan (MLX `"fan_out"`).
    FanOut,
}

/// Fills with `value`.
pub fn constant(value: f64, dtype: Dtype) -> Initializer {
    Box::new(move |a| ops::full_scalar(a.shape(), Scalar::Float(value), dtype, None))
}

/// Normal draws with `mean` and standard deviation `std`.
pub fn normal(mean: f64, std: f64, dtype: Dtype) -> Initializer {
    Box::new(move |a| {
        random::normal(
            a.shape(),
            dtype,
            Some(&f32_scalar(mean)),
            Some(&f32_scalar(std)),
            None,
            None,
        )
    })
}

/// Uniform draws on `[low, high)`.
pub fn uniform(low: f64, high: f64, dtype: Dtype) -> Initializer {
    Box::new(move |a| uniform_array(low, high, a.shape(), dtype))
}

/// The identity matrix (square 2-D arrays only).
pub fn identity(dtype: Dtype) -> Initializer {
    Box::new(move |a| {
        if a.ndim() != 2 || a.shape()[0] != a.shape()[1] {
            return Err(Error::value(format!(
                "The input array must be a square matrix but got shape {}.",
                ops::fmt_shape(a.shape())
            )));
        }
        ops::eye(a.shape()[0], None, 0, dtype, None)
    })
}

/// `(fan_in, fan_out)` of a weight shaped `(out, *receptive field, in)`.
pub fn fan_in_fan_out(a: &Array) -> Result<(f64, f64)> {
    if a.ndim() < 2 {
        return Err(Error::value(format!(
            "Glorot / He initialization requires at least 2 dimensional input but input with {} dimensions.",
            a.ndim()
        )));
    }
    let sh = a.shape();
    let receptive: i64 = sh[1..sh.len() - 1].iter().product();
    Ok((
        (sh[sh.len() - 1] * receptive) as f64,
        (sh[0] * receptive) as f64,
    ))
}

/// Normal with standard deviation `gain * sqrt(2 / (fan_in + fan_out))`.
pub fn glorot_normal(dtype: Dtype, gain: f64) -> Initializer {
    Box::new(move |a| {
        let (fi, fo) = fan_in_fan_out(a)?;
        let std = gain * (2.0 / (fi + fo)).sqrt();
        random::normal(a.shape(), dtype, None, Some(&f32_scalar(std)), None, None)
    })
}

/// Uniform on `±gain * sqrt(6 / (fan_in + fan_out))`.
pub fn glorot_uniform(dtype: Dtype, gain: f64) -> Initializer {
    Box::new(move |a| {
        let (fi, fo) = fan_in_fan_out(a)?;
        let limit = gain * (6.0 / (fi + fo)).sqrt();
        uniform_array(-limit, limit, a.shape(), dtype)
    })
}

fn pick_fan(a: &Array, mode: FanMode) -> Result<f64> {
    let (fi, fo) = fan_in_fan_out(a)?;
    Ok(match mode {
        FanMode::FanIn => fi,
        FanMode::FanOut => fo,
    })
}

/// Normal with standard deviation `gain / sqrt(fan)`.
pub fn he_normal(dtype: Dtype, mode: FanMode, gain: f64) -> Initializer {
    Box::new(move |a| {
        let std = gain / pick_fan(a, mode)?.sqrt();
        random::normal(a.shape(), dtype, None, Some(&f32_scalar(std)), None, None)
    })
}

/// Uniform on `±gain * sqrt(3 / fan)`.
pub fn he_uniform(dtype: Dtype, mode: FanMode, gain: f64) -> Initializer {
    Box::new(move |a| {
        let limit = gain * (3.0 / pick_fan(a, mode)?).sqrt();
        uniform_array(-limit, limit, a.shape(), dtype)
    })
}

/// Normal draws with a fraction `sparsity` of each row (rounded up) set to
/// zero at random columns (2-D arrays only).
pub fn sparse(sparsity: f64, mean: f64, std: f64, dtype: Dtype) -> Initializer {
    Box::new(move |a| {
        if a.ndim() != 2 {
            return Err(Error::value("Only tensors with 2 dimensions are supported"));
        }
        let (rows, cols) = (a.shape()[0], a.shape()[1]);
        let zeros = (sparsity * cols as f64).ceil() as i64;
        let u = uniform_array(0.0, 1.0, a.shape(), Dtype::Float32)?;
        let order = ops::argsort(&u, Some(1), None)?;
        let out = random::normal(
            a.shape(),
            dtype,
            Some(&f32_scalar(mean)),
            Some(&f32_scalar(std)),
            None,
            None,
        )?;
        if zeros == 0 {
            return Ok(out);
        }
        let first = ops::slice_strided(&order, &[0, 0], &[1, 1], &[rows, zeros.min(cols)], None)?;
        let zero = ops::zeros(&[], dtype, None)?;
        ops::put_along_axis(&out, &first, &zero, Some(1), None)
    })
}

/// A (semi-)orthogonal matrix scaled by `gain`, from the QR decomposition of
/// a normal draw (2-D arrays only).
pub fn orthogonal(gain: f64, dtype: Dtype) -> Initializer {
    Box::new(move |a| {
        if a.ndim() != 2 {
            return Err(Error::value(format!(
                "Orthogonal initialization requires a 2D array but got a {}D array.",
                a.ndim()
            )));
        }
        let (rows, cols) = (a.shape()[0], a.shape()[1]);
        let n = rows.max(cols);
        let x = random::normal(&[n, n], Dtype::Float32, None, None, None, None)?;
        let (q, r) = ops::linalg::qr(&x, None)?;
        // Sign fix so the result is uniformly distributed.
        let q = ops::multiply(&q, &ops::sign(&ops::diag(&r, 0, None)?, None)?, None)?;
        let q = ops::slice_strided(&q, &[0, 0], &[1, 1], &[rows, cols], None)?;
        ops::astype(&crate::util::mul_s(&q, gain)?, dtype, None)
    })
}

/// Uniform draws on `[low, high)` of `shape` (MLX
/// `mx.random.uniform(low, high, shape, dtype)` with float bounds).
pub fn uniform_array(low: f64, high: f64, shape: &[i64], dtype: Dtype) -> Result<Array> {
    random::uniform(
        &f32_scalar(low),
        &f32_scalar(high),
        shape,
        dtype,
        None,
        None,
    )
}
