//! Transformation rules (vjp, jvp, vmap) of the reduce family
//! ([`Reduce`], [`ArgReduce`], [`LogSumExp`], [`Softmax`]), following MLX's
//! `primitives.cpp`. Every rule builds public lazy ops, so the rules are
//! themselves differentiable and batchable.
//!
//! Conventions shared with the other families: integer and bool inputs, and
//! the bool / index outputs of `all`, `any`, `argmin`, `argmax`, are not
//! differentiable: their cotangents are zeros of the input and their
//! tangents zeros of the output. For complex inputs a vjp multiplies the
//! cotangent by the conjugate of the derivative (MLX's `multiply` and `prod`
//! convention); [`conj`] records no node for real dtypes.

use super::reduce::{reduce_dtype, ArgReduce, ArgReduceOp, LogSumExp, Reduce, ReduceOp, Softmax};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::Result;
use crate::ops;

/// `axes` as the `i64` list the public ops take.
pub(super) fn ax64(axes: &[usize]) -> Vec<i64> {
    axes.iter().map(|&a| a as i64).collect()
}

/// The input shape with the reduced axes set to 1 (the keepdims shape).
pub(super) fn kept_shape(shape: &[i64], axes: &[usize]) -> Vec<i64> {
    let mut out = shape.to_vec();
    for &a in axes {
        out[a] = 1;
    }
    out
}

/// The output shape of a reduction of `shape` over `axes`.
fn out_shape(shape: &[i64], axes: &[usize], keepdims: bool) -> Vec<i64> {
    if keepdims {
        return kept_shape(shape, axes);
    }
    (0..shape.len())
        .filter(|i| !axes.contains(i))
        .map(|i| shape[i])
        .collect()
}

/// Zero cotangents for the inputs listed in `argnums`.
pub(super) fn zero_cotangents(primals: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
    argnums
        .iter()
        .map(|&i| ops::zeros_like(&primals[i], None, None))
        .collect()
}

/// `conj(x)`: the identity (no node) on real dtypes.
pub(super) fn conj(x: &Array) -> Result<Array> {
    ops::conjugate(x, None)
}

/// A scalar of dtype `dt`.
pub(super) fn scalar(v: f64, dt: Dtype) -> Result<Array> {
    Array::from_scalar(Scalar::Float(v), dt)
}

/// The batch axis of a reduction's output when the input carries it at `b`
/// and `axes` (of the batched input, not containing `b`) are reduced.
fn batch_axis_after(b: usize, axes: &[usize], keepdims: bool) -> usize {
    if keepdims {
        b
    } else {
        b - axes.iter().filter(|&&a| a < b).count()
    }
}

/// Reduction axes of the unbatched op shifted past a batch axis at `b`.
fn shift_axes(axes: &[usize], b: usize) -> Vec<usize> {
    axes.iter()
        .map(|&a| if a >= b { a + 1 } else { a })
        .collect()
}

/// `x` with the reduced `axes` moved last and flattened into one axis
/// (kept axes first, in order): `[kept..., prod(reduced)]`.
fn flatten_reduced(x: &Array, axes: &[usize]) -> Result<Array> {
    let nd = x.ndim();
    let kept: Vec<usize> = (0..nd).filter(|i| !axes.contains(i)).collect();
    let perm: Vec<i64> = kept.iter().chain(axes).map(|&i| i as i64).collect();
    let moved = ops::transpose(x, Some(&perm), None)?;
    let mut shape: Vec<i64> = kept.iter().map(|&i| x.shape()[i]).collect();
    shape.push(axes.iter().map(|&i| x.shape()[i]).product());
    ops::reshape(&moved, &shape, None)
}

/// Inverse of [`flatten_reduced`]: back to the layout and shape of `like`.
fn unflatten_reduced(y: &Array, axes: &[usize], like: &[i64]) -> Result<Array> {
    let nd = like.len();
    let kept: Vec<usize> = (0..nd).filter(|i| !axes.contains(i)).collect();
    let order: Vec<usize> = kept.iter().chain(axes).copied().collect();
    let moved_shape: Vec<i64> = order.iter().map(|&i| like[i]).collect();
    let y = ops::reshape(y, &moved_shape, None)?;
    let mut inv = vec![0i64; nd];
    for (i, &p) in order.iter().enumerate() {
        inv[p] = i as i64;
    }
    ops::transpose(&y, Some(&inv), None)
}

/// For each element of `x`, the product of the other elements of its
/// reduction group over `axes`: the partial derivative of `prod`. Computed
/// as MLX does, from an exclusive forward and an exclusive reverse cumprod,
/// so that zeros need no division.
fn prod_of_others(x: &Array, axes: &[usize]) -> Result<Array> {
    let others = |x: &Array, axis: i64| -> Result<Array> {
        let before = ops::cumprod(x, Some(axis), false, false, None)?;
        let after = ops::cumprod(x, Some(axis), true, false, None)?;
        ops::multiply(&before, &after, None)
    };
    if axes.len() == 1 {
        return others(x, axes[0] as i64);
    }
    // Several axes: one flattened axis makes them a single scan.
    let flat = flatten_reduced(x, axes)?;
    let g = others(&flat, -1)?;
    unflatten_reduced(&g, axes, x.shape())
}

pub(super) fn reduce_vjp(
    p: &Reduce,
    primals: &[Array],
    cotangents: &[Array],
    argnums: &[usize],
    outputs: &[Array],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    // Integer sums are linear: MLX differentiates them in the integer dtype.
    let linear_int = p.op == ReduceOp::Sum && x.dtype().is_integer();
    if (!x.dtype().is_inexact() && !linear_int) || matches!(p.op, ReduceOp::And | ReduceOp::Or) {
        return zero_cotangents(primals, argnums);
    }
    let kept = kept_shape(x.shape(), &p.axes);
    let cot = ops::reshape(&cotangents[0], &kept, None)?;
    let g = match p.op {
        ReduceOp::Sum => ops::broadcast_to(&cot, x.shape(), None)?,
        ReduceOp::Prod => ops::multiply(&conj(&prod_of_others(x, &p.axes)?)?, &cot, None)?,
        ReduceOp::Max | ReduceOp::Min => {
            // MLX: the cotangent is shared equally among the tied extrema.
            let out = ops::reshape(&outputs[0], &kept, None)?;
            let mask = ops::equal(x, &out, None)?;
            let count = ops::sum(&mask, Some(&ax64(&p.axes)), true, None)?;
            let share = ops::divide(&cot, &count, None)?;
            ops::multiply(&share, &mask, None)?
        }
        ReduceOp::And | ReduceOp::Or => unreachable!("handled above"),
    };
    Ok(vec![g])
}

pub(super) fn reduce_jvp(p: &Reduce, primals: &[Array], tangents: &[Array]) -> Result<Vec<Array>> {
    let x = &primals[0];
    let t = &tangents[0];
    let oshape = out_shape(x.shape(), &p.axes, p.keepdims);
    // Integer sums are linear: MLX differentiates them in the integer dtype.
    let linear_int = p.op == ReduceOp::Sum && x.dtype().is_integer();
    if (!x.dtype().is_inexact() && !linear_int) || matches!(p.op, ReduceOp::And | ReduceOp::Or) {
        return Ok(vec![ops::zeros(
            &oshape,
            reduce_dtype(p.op, x.dtype()),
            None,
        )?]);
    }
    let axes = ax64(&p.axes);
    let out = match p.op {
        ReduceOp::Sum => ops::sum(t, Some(&axes), p.keepdims, None)?,
        ReduceOp::Prod => {
            let d = ops::multiply(t, &prod_of_others(x, &p.axes)?, None)?;
            ops::sum(&d, Some(&axes), p.keepdims, None)?
        }
        ReduceOp::Max | ReduceOp::Min => {
            // MLX: the tangent of the first extremum (argmax / argmin).
            let xf = flatten_reduced(x, &p.axes)?;
            let tf = flatten_reduced(t, &p.axes)?;
            let idx = if p.op == ReduceOp::Max {
                ops::argmax(&xf, Some(-1), true, None)?
            } else {
                ops::argmin(&xf, Some(-1), true, None)?
            };
            let n = *xf.shape().last().expect("flattened axis") as f64;
            let pos = ops::arange(0.0, n, 1.0, Dtype::Uint32, None)?;
            let pick = ops::equal(&pos, &idx, None)?;
            let sel = ops::where_(&pick, &tf, &scalar(0.0, t.dtype())?, None)?;
            let r = ops::sum(&sel, Some(&[-1]), false, None)?;
            ops::reshape(&r, &oshape, None)?
        }
        ReduceOp::And | ReduceOp::Or => unreachable!("handled above"),
    };
    Ok(vec![out])
}

pub(super) fn reduce_vmap(
    p: &Reduce,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let Some(b) = axes[0] else {
        let r = ops::reduce_op(p.op, x, Some(&ax64(&p.axes)), p.keepdims, None)?;
        return Ok((vec![r], vec![None]));
    };
    let ax = shift_axes(&p.axes, b);
    let r = ops::reduce_op(p.op, x, Some(&ax64(&ax)), p.keepdims, None)?;
    Ok((vec![r], vec![Some(batch_axis_after(b, &ax, p.keepdims))]))
}

pub(super) fn arg_reduce_jvp(p: &ArgReduce, primals: &[Array]) -> Result<Vec<Array>> {
    let shape = out_shape(primals[0].shape(), &[p.axis], p.keepdims);
    Ok(vec![ops::zeros(&shape, Dtype::Uint32, None)?])
}

pub(super) fn arg_reduce_vmap(
    p: &ArgReduce,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let (axis, out_ax) = match axes[0] {
        None => (p.axis, None),
        Some(b) => {
            let a = shift_axes(&[p.axis], b)[0];
            (a, Some(batch_axis_after(b, &[a], p.keepdims)))
        }
    };
    let r = match p.op {
        ArgReduceOp::ArgMax => ops::argmax(x, Some(axis as i64), p.keepdims, None)?,
        ArgReduceOp::ArgMin => ops::argmin(x, Some(axis as i64), p.keepdims, None)?,
    };
    Ok((vec![r], vec![out_ax]))
}

pub(super) fn logsumexp_vjp(
    p: &LogSumExp,
    primals: &[Array],
    cotangents: &[Array],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    let cot = ops::reshape(&cotangents[0], &kept_shape(x.shape(), &p.axes), None)?;
    // d logsumexp / dx = softmax(x) over the reduced axes (MLX uses the
    // precise softmax, which stays finite where exp(x - out) may not).
    let sm = ops::softmax(x, Some(&ax64(&p.axes)), true, None)?;
    Ok(vec![ops::multiply(&cot, &conj(&sm)?, None)?])
}

pub(super) fn logsumexp_jvp(
    p: &LogSumExp,
    primals: &[Array],
    tangents: &[Array],
) -> Result<Vec<Array>> {
    let axes = ax64(&p.axes);
    let sm = ops::softmax(&primals[0], Some(&axes), true, None)?;
    let d = ops::multiply(&tangents[0], &sm, None)?;
    Ok(vec![ops::sum(&d, Some(&axes), p.keepdims, None)?])
}

pub(super) fn logsumexp_vmap(
    p: &LogSumExp,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let (ax, out_ax) = match axes[0] {
        None => (p.axes.clone(), None),
        Some(b) => {
            let ax = shift_axes(&p.axes, b);
            let o = batch_axis_after(b, &ax, p.keepdims);
            (ax, Some(o))
        }
    };
    let r = ops::logsumexp(x, Some(&ax64(&ax)), p.keepdims, None)?;
    Ok((vec![r], vec![out_ax]))
}

/// `s * v - s * sum(s * v)` over the last axis: the softmax Jacobian (which
/// is symmetric) applied to `v`; with `s` conjugated, its adjoint.
fn softmax_jacobian_times(s: &Array, v: &Array) -> Result<Array> {
    let sv = ops::multiply(s, v, None)?;
    let total = ops::sum(&sv, Some(&[-1]), true, None)?;
    ops::subtract(&sv, &ops::multiply(s, &total, None)?, None)
}

pub(super) fn softmax_vjp(cotangents: &[Array], outputs: &[Array]) -> Result<Vec<Array>> {
    Ok(vec![softmax_jacobian_times(
        &conj(&outputs[0])?,
        &cotangents[0],
    )?])
}

pub(super) fn softmax_jvp(
    p: &Softmax,
    primals: &[Array],
    tangents: &[Array],
) -> Result<Vec<Array>> {
    let s = ops::softmax(&primals[0], Some(&[-1]), p.precise, None)?;
    Ok(vec![softmax_jacobian_times(&s, &tangents[0])?])
}

pub(super) fn softmax_vmap(
    p: &Softmax,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let mut x = inputs[0].clone();
    let mut b = axes[0];
    // The primitive works on the last axis: a batch axis there moves to
    // the front; anywhere else it is left in place.
    if b == Some(x.ndim() - 1) {
        x = ops::moveaxis(&x, -1, 0, None)?;
        b = Some(0);
    }
    let r = ops::softmax(&x, Some(&[-1]), p.precise, None)?;
    Ok((vec![r], vec![b]))
}
