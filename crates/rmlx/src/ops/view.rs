//! View ops: `broadcast_to`, `reshape`, `transpose`, strided slicing,
//! `contiguous`, `as_strided`, and `depends` (outputs equal to the inputs
//! that also wait on other arrays). They build view primitives (no copy at
//! evaluation when the layout allows).

use std::sync::Arc;

use super::{broadcast_shapes, fmt_shape, normalize_axis};
use crate::array::{shape_size, Array};
use crate::device::{resolve_stream, Stream};
use crate::error::{Error, Result};
use crate::primitives::depends::Depends;
use crate::primitives::view::{AsStrided, Broadcast, Contiguous, Reshape, Slice, Transpose};

/// Broadcasts `a` to `shape` (MLX `broadcast_to`).
pub fn broadcast_to(a: &Array, shape: &[i64], s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "broadcast_to")?;
    if a.shape() == shape {
        return Ok(a.clone());
    }
    let out = broadcast_shapes(a.shape(), shape)?;
    if out != shape {
        return Err(Error::value(format!(
            "[broadcast_shapes] Shapes {} and {} cannot be broadcast.",
            fmt_shape(a.shape()),
            fmt_shape(shape)
        )));
    }
    Ok(Array::from_op(
        out,
        a.dtype(),
        s,
        Arc::new(Broadcast {
            shape: shape.to_vec(),
        }),
        vec![a.clone()],
    ))
}

/// Broadcasts arrays to their common shape (MLX `broadcast_arrays`).
pub fn broadcast_arrays(arrays: &[Array], s: Option<Stream>) -> Result<Vec<Array>> {
    let mut shape: Vec<i64> = Vec::new();
    for a in arrays {
        shape = broadcast_shapes(&shape, a.shape())?;
    }
    arrays.iter().map(|a| broadcast_to(a, &shape, s)).collect()
}

/// Resolves one `-1` in a requested shape against `size` elements.
pub fn infer_shape(op: &str, size: usize, shape: &[i64]) -> Result<Vec<i64>> {
    let mut out = shape.to_vec();
    let mut infer = None;
    let mut known = 1i64;
    for (i, &d) in shape.iter().enumerate() {
        if d == -1 {
            if infer.is_some() {
                return Err(Error::value(format!(
                    "[{op}] Can only infer one dimension."
                )));
            }
            infer = Some(i);
        } else if d < 0 {
            return Err(Error::value(format!(
                "[{op}] Invalid dimension {d} in shape {}.",
                fmt_shape(shape)
            )));
        } else {
            known *= d;
        }
    }
    if let Some(i) = infer {
        if known == 0 || size as i64 % known != 0 {
            return Err(Error::value(format!(
                "[{op}] Cannot infer the shape of an empty array or of size {size} into shape {}.",
                fmt_shape(shape)
            )));
        }
        out[i] = size as i64 / known;
    }
    if shape_size(&out) != size {
        return Err(Error::value(format!(
            "[{op}] Cannot reshape array of size {size} into shape {}.",
            fmt_shape(&out)
        )));
    }
    Ok(out)
}

/// Reshapes `a` (one axis may be -1) (MLX `reshape`).
pub fn reshape(a: &Array, shape: &[i64], s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "reshape")?;
    let shape = infer_shape("reshape", a.size(), shape)?;
    if shape == a.shape() {
        return Ok(a.clone());
    }
    Ok(Array::from_op(
        shape.clone(),
        a.dtype(),
        s,
        Arc::new(Reshape { shape }),
        vec![a.clone()],
    ))
}

/// Permutes the axes; `None` reverses them (MLX `transpose`).
pub fn transpose(a: &Array, axes: Option<&[i64]>, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "transpose")?;
    let nd = a.ndim();
    let perm: Vec<usize> = match axes {
        None => (0..nd).rev().collect(),
        Some(ax) => {
            if ax.len() != nd {
                return Err(Error::value(format!(
                    "[transpose] Received {} axes for array with {nd} dimensions.",
                    ax.len()
                )));
            }
            let mut seen = vec![false; nd];
            let mut p = Vec::with_capacity(nd);
            for &x in ax {
                let v = normalize_axis("transpose", x, nd)?;
                if seen[v] {
                    return Err(Error::value(format!(
                        "[transpose] Repeat axes not allowed in transpose, got {x}."
                    )));
                }
                seen[v] = true;
                p.push(v);
            }
            p
        }
    };
    if perm.iter().enumerate().all(|(i, &p)| i == p) {
        return Ok(a.clone());
    }
    let shape = perm.iter().map(|&p| a.shape()[p]).collect();
    Ok(Array::from_op(
        shape,
        a.dtype(),
        s,
        Arc::new(Transpose(perm)),
        vec![a.clone()],
    ))
}

/// A strided slice with already-normalised per-axis `start`, `step` and
/// element `count` (the engine behind Python basic indexing).
pub fn slice_strided(
    a: &Array,
    start: &[i64],
    step: &[i64],
    count: &[i64],
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "slice")?;
    if a.shape() == count && step.iter().all(|&k| k == 1) {
        return Ok(a.clone());
    }
    let prim = Slice {
        start: start.to_vec(),
        step: step.to_vec(),
        count: count.to_vec(),
    };
    Ok(Array::from_op(
        count.to_vec(),
        a.dtype(),
        s,
        Arc::new(prim),
        vec![a.clone()],
    ))
}

/// A row-contiguous copy of `a` (MLX `contiguous`; `allow_col_major` is
/// accepted for API parity, the result is always row-major).
pub fn contiguous(a: &Array, allow_col_major: bool, s: Option<Stream>) -> Result<Array> {
    let _ = allow_col_major;
    let s = resolve_stream(s, "contiguous")?;
    Ok(Array::from_op(
        a.shape().to_vec(),
        a.dtype(),
        s,
        Arc::new(Contiguous),
        vec![a.clone()],
    ))
}

/// A view of `a` (as if it were row-contiguous and flat) with the given
/// element `strides` and `offset` (MLX `as_strided`). Unlike MLX, a view
/// that would read outside `a` is refused instead of reading stray memory.
pub fn as_strided(
    a: &Array,
    shape: &[i64],
    strides: &[i64],
    offset: i64,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "as_strided")?;
    if shape.len() != strides.len() {
        return Err(Error::value(format!(
            "[as_strided] Shape {} and strides {} must have the same number of dimensions.",
            fmt_shape(shape),
            fmt_shape(strides)
        )));
    }
    if let Some(&d) = shape.iter().find(|&&d| d < 0) {
        return Err(Error::value(format!(
            "[as_strided] Invalid dimension {d} in shape {}.",
            fmt_shape(shape)
        )));
    }
    let n = a.size() as i64;
    if !shape.contains(&0) {
        let (mut lo, mut hi) = (offset, offset);
        for (&d, &st) in shape.iter().zip(strides) {
            let span = (d - 1) * st;
            if span < 0 {
                lo += span;
            } else {
                hi += span;
            }
        }
        if lo < 0 || hi >= n {
            return Err(Error::value(format!(
                "[as_strided] Shape {}, strides {} and offset {offset} read elements {lo} to {hi} \
                 of an array of size {n}.",
                fmt_shape(shape),
                fmt_shape(strides)
            )));
        }
    }
    let flat = reshape(a, &[n], Some(s))?;
    Ok(Array::from_op(
        shape.to_vec(),
        a.dtype(),
        s,
        Arc::new(AsStrided {
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            offset,
        }),
        vec![flat],
    ))
}

/// Arrays equal to `inputs` whose evaluation also waits for
/// `dependencies` (MLX `depends`).
pub fn depends(inputs: &[Array], dependencies: &[Array], s: Option<Stream>) -> Result<Vec<Array>> {
    let s = resolve_stream(s, "depends")?;
    if inputs.is_empty() {
        return Err(Error::value("[depends] Expected at least one input array."));
    }
    let outputs = inputs
        .iter()
        .map(|x| (x.shape().to_vec(), x.dtype()))
        .collect();
    let mut all = inputs.to_vec();
    all.extend_from_slice(dependencies);
    Ok(Array::from_multi_op(
        outputs,
        s,
        Arc::new(Depends {
            n_inputs: inputs.len(),
        }),
        all,
    ))
}
