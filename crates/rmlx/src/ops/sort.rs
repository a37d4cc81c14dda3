//! Public ops of the sort family: `sort`, `argsort`, `partition`,
//! `argpartition`, `topk`, `searchsorted` and `median`, with MLX 0.32's
//! semantics: NaNs sort last (all NaNs equal), `-0.0 == 0.0`, complex
//! numbers order by real then imaginary part, sorts are stable, `axis:
//! None` works on the flattened array, partitions leave elements in the
//! order MLX's CPU backend does, and `topk` returns the last `k` elements
//! of `partition(a, -k)` (the `k` largest, not sorted).

use std::sync::Arc;

use super::{
    add, astype, expand_dims, fmt_shape, isnan, multiply, reshape, slice_strided, squeeze,
    transpose, where_,
};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{promote_types, Dtype};
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::primitives::sort::{ArgPartition, ArgSort, Partition, SearchSorted, Sort};

/// `axis` resolved against `ndim`, with MLX's IndexError.
fn sort_axis(op: &str, axis: i64, ndim: usize) -> Result<usize> {
    let nd = ndim as i64;
    if axis < -nd || axis >= nd {
        return Err(Error::index(format!(
            "[{op}] Axis {axis} is out of bounds for array with {nd} dimensions."
        )));
    }
    Ok(if axis < 0 { axis + nd } else { axis } as usize)
}

/// `a` and the axis to work on: the flattened array's only axis for `None`.
fn operand(op: &str, a: &Array, axis: Option<i64>, s: Stream) -> Result<(Array, i64, usize)> {
    match axis {
        None => Ok((reshape(a, &[a.size() as i64], Some(s))?, 0, 0)),
        Some(ax) => Ok((a.clone(), ax, sort_axis(op, ax, a.ndim())?)),
    }
}

/// `kth` resolved against the axis length, with MLX's ValueError.
fn kth_index(op: &str, a: &Array, kth: i64, axis: i64, ax: usize) -> Result<usize> {
    let n = a.shape()[ax];
    let k = if kth < 0 { kth + n } else { kth };
    if k < 0 || k >= n {
        return Err(Error::value(format!(
            "[{op}] Received invalid kth {kth} along axis {axis} for array with shape: {}",
            fmt_shape(a.shape())
        )));
    }
    Ok(k as usize)
}

/// A sorted copy of `a` along `axis` (`None`: of the flattened array).
/// Stable; NaNs last.
pub fn sort(a: &Array, axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "sort")?;
    let (x, _, ax) = operand("sort", a, axis, s)?;
    Ok(Array::from_op(
        x.shape().to_vec(),
        x.dtype(),
        s,
        Arc::new(Sort { axis: ax }),
        vec![x],
    ))
}

/// The uint32 indices that sort `a` stably along `axis` (`None`: the
/// flattened array).
pub fn argsort(a: &Array, axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "argsort")?;
    let (x, _, ax) = operand("argsort", a, axis, s)?;
    Ok(Array::from_op(
        x.shape().to_vec(),
        Dtype::Uint32,
        s,
        Arc::new(ArgSort { axis: ax }),
        vec![x],
    ))
}

/// A copy of `a` partitioned along `axis` (`None`: the flattened array)
/// so that position `kth` (negative: from the end) holds the element a
/// sort would put there, with no larger element before it and no smaller
/// one after it.
pub fn partition(a: &Array, kth: i64, axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "partition")?;
    let (x, axis, ax) = operand("partition", a, axis, s)?;
    let kth = kth_index("partition", &x, kth, axis, ax)?;
    Ok(Array::from_op(
        x.shape().to_vec(),
        x.dtype(),
        s,
        Arc::new(Partition { kth, axis: ax }),
        vec![x],
    ))
}

/// The uint32 indices that partition `a` along `axis` (`None`: the
/// flattened array) around position `kth` (see [`partition`]).
pub fn argpartition(a: &Array, kth: i64, axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "argpartition")?;
    let (x, axis, ax) = operand("argpartition", a, axis, s)?;
    let kth = kth_index("argpartition", &x, kth, axis, ax)?;
    argpartition_impl(&x, kth, ax, true, Some(s))
}

/// The [`ArgPartition`] node with resolved `kth` and `axis`. With
/// `ties_by_index` false the indices are the permutation [`partition`]
/// applies to `a` (`take_along_axis(a, idx) == partition(a)`), which
/// MLX's `argpartition` (ties ordered by index) need not be.
pub fn argpartition_impl(
    a: &Array,
    kth: usize,
    axis: usize,
    ties_by_index: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "argpartition")?;
    Ok(Array::from_op(
        a.shape().to_vec(),
        Dtype::Uint32,
        s,
        Arc::new(ArgPartition {
            kth,
            axis,
            ties_by_index,
        }),
        vec![a.clone()],
    ))
}

/// The `k` largest elements of `a` along `axis` (`None`: of the flattened
/// array): the last `k` elements of `partition(a, -k)`, so not sorted (MLX's
/// order). `k` equal to the axis length returns `a` unchanged.
pub fn topk(a: &Array, k: i64, axis: Option<i64>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "topk")?;
    let (x, axis, ax) = operand("topk", a, axis, s)?;
    let n = x.shape()[ax];
    if k < 0 || k > n {
        return Err(Error::value(format!(
            "[topk] Received invalid k={k} along axis {axis} for array with shape: {}",
            fmt_shape(x.shape())
        )));
    }
    if k == n {
        return Ok(x);
    }
    // MLX partitions around -k (for k == 0 that is position 0).
    let p = partition(&x, -k, Some(ax as i64), Some(s))?;
    let nd = x.ndim();
    let mut start = vec![0i64; nd];
    start[ax] = n - k;
    let mut count = x.shape().to_vec();
    count[ax] = k;
    slice_strided(&p, &start, &vec![1; nd], &count, Some(s))
}

/// For each element of `values`, the index at which inserting it keeps the
/// 1-d `sorted_sequence` sorted: after the elements less than it (`side
/// "left"`) or not greater than it (`"right"`), as uint32 of `values`'
/// shape. Both are promoted to a common dtype; NaNs compare as in `sort`.
pub fn searchsorted(
    sorted_sequence: &Array,
    values: &Array,
    side: &str,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "searchsorted")?;
    let right = match side {
        "left" => false,
        "right" => true,
        _ => {
            return Err(Error::value(format!(
                "[searchsorted] Invalid side '{side}'. Expected 'left' or 'right'."
            )))
        }
    };
    if sorted_sequence.ndim() != 1 {
        return Err(Error::value(format!(
            "[searchsorted] The sorted sequence must be 1-D but has {} dimensions.",
            sorted_sequence.ndim()
        )));
    }
    let dt = promote_types(sorted_sequence.dtype(), values.dtype());
    let seq = astype(sorted_sequence, dt, Some(s))?;
    let v = astype(values, dt, Some(s))?;
    Ok(Array::from_op(
        v.shape().to_vec(),
        Dtype::Uint32,
        s,
        Arc::new(SearchSorted { right }),
        vec![seq, v],
    ))
}

/// The median of `a` over `axes` (`None`: all axes), as MLX computes it:
/// sort the reduced elements, take the middle one (even counts: the mean of
/// the middle two, in the result dtype), NaN where a NaN is among them.
/// Integers and bool give float32, other dtypes keep theirs. An empty list
/// of axes returns `a` as that dtype (MLX raises an internal flatten error).
pub fn median(a: &Array, axes: Option<&[i64]>, keepdims: bool, s: Option<Stream>) -> Result<Array> {
    let s = Some(resolve_stream(s, "median")?);
    let nd = a.ndim();
    let all: Vec<i64> = (0..nd as i64).collect();
    let axes = axes.unwrap_or(&all);
    let mut red = Vec::with_capacity(axes.len());
    for &ax in axes {
        if ax < -(nd as i64) || ax >= nd as i64 {
            return Err(Error::index(format!(
                "[median] axis {ax} is out of bounds for array with {nd} dimensions."
            )));
        }
        red.push(if ax < 0 { ax + nd as i64 } else { ax } as usize);
    }
    red.sort_unstable();
    if red.windows(2).any(|w| w[0] == w[1]) {
        return Err(Error::value("[median] Received duplicate axis."));
    }
    let dt = a.dtype().to_inexact();
    if red.is_empty() && nd > 0 {
        return astype(a, dt, s);
    }
    let keep: Vec<usize> = (0..nd).filter(|d| !red.contains(d)).collect();
    let perm: Vec<i64> = keep.iter().chain(&red).map(|&d| d as i64).collect();
    let m: i64 = red.iter().map(|&d| a.shape()[d]).product();
    if m == 0 {
        return Err(Error::value(
            "[median] Cannot take median along empty axis.",
        ));
    }
    let mut flat_shape: Vec<i64> = keep.iter().map(|&d| a.shape()[d]).collect();
    flat_shape.push(m);
    let flat = reshape(&transpose(a, Some(&perm), s)?, &flat_shape, s)?;
    let sorted = sort(&flat, Some(-1), s)?;
    let last = flat_shape.len() - 1;
    let at = |i: i64| -> Result<Array> {
        let mut start = vec![0i64; flat_shape.len()];
        start[last] = i;
        let mut count = flat_shape.clone();
        count[last] = 1;
        slice_strided(&sorted, &start, &vec![1; flat_shape.len()], &count, s)
    };
    let mut med = astype(&at(m / 2)?, dt, s)?;
    if m % 2 == 0 {
        let lower = astype(&at(m / 2 - 1)?, dt, s)?;
        med = multiply(
            &add(&med, &lower, s)?,
            &Array::from_scalar(Scalar::Float(0.5), dt)?,
            s,
        )?;
    }
    if a.dtype().is_inexact() {
        // NaNs sort last: the slice holds one iff its last element is NaN.
        let nan = Array::from_scalar(Scalar::Float(f64::NAN), dt)?;
        med = where_(&isnan(&at(m - 1)?, s)?, &nan, &med, s)?;
    }
    let med = squeeze(&med, Some(&[last as i64]), s)?;
    if keepdims {
        let red: Vec<i64> = red.iter().map(|&d| d as i64).collect();
        expand_dims(&med, &red, s)
    } else {
        Ok(med)
    }
}
