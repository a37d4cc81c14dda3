//! Transformation rules (vjp, jvp, vmap) of the ternary family
//! ([`Select`], [`IsClose`], [`AllPairs`], [`NanToNum`]), following MLX's
//! `primitives.cpp` (MLX's `nan_to_num` is a composite of `where`s; its
//! derivative is reproduced here).
//!
//! A `Select` node's operands are not broadcast to each other (the kernel
//! broadcasts), so cotangents are summed back to each operand's shape as
//! in `binary_grad.rs`. The bool condition and the bool results of the
//! comparisons carry no derivative: zero cotangents and tangents.

use super::binary_grad::{align_batched, unbroadcast};
use super::ternary::{AllPairs, IsClose, NanToNum};
use super::view_grad::zero_of;
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::ops;

/// Zero cotangents for the inputs listed in `argnums`.
fn zero_cotangents(primals: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
    argnums
        .iter()
        .map(|&i| ops::zeros_like(&primals[i], None, None))
        .collect()
}

/// The broadcast shape of all `inputs`.
fn out_shape(inputs: &[Array]) -> Result<Vec<i64>> {
    let shapes: Vec<Vec<i64>> = inputs.iter().map(|x| x.shape().to_vec()).collect();
    ops::broadcast_shapes_list(&shapes)
}

// ---------------------------------------------------------------- select

/// `x` gets the cotangent where the condition holds, `y` elsewhere.
pub(super) fn select_vjp(primals: &[Array], cot: &Array, argnums: &[usize]) -> Result<Vec<Array>> {
    let c = &primals[0];
    let zero = zero_of(cot)?;
    argnums
        .iter()
        .map(|&i| match i {
            0 => ops::zeros_like(c, None, None),
            1 => unbroadcast(&ops::where_(c, cot, &zero, None)?, primals[1].shape()),
            _ => unbroadcast(&ops::where_(c, &zero, cot, None)?, primals[2].shape()),
        })
        .collect()
}

/// `where(c, tx, ty)`, a missing tangent being zero.
pub(super) fn select_jvp(
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let shape = out_shape(primals)?;
    let tan = |i: usize| -> Result<Array> {
        match argnums.iter().position(|&a| a == i) {
            Some(k) => Ok(tangents[k].clone()),
            None => zero_of(&primals[1]),
        }
    };
    let t = ops::where_(&primals[0], &tan(1)?, &tan(2)?, None)?;
    Ok(vec![ops::broadcast_to(&t, &shape, None)?])
}

pub(super) fn select_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let (x, ax) = align_batched(inputs, axes)?;
    Ok((vec![ops::where_(&x[0], &x[1], &x[2], None)?], vec![ax]))
}

// ----------------------------------------------- isclose and all-pairs

/// Bool results: zero cotangents.
pub(super) fn predicate_vjp(primals: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
    zero_cotangents(primals, argnums)
}

/// Bool results: a zero tangent of the output's shape.
pub(super) fn isclose_jvp(primals: &[Array]) -> Result<Vec<Array>> {
    Ok(vec![ops::zeros(&out_shape(primals)?, Dtype::Bool, None)?])
}

pub(super) fn isclose_vmap(
    p: &IsClose,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let (x, ax) = align_batched(inputs, axes)?;
    let r = ops::isclose(&x[0], &x[1], p.rtol, p.atol, p.equal_nan, None)?;
    Ok((vec![r], vec![ax]))
}

/// A 0-d bool result: a zero tangent.
pub(super) fn all_pairs_jvp() -> Result<Vec<Array>> {
    Ok(vec![ops::zeros(&[], Dtype::Bool, None)?])
}

/// Per batch element: the elementwise predicate reduced with `all` over
/// every axis but the batch axis.
pub(super) fn all_pairs_vmap(
    p: &AllPairs,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let (x, ax) = align_batched(inputs, axes)?;
    let (a, b) = (&x[0], &x[1]);
    let Some(ax) = ax else {
        let r = match *p {
            AllPairs::Close {
                rtol,
                atol,
                equal_nan,
            } => ops::allclose(a, b, rtol, atol, equal_nan, None)?,
            AllPairs::Equal { equal_nan } => ops::array_equal(a, b, equal_nan, None)?,
        };
        return Ok((vec![r], vec![None]));
    };
    let elem = match *p {
        AllPairs::Close {
            rtol,
            atol,
            equal_nan,
        } => ops::isclose(a, b, rtol, atol, equal_nan, None)?,
        AllPairs::Equal { equal_nan } => {
            let eq = ops::equal(a, b, None)?;
            if equal_nan {
                let both = ops::logical_and(&ops::isnan(a, None)?, &ops::isnan(b, None)?, None)?;
                ops::logical_or(&eq, &both, None)?
            } else {
                eq
            }
        }
    };
    let rest: Vec<i64> = (0..elem.ndim() as i64)
        .filter(|&i| i != ax as i64)
        .collect();
    let r = ops::all(&elem, Some(&rest), false, None)?;
    Ok((vec![r], vec![Some(0)]))
}

// ------------------------------------------------------------ nan_to_num

/// Where `nan_to_num` keeps its input (the replaced NaN and +-inf get the
/// constant replacements, whose derivative is zero). The predicates follow
/// the kernel, complex included.
fn kept(x: &Array) -> Result<Array> {
    let replaced = ops::logical_or(
        &ops::isnan(x, None)?,
        &ops::logical_or(&ops::isposinf(x, None)?, &ops::isneginf(x, None)?, None)?,
        None,
    )?;
    ops::logical_not(&replaced, None)
}

pub(super) fn nan_to_num_vjp(primals: &[Array], cot: &Array, _: &[usize]) -> Result<Vec<Array>> {
    Ok(vec![ops::where_(
        &kept(&primals[0])?,
        cot,
        &zero_of(cot)?,
        None,
    )?])
}

pub(super) fn nan_to_num_jvp(primals: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::where_(
        &kept(&primals[0])?,
        t,
        &zero_of(t)?,
        None,
    )?])
}

pub(super) fn nan_to_num_vmap(
    p: &NanToNum,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let r = ops::nan_to_num(&inputs[0], p.nan, Some(p.posinf), Some(p.neginf), None)?;
    Ok((vec![r], vec![axes[0]]))
}
