//! Creation ops: fills (`full`, `zeros`, `ones`, `empty` and their `_like`
//! forms), ranges (`arange`, `linspace`), band matrices (`eye`, `identity`,
//! `tri`, `tril`, `triu`) and `meshgrid`, with MLX's defaults and errors.

use std::sync::Arc;

use super::{astype, broadcast_arrays, broadcast_to, reshape};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::primitives::creation::{Arange, Band, Linspace};

fn check_shape(op: &str, shape: &[i64]) -> Result<()> {
    if shape.iter().any(|&d| d < 0) {
        return Err(Error::value(format!(
            "[{op}] Negative dimensions not allowed."
        )));
    }
    Ok(())
}

/// An array of `shape` filled with `vals` (broadcast), converted to `dtype`
/// if given (MLX `full`).
pub fn full(shape: &[i64], vals: &Array, dtype: Option<Dtype>, s: Option<Stream>) -> Result<Array> {
    check_shape("full", shape)?;
    let s = resolve_stream(s, "full")?;
    let v = astype(vals, dtype.unwrap_or(vals.dtype()), Some(s))?;
    broadcast_to(&v, shape, Some(s))
}

/// An array of `shape` filled with the scalar `v` converted to `dtype`.
pub fn full_scalar(shape: &[i64], v: Scalar, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    check_shape("full", shape)?;
    let s = resolve_stream(s, "full")?;
    let v = Array::from_scalar(v, dtype)?;
    broadcast_to(&v, shape, Some(s))
}

/// Zeros of `shape` and `dtype` (MLX `zeros`).
pub fn zeros(shape: &[i64], dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    full_scalar(shape, Scalar::Int(0), dtype, s)
}

/// Ones of `shape` and `dtype` (MLX `ones`).
pub fn ones(shape: &[i64], dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    full_scalar(shape, Scalar::Int(1), dtype, s)
}

/// An array of `shape` and `dtype` whose contents do not matter (MLX
/// `empty`, which is `zeros`; so is this).
pub fn empty(shape: &[i64], dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    zeros(shape, dtype, s)
}

/// Zeros with the shape of `a` and `dtype` (default: `a`'s) (MLX `zeros_like`).
pub fn zeros_like(a: &Array, dtype: Option<Dtype>, s: Option<Stream>) -> Result<Array> {
    zeros(a.shape(), dtype.unwrap_or(a.dtype()), s)
}

/// Ones with the shape of `a` and `dtype` (default: `a`'s) (MLX `ones_like`).
pub fn ones_like(a: &Array, dtype: Option<Dtype>, s: Option<Stream>) -> Result<Array> {
    ones(a.shape(), dtype.unwrap_or(a.dtype()), s)
}

/// Like [`zeros_like`] (MLX `empty_like` is `zeros_like`).
pub fn empty_like(a: &Array, dtype: Option<Dtype>, s: Option<Stream>) -> Result<Array> {
    zeros_like(a, dtype, s)
}

/// `vals` broadcast to the shape of `a`, as `dtype` (default: `a`'s dtype)
/// (MLX `full_like`).
pub fn full_like(
    a: &Array,
    vals: &Array,
    dtype: Option<Dtype>,
    s: Option<Stream>,
) -> Result<Array> {
    full(a.shape(), vals, Some(dtype.unwrap_or(a.dtype())), s)
}

/// `start, start + step, ...` below `stop` (above it for a negative step)
/// (MLX `arange`). Values follow MLX's arithmetic: `start` and `start +
/// step` are converted to `dtype` and floats accumulate their difference.
pub fn arange(start: f64, stop: f64, step: f64, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "arange")?;
    if dtype == Dtype::Bool {
        return Err(Error::value("[arange] bool not supported for arange."));
    }
    if start.is_nan() || stop.is_nan() || step.is_nan() || start.is_infinite() || stop.is_infinite()
    {
        return Err(Error::value("[arange] Cannot compute length."));
    }
    if step == 0.0 {
        return Err(Error::value("[arange] step must be nonzero."));
    }
    if step.is_infinite() {
        // One element when the range is non-empty (MLX's rule).
        let n = i64::from((step > 0.0 && start < stop) || (step < 0.0 && start > stop));
        return Ok(Array::from_op(
            vec![n],
            dtype,
            s,
            Arc::new(Arange { start, step: 0.0 }),
            vec![],
        ));
    }
    let real = ((stop - start) / step).ceil();
    if real > i32::MAX as f64 {
        return Err(Error::value("[arange] Maximum size exceeded."));
    }
    let n = if real > 0.0 { real as i64 } else { 0 };
    Ok(Array::from_op(
        vec![n],
        dtype,
        s,
        Arc::new(Arange { start, step }),
        vec![],
    ))
}

/// `num` evenly spaced values from `start` to `stop` (excluded when
/// `endpoint` is false) (MLX `linspace`). Computed in float32 (float64 for
/// a float64 result) and converted to `dtype`, as MLX does.
pub fn linspace(
    start: f64,
    stop: f64,
    num: i64,
    endpoint: bool,
    dtype: Dtype,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "linspace")?;
    if num < 0 {
        return Err(Error::value(format!(
            "[linspace] number of samples, {num}, must be non-negative."
        )));
    }
    if num == 1 {
        // MLX makes a one-element float32 array of `start`, then converts.
        return Ok(Array::from_op(
            vec![1],
            dtype,
            s,
            Arc::new(Linspace {
                start: start as f32 as f64,
                stop: 0.0,
                den: 1.0,
                wide: true,
            }),
            vec![],
        ));
    }
    let den = if endpoint { num - 1 } else { num } as f64;
    let prim = Linspace {
        start,
        stop,
        den,
        wide: dtype == Dtype::Float64,
    };
    Ok(Array::from_op(vec![num], dtype, s, Arc::new(prim), vec![]))
}

/// An `n x m` matrix with ones on the `k`-th diagonal (MLX `eye`; `m`
/// defaults to `n`).
pub fn eye(n: i64, m: Option<i64>, k: i64, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "eye")?;
    let m = m.unwrap_or(n);
    if n < 0 || m < 0 {
        return Err(Error::value("[eye] N and M must be positive integers."));
    }
    Ok(Array::from_op(
        vec![n, m],
        dtype,
        s,
        Arc::new(Band {
            k,
            diagonal_only: true,
        }),
        vec![],
    ))
}

/// The `n x n` identity matrix (MLX `identity`).
pub fn identity(n: i64, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    eye(n, None, 0, dtype, s)
}

/// An `n x m` matrix with ones on and below the `k`-th diagonal (MLX
/// `tri`; `m` defaults to `n`; negative sizes give empty axes).
pub fn tri(n: i64, m: Option<i64>, k: i64, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "tri")?;
    let m = m.unwrap_or(n).max(0);
    let n = n.max(0);
    Ok(Array::from_op(
        vec![n, m],
        dtype,
        s,
        Arc::new(Band {
            k,
            diagonal_only: false,
        }),
        vec![],
    ))
}

fn triangle(op: &str, x: &Array, k: i64, lower: bool, s: Option<Stream>) -> Result<Array> {
    if x.ndim() < 2 {
        return Err(Error::value(format!("[{op}] array must be at least 2-D")));
    }
    let s = resolve_stream(s, op)?;
    let (n, m) = (x.dim(-2), x.dim(-1));
    let zero = Array::from_scalar(Scalar::Int(0), x.dtype())?;
    if lower {
        let mask = tri(n, Some(m), k, Dtype::Bool, Some(s))?;
        super::where_(&mask, x, &zero, Some(s))
    } else {
        let mask = tri(n, Some(m), k - 1, Dtype::Bool, Some(s))?;
        super::where_(&mask, &zero, x, Some(s))
    }
}

/// Zeros above the `k`-th diagonal of the last two axes (MLX `tril`).
pub fn tril(x: &Array, k: i64, s: Option<Stream>) -> Result<Array> {
    triangle("tril", x, k, true, s)
}

/// Zeros below the `k`-th diagonal of the last two axes (MLX `triu`).
pub fn triu(x: &Array, k: i64, s: Option<Stream>) -> Result<Array> {
    triangle("triu", x, k, false, s)
}

/// Coordinate grids from 1-d coordinate vectors (inputs are flattened)
/// (MLX `meshgrid`). `indexing` is `"xy"` (Cartesian: the first two axes
/// swap) or `"ij"` (matrix); `sparse` keeps size-1 axes instead of
/// broadcasting.
pub fn meshgrid(
    arrays: &[Array],
    sparse: bool,
    indexing: &str,
    s: Option<Stream>,
) -> Result<Vec<Array>> {
    if indexing != "xy" && indexing != "ij" {
        return Err(Error::value(
            "[meshgrid] Invalid indexing value. Valid values are 'xy' and 'ij'.",
        ));
    }
    let s = Some(resolve_stream(s, "meshgrid")?);
    let nd = arrays.len();
    if nd == 1 {
        return Ok(vec![reshape(&arrays[0], &[-1], s)?]);
    }
    let mut out = Vec::with_capacity(nd);
    for (i, a) in arrays.iter().enumerate() {
        let mut shape = vec![1i64; nd];
        let axis = match (indexing, i) {
            ("xy", 0) => 1,
            ("xy", 1) => 0,
            _ => i,
        };
        shape[axis] = a.size() as i64;
        out.push(reshape(a, &shape, s)?);
    }
    if sparse {
        Ok(out)
    } else {
        broadcast_arrays(&out, s)
    }
}

/// The window functions of MLX (`hanning`, `hamming`, `blackman`,
/// `bartlett`): cosine sums over `m` points, computed in float64 and
/// returned as float32.
fn window(name: &str, m: i64, s: Option<Stream>, f: impl Fn(f64) -> f64) -> Result<Array> {
    resolve_stream(s, name)?;
    if m < 0 {
        return Err(Error::value(format!(
            "[{name}] Number of points must be non-negative, got {m}."
        )));
    }
    let v: Vec<f32> = match m {
        0 => Vec::new(),
        1 => vec![1.0],
        _ => (0..m)
            .map(|n| f(n as f64 / (m - 1) as f64) as f32)
            .collect(),
    };
    Array::from_slice(&v, &[m])
}

/// The Hann window of `m` points (MLX `hanning`).
pub fn hanning(m: i64, s: Option<Stream>) -> Result<Array> {
    use std::f64::consts::PI;
    window("hanning", m, s, |x| 0.5 - 0.5 * (2.0 * PI * x).cos())
}

/// The Hamming window of `m` points (MLX `hamming`).
pub fn hamming(m: i64, s: Option<Stream>) -> Result<Array> {
    use std::f64::consts::PI;
    window("hamming", m, s, |x| 0.54 - 0.46 * (2.0 * PI * x).cos())
}

/// The Blackman window of `m` points (MLX `blackman`).
pub fn blackman(m: i64, s: Option<Stream>) -> Result<Array> {
    use std::f64::consts::PI;
    window("blackman", m, s, |x| {
        0.42 - 0.5 * (2.0 * PI * x).cos() + 0.08 * (4.0 * PI * x).cos()
    })
}

/// The triangular Bartlett window of `m` points (MLX `bartlett`).
pub fn bartlett(m: i64, s: Option<Stream>) -> Result<Array> {
    window("bartlett", m, s, |x| 1.0 - (2.0 * x - 1.0).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arange_follows_mlx_arithmetic() {
        let a = arange(-2.5, 3.0, 1.0, Dtype::Int32, None).unwrap();
        assert_eq!(a.to_vec::<i32>().unwrap(), vec![-2, -1, 0, 1, 2, 3]);
        let a = arange(0.5, 10.0, 0.7, Dtype::Int32, None).unwrap();
        assert_eq!(a.to_vec::<i32>().unwrap(), (0..14).collect::<Vec<_>>());
        let a = arange(0.0, 1.0, 0.1, Dtype::Float32, None).unwrap();
        let mut v = 0f32;
        let mut expect = Vec::new();
        for _ in 0..10 {
            expect.push(v);
            v += 0.1f32;
        }
        assert_eq!(a.to_vec::<f32>().unwrap(), expect);
        assert_eq!(
            arange(0.0, 10.0, f64::INFINITY, Dtype::Float32, None)
                .unwrap()
                .shape(),
            &[1]
        );
        assert!(arange(0.0, 3.0, 1.0, Dtype::Bool, None).is_err());
        assert!(arange(0.0, 3.0, 0.0, Dtype::Int32, None).is_err());
    }

    #[test]
    fn linspace_tri_eye() {
        let l = linspace(0.0, 10.0, 4, true, Dtype::Int32, None).unwrap();
        assert_eq!(l.to_vec::<i32>().unwrap(), vec![0, 3, 6, 10]);
        let e = eye(2, Some(3), 1, Dtype::Float32, None).unwrap();
        assert_eq!(
            e.to_vec::<f32>().unwrap(),
            vec![0.0, 1.0, 0.0, 0.0, 0.0, 1.0]
        );
        let t = tri(3, Some(2), 0, Dtype::Int32, None).unwrap();
        assert_eq!(t.to_vec::<i32>().unwrap(), vec![1, 0, 1, 1, 1, 1]);
        let x = ones(&[2, 2], Dtype::Float32, None).unwrap();
        assert_eq!(
            triu(&x, 0, None).unwrap().to_vec::<f32>().unwrap(),
            vec![1.0, 1.0, 0.0, 1.0]
        );
        assert_eq!(
            tril(&x, -1, None).unwrap().to_vec::<f32>().unwrap(),
            vec![0.0, 0.0, 1.0, 0.0]
        );
    }

    #[test]
    fn meshgrid_shapes() {
        let x = arange(0.0, 3.0, 1.0, Dtype::Int32, None).unwrap();
        let y = arange(0.0, 2.0, 1.0, Dtype::Int32, None).unwrap();
        let g = meshgrid(&[x.clone(), y.clone()], false, "xy", None).unwrap();
        assert_eq!(g[0].shape(), &[2, 3]);
        let g = meshgrid(&[x, y], true, "ij", None).unwrap();
        assert_eq!(g[1].shape(), &[1, 2]);
    }
}
