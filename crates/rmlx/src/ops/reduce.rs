//! Public ops of the reduce family: `sum`, `prod`, `max`, `min`, `all`,
//! `any`, `mean`, `var`, `std`, `argmax`, `argmin`, `logsumexp`,
//! `count_nonzero` and `softmax`, with MLX's result dtypes, empty-array
//! rules and errors.
//!
//! `axes: None` reduces over every axis; axes may be negative. With
//! `keepdims` the reduced axes stay as size-1 axes.

use std::sync::Arc;

use super::{astype, fmt_shape, multiply, reshape, transpose};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::primitives::reduce::{
    reduce_dtype, ArgReduce, ArgReduceOp, LogSumExp, Reduce, ReduceOp, Softmax,
};

/// The axes a reduction names: every axis for `None`.
fn axes_or_all(a: &Array, axes: Option<&[i64]>) -> Vec<i64> {
    match axes {
        Some(ax) => ax.to_vec(),
        None => (0..a.ndim() as i64).collect(),
    }
}

/// Normalises reduction axes: IndexError for an axis out of range,
/// ValueError for a repeated one; returns them sorted.
pub fn reduce_axes(op: &str, ndim: usize, axes: &[i64]) -> Result<Vec<usize>> {
    let n = ndim as i64;
    let mut out = Vec::with_capacity(axes.len());
    for &ax in axes {
        if ax < -n || ax >= n {
            return Err(Error::index(format!(
                "[{op}] Invalid axis {ax} for array with {ndim} dimensions."
            )));
        }
        out.push(if ax < 0 {
            (ax + n) as usize
        } else {
            ax as usize
        });
    }
    out.sort_unstable();
    if out.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::value(format!(
            "[{op}] Duplicate axes detected in reduction."
        )));
    }
    Ok(out)
}

/// The output shape of a reduction over sorted `axes`.
fn reduced_shape(shape: &[i64], axes: &[usize], keepdims: bool) -> Vec<i64> {
    let mut out = Vec::with_capacity(shape.len());
    for (i, &d) in shape.iter().enumerate() {
        if axes.binary_search(&i).is_err() {
            out.push(d);
        } else if keepdims {
            out.push(1);
        }
    }
    out
}

/// Builds a [`Reduce`] node, with MLX's shortcuts: no axes returns the input
/// (`all`/`any`: cast to bool), reducing only size-1 axes is a cast.
pub fn reduce_op(
    op: ReduceOp,
    a: &Array,
    axes: Option<&[i64]>,
    keepdims: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let name = op.name();
    let s = resolve_stream(s, name)?;
    let given = axes_or_all(a, axes);
    let bool_op = matches!(op, ReduceOp::And | ReduceOp::Or);
    if given.is_empty() {
        return if bool_op {
            astype(a, Dtype::Bool, Some(s))
        } else {
            Ok(a.clone())
        };
    }
    let ax = reduce_axes(name, a.ndim(), &given)?;
    if matches!(op, ReduceOp::Max | ReduceOp::Min) {
        if let Some(&z) = ax.iter().find(|&&x| a.shape()[x] == 0) {
            return Err(Error::value(format!(
                "[{name}] Cannot {name} reduce over axis {z} with size 0."
            )));
        }
    }
    let out_dt = reduce_dtype(op, a.dtype());
    let out_shape = reduced_shape(a.shape(), &ax, keepdims);
    if ax.iter().all(|&x| a.shape()[x] == 1) {
        let c = astype(a, out_dt, Some(s))?;
        return reshape(&c, &out_shape, Some(s));
    }
    Ok(Array::from_op(
        out_shape,
        out_dt,
        s,
        Arc::new(Reduce {
            op,
            axes: ax,
            keepdims,
        }),
        vec![a.clone()],
    ))
}

/// Sum over `axes` (small integers sum to int32/uint32, bool to int32).
pub fn sum(a: &Array, axes: Option<&[i64]>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    reduce_op(ReduceOp::Sum, a, axes, keepdims, s)
}

/// Product over `axes` (small integers multiply in int32/uint32).
pub fn prod(a: &Array, axes: Option<&[i64]>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    reduce_op(ReduceOp::Prod, a, axes, keepdims, s)
}

/// Maximum over `axes`; NaN propagates; an empty reduced axis is an error.
pub fn max(a: &Array, axes: Option<&[i64]>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    reduce_op(ReduceOp::Max, a, axes, keepdims, s)
}

/// Minimum over `axes`; NaN propagates; an empty reduced axis is an error.
pub fn min(a: &Array, axes: Option<&[i64]>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    reduce_op(ReduceOp::Min, a, axes, keepdims, s)
}

/// Whether every element over `axes` is non-zero (bool).
pub fn all(a: &Array, axes: Option<&[i64]>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    reduce_op(ReduceOp::And, a, axes, keepdims, s)
}

/// Whether any element over `axes` is non-zero (bool).
pub fn any(a: &Array, axes: Option<&[i64]>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    reduce_op(ReduceOp::Or, a, axes, keepdims, s)
}

/// Checks the axes of `mean`/`var`/`std` with MLX's own message.
fn check_mean_axes(op: &str, a: &Array, axes: &[i64]) -> Result<()> {
    let nd = a.ndim() as i64;
    if let Some(&ax) = axes.iter().find(|&&ax| ax < -nd || ax >= nd) {
        return Err(Error::index(format!(
            "[{op}] axis {ax} is out of bounds for array with {nd} dimensions."
        )));
    }
    Ok(())
}

/// Number of elements over `axes` (already validated).
fn count(a: &Array, axes: &[i64]) -> f64 {
    let nd = a.ndim() as i64;
    let mut seen = vec![false; a.ndim()];
    let mut n = 1f64;
    for &ax in axes {
        let i = if ax < 0 { ax + nd } else { ax } as usize;
        if !std::mem::replace(&mut seen[i], true) {
            n *= a.shape()[i] as f64;
        }
    }
    n
}

/// Mean over `axes` (integers give float32; an empty reduction gives NaN).
pub fn mean(a: &Array, axes: Option<&[i64]>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "mean")?;
    let given = axes_or_all(a, axes);
    check_mean_axes("mean", a, &given)?;
    let dt = a.dtype().to_inexact();
    let total = sum(a, Some(&given), keepdims, Some(s))?;
    let inv = Array::from_scalar(Scalar::Float(1.0 / count(a, &given)), dt)?;
    multiply(&total, &inv, Some(s))
}

/// Variance over `axes` with divisor `N - ddof` (clamped at 0); integers
/// give float32, complex64 gives the float32 variance of the modulus.
pub fn var(
    a: &Array,
    axes: Option<&[i64]>,
    keepdims: bool,
    ddof: i64,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "var")?;
    let given = axes_or_all(a, axes);
    check_mean_axes("mean", a, &given)?;
    let mu = mean(a, Some(&given), true, Some(s))?;
    let mut d = super::subtract(a, &mu, Some(s))?;
    if d.dtype().is_complex() {
        d = super::abs(&d, Some(s))?;
    }
    let v = sum(
        &super::square(&d, Some(s))?,
        Some(&given),
        keepdims,
        Some(s),
    )?;
    let dt = v.dtype();
    let n = count(a, &given);
    if ddof != 0 {
        let norm = Array::from_scalar(Scalar::Float((n - ddof as f64).max(0.0)), dt)?;
        super::divide(&v, &norm, Some(s))
    } else {
        multiply(
            &v,
            &Array::from_scalar(Scalar::Float(1.0 / n), dt)?,
            Some(s),
        )
    }
}

/// Standard deviation: `sqrt(var(a, axes, keepdims, ddof))`.
pub fn std(
    a: &Array,
    axes: Option<&[i64]>,
    keepdims: bool,
    ddof: i64,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "std")?;
    super::sqrt(&var(a, axes, keepdims, ddof, Some(s))?, Some(s))
}

/// Builds an [`ArgReduce`] node (uint32 indices); `axis: None` searches the
/// flattened array (with `keepdims`, the result has `ndim` size-1 axes).
pub fn arg_reduce_op(
    op: ArgReduceOp,
    a: &Array,
    axis: Option<i64>,
    keepdims: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let name = op.name();
    let s = resolve_stream(s, name)?;
    let Some(axis) = axis else {
        let flat = reshape(a, &[a.size() as i64], Some(s))?;
        let r = arg_reduce_op(op, &flat, Some(0), true, Some(s))?;
        let shape = if keepdims {
            vec![1; a.ndim()]
        } else {
            Vec::new()
        };
        return reshape(&r, &shape, Some(s));
    };
    if a.size() == 0 {
        return Err(Error::value(format!(
            "[{name}] Cannot {name} reduce zero size array."
        )));
    }
    let ax = reduce_axes(name, a.ndim(), &[axis])?[0];
    let out_shape = reduced_shape(a.shape(), &[ax], keepdims);
    if a.shape()[ax] == 1 {
        return super::zeros(&out_shape, Dtype::Uint32, Some(s));
    }
    Ok(Array::from_op(
        out_shape,
        Dtype::Uint32,
        s,
        Arc::new(ArgReduce {
            op,
            axis: ax,
            keepdims,
        }),
        vec![a.clone()],
    ))
}

/// Index of the first maximum along `axis` (flattened for `None`); a NaN
/// counts as the maximum.
pub fn argmax(a: &Array, axis: Option<i64>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    arg_reduce_op(ArgReduceOp::ArgMax, a, axis, keepdims, s)
}

/// Index of the first minimum along `axis` (flattened for `None`); a NaN
/// counts as the minimum.
pub fn argmin(a: &Array, axis: Option<i64>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    arg_reduce_op(ArgReduceOp::ArgMin, a, axis, keepdims, s)
}

/// `log(sum(exp(a)))` over `axes`, computed stably in one fused pass per
/// output (integers give float32).
pub fn logsumexp(
    a: &Array,
    axes: Option<&[i64]>,
    keepdims: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "logsumexp")?;
    if a.size() == 0 {
        return Err(Error::value("[logsumexp] Received empty array."));
    }
    if a.ndim() == 0 && axes.is_some_and(|ax| !ax.is_empty()) {
        return Err(Error::value(
            "[logsumexp] Received non-empty axes for array with 0 dimensions.",
        ));
    }
    let given = axes_or_all(a, axes);
    let ax = reduce_axes("logsumexp", a.ndim(), &given)?;
    let dt = a.dtype().to_inexact();
    let x = astype(a, dt, Some(s))?;
    if ax.is_empty() {
        return Ok(x);
    }
    let out_shape = reduced_shape(a.shape(), &ax, keepdims);
    Ok(Array::from_op(
        out_shape,
        dt,
        s,
        Arc::new(LogSumExp { axes: ax, keepdims }),
        vec![x],
    ))
}

/// Number of non-zero elements over `axes`, as int32.
pub fn count_nonzero(
    a: &Array,
    axes: Option<&[i64]>,
    keepdims: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "count_nonzero")?;
    let zero = Array::from_scalar(Scalar::Int(0), a.dtype())?;
    let nz = astype(&super::not_equal(a, &zero, Some(s))?, Dtype::Int32, Some(s))?;
    sum(&nz, axes, keepdims, Some(s))
}

/// Softmax over `axes` (every axis for `None`), fused into one kernel;
/// integers and bool give float32 on every axis (MLX 0.32.4 casts its
/// multi-axis / non-last-axis result back to the integer dtype, giving
/// zeros; rmlx returns the float softmax). `precise` accumulates float16/bfloat16 in
/// float32 (otherwise, as MLX, in the half type).
pub fn softmax(a: &Array, axes: Option<&[i64]>, precise: bool, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "softmax")?;
    if a.ndim() == 0 && axes.is_some_and(|ax| !ax.is_empty()) {
        return Err(Error::value(
            "[softmax] Received non-empty axes for array with 0 dimensions.",
        ));
    }
    let given = axes_or_all(a, axes);
    let ax = reduce_axes("softmax", a.ndim(), &given)?;
    let dt = a.dtype().to_inexact();
    let x = astype(a, dt, Some(s))?;
    let nd = a.ndim();
    if ax.len() == 1 && ax[0] == nd - 1 {
        return Ok(Array::from_op(
            a.shape().to_vec(),
            dt,
            s,
            Arc::new(Softmax { precise }),
            vec![x],
        ));
    }
    // Other axes: move them last, flatten them, run the fused kernel and
    // undo the moves.
    let kept: Vec<usize> = (0..nd).filter(|i| ax.binary_search(i).is_err()).collect();
    let perm: Vec<i64> = kept.iter().chain(ax.iter()).map(|&i| i as i64).collect();
    let moved = transpose(&x, Some(&perm), Some(s))?;
    let mut flat_shape: Vec<i64> = kept.iter().map(|&i| a.shape()[i]).collect();
    flat_shape.push(ax.iter().map(|&i| a.shape()[i]).product());
    let flat = reshape(&moved, &flat_shape, Some(s))?;
    let sm = Array::from_op(flat_shape, dt, s, Arc::new(Softmax { precise }), vec![flat]);
    let back = reshape(&sm, moved.shape(), Some(s))?;
    let mut inv = vec![0i64; nd];
    for (i, &p) in perm.iter().enumerate() {
        inv[p as usize] = i as i64;
    }
    let out = transpose(&back, Some(&inv), Some(s))?;
    if out.shape() != a.shape() {
        return Err(Error::runtime(format!(
            "[softmax] internal error: shape {} for input {}.",
            fmt_shape(out.shape()),
            fmt_shape(a.shape())
        )));
    }
    Ok(out)
}

/// `(min(a), max(a))` over `axes` (MLX `minmax`).
pub fn minmax(
    a: &Array,
    axes: Option<&[i64]>,
    keepdims: bool,
    s: Option<Stream>,
) -> Result<(Array, Array)> {
    Ok((min(a, axes, keepdims, s)?, max(a, axes, keepdims, s)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(v: &[f32], shape: &[i64]) -> Array {
        Array::from_slice(v, shape).unwrap()
    }

    #[test]
    fn sums_rows_columns_and_all() {
        let a = arr(&[1., 2., 3., 4., 5., 6.], &[2, 3]);
        assert_eq!(
            sum(&a, Some(&[1]), false, None)
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            vec![6., 15.]
        );
        assert_eq!(
            sum(&a, Some(&[0]), false, None)
                .unwrap()
                .to_vec::<f32>()
                .unwrap(),
            vec![5., 7., 9.]
        );
        let t = sum(&a, None, true, None).unwrap();
        assert_eq!(t.shape(), &[1, 1]);
        assert_eq!(t.to_vec::<f32>().unwrap(), vec![21.]);
        let i = Array::from_slice(&[100i8, 100, 100], &[3]).unwrap();
        assert_eq!(
            sum(&i, None, false, None).unwrap().item::<i32>().unwrap(),
            300
        );
    }

    #[test]
    fn errors_and_nan() {
        let a = arr(&[1., f32::NAN, 3.], &[3]);
        assert!(max(&a, None, false, None)
            .unwrap()
            .item::<f32>()
            .unwrap()
            .is_nan());
        assert_eq!(
            argmax(&a, None, false, None)
                .unwrap()
                .item::<u32>()
                .unwrap(),
            1
        );
        assert_eq!(
            sum(&a, Some(&[1]), false, None).unwrap_err().kind,
            crate::ErrorKind::Index
        );
        assert_eq!(
            sum(&a, Some(&[0, -1]), false, None).unwrap_err().kind,
            crate::ErrorKind::Value
        );
        let e = arr(&[], &[0, 2]);
        assert_eq!(
            max(&e, None, false, None).unwrap_err().kind,
            crate::ErrorKind::Value
        );
    }

    #[test]
    fn softmax_rows_sum_to_one() {
        let a = arr(&[1., 2., 3., f32::NEG_INFINITY], &[2, 2]);
        let s = softmax(&a, Some(&[-1]), false, None)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert!((s[0] + s[1] - 1.0).abs() < 1e-6 && s[3] == 0.0 && s[2] == 1.0);
        let l = logsumexp(&a, Some(&[-1]), false, None)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert!((l[0] - (1f32.exp() + 2f32.exp()).ln()).abs() < 1e-6 && l[1] == 3.0);
    }
}
