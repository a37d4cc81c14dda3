//! Transformation rules (vjp, jvp, vmap) of the sort family.
//!
//! `sort` and `partition` permute their input along one axis, so their
//! jvp gathers the tangent through the permutation (`take_along_axis` with
//! the indices of the same sort / partition) and their vjp scatters the
//! cotangent back through it (`put_along_axis`). The partition's
//! permutation comes from an [`ArgPartition`] that treats equal values as
//! equivalent, exactly as [`Partition`] does, so it is the permutation the
//! forward pass applied even with ties (MLX's rule uses `argpartition`,
//! whose tie order may differ). Index outputs (`argsort`, `argpartition`,
//! `searchsorted`) are not differentiable: zero cotangents, zero uint32
//! tangents. Integer inputs are not differentiable either. Every rule
//! builds public lazy ops, so rules nest and batch.
//!
//! [`ArgPartition`]: super::sort::ArgPartition
//! [`Partition`]: super::sort::Partition

pub(super) use super::reduce_grad::zero_cotangents;
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::ops;

/// The permutation a sort (`kth: None`) or a partition around `kth` applies
/// to `x` along `axis`.
fn permutation(x: &Array, axis: usize, kth: Option<usize>) -> Result<Array> {
    match kth {
        None => ops::argsort(x, Some(axis as i64), None),
        Some(k) => ops::argpartition_impl(x, k, axis, false, None),
    }
}

/// vjp of a sort / partition: the cotangent scattered back through the
/// permutation.
pub(super) fn sort_vjp(
    axis: usize,
    kth: Option<usize>,
    primals: &[Array],
    cotangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    if !x.dtype().is_inexact() {
        return zero_cotangents(primals, argnums);
    }
    let idx = permutation(x, axis, kth)?;
    let c = &cotangents[0];
    let zeros = ops::zeros_like(c, None, None)?;
    Ok(vec![ops::put_along_axis(
        &zeros,
        &idx,
        c,
        Some(axis as i64),
        None,
    )?])
}

/// jvp of a sort / partition: the tangent gathered through the permutation.
pub(super) fn sort_jvp(
    axis: usize,
    kth: Option<usize>,
    primals: &[Array],
    tangents: &[Array],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    if !x.dtype().is_inexact() {
        return Ok(vec![ops::zeros_like(x, None, None)?]);
    }
    let idx = permutation(x, axis, kth)?;
    Ok(vec![ops::take_along_axis(
        &tangents[0],
        &idx,
        Some(axis as i64),
        None,
    )?])
}

/// The zero tangent of an index output shaped like `x`.
pub(super) fn index_tangent(x: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::zeros(x.shape(), Dtype::Uint32, None)?])
}

/// vmap of a one-input op along `axis`: the same op one axis further when
/// the batch axis comes first; the output keeps the input's batch axis.
pub(super) fn along_axis_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
    axis: usize,
    op: impl Fn(&Array, usize) -> Result<Array>,
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let ax = match axes[0] {
        Some(b) if b <= axis => axis + 1,
        _ => axis,
    };
    Ok((vec![op(&inputs[0], ax)?], vec![axes[0]]))
}

/// vmap of `searchsorted`: only the values may be batched (MLX's rule).
pub(super) fn searchsorted_vmap(
    right: bool,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    if axes[0].is_some() {
        return Err(Error::value(
            "[searchsorted] Cannot vmap over the sorted sequence, only over the values being searched for.",
        ));
    }
    let side = if right { "right" } else { "left" };
    let r = ops::searchsorted(&inputs[0], &inputs[1], side, None)?;
    Ok((vec![r], vec![axes[1]]))
}
