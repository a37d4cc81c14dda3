//! Public ops of the shape family: reshaping (`flatten`, `unflatten`,
//! `squeeze`, `expand_dims`, `atleast_*d`), axis permutations
//! (`permute_dims`, `matrix_transpose`, `swapaxes`, `moveaxis`), joining and
//! splitting (`concatenate`, `stack`, `unstack`, `split`), replication
//! (`repeat`, `tile`, `pad`), reordering (`flip`, `roll`), diagonals
//! (`diagonal`, `diag`, `trace`).
//!
//! Everything that can be a view is built from the view ops of
//! `ops/view.rs`; the copies are `Concatenate`, `Pad`, `Roll` and `Diag`.

use std::sync::Arc;

use super::{
    astype, broadcast_shapes, broadcast_to, fmt_shape, normalize_axis, reshape, slice_strided, sum,
    transpose,
};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{result_type, Dtype};
use crate::error::{Error, Result};
use crate::primitives::shape::{Concatenate, Diag, Diagonal, Pad, PadMode, Roll};

/// Resolves a possibly negative axis; IndexError in MLX's "out of bounds"
/// wording otherwise.
fn axis_in(op: &str, axis: i64, ndim: usize) -> Result<usize> {
    let n = ndim as i64;
    if axis < -n || axis >= n {
        return Err(Error::index(format!(
            "[{op}] Axis {axis} is out of bounds for array with {ndim} dimensions."
        )));
    }
    Ok(if axis < 0 {
        (axis + n) as usize
    } else {
        axis as usize
    })
}

/// Merges axes `start_axis..=end_axis` into one (MLX `flatten`). Negative
/// axes count from the end; a 0-d array becomes 1-d.
pub fn flatten(a: &Array, start_axis: i64, end_axis: i64, s: Option<Stream>) -> Result<Array> {
    let nd = a.ndim() as i64;
    if nd == 0 {
        return reshape(a, &[1], s);
    }
    let st = if start_axis < 0 {
        start_axis + nd
    } else {
        start_axis
    }
    .max(0);
    let en = if end_axis < 0 {
        end_axis + nd
    } else {
        end_axis
    }
    .min(nd - 1);
    if st > en {
        bail_value!("[flatten] start_axis must be less than or equal to end_axis");
    }
    if st == en {
        return Ok(a.clone());
    }
    let (st, en) = (st as usize, en as usize);
    let sh = a.shape();
    let mut shape = sh[..st].to_vec();
    shape.push(sh[st..=en].iter().product());
    shape.extend_from_slice(&sh[en + 1..]);
    reshape(a, &shape, s)
}

/// Splits `axis` into the axes of `shape`, one of which may be -1
/// (MLX `unflatten`).
pub fn unflatten(a: &Array, axis: i64, shape: &[i64], s: Option<Stream>) -> Result<Array> {
    let nd = a.ndim() as i64;
    if axis < -nd || axis >= nd {
        return Err(Error::index(format!(
            "[unflatten] Invalid axes {axis} for array with {nd} dimensions."
        )));
    }
    let ax = if axis < 0 { axis + nd } else { axis } as usize;
    if shape.is_empty() {
        bail_value!("[unflatten] Shape to unflatten to cannot be empty.");
    }
    let n = a.shape()[ax];
    let bad = || {
        Error::value(format!(
            "[unflatten] Cannot unflatten axis {axis} with size {n} into shape {}.",
            fmt_shape(shape)
        ))
    };
    let mut new = shape.to_vec();
    let mut infer = None;
    let mut known = 1i64;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if infer.is_some() {
                bail_value!("[unflatten] Can only infer one dimension.");
            }
            infer = Some(i);
        } else if d < 0 {
            return Err(bad());
        } else {
            known *= d;
        }
    }
    if let Some(i) = infer {
        if known == 0 || n % known != 0 {
            return Err(bad());
        }
        new[i] = n / known;
    } else if known != n {
        return Err(bad());
    }
    let mut out = a.shape()[..ax].to_vec();
    out.extend_from_slice(&new);
    out.extend_from_slice(&a.shape()[ax + 1..]);
    reshape(a, &out, s)
}

/// Removes size-1 axes: all of them (`None`) or the listed ones
/// (MLX `squeeze`).
pub fn squeeze(a: &Array, axes: Option<&[i64]>, s: Option<Stream>) -> Result<Array> {
    let nd = a.ndim();
    let mut drop = vec![false; nd];
    match axes {
        None => {
            for (i, &d) in a.shape().iter().enumerate() {
                drop[i] = d == 1;
            }
        }
        Some(axes) => {
            for &ax in axes {
                let i = axis_in("squeeze", ax, nd)?;
                if drop[i] {
                    bail_value!("[squeeze] Received duplicate axes.");
                }
                if a.shape()[i] != 1 {
                    bail_value!(
                        "[squeeze] Cannot squeeze axis {ax} with size {} which is not equal to 1.",
                        a.shape()[i]
                    );
                }
                drop[i] = true;
            }
        }
    }
    let shape: Vec<i64> = a
        .shape()
        .iter()
        .zip(&drop)
        .filter(|(_, &d)| !d)
        .map(|(&n, _)| n)
        .collect();
    reshape(a, &shape, s)
}

/// Inserts size-1 axes at the given positions of the result
/// (MLX `expand_dims`).
pub fn expand_dims(a: &Array, axes: &[i64], s: Option<Stream>) -> Result<Array> {
    let out_nd = a.ndim() + axes.len();
    let mut new = vec![false; out_nd];
    for &ax in axes {
        let i = axis_in("expand_dims", ax, out_nd)?;
        if new[i] {
            bail_value!("[expand_dims] Received duplicate axes.");
        }
        new[i] = true;
    }
    let mut rest = a.shape().iter();
    let shape: Vec<i64> = new
        .iter()
        .map(|&n| if n { 1 } else { *rest.next().expect("counted") })
        .collect();
    reshape(a, &shape, s)
}

/// Permutes the axes; `None` reverses them (MLX `permute_dims`, an alias
/// of `transpose`).
pub fn permute_dims(a: &Array, axes: Option<&[i64]>, s: Option<Stream>) -> Result<Array> {
    transpose(a, axes, s)
}

/// Swaps the last two axes (MLX `matrix_transpose`, the `mT` property).
pub fn matrix_transpose(a: &Array, s: Option<Stream>) -> Result<Array> {
    let nd = a.ndim();
    if nd < 2 {
        bail_value!("[matrix_transpose] Input array must have at least 2 dimensions.");
    }
    swapaxes(a, nd as i64 - 1, nd as i64 - 2, s)
}

/// Swaps two axes (MLX `swapaxes`).
pub fn swapaxes(a: &Array, axis1: i64, axis2: i64, s: Option<Stream>) -> Result<Array> {
    let nd = a.ndim();
    let (i, j) = (
        normalize_axis("swapaxes", axis1, nd)?,
        normalize_axis("swapaxes", axis2, nd)?,
    );
    let mut perm: Vec<i64> = (0..nd as i64).collect();
    perm.swap(i, j);
    transpose(a, Some(&perm), s)
}

/// Moves axis `source` to position `destination` (MLX `moveaxis`).
pub fn moveaxis(a: &Array, source: i64, destination: i64, s: Option<Stream>) -> Result<Array> {
    let nd = a.ndim();
    let (i, j) = (
        normalize_axis("moveaxis", source, nd)?,
        normalize_axis("moveaxis", destination, nd)?,
    );
    let mut perm: Vec<i64> = (0..nd as i64).collect();
    let ax = perm.remove(i);
    perm.insert(j, ax);
    transpose(a, Some(&perm), s)
}

/// The common broadcast shape of several shapes (MLX `broadcast_shapes`
/// with any number of arguments; at least one is required).
pub fn broadcast_shapes_list(shapes: &[Vec<i64>]) -> Result<Vec<i64>> {
    let (first, rest) = shapes
        .split_first()
        .ok_or_else(|| Error::value("[broadcast_shapes] Must provide at least one shape."))?;
    let mut out = first.clone();
    for sh in rest {
        out = broadcast_shapes(&out, sh)?;
    }
    Ok(out)
}

/// Joins arrays along `axis`; `None` flattens them first (MLX
/// `concatenate` / `concat`). Dtypes promote to their common type.
pub fn concatenate(arrays: &[Array], axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    if arrays.is_empty() {
        bail_value!("[concatenate] No arrays provided for concatenation");
    }
    let Some(axis) = axis else {
        let flat: Vec<Array> = arrays
            .iter()
            .map(|a| reshape(a, &[-1], s))
            .collect::<Result<_>>()?;
        return concatenate(&flat, Some(0), s);
    };
    let stream = resolve_stream(s, "concatenate")?;
    let nd = arrays[0].ndim();
    let ax = axis_in("concatenate", axis, nd)?;
    let first = arrays[0].shape();
    let mut shape = first.to_vec();
    shape[ax] = 0;
    for a in arrays {
        if a.ndim() != nd {
            bail_value!(
                "[concatenate] All the input arrays must have the same number of dimensions. However, got arrays with dimensions {nd} and {}.",
                a.ndim()
            );
        }
        if (0..nd).any(|i| i != ax && a.shape()[i] != first[i]) {
            let all: Vec<String> = arrays.iter().map(|x| fmt_shape(x.shape())).collect();
            bail_value!(
                "[concatenate] All the input array dimensions must match exactly except for the concatenation axis. However, the provided shapes are {}, and the concatenation axis is {axis}.",
                all.join(", ")
            );
        }
        shape[ax] += a.shape()[ax];
    }
    let dt = result_type(&arrays.iter().map(Array::dtype).collect::<Vec<_>>());
    if arrays.len() == 1 {
        return astype(&arrays[0], dt, Some(stream));
    }
    let inputs: Vec<Array> = arrays
        .iter()
        .map(|a| astype(a, dt, Some(stream)))
        .collect::<Result<_>>()?;
    Ok(Array::from_op(
        shape,
        dt,
        stream,
        Arc::new(Concatenate { axis: ax }),
        inputs,
    ))
}

/// Stacks arrays of one shape along a new axis (MLX `stack`).
pub fn stack(arrays: &[Array], axis: i64, s: Option<Stream>) -> Result<Array> {
    if arrays.is_empty() {
        bail_value!("[stack] No arrays provided for stacking");
    }
    let shape = arrays[0].shape();
    if arrays.iter().any(|a| a.shape() != shape) {
        bail_value!("[stack] All arrays must have the same shape");
    }
    let ax = axis_in("stack", axis, shape.len() + 1)?;
    let mut new = shape.to_vec();
    new.insert(ax, 1);
    let parts: Vec<Array> = arrays
        .iter()
        .map(|a| reshape(a, &new, s))
        .collect::<Result<_>>()?;
    concatenate(&parts, Some(ax as i64), s)
}

/// Splits an array into its slices along `axis`, removing that axis
/// (MLX `unstack`).
pub fn unstack(a: &Array, axis: i64, s: Option<Stream>) -> Result<Vec<Array>> {
    let nd = a.ndim();
    let ax = axis_in("unstack", axis, nd)?;
    let n = a.shape()[ax];
    let mut rest = a.shape().to_vec();
    rest.remove(ax);
    let (mut start, step, mut count) = (vec![0i64; nd], vec![1i64; nd], a.shape().to_vec());
    count[ax] = 1;
    (0..n)
        .map(|i| {
            start[ax] = i;
            reshape(&slice_strided(a, &start, &step, &count, s)?, &rest, s)
        })
        .collect()
}

/// Splits `a` into `num` equal parts along `axis` (MLX `split` with an
/// integer number of sections).
pub fn split(a: &Array, num: i64, axis: i64, s: Option<Stream>) -> Result<Vec<Array>> {
    let ax = axis_in("split", axis, a.ndim())?;
    if num <= 0 {
        bail_value!("[split] num_splits must be positive and non-zero but got {num}.");
    }
    let n = a.shape()[ax];
    if n % num != 0 {
        bail_value!(
            "[split] Array split does not result in sub arrays with equal size: attempting {num} splits along axis {axis} for shape {}.",
            fmt_shape(a.shape())
        );
    }
    let indices: Vec<i64> = (1..num).map(|i| i * (n / num)).collect();
    split_indices(a, &indices, axis, s)
}

/// Splits `a` before each of `indices` along `axis` (MLX `split` with a
/// list of indices; NumPy semantics for negative, unsorted and
/// out-of-range indices).
pub fn split_indices(
    a: &Array,
    indices: &[i64],
    axis: i64,
    s: Option<Stream>,
) -> Result<Vec<Array>> {
    let nd = a.ndim();
    let ax = axis_in("split", axis, nd)?;
    let n = a.shape()[ax];
    let (mut start, step, mut count) = (vec![0i64; nd], vec![1i64; nd], a.shape().to_vec());
    let mut prev = 0i64;
    let mut out = Vec::with_capacity(indices.len() + 1);
    for &idx in indices.iter().chain(std::iter::once(&n)) {
        let i = if idx < 0 { idx + n } else { idx }.clamp(0, n);
        count[ax] = (i - prev).max(0);
        start[ax] = if count[ax] == 0 { 0 } else { prev };
        out.push(slice_strided(a, &start, &step, &count, s)?);
        prev = i;
    }
    Ok(out)
}

/// Repeats each element `repeats` times along `axis`; `None` flattens
/// first (MLX `repeat`).
pub fn repeat(a: &Array, repeats: i64, axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    if repeats < 0 {
        bail_value!("[repeat] Number of repeats cannot be negative");
    }
    let a = match axis {
        None => flatten(a, 0, -1, s)?,
        Some(_) => a.clone(),
    };
    let ax = axis_in("repeat", axis.unwrap_or(0), a.ndim())?;
    if repeats == 1 {
        return Ok(a);
    }
    let mut expanded = a.shape().to_vec();
    expanded.insert(ax + 1, 1);
    let mut wide = expanded.clone();
    wide[ax + 1] = repeats;
    let mut out = a.shape().to_vec();
    out[ax] *= repeats;
    let b = broadcast_to(&reshape(&a, &expanded, s)?, &wide, s)?;
    reshape(&b, &out, s)
}

/// Repeats the whole array `reps[i]` times along each axis (MLX `tile`).
pub fn tile(a: &Array, reps: &[i64], s: Option<Stream>) -> Result<Array> {
    if let Some(r) = reps.iter().find(|&&r| r < 0) {
        bail_value!(
            "[tile] Negative repetitions not allowed, got {r} in {}.",
            fmt_shape(reps)
        );
    }
    let nd = a.ndim().max(reps.len());
    let pad = |v: &[i64]| -> Vec<i64> {
        let mut p = vec![1i64; nd - v.len()];
        p.extend_from_slice(v);
        p
    };
    let (shape, reps) = (pad(a.shape()), pad(reps));
    if reps.iter().all(|&r| r == 1) {
        return reshape(a, &shape, s);
    }
    let expanded: Vec<i64> = shape.iter().flat_map(|&d| [1, d]).collect();
    let wide: Vec<i64> = shape
        .iter()
        .zip(&reps)
        .flat_map(|(&d, &r)| [r, d])
        .collect();
    let out: Vec<i64> = shape.iter().zip(&reps).map(|(&d, &r)| d * r).collect();
    let b = broadcast_to(&reshape(a, &expanded, s)?, &wide, s)?;
    reshape(&b, &out, s)
}

/// Pads each axis with `pad_width[i] = (before, after)` elements (one pair
/// applies to every axis) filled per `mode`; `constant_value` (cast to
/// `a`'s dtype) is used by [`PadMode::Constant`] (MLX `pad`).
pub fn pad(
    a: &Array,
    pad_width: &[(i64, i64)],
    mode: PadMode,
    constant_value: &Array,
    s: Option<Stream>,
) -> Result<Array> {
    let stream = resolve_stream(s, "pad")?;
    let nd = a.ndim();
    let widths: Vec<(i64, i64)> = match pad_width.len() {
        1 => vec![pad_width[0]; nd],
        n if n == nd => pad_width.to_vec(),
        _ => bail_value!(
            "[pad] Invalid number of padding sizes passed to pad with axes of size {nd}"
        ),
    };
    for (i, &(lo, hi)) in widths.iter().enumerate() {
        if lo < 0 {
            bail_value!("[pad] Invalid low padding size ({lo}) passed to pad for axis {i}. Padding sizes must be non-negative");
        }
        if hi < 0 {
            bail_value!("[pad] Invalid high padding size ({hi}) passed to pad for axis {i}. Padding sizes must be non-negative");
        }
        if matches!(mode, PadMode::Reflect | PadMode::Symmetric) && a.shape()[i] == 0 && lo + hi > 0
        {
            bail_value!(
                "[pad] Cannot pad empty axis {i} using mode '{}'.",
                mode.name()
            );
        }
    }
    if widths.iter().all(|&(lo, hi)| lo == 0 && hi == 0) {
        return Ok(a.clone());
    }
    let shape: Vec<i64> = a
        .shape()
        .iter()
        .zip(&widths)
        .map(|(&n, &(lo, hi))| n + lo + hi)
        .collect();
    let mut inputs = vec![a.clone()];
    if mode == PadMode::Constant {
        let v = astype(constant_value, a.dtype(), Some(stream))?;
        if v.size() == 0 {
            bail_value!("[pad] The constant value must not be empty.");
        }
        let v = if v.ndim() == 0 {
            v
        } else {
            let flat = reshape(&v, &[-1], Some(stream))?;
            reshape(
                &slice_strided(&flat, &[0], &[1], &[1], Some(stream))?,
                &[],
                Some(stream),
            )?
        };
        inputs.push(v);
    }
    let prim = Pad {
        mode,
        low: widths.iter().map(|w| w.0).collect(),
        high: widths.iter().map(|w| w.1).collect(),
    };
    Ok(Array::from_op(
        shape,
        a.dtype(),
        stream,
        Arc::new(prim),
        inputs,
    ))
}

/// Reverses the order of elements along the given axes (all when `None`)
/// (MLX `flip`). A view.
pub fn flip(a: &Array, axes: Option<&[i64]>, s: Option<Stream>) -> Result<Array> {
    let nd = a.ndim();
    let all: Vec<i64> = (0..nd as i64).collect();
    let axes = axes.unwrap_or(&all);
    let (mut start, mut step) = (vec![0i64; nd], vec![1i64; nd]);
    for &ax in axes {
        let i = axis_in("flip", ax, nd)?;
        let n = a.shape()[i];
        if n > 1 {
            start[i] = n - 1;
            step[i] = -1;
        }
    }
    slice_strided(a, &start, &step, a.shape(), s)
}

/// Rolls elements along axes (MLX `roll`). With `axes == None` the array
/// is rolled flat by the sum of `shift`; otherwise `shift[i]` applies to
/// `axes[i]` (repeated axes add up) and `shift` needs at least one value
/// per axis.
pub fn roll(a: &Array, shift: &[i64], axes: Option<&[i64]>, s: Option<Stream>) -> Result<Array> {
    let Some(axes) = axes else {
        let total = shift.iter().fold(0i64, |x, &y| x.wrapping_add(y));
        let flat = reshape(a, &[-1], s)?;
        return reshape(&roll(&flat, &[total], Some(&[0]), s)?, a.shape(), s);
    };
    if shift.len() < axes.len() {
        bail_value!(
            "[roll] At least one shift value per axis is required, {} provided for {} axes.",
            shift.len(),
            axes.len()
        );
    }
    let stream = resolve_stream(s, "roll")?;
    let nd = a.ndim();
    let mut total = vec![0i64; nd];
    for (&ax, &sh) in axes.iter().zip(shift) {
        let i = normalize_axis("roll", ax, nd)?;
        let n = a.shape()[i];
        if n > 0 {
            total[i] = (total[i] + sh.rem_euclid(n)) % n;
        }
    }
    if total.iter().all(|&t| t == 0) {
        return Ok(a.clone());
    }
    Ok(Array::from_op(
        a.shape().to_vec(),
        a.dtype(),
        stream,
        Arc::new(Roll { shift: total }),
        vec![a.clone()],
    ))
}

/// `a` with at least one axis (MLX `atleast_1d`).
pub fn atleast_1d(a: &Array, s: Option<Stream>) -> Result<Array> {
    match a.ndim() {
        0 => reshape(a, &[1], s),
        _ => Ok(a.clone()),
    }
}

/// `a` with at least two axes (MLX `atleast_2d`).
pub fn atleast_2d(a: &Array, s: Option<Stream>) -> Result<Array> {
    match a.ndim() {
        0 => reshape(a, &[1, 1], s),
        1 => reshape(a, &[1, a.shape()[0]], s),
        _ => Ok(a.clone()),
    }
}

/// `a` with at least three axes (MLX `atleast_3d`).
pub fn atleast_3d(a: &Array, s: Option<Stream>) -> Result<Array> {
    let sh = a.shape();
    match a.ndim() {
        0 => reshape(a, &[1, 1, 1], s),
        1 => reshape(a, &[1, sh[0], 1], s),
        2 => reshape(a, &[sh[0], sh[1], 1], s),
        _ => Ok(a.clone()),
    }
}

fn diagonal_op(
    op: &str,
    a: &Array,
    offset: i64,
    axis1: i64,
    axis2: i64,
    s: Option<Stream>,
) -> Result<Array> {
    let stream = resolve_stream(s, op)?;
    let nd = a.ndim();
    if nd < 2 {
        bail_value!("[{op}] Array must have at least two dimensions, but got {nd} dimensions.");
    }
    let norm = |ax: i64, name: &str| -> Result<usize> {
        let n = nd as i64;
        if ax < -n || ax >= n {
            return Err(Error::index(format!(
                "[{op}] Invalid {name} {ax} for array with {nd} dimensions."
            )));
        }
        Ok(if ax < 0 {
            (ax + n) as usize
        } else {
            ax as usize
        })
    };
    let (ax1, ax2) = (norm(axis1, "axis1")?, norm(axis2, "axis2")?);
    if ax1 == ax2 {
        bail_value!("[{op}] axis1 and axis2 cannot be the same axis");
    }
    let (n1, n2) = (a.shape()[ax1], a.shape()[ax2]);
    let len = if offset >= 0 {
        n1.min(n2.saturating_sub(offset))
    } else {
        n1.saturating_add(offset).min(n2)
    }
    .max(0);
    let mut shape: Vec<i64> = (0..nd)
        .filter(|&i| i != ax1 && i != ax2)
        .map(|i| a.shape()[i])
        .collect();
    shape.push(len);
    // The offset is kept even when the diagonal is empty: the transformation
    // rules rebuild the op from it (the kernel returns early on empties).
    let prim = Diagonal {
        offset,
        axis1: ax1,
        axis2: ax2,
    };
    Ok(Array::from_op(
        shape,
        a.dtype(),
        stream,
        Arc::new(prim),
        vec![a.clone()],
    ))
}

/// The diagonals of the plane (`axis1`, `axis2`) at `offset`, as the last
/// axis of the result (MLX `diagonal`). A view.
pub fn diagonal(
    a: &Array,
    offset: i64,
    axis1: i64,
    axis2: i64,
    s: Option<Stream>,
) -> Result<Array> {
    diagonal_op("diagonal", a, offset, axis1, axis2, s)
}

/// The `k`-th diagonal of a matrix, or the square matrix with a vector on
/// its `k`-th diagonal (MLX `diag`).
pub fn diag(a: &Array, k: i64, s: Option<Stream>) -> Result<Array> {
    match a.ndim() {
        1 => {
            let stream = resolve_stream(s, "diag")?;
            let m = a.shape()[0] + k.abs();
            Ok(Array::from_op(
                vec![m, m],
                a.dtype(),
                stream,
                Arc::new(Diag { k }),
                vec![a.clone()],
            ))
        }
        2 => diagonal_op("diag", a, k, 0, 1, s),
        nd => bail_value!("[diag] array must be 1-D or 2-D, got array with {nd} dimensions."),
    }
}

/// Sum along the diagonals of the plane (`axis1`, `axis2`) at `offset`,
/// with the diagonal cast to `dtype` first (default: `a`'s) (MLX `trace`).
pub fn trace(
    a: &Array,
    offset: i64,
    axis1: i64,
    axis2: i64,
    dtype: Option<Dtype>,
    s: Option<Stream>,
) -> Result<Array> {
    let stream = resolve_stream(s, "trace")?;
    let d = diagonal_op("trace", a, offset, axis1, axis2, Some(stream))?;
    let d = astype(&d, dtype.unwrap_or(a.dtype()), Some(stream))?;
    sum(&d, Some(&[-1]), false, Some(stream))
}

/// The `n`-th discrete difference along `axis` (MLX `diff`; `not_equal`
/// for bool arrays).
pub fn diff(a: &Array, n: i64, axis: i64, s: Option<Stream>) -> Result<Array> {
    if n < 0 {
        bail_value!("[diff] Order `n` must be non-negative.");
    }
    let nd = a.ndim() as i64;
    if axis < -nd || axis >= nd {
        return Err(Error::index("[diff] Axis is out of bounds for the array."));
    }
    let ax = if axis < 0 { axis + nd } else { axis } as usize;
    let mut x = a.clone();
    for _ in 0..n {
        let len = x.shape()[ax];
        if len == 0 {
            break;
        }
        let mut count = x.shape().to_vec();
        count[ax] = len - 1;
        let step = vec![1i64; x.ndim()];
        let zero = vec![0i64; x.ndim()];
        let mut one = zero.clone();
        one[ax] = 1;
        let hi = super::slice_strided(&x, &one, &step, &count, s)?;
        let lo = super::slice_strided(&x, &zero, &step, &count, s)?;
        x = if x.dtype() == Dtype::Bool {
            super::not_equal(&hi, &lo, s)?
        } else {
            super::subtract(&hi, &lo, s)?
        };
    }
    Ok(x)
}
