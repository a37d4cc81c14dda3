//! Transformation rules (vjp, jvp, vmap) of the indexing primitives
//! ([`Gather`], [`Scatter`], [`GatherAxis`], [`ScatterAxis`],
//! [`SliceUpdate`]), following MLX's `primitives.cpp` where MLX has a rule.
//!
//! Gathers are linear in the gathered array: the tangent is gathered the
//! same way and the cotangent scatter-added back. Index arrays are not
//! differentiable: their cotangents are zeros and their tangents are
//! ignored (MLX raises for a tangent of the indices). Beyond MLX: an
//! overwritten duplicate update gets no cotangent (MLX gives every
//! duplicate the cotangent of the position), `scatter_prod` has a vjp (computed without dividing by zero updates) and
//! every scatter has a jvp, each the transpose of its vjp, so forward and
//! reverse mode agree. Batching moves the batch axis to the front and
//! indexes it with an `arange`, so duplicate indices stay within one batch
//! element. Every rule builds public lazy ops, so rules nest.

use super::indexing::{Gather, GatherAxis, Scatter, ScatterAxis, ScatterReduce, SliceUpdate};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::ops;

fn i64s(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&x| x as i64).collect()
}

fn zeros_like(x: &Array) -> Result<Array> {
    ops::zeros_like(x, None, None)
}

/// `x` with its batch axis `b` moved to the front.
fn front(x: &Array, b: usize) -> Result<Array> {
    if b == 0 {
        Ok(x.clone())
    } else {
        ops::moveaxis(x, b as i64, 0, None)
    }
}

/// `x` with a batch axis of `n` at the front (moved there when it has one
/// at `b`, broadcast otherwise).
fn batched_front(x: &Array, b: Option<usize>, n: i64) -> Result<Array> {
    match b {
        Some(b) => front(x, b),
        None => {
            let mut shape = vec![n];
            shape.extend_from_slice(x.shape());
            ops::broadcast_to(&ops::expand_dims(x, &[0], None)?, &shape, None)
        }
    }
}

/// `x` with its batch axis at the front, or a size-1 axis there when it
/// has none (for operands the op broadcasts anyway).
fn lead_axis(x: &Array, b: Option<usize>) -> Result<Array> {
    match b {
        Some(b) => front(x, b),
        None => ops::expand_dims(x, &[0], None),
    }
}

/// The batch size of the first batched input.
fn batch_size(inputs: &[Array], axes: &[Option<usize>]) -> i64 {
    inputs
        .iter()
        .zip(axes)
        .find_map(|(x, b)| b.map(|b| x.shape()[b]))
        .unwrap_or(1)
}

/// `arange(n)` shaped to broadcast along the front of `ndim` axes.
fn batch_index(n: i64, ndim: usize) -> Result<Array> {
    let r = ops::arange(0.0, n as f64, 1.0, Dtype::Int32, None)?;
    let mut shape = vec![1i64; ndim.max(1)];
    shape[0] = n;
    ops::reshape(&r, &shape, None)
}

/// The tangent of input `i` if it is among the active ones.
fn tangent_of(i: usize, tangents: &[Array], argnums: &[usize]) -> Option<Array> {
    argnums
        .iter()
        .position(|&a| a == i)
        .map(|k| tangents[k].clone())
}

/// The tangent of input `i`, or zeros of its shape when it is not active.
fn tangent_or_zeros(
    i: usize,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Array> {
    match tangent_of(i, tangents, argnums) {
        Some(t) => Ok(t),
        None => zeros_like(&primals[i]),
    }
}

/// Cotangents of a gather: `of_operand()` for the gathered array (input
/// 0), zeros for the index inputs, which are not differentiable.
fn gather_cotangents(
    primals: &[Array],
    argnums: &[usize],
    of_operand: impl Fn() -> Result<Array>,
) -> Result<Vec<Array>> {
    argnums
        .iter()
        .map(|&i| {
            if i == 0 {
                of_operand()
            } else {
                zeros_like(&primals[i])
            }
        })
        .collect()
}

// ---------------------------------------------------------------- gather

pub(super) fn gather_vjp(
    p: &Gather,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    gather_cotangents(primals, argnums, || {
        ops::scatter_add(
            &zeros_like(&primals[0])?,
            &primals[1..],
            cot,
            &i64s(&p.axes),
            None,
        )
    })
}

pub(super) fn gather_jvp(
    p: &Gather,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let out = match tangent_of(0, tangents, argnums) {
        Some(t) => ops::gather(&t, &primals[1..], &i64s(&p.axes), &p.slice_sizes, None)?,
        None => zeros_like(&ops::gather(
            &primals[0],
            &primals[1..],
            &i64s(&p.axes),
            &p.slice_sizes,
            None,
        )?)?,
    };
    Ok(vec![out])
}

/// Batched indices go to the front (unbatched ones get a size-1 axis
/// there); a batched source is indexed along its batch axis by an arange.
/// With only the source batched, its batch axis is taken whole.
pub(super) fn gather_vmap(
    p: &Gather,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let src = &inputs[0];
    let idx_batched = axes[1..].iter().any(Option::is_some);
    let ax = i64s(&p.axes);
    if !idx_batched {
        let Some(b) = axes[0] else {
            let out = ops::gather(src, &inputs[1..], &ax, &p.slice_sizes, None)?;
            return Ok((vec![out], vec![None]));
        };
        let gax: Vec<i64> = p
            .axes
            .iter()
            .map(|&a| (a + usize::from(a >= b)) as i64)
            .collect();
        let mut sizes = p.slice_sizes.clone();
        sizes.insert(b, src.shape()[b]);
        let out = ops::gather(src, &inputs[1..], &gax, &sizes, None)?;
        let idx_nd = out.ndim() - sizes.len();
        return Ok((vec![out], vec![Some(idx_nd + b)]));
    }
    let mut idx = inputs[1..]
        .iter()
        .zip(&axes[1..])
        .map(|(x, b)| lead_axis(x, *b))
        .collect::<Result<Vec<_>>>()?;
    let idx_nd = idx.iter().map(Array::ndim).max().unwrap_or(1);
    let Some(b) = axes[0] else {
        let out = ops::gather(src, &idx, &ax, &p.slice_sizes, None)?;
        return Ok((vec![out], vec![Some(0)]));
    };
    let n = src.shape()[b];
    let src = front(src, b)?;
    let mut gax: Vec<i64> = p.axes.iter().map(|&a| a as i64 + 1).collect();
    gax.push(0);
    idx.push(batch_index(n, idx_nd)?);
    let mut sizes = vec![1i64];
    sizes.extend_from_slice(&p.slice_sizes);
    let out = ops::gather(&src, &idx, &gax, &sizes, None)?;
    let out = ops::squeeze(&out, Some(&[idx_nd as i64]), None)?;
    Ok((vec![out], vec![Some(0)]))
}

// --------------------------------------------------------------- scatter

/// The slice shape of a scatter's updates (their trailing axes).
fn update_slice(a: &Array, upd: &Array) -> Vec<i64> {
    upd.shape()[upd.ndim() - a.ndim()..].to_vec()
}

/// `x` as `dt` (a no-op when it already is).
fn cast(x: &Array, dt: Dtype) -> Result<Array> {
    ops::astype(x, dt, None)
}

/// Pieces of the `scatter_prod` derivatives: the product `P` of the
/// updates landing on each position, and `D_k`, the derivative of the
/// output at update `k`'s position with respect to update `k` (computed
/// from the product of the non-zero updates and the count of zero ones,
/// so zero updates need no division).
fn prod_parts(p: &Scatter, primals: &[Array]) -> Result<(Array, Array)> {
    let a = &primals[0];
    let u = &primals[primals.len() - 1];
    let idx = &primals[1..primals.len() - 1];
    let ax = i64s(&p.axes);
    let dt = a.dtype();
    let one = Array::from_scalar(crate::Scalar::Int(1), dt)?;
    let ones = ops::ones_like(a, None, None)?;
    let prod = ops::scatter_prod(&ones, idx, u, &ax, None)?;
    let is_zero = ops::equal(u, &ops::zeros(&[], dt, None)?, None)?;
    let nz = ops::where_(&is_zero, &one, u, None)?;
    let nz_prod = ops::scatter_prod(&ones, idx, &nz, &ax, None)?;
    let zeros_at = ops::scatter_add(&zeros_like(a)?, idx, &cast(&is_zero, dt)?, &ax, None)?;
    let sizes = update_slice(a, u);
    let g = |x: &Array| ops::gather(x, idx, &ax, &sizes, None);
    let base = g(&ops::multiply(a, &nz_prod, None)?)?;
    let z = g(&zeros_at)?;
    let zero = ops::zeros(&[], dt, None)?;
    let if_zero = cast(&ops::equal(&z, &one, None)?, dt)?;
    let if_nonzero = ops::divide(&cast(&ops::equal(&z, &zero, None)?, dt)?, &nz, None)?;
    let d = ops::multiply(
        &base,
        &ops::where_(&is_zero, &if_zero, &if_nonzero, None)?,
        None,
    )?;
    Ok((prod, cast(&d, dt)?))
}

/// Which updates of an overwriting scatter survive (with duplicate
/// indices only the last write does): each update position scatters its
/// own id, and an update wins where its id is what was written.
fn scatter_winners(p: &Scatter, primals: &[Array]) -> Result<Array> {
    let a = &primals[0];
    let last = primals.len() - 1;
    let u = &primals[last];
    let idx = &primals[1..last];
    let ax = i64s(&p.axes);
    let idx_nd = u.ndim() - a.ndim();
    let n: i64 = u.shape()[..idx_nd].iter().product();
    let mut id_shape = u.shape()[..idx_nd].to_vec();
    id_shape.resize(u.ndim(), 1);
    let ids = ops::reshape(
        &ops::arange(0.0, n as f64, 1.0, Dtype::Int32, None)?,
        &id_shape,
        None,
    )?;
    let ids = ops::broadcast_to(&ids, u.shape(), None)?;
    let none = ops::full_scalar(a.shape(), crate::Scalar::Int(-1), Dtype::Int32, None)?;
    let written = ops::scatter(&none, idx, &ids, &ax, None)?;
    let sizes = update_slice(a, u);
    ops::equal(&ops::gather(&written, idx, &ax, &sizes, None)?, &ids, None)
}

pub(super) fn scatter_vjp(
    p: &Scatter,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
    result: &Array,
) -> Result<Vec<Array>> {
    let a = &primals[0];
    let last = primals.len() - 1;
    let u = &primals[last];
    let idx = &primals[1..last];
    let ax = i64s(&p.axes);
    let sizes = update_slice(a, u);
    let g = |x: &Array| ops::gather(x, idx, &ax, &sizes, None);
    let prod = if p.reduce == ScatterReduce::Prod {
        Some(prod_parts(p, primals)?)
    } else {
        None
    };
    argnums
        .iter()
        .map(|&i| {
            if i == 0 {
                match p.reduce {
                    ScatterReduce::None => ops::scatter(cot, idx, &zeros_like(u)?, &ax, None),
                    ScatterReduce::Sum => Ok(cot.clone()),
                    ScatterReduce::Max | ScatterReduce::Min => {
                        let mask = cast(&ops::equal(result, a, None)?, cot.dtype())?;
                        ops::multiply(cot, &mask, None)
                    }
                    ScatterReduce::Prod => {
                        ops::multiply(cot, &prod.as_ref().expect("prod parts").0, None)
                    }
                }
            } else if i == last {
                let gc = g(cot)?;
                match p.reduce {
                    ScatterReduce::None => {
                        let won = cast(&scatter_winners(p, primals)?, gc.dtype())?;
                        ops::multiply(&gc, &won, None)
                    }
                    ScatterReduce::Sum => Ok(gc),
                    ScatterReduce::Max | ScatterReduce::Min => {
                        let mask = cast(&ops::equal(&g(result)?, u, None)?, gc.dtype())?;
                        ops::multiply(&gc, &mask, None)
                    }
                    ScatterReduce::Prod => {
                        ops::multiply(&gc, &prod.as_ref().expect("prod parts").1, None)
                    }
                }
            } else {
                zeros_like(&primals[i])
            }
        })
        .collect()
}

/// The transpose of the vjp: for overwrites and sums the scatter of the
/// tangents themselves; for max / min the tangent of whichever value won;
/// for products `t_a * P + scatter_add(t_u * D)`.
pub(super) fn scatter_jvp(
    p: &Scatter,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let a = &primals[0];
    let last = primals.len() - 1;
    let u = &primals[last];
    let idx = &primals[1..last];
    let ax = i64s(&p.axes);
    let ta = tangent_or_zeros(0, primals, tangents, argnums)?;
    let tu = tangent_or_zeros(last, primals, tangents, argnums)?;
    let out = match p.reduce {
        ScatterReduce::None => ops::scatter(&ta, idx, &tu, &ax, None)?,
        ScatterReduce::Sum => ops::scatter_add(&ta, idx, &tu, &ax, None)?,
        ScatterReduce::Max | ScatterReduce::Min => {
            let result = ops::scatter_op(p.reduce, a, idx, u, &ax, None)?;
            let sizes = update_slice(a, u);
            let won = ops::equal(&ops::gather(&result, idx, &ax, &sizes, None)?, u, None)?;
            let tu = ops::multiply(&tu, &cast(&won, tu.dtype())?, None)?;
            let ta = ops::multiply(
                &ta,
                &cast(&ops::equal(&result, a, None)?, ta.dtype())?,
                None,
            )?;
            ops::scatter_add(&ta, idx, &tu, &ax, None)?
        }
        ScatterReduce::Prod => {
            let (prod, d) = prod_parts(p, primals)?;
            let ta = ops::multiply(&ta, &prod, None)?;
            ops::scatter_add(&ta, idx, &ops::multiply(&tu, &d, None)?, &ax, None)?
        }
    };
    Ok(vec![out])
}

/// Everything goes batch-first: the array (broadcast when unbatched), the
/// indices (plus an arange over the batch axis) and the updates (with a
/// size-1 slice extent for the new axis).
pub(super) fn scatter_vmap(
    p: &Scatter,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let last = inputs.len() - 1;
    if axes.iter().all(Option::is_none) {
        let out = ops::scatter_op(
            p.reduce,
            &inputs[0],
            &inputs[1..last],
            &inputs[last],
            &i64s(&p.axes),
            None,
        )?;
        return Ok((vec![out], vec![None]));
    }
    let n = batch_size(inputs, axes);
    let a = batched_front(&inputs[0], axes[0], n)?;
    let nd = inputs[0].ndim() - usize::from(axes[0].is_some());
    let u0 = &inputs[last];
    let idx_nd = u0.ndim() - usize::from(axes[last].is_some()) - nd;
    let mut idx = inputs[1..last]
        .iter()
        .zip(&axes[1..last])
        .map(|(x, b)| lead_axis(x, *b))
        .collect::<Result<Vec<_>>>()?;
    idx.push(batch_index(n, idx_nd + 1)?);
    let u = batched_front(u0, axes[last], n)?;
    let mut ushape = u.shape().to_vec();
    ushape.insert(1 + idx_nd, 1);
    let u = ops::reshape(&u, &ushape, None)?;
    let mut sax: Vec<i64> = p.axes.iter().map(|&x| x as i64 + 1).collect();
    sax.push(0);
    let out = ops::scatter_op(p.reduce, &a, &idx, &u, &sax, None)?;
    Ok((vec![out], vec![Some(0)]))
}

// ----------------------------------------------------- take_along_axis

pub(super) fn gather_axis_vjp(
    p: &GatherAxis,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    gather_cotangents(primals, argnums, || {
        ops::scatter_add_axis(
            &zeros_like(&primals[0])?,
            &primals[1],
            cot,
            p.axis as i64,
            None,
        )
    })
}

pub(super) fn gather_axis_jvp(
    p: &GatherAxis,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let t = tangent_or_zeros(0, primals, tangents, argnums)?;
    Ok(vec![ops::take_along_axis(
        &t,
        &primals[1],
        Some(p.axis as i64),
        None,
    )?])
}

pub(super) fn gather_axis_vmap(
    p: &GatherAxis,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    if axes.iter().all(Option::is_none) {
        let out = ops::take_along_axis(&inputs[0], &inputs[1], Some(p.axis as i64), None)?;
        return Ok((vec![out], vec![None]));
    }
    let a = lead_axis(&inputs[0], axes[0])?;
    let idx = lead_axis(&inputs[1], axes[1])?;
    let out = ops::take_along_axis(&a, &idx, Some(p.axis as i64 + 1), None)?;
    Ok((vec![out], vec![Some(0)]))
}

// ------------------------------------------ put_along_axis / scatter_add

fn scatter_axis(
    reduce: ScatterReduce,
    a: &Array,
    idx: &Array,
    v: &Array,
    axis: i64,
) -> Result<Array> {
    if reduce == ScatterReduce::None {
        ops::put_along_axis(a, idx, v, Some(axis), None)
    } else {
        ops::scatter_add_axis(a, idx, v, axis, None)
    }
}

/// Which values of `put_along_axis` survive duplicate indices (the last
/// write), found as for [`scatter_winners`].
fn put_winners(p: &ScatterAxis, primals: &[Array]) -> Result<Array> {
    let (a, idx) = (&primals[0], &primals[1]);
    let ids = ops::reshape(
        &ops::arange(0.0, idx.size() as f64, 1.0, Dtype::Int32, None)?,
        idx.shape(),
        None,
    )?;
    let none = ops::full_scalar(a.shape(), crate::Scalar::Int(-1), Dtype::Int32, None)?;
    let ax = Some(p.axis as i64);
    let written = ops::put_along_axis(&none, idx, &ids, ax, None)?;
    ops::equal(&ops::take_along_axis(&written, idx, ax, None)?, &ids, None)
}

pub(super) fn scatter_axis_vjp(
    p: &ScatterAxis,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let ax = p.axis as i64;
    argnums
        .iter()
        .map(|&i| match i {
            0 if p.reduce == ScatterReduce::None => {
                ops::put_along_axis(cot, &primals[1], &zeros_like(&primals[2])?, Some(ax), None)
            }
            0 => Ok(cot.clone()),
            2 if p.reduce == ScatterReduce::None => {
                let g = ops::take_along_axis(cot, &primals[1], Some(ax), None)?;
                let won = cast(&put_winners(p, primals)?, g.dtype())?;
                ops::multiply(&g, &won, None)
            }
            2 => ops::take_along_axis(cot, &primals[1], Some(ax), None),
            _ => zeros_like(&primals[i]),
        })
        .collect()
}

pub(super) fn scatter_axis_jvp(
    p: &ScatterAxis,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let ta = tangent_or_zeros(0, primals, tangents, argnums)?;
    let tv = tangent_or_zeros(2, primals, tangents, argnums)?;
    Ok(vec![scatter_axis(
        p.reduce,
        &ta,
        &primals[1],
        &tv,
        p.axis as i64,
    )?])
}

pub(super) fn scatter_axis_vmap(
    p: &ScatterAxis,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let ax = p.axis as i64;
    if axes.iter().all(Option::is_none) {
        let out = scatter_axis(p.reduce, &inputs[0], &inputs[1], &inputs[2], ax)?;
        return Ok((vec![out], vec![None]));
    }
    let n = batch_size(inputs, axes);
    let a = batched_front(&inputs[0], axes[0], n)?;
    let idx = lead_axis(&inputs[1], axes[1])?;
    let v = lead_axis(&inputs[2], axes[2])?;
    let out = scatter_axis(p.reduce, &a, &idx, &v, ax + 1)?;
    Ok((vec![out], vec![Some(0)]))
}

// ---------------------------------------------------------- slice_update

pub(super) fn slice_update_vjp(
    p: &SliceUpdate,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    argnums
        .iter()
        .map(|&i| {
            if i == 0 {
                let z = ops::zeros(&p.count, cot.dtype(), None)?;
                ops::slice_update_strided(cot, &z, &p.start, &p.step, &p.count, None)
            } else {
                let _ = &primals[i];
                ops::slice_strided(cot, &p.start, &p.step, &p.count, None)
            }
        })
        .collect()
}

pub(super) fn slice_update_jvp(
    p: &SliceUpdate,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let ta = tangent_or_zeros(0, primals, tangents, argnums)?;
    let tu = tangent_or_zeros(1, primals, tangents, argnums)?;
    Ok(vec![ops::slice_update_strided(
        &ta, &tu, &p.start, &p.step, &p.count, None,
    )?])
}

pub(super) fn slice_update_vmap(
    p: &SliceUpdate,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    if axes.iter().all(Option::is_none) {
        let out =
            ops::slice_update_strided(&inputs[0], &inputs[1], &p.start, &p.step, &p.count, None)?;
        return Ok((vec![out], vec![None]));
    }
    let n = batch_size(inputs, axes);
    let a = batched_front(&inputs[0], axes[0], n)?;
    let u = lead_axis(&inputs[1], axes[1])?;
    let (mut start, mut step, mut count) = (p.start.clone(), p.step.clone(), p.count.clone());
    start.insert(0, 0);
    step.insert(0, 1);
    count.insert(0, n);
    let out = ops::slice_update_strided(&a, &u, &start, &step, &count, None)?;
    Ok((vec![out], vec![Some(0)]))
}
