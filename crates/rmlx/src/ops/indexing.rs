//! Indexing ops: `gather`, `take`, `take_along_axis`, `put_along_axis`,
//! `scatter_add_axis`, the scatter family (`scatter`, `scatter_add`,
//! `scatter_prod`, `scatter_max`, `scatter_min`), dynamic `slice` /
//! `slice_update` (starts given as an array) and the static strided
//! `slice_update_strided` behind Python's `a[...] = v`.
//!
//! MLX semantics, except that an out-of-range index fails evaluation with
//! an IndexError naming the index and the axis size (MLX reads or writes
//! garbage); negative indices wrap as in MLX.

use std::sync::Arc;

use super::{
    astype, broadcast_shapes, broadcast_to, fmt_shape, normalize_axis, reshape, slice_strided,
    squeeze, transpose,
};
use crate::array::{shape_size, Array};
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::indexing::{
    Gather, GatherAxis, Scatter, ScatterAxis, ScatterReduce, SliceUpdate,
};

/// Checks that `idx` holds integers (`op` names the caller).
fn check_index_dtype(op: &str, idx: &Array) -> Result<()> {
    let dt = idx.dtype();
    if dt == Dtype::Bool {
        return Err(Error::value(format!(
            "[{op}] Boolean indices are not supported; use a mask with mx.where or index with a boolean array in Python."
        )));
    }
    if !dt.is_integer() {
        return Err(Error::value(format!(
            "[{op}] Got indices with invalid dtype {dt}. Indices must be integral."
        )));
    }
    Ok(())
}

/// Normalises `axes` against `ndim` (no repeats); `op` names the caller.
fn gather_axes(op: &str, axes: &[i64], ndim: usize) -> Result<Vec<usize>> {
    let mut out = Vec::with_capacity(axes.len());
    for &ax in axes {
        let a = if ax < 0 { ax + ndim as i64 } else { ax };
        if a < 0 || a >= ndim as i64 {
            return Err(Error::value(format!(
                "[{op}] Axes don't match array dimensions: axis {ax} for an array with {ndim} dimensions."
            )));
        }
        if out.contains(&(a as usize)) {
            return Err(Error::value(format!(
                "[{op}] Repeat axes not allowed in {op}."
            )));
        }
        out.push(a as usize);
    }
    Ok(out)
}

/// Broadcasts index arrays to one shape after checking their dtypes.
fn broadcast_indices(op: &str, indices: &[Array], s: Stream) -> Result<(Vec<Array>, Vec<i64>)> {
    let mut shape: Vec<i64> = Vec::new();
    for idx in indices {
        check_index_dtype(op, idx)?;
        shape = broadcast_shapes(&shape, idx.shape())?;
    }
    let out = indices
        .iter()
        .map(|i| broadcast_to(i, &shape, Some(s)))
        .collect::<Result<Vec<_>>>()?;
    Ok((out, shape))
}

/// Gathers one slice of `a` per index position (MLX `gather`): index
/// arrays (broadcast together) over `axes`, slices of `slice_sizes` (one
/// per axis of `a`). The output shape is the index shape followed by
/// `slice_sizes`.
pub fn gather(
    a: &Array,
    indices: &[Array],
    axes: &[i64],
    slice_sizes: &[i64],
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "gather")?;
    if indices.len() > a.ndim() {
        return Err(Error::value(format!(
            "[gather] Too many index arrays. Got {} index arrays for input with {} dimensions.",
            indices.len(),
            a.ndim()
        )));
    }
    let axes = gather_axes("gather", axes, a.ndim())?;
    if indices.len() != axes.len() {
        return Err(Error::value(
            "[gather] Number of index arrays does not match number of axes.",
        ));
    }
    if slice_sizes.len() != a.ndim() {
        return Err(Error::value(format!(
            "[gather] Got slice_sizes with size {} for array with {} dimensions.",
            slice_sizes.len(),
            a.ndim()
        )));
    }
    let (indices, idx_shape) = broadcast_indices("gather", indices, s)?;
    if a.size() == 0 {
        let total: i64 = slice_sizes.iter().product();
        if shape_size(&idx_shape) != 0 && total != 0 {
            return Err(Error::value(
                "[gather] If the input is empty, either the indices must be empty or the total slice size must be 0.",
            ));
        }
    } else {
        for (i, (&sz, &d)) in slice_sizes.iter().zip(a.shape()).enumerate() {
            if sz < 0 || sz > d {
                return Err(Error::value(format!(
                    "[gather] Slice sizes must be in [0, a.shape(i)]. Got {} for array with shape {} (axis {i}).",
                    fmt_shape(slice_sizes),
                    fmt_shape(a.shape())
                )));
            }
        }
    }
    let mut shape = idx_shape;
    shape.extend_from_slice(slice_sizes);
    let mut inputs = vec![a.clone()];
    inputs.extend(indices);
    Ok(Array::from_op(
        shape,
        a.dtype(),
        s,
        Arc::new(Gather {
            axes,
            slice_sizes: slice_sizes.to_vec(),
        }),
        inputs,
    ))
}

/// Combines `updates` into `a` at index positions with `reduce` (MLX
/// `scatter*`). `updates` has the broadcast index shape followed by one
/// extent per axis of `a` (at most `a`'s).
pub fn scatter_op(
    reduce: ScatterReduce,
    a: &Array,
    indices: &[Array],
    updates: &Array,
    axes: &[i64],
    s: Option<Stream>,
) -> Result<Array> {
    let op = reduce.op_name();
    let s = resolve_stream(s, op)?;
    if indices.len() > a.ndim() {
        return Err(Error::value(format!(
            "[{op}] Too many index arrays. Got {} index arrays for input with {} dimensions.",
            indices.len(),
            a.ndim()
        )));
    }
    let axes = gather_axes(op, axes, a.ndim())?;
    if indices.len() != axes.len() {
        return Err(Error::value(format!(
            "[{op}] Number of index arrays does not match number of axes."
        )));
    }
    let (indices, idx_shape) = broadcast_indices(op, indices, s)?;
    if updates.ndim() != a.ndim() + idx_shape.len() {
        return Err(Error::value(format!(
            "[{op}] Updates with {} dimensions does not match the sum of the array ({}) and indices ({}) dimensions.",
            updates.ndim(),
            a.ndim(),
            idx_shape.len()
        )));
    }
    if updates.shape()[..idx_shape.len()] != idx_shape[..] {
        return Err(Error::value(format!(
            "[{op}] Update shape {} is not valid for broadcasted index shape {}.",
            fmt_shape(updates.shape()),
            fmt_shape(&idx_shape)
        )));
    }
    for (u, d) in updates.shape()[idx_shape.len()..].iter().zip(a.shape()) {
        if u > d {
            return Err(Error::value(format!(
                "[{op}] Updates with shape {} are too large for array with shape {}.",
                fmt_shape(updates.shape()),
                fmt_shape(a.shape())
            )));
        }
    }
    let mut inputs = vec![a.clone()];
    inputs.extend(indices);
    inputs.push(astype(updates, a.dtype(), Some(s))?);
    Ok(Array::from_op(
        a.shape().to_vec(),
        a.dtype(),
        s,
        Arc::new(Scatter { reduce, axes }),
        inputs,
    ))
}

/// Defines public scatter ops: [`scatter_op`] with a fixed
/// [`ScatterReduce`] (the five ops share one signature, so only the name,
/// the reduction and the doc differ).
macro_rules! scatter_fns {
    ($($(#[$doc:meta])* $name:ident => $reduce:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(
            a: &Array,
            indices: &[Array],
            updates: &Array,
            axes: &[i64],
            s: Option<Stream>,
        ) -> Result<Array> {
            scatter_op(ScatterReduce::$reduce, a, indices, updates, axes, s)
        }
    )*};
}

scatter_fns! {
    /// `a` with `updates` written at the index positions (the last duplicate
    /// wins) (MLX `scatter`).
    scatter => None;
    /// `a` with `updates` added at the index positions; duplicates accumulate
    /// (MLX `scatter_add`).
    scatter_add => Sum;
    /// `a` multiplied by `updates` at the index positions (MLX `scatter_prod`).
    scatter_prod => Prod;
    /// The maximum of `a` and `updates` at the index positions (MLX
    /// `scatter_max`).
    scatter_max => Max;
    /// The minimum of `a` and `updates` at the index positions (MLX
    /// `scatter_min`).
    scatter_min => Min;
}

/// Flattens `a` to one axis.
fn flat(a: &Array, s: Stream) -> Result<Array> {
    reshape(a, &[a.size() as i64], Some(s))
}

/// Elements of `a` at `indices` along `axis` (`None`: of the flattened
/// array) (MLX `take`). The result has `a`'s shape with `axis` replaced by
/// the index shape.
pub fn take(a: &Array, indices: &Array, axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "take")?;
    let Some(axis) = axis else {
        return take(&flat(a, s)?, indices, Some(0), Some(s));
    };
    let nd = a.ndim() as i64;
    if axis < -nd || axis >= nd {
        return Err(Error::value(format!(
            "[take] Received invalid axis {axis} for array with {nd} dimensions."
        )));
    }
    let axis = if axis < 0 { axis + nd } else { axis } as usize;
    check_index_dtype("take", indices)?;
    if a.shape()[axis] == 0 && indices.size() != 0 {
        return Err(Error::value(
            "[take] Cannot do a non-empty take from an empty axis.",
        ));
    }
    let mut sizes = a.shape().to_vec();
    sizes[axis] = 1;
    let g = gather(
        a,
        std::slice::from_ref(indices),
        &[axis as i64],
        &sizes,
        Some(s),
    )?;
    // (idx..., a[..axis], 1, a[axis+1..]) -> a[..axis], idx..., a[axis+1..]
    let k = indices.ndim();
    let mut shape = indices.shape().to_vec();
    shape.extend(
        a.shape()
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != axis)
            .map(|(_, &d)| d),
    );
    let out = reshape(&g, &shape, Some(s))?;
    if axis == 0 || k == 0 {
        return Ok(out);
    }
    let n = shape.len();
    let perm: Vec<i64> = (k..k + axis)
        .chain(0..k)
        .chain(k + axis..n)
        .map(|i| i as i64)
        .collect();
    transpose(&out, Some(&perm), Some(s))
}

/// Resolves `axis` for the along-axis ops, flattening for `None`.
fn along_axis_inputs(
    op: &str,
    a: &Array,
    indices: &Array,
    axis: Option<i64>,
    s: Stream,
) -> Result<(Array, Array, usize)> {
    check_index_dtype(op, indices)?;
    let Some(axis) = axis else {
        return along_axis_inputs(op, &flat(a, s)?, indices, Some(0), s);
    };
    let nd = a.ndim() as i64;
    if axis < -nd || axis >= nd {
        return Err(Error::value(format!(
            "[{op}] Received invalid axis {axis} for array with {nd} dimensions."
        )));
    }
    if indices.ndim() != a.ndim() {
        return Err(Error::value(format!(
            "[{op}] Indices of dimension {} does not match array of dimension {}.",
            indices.ndim(),
            a.ndim()
        )));
    }
    Ok((
        a.clone(),
        indices.clone(),
        if axis < 0 { axis + nd } else { axis } as usize,
    ))
}

/// Broadcasts `arrays` (all of one rank) together on every axis but `axis`.
fn broadcast_except(arrays: &[Array], axis: usize, s: Stream) -> Result<Vec<Array>> {
    let mut common: Vec<i64> = Vec::new();
    for x in arrays {
        let mut sh = x.shape().to_vec();
        sh[axis] = 1;
        common = broadcast_shapes(&common, &sh)?;
    }
    arrays
        .iter()
        .map(|x| {
            let mut to = common.clone();
            to[axis] = x.shape()[axis];
            broadcast_to(x, &to, Some(s))
        })
        .collect()
}

/// Elements of `a` picked along `axis` by `indices`, which broadcasts with
/// `a` on the other axes (MLX `take_along_axis`; `None`: of the flattened
/// array, with 1-d indices).
pub fn take_along_axis(
    a: &Array,
    indices: &Array,
    axis: Option<i64>,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "take_along_axis")?;
    let (a, idx, axis) = along_axis_inputs("take_along_axis", a, indices, axis, s)?;
    let b = broadcast_except(&[a, idx], axis, s)?;
    Ok(Array::from_op(
        b[1].shape().to_vec(),
        b[0].dtype(),
        s,
        Arc::new(GatherAxis { axis }),
        b,
    ))
}

fn scatter_axis_op(
    reduce: ScatterReduce,
    a: &Array,
    indices: &Array,
    values: &Array,
    axis: Option<i64>,
    s: Option<Stream>,
) -> Result<Array> {
    let op = if reduce == ScatterReduce::None {
        "put_along_axis"
    } else {
        "scatter_add_axis"
    };
    let s = resolve_stream(s, op)?;
    if axis.is_none() {
        let out = scatter_axis_op(reduce, &flat(a, s)?, indices, values, Some(0), Some(s))?;
        return reshape(&out, a.shape(), Some(s));
    }
    let (a, idx, axis) = along_axis_inputs(op, a, indices, axis, s)?;
    if a.size() == 0 {
        return Ok(a);
    }
    let mut upd = astype(values, a.dtype(), Some(s))?;
    if upd.ndim() > idx.ndim() {
        let lead: Vec<i64> = (0..(upd.ndim() - idx.ndim()) as i64).collect();
        upd = squeeze(&upd, Some(&lead), Some(s))?;
    }
    let common = broadcast_shapes(idx.shape(), upd.shape())?;
    let idx = broadcast_to(&idx, &common, Some(s))?;
    let upd = broadcast_to(&upd, &common, Some(s))?;
    let b = broadcast_except(&[a, idx, upd], axis, s)?;
    // Values follow the indices' extent on `axis`.
    if b[1].shape() != b[2].shape() {
        return Err(Error::value(format!(
            "[{op}] Values of shape {} do not match indices of shape {}.",
            fmt_shape(b[2].shape()),
            fmt_shape(b[1].shape())
        )));
    }
    Ok(Array::from_op(
        b[0].shape().to_vec(),
        b[0].dtype(),
        s,
        Arc::new(ScatterAxis { reduce, axis }),
        b,
    ))
}

/// `a` with `values` written at `indices` along `axis` (MLX
/// `put_along_axis`; with duplicate indices the last write wins; `None`:
/// on the flattened array, reshaped back).
pub fn put_along_axis(
    a: &Array,
    indices: &Array,
    values: &Array,
    axis: Option<i64>,
    s: Option<Stream>,
) -> Result<Array> {
    scatter_axis_op(ScatterReduce::None, a, indices, values, axis, s)
}

/// `a` with `values` added at `indices` along `axis`; duplicate indices
/// accumulate (MLX `scatter_add_axis`).
pub fn scatter_add_axis(
    a: &Array,
    indices: &Array,
    values: &Array,
    axis: i64,
    s: Option<Stream>,
) -> Result<Array> {
    scatter_axis_op(ScatterReduce::Sum, a, indices, values, Some(axis), s)
}

/// Checks the starts and axes of a dynamic slice and splits `start` into
/// one 0-d index per axis.
fn dynamic_starts(
    op: &str,
    a: &Array,
    start: &Array,
    axes: &[i64],
    s: Stream,
) -> Result<(Vec<Array>, Vec<i64>)> {
    if start.size() > a.ndim() {
        return Err(Error::value(format!(
            "[{op}] Invalid number of starting positions for array with dimension {}.",
            a.ndim()
        )));
    }
    if start.ndim() > 1 {
        return Err(Error::value(format!(
            "[{op}] array of starting indices must be zero or one dimensional but has dimension {}.",
            start.ndim()
        )));
    }
    if start.size() != axes.len() {
        return Err(Error::value(format!(
            "[{op}] Number of starting indices {} does not match number of axes {}.",
            start.size(),
            axes.len()
        )));
    }
    if !start.dtype().is_integer() {
        return Err(Error::value(format!(
            "[{op}] Start indices must be integers, got type {}.",
            start.dtype()
        )));
    }
    let mut norm = Vec::with_capacity(axes.len());
    for &ax in axes {
        let v = if ax < 0 { ax + a.ndim() as i64 } else { ax };
        if v < 0 || v >= a.ndim() as i64 {
            return Err(Error::value(format!(
                "[{op}] Invalid axis {ax} for array with dimension {}.",
                a.ndim()
            )));
        }
        if norm.contains(&v) {
            return Err(Error::value(format!("[{op}] Repeat axes not allowed.")));
        }
        norm.push(v);
    }
    let starts = (0..axes.len() as i64)
        .map(|i| {
            if start.ndim() == 0 {
                return Ok(start.clone());
            }
            let one = slice_strided(start, &[i], &[1], &[1], Some(s))?;
            reshape(&one, &[], Some(s))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((starts, norm))
}

/// The window of `a` of extents `slice_size` (one per axis) starting at
/// `start[i]` on `axes[i]` and at 0 elsewhere (MLX `slice` with an array of
/// starts, so the start may be computed). A start whose window does not fit
/// fails evaluation with an IndexError.
pub fn slice(
    a: &Array,
    start: &Array,
    axes: &[i64],
    slice_size: &[i64],
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "slice")?;
    let (starts, axes) = dynamic_starts("slice", a, start, axes, s)?;
    if slice_size.len() != a.ndim() {
        return Err(Error::value(format!(
            "[slice] Invalid slice size for array with {} dimensions.",
            a.ndim()
        )));
    }
    if slice_size
        .iter()
        .zip(a.shape())
        .any(|(&z, &d)| z > d || z < 0)
    {
        return Err(Error::value(format!(
            "[slice] Invalid slice size {} for array with shape {}.",
            fmt_shape(slice_size),
            fmt_shape(a.shape())
        )));
    }
    gather(a, &starts, &axes, slice_size, Some(s))
}

/// `a` with the window starting at `start[i]` on `axes[i]` (0 elsewhere)
/// replaced by `update` (MLX `slice_update` with an array of starts). The
/// update broadcasts to the window as in MLX.
pub fn slice_update(
    a: &Array,
    update: &Array,
    start: &Array,
    axes: &[i64],
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "slice_update")?;
    let (starts, axes) = dynamic_starts("slice_update", a, start, axes, s)?;
    if update.ndim() > a.ndim() {
        return Err(Error::value(format!(
            "[slice_update] Update with shape {} has more dimensions than the array with shape {}.",
            fmt_shape(update.shape()),
            fmt_shape(a.shape())
        )));
    }
    let diff = a.ndim() - update.ndim();
    let mut up: Vec<i64> = a.shape()[..diff].to_vec();
    up.extend_from_slice(update.shape());
    for d in diff..a.ndim() {
        up[d] = up[d].min(a.shape()[d]);
    }
    for &ax in &axes {
        if (ax as usize) < diff {
            up[ax as usize] = 1;
        }
    }
    let upd = broadcast_to(&astype(update, a.dtype(), Some(s))?, &up, Some(s))?;
    scatter_op(ScatterReduce::None, a, &starts, &upd, &axes, Some(s))
}

/// `a` with the strided window (per axis `start`, `step`, `count`, already
/// normalised and in bounds) replaced by `update`, which broadcasts to
/// `count` (the engine behind Python's `a[basic index] = v`).
pub fn slice_update_strided(
    a: &Array,
    update: &Array,
    start: &[i64],
    step: &[i64],
    count: &[i64],
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "slice_update")?;
    let nd = a.ndim();
    if start.len() != nd || step.len() != nd || count.len() != nd {
        return Err(Error::value(format!(
            "[slice_update] Invalid number of indices or strides for array with dimension {nd}."
        )));
    }
    for i in 0..nd {
        let last = start[i] + (count[i] - 1).max(0) * step[i];
        if count[i] < 0
            || step[i] == 0
            || count[i] > 0
                && (start[i] < 0 || start[i] >= a.shape()[i] || last < 0 || last >= a.shape()[i])
        {
            return Err(Error::index(format!(
                "[slice_update] Window start {} step {} count {} is out of bounds for axis {i} with size {}.",
                start[i],
                step[i],
                count[i],
                a.shape()[i]
            )));
        }
    }
    let upd = broadcast_to(&astype(update, a.dtype(), Some(s))?, count, Some(s))?;
    if count == a.shape() && step.iter().all(|&k| k == 1) {
        return Ok(upd);
    }
    if count.contains(&0) {
        return Ok(a.clone());
    }
    Ok(Array::from_op(
        a.shape().to_vec(),
        a.dtype(),
        s,
        Arc::new(SliceUpdate {
            start: start.to_vec(),
            step: step.to_vec(),
            count: count.to_vec(),
        }),
        vec![a.clone(), upd],
    ))
}

/// `take` of integer `index` along `axis` (MLX `take` with an int): the
/// index is checked here, since its value is known.
pub fn take_index(a: &Array, index: i64, axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "take")?;
    let Some(axis) = axis else {
        return take_index(&flat(a, s)?, index, Some(0), Some(s));
    };
    let ax = normalize_axis("take", axis, a.ndim()).map_err(|e| Error::value(e.message))?;
    let n = a.shape()[ax];
    let j = if index < 0 { index + n } else { index };
    if j < 0 || j >= n {
        return Err(Error::index(format!(
            "[take] index {index} is out of bounds for axis {ax} with size {n}"
        )));
    }
    let nd = a.ndim();
    let mut start = vec![0i64; nd];
    let mut count = a.shape().to_vec();
    start[ax] = j;
    count[ax] = 1;
    let sl = slice_strided(a, &start, &vec![1; nd], &count, Some(s))?;
    squeeze(&sl, Some(&[ax as i64]), Some(s))
}
