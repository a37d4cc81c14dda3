//! Transformation rules (vjp, jvp, vmap) of the view primitives
//! ([`Broadcast`], [`Reshape`], [`Transpose`], [`Slice`], [`Contiguous`],
//! [`AsStrided`]),
//! following MLX's `primitives.cpp`.
//!
//! The views are linear in their input, so the tangent goes through the
//! same view and the cotangent through its adjoint: a sum for a broadcast,
//! the inverse reshape / permutation, and for a slice the scatter of the
//! cotangent into zeros. rmlx has no `slice_update`, so that scatter is
//! built from `pad` (zero fill) and reshapes. Every rule builds public lazy
//! ops, so the rules are themselves differentiable and batchable. Integer
//! and bool values go through the same linear maps (as MLX).

use super::binary_grad::unbroadcast;
use super::view::{AsStrided, Broadcast, Reshape, Slice, Transpose};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::ops;
use crate::primitives::shape::PadMode;

/// `x` with its batch axis `ax` moved to the front.
pub(super) fn batch_first(x: &Array, ax: usize) -> Result<Array> {
    if ax == 0 {
        Ok(x.clone())
    } else {
        ops::moveaxis(x, ax as i64, 0, None)
    }
}

/// A 0-d zero of `x`'s dtype (the fill of the scatters).
pub(super) fn zero_of(x: &Array) -> Result<Array> {
    ops::zeros(&[], x.dtype(), None)
}

/// `axes` as the `i64` list the public ops take.
pub(super) fn i64s(axes: &[usize]) -> Vec<i64> {
    axes.iter().map(|&a| a as i64).collect()
}

// ------------------------------------------------------------- broadcast

/// The cotangent of a broadcast sums over the broadcast axes.
pub(super) fn broadcast_vjp(
    _: &Broadcast,
    primals: &[Array],
    cot: &Array,
    _: &[usize],
) -> Result<Vec<Array>> {
    Ok(vec![unbroadcast(cot, primals[0].shape())?])
}

pub(super) fn broadcast_jvp(p: &Broadcast, _: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::broadcast_to(t, &p.shape, None)?])
}

/// The batch axis stays where it is once the input is left-padded to the
/// output's rank: the padded input then broadcasts against the output
/// shape with the batch size inserted at that position (no transpose).
pub(super) fn broadcast_vmap(
    p: &Broadcast,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let Some(b) = axes[0] else {
        return Ok((vec![ops::broadcast_to(x, &p.shape, None)?], vec![None]));
    };
    let lead = p.shape.len() + 1 - x.ndim();
    let mut padded = vec![1i64; lead];
    padded.extend_from_slice(x.shape());
    let x = ops::reshape(x, &padded, None)?;
    let to = b + lead;
    let mut shape = p.shape.clone();
    shape.insert(to, x.shape()[to]);
    Ok((vec![ops::broadcast_to(&x, &shape, None)?], vec![Some(to)]))
}

// --------------------------------------------------------------- reshape

pub(super) fn reshape_vjp(
    _: &Reshape,
    primals: &[Array],
    cot: &Array,
    _: &[usize],
) -> Result<Vec<Array>> {
    Ok(vec![ops::reshape(cot, primals[0].shape(), None)?])
}

pub(super) fn reshape_jvp(p: &Reshape, _: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::reshape(t, &p.shape, None)?])
}

/// A reshape mixes axes, so the batch axis goes to the front first.
pub(super) fn reshape_vmap(
    p: &Reshape,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let Some(b) = axes[0] else {
        return Ok((vec![ops::reshape(&inputs[0], &p.shape, None)?], vec![None]));
    };
    let x = batch_first(&inputs[0], b)?;
    let mut shape = vec![x.shape()[0]];
    shape.extend_from_slice(&p.shape);
    Ok((vec![ops::reshape(&x, &shape, None)?], vec![Some(0)]))
}

// ------------------------------------------------------------- transpose

pub(super) fn transpose_vjp(
    p: &Transpose,
    _: &[Array],
    cot: &Array,
    _: &[usize],
) -> Result<Vec<Array>> {
    let mut inv = vec![0i64; p.0.len()];
    for (i, &q) in p.0.iter().enumerate() {
        inv[q] = i as i64;
    }
    Ok(vec![ops::transpose(cot, Some(&inv), None)?])
}

pub(super) fn transpose_jvp(p: &Transpose, _: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::transpose(t, Some(&i64s(&p.0)), None)?])
}

/// One permutation that also brings the batch axis to the front.
pub(super) fn transpose_vmap(
    p: &Transpose,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let Some(b) = axes[0] else {
        return Ok((
            vec![ops::transpose(x, Some(&i64s(&p.0)), None)?],
            vec![None],
        ));
    };
    let mut perm = vec![b as i64];
    perm.extend(p.0.iter().map(|&q| (q + usize::from(q >= b)) as i64));
    Ok((vec![ops::transpose(x, Some(&perm), None)?], vec![Some(0)]))
}

// ----------------------------------------------------------------- slice

/// Scatters `g` (the slice's output) into zeros of `shape` at the slice's
/// positions: flip the negative-step axes, space the elements `|step|`
/// apart (interleave zeros by padding a size-1 axis after each axis, then
/// merge), and pad the result to the input's extent. MLX uses
/// `slice_update(zeros, g, ...)`; the values are the same.
fn slice_scatter(p: &Slice, g: &Array, shape: &[i64]) -> Result<Array> {
    let nd = shape.len();
    if p.count.contains(&0) {
        return ops::zeros(shape, g.dtype(), None);
    }
    let mut g = g.clone();
    if p.step.iter().any(|&k| k < 0) {
        let start: Vec<i64> = (0..nd)
            .map(|i| if p.step[i] < 0 { p.count[i] - 1 } else { 0 })
            .collect();
        let step: Vec<i64> = (0..nd)
            .map(|i| if p.step[i] < 0 { -1 } else { 1 })
            .collect();
        g = ops::slice_strided(&g, &start, &step, &p.count, None)?;
    }
    let span: Vec<i64> = (0..nd)
        .map(|i| (p.count[i] - 1) * p.step[i].abs() + 1)
        .collect();
    if p.step.iter().any(|&k| k.abs() > 1) {
        let split: Vec<i64> = p.count.iter().flat_map(|&c| [c, 1]).collect();
        let widths: Vec<(i64, i64)> = p
            .step
            .iter()
            .flat_map(|&k| [(0, 0), (0, k.abs() - 1)])
            .collect();
        let merged: Vec<i64> = (0..nd).map(|i| p.count[i] * p.step[i].abs()).collect();
        g = ops::reshape(&g, &split, None)?;
        g = ops::pad(&g, &widths, PadMode::Constant, &zero_of(&g)?, None)?;
        g = ops::reshape(&g, &merged, None)?;
        g = ops::slice_strided(&g, &vec![0; nd], &vec![1; nd], &span, None)?;
    }
    // The lowest input index the slice touches on each axis.
    let widths: Vec<(i64, i64)> = (0..nd)
        .map(|i| {
            let lo = if p.step[i] < 0 {
                p.start[i] + (p.count[i] - 1) * p.step[i]
            } else {
                p.start[i]
            };
            (lo, shape[i] - lo - span[i])
        })
        .collect();
    ops::pad(&g, &widths, PadMode::Constant, &zero_of(&g)?, None)
}

pub(super) fn slice_vjp(
    p: &Slice,
    primals: &[Array],
    cot: &Array,
    _: &[usize],
) -> Result<Vec<Array>> {
    Ok(vec![slice_scatter(p, cot, primals[0].shape())?])
}

pub(super) fn slice_jvp(p: &Slice, _: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::slice_strided(
        t, &p.start, &p.step, &p.count, None,
    )?])
}

/// The batch axis is taken whole where it is.
pub(super) fn slice_vmap(
    p: &Slice,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let Some(b) = axes[0] else {
        return Ok((vec![slice_jvp(p, &[], x)?.remove(0)], vec![None]));
    };
    let (mut start, mut step, mut count) = (p.start.clone(), p.step.clone(), p.count.clone());
    start.insert(b, 0);
    step.insert(b, 1);
    count.insert(b, x.shape()[b]);
    Ok((
        vec![ops::slice_strided(x, &start, &step, &count, None)?],
        vec![Some(b)],
    ))
}

// ------------------------------------------------------------ contiguous

/// A copy: the identity for derivatives.
pub(super) fn contiguous_vjp(_: &[Array], cot: &Array, _: &[usize]) -> Result<Vec<Array>> {
    Ok(vec![cot.clone()])
}

pub(super) fn contiguous_jvp(_: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![t.clone()])
}

pub(super) fn contiguous_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    Ok((
        vec![ops::contiguous(&inputs[0], false, None)?],
        vec![axes[0]],
    ))
}

// ------------------------------------------------------------ as_strided

/// MLX's rule: the input positions each output element reads are
/// `as_strided(arange(n))`; the cotangent is scatter-added onto zeros
/// through them (elements read several times accumulate).
pub(super) fn as_strided_vjp(
    p: &AsStrided,
    primals: &[Array],
    cot: &Array,
    _: &[usize],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    let n = x.size() as i64;
    let m = cot.size() as i64;
    if m == 0 {
        return Ok(vec![ops::zeros_like(x, None, None)?]);
    }
    let grad = ops::zeros(&[n], x.dtype(), None)?;
    let idx = ops::arange(0.0, n as f64, 1.0, Dtype::Int32, None)?;
    let idx = ops::as_strided(&idx, &p.shape, &p.strides, p.offset, None)?;
    let idx = ops::reshape(&idx, &[m], None)?;
    let upd = ops::reshape(cot, &[m, 1], None)?;
    let grad = ops::scatter_add(&grad, &[idx], &upd, &[0], None)?;
    Ok(vec![ops::reshape(&grad, x.shape(), None)?])
}

pub(super) fn as_strided_jvp(p: &AsStrided, _: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::as_strided(
        t, &p.shape, &p.strides, p.offset, None,
    )?])
}

/// Exact batching: with the batch axis first and each batch element's
/// values flattened to one row of `n`, batch `b` starts `b * n` further
/// into the contiguous buffer, so the stride of the new leading axis is `n`.
pub(super) fn as_strided_vmap(
    p: &AsStrided,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let Some(b) = axes[0] else {
        return Ok((as_strided_jvp(p, &[], &inputs[0])?, vec![None]));
    };
    let x = batch_first(&inputs[0], b)?;
    let nb = x.shape()[0];
    let n: i64 = x.shape()[1..].iter().product();
    let x = ops::reshape(&x, &[nb, n], None)?;
    let mut shape = vec![nb];
    shape.extend_from_slice(&p.shape);
    let mut strides = vec![n];
    strides.extend_from_slice(&p.strides);
    Ok((
        vec![ops::as_strided(&x, &shape, &strides, p.offset, None)?],
        vec![Some(0)],
    ))
}
