//! Transformation rules (vjp, jvp, vmap) of the shape primitives
//! ([`Concatenate`], [`Pad`], [`Roll`], [`Diagonal`], [`Diag`]), following
//! MLX's `primitives.cpp`.
//!
//! All of them are linear in their inputs: the tangent goes through the op
//! itself and the cotangent through its adjoint (slices for a
//! concatenation, the reverse roll, the diagonal of a cotangent matrix ...).
//! Every rule builds public lazy ops, so the rules are themselves
//! differentiable and batchable. Integer and bool values go through the
//! same linear maps (as MLX).

use super::shape::{Concatenate, Diag, Diagonal, Pad, PadMode, Roll};
use super::view_grad::{batch_first, zero_of};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::ops;

/// `x` with a batch axis of `n` at the front: moved there when `x` has one
/// at `ax`, broadcast otherwise.
fn with_batch(x: &Array, ax: Option<usize>, n: i64) -> Result<Array> {
    match ax {
        Some(ax) => batch_first(x, ax),
        None => {
            let mut shape = vec![n];
            shape.extend_from_slice(x.shape());
            ops::broadcast_to(&ops::expand_dims(x, &[0], None)?, &shape, None)
        }
    }
}

/// The batch size: the size of the first batched input's batch axis.
fn batch_size(inputs: &[Array], axes: &[Option<usize>]) -> Option<i64> {
    inputs
        .iter()
        .zip(axes)
        .find_map(|(x, ax)| ax.map(|a| x.shape()[a]))
}

/// A slice of `x` along `axis`: `len` elements from `start`.
fn take(x: &Array, axis: usize, start: i64, len: i64) -> Result<Array> {
    let nd = x.ndim();
    let (mut st, mut count) = (vec![0i64; nd], x.shape().to_vec());
    st[axis] = start;
    count[axis] = len;
    ops::slice_strided(x, &st, &vec![1; nd], &count, None)
}

/// Pads `x` with zeros on `axis` only.
fn pad_axis(x: &Array, axis: usize, lo: i64, hi: i64) -> Result<Array> {
    let mut widths = vec![(0i64, 0i64); x.ndim()];
    widths[axis] = (lo, hi);
    ops::pad(x, &widths, PadMode::Constant, &zero_of(x)?, None)
}

// ----------------------------------------------------------- concatenate

/// Each input's cotangent is its slice of the output's.
pub(super) fn concatenate_vjp(
    p: &Concatenate,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let mut offsets = Vec::with_capacity(primals.len());
    let mut at = 0i64;
    for x in primals {
        offsets.push(at);
        at += x.shape()[p.axis];
    }
    argnums
        .iter()
        .map(|&i| take(cot, p.axis, offsets[i], primals[i].shape()[p.axis]))
        .collect()
}

/// The concatenation of the tangents (zeros for the inputs without one).
pub(super) fn concatenate_jvp(
    p: &Concatenate,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let parts = (0..primals.len())
        .map(|i| match argnums.iter().position(|&a| a == i) {
            Some(k) => Ok(tangents[k].clone()),
            None => ops::zeros_like(&primals[i], None, None),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(vec![ops::concatenate(&parts, Some(p.axis as i64), None)?])
}

/// Every input gets the batch axis at the front (unbatched ones are
/// broadcast), then they are joined along the shifted axis.
pub(super) fn concatenate_vmap(
    p: &Concatenate,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let Some(n) = batch_size(inputs, axes) else {
        return Ok((
            vec![ops::concatenate(inputs, Some(p.axis as i64), None)?],
            vec![None],
        ));
    };
    let parts = inputs
        .iter()
        .zip(axes)
        .map(|(x, &ax)| with_batch(x, ax, n))
        .collect::<Result<Vec<_>>>()?;
    Ok((
        vec![ops::concatenate(&parts, Some(p.axis as i64 + 1), None)?],
        vec![Some(0)],
    ))
}

// ------------------------------------------------------------------- pad

/// Index of axis position `i` (relative to the interior's start; negative
/// before it, `>= n` after it) that a border element copies. Mirrors
/// `pad_source` of `backend/cpu/shape.rs`.
fn pad_source(mode: PadMode, n: i64, i: i64) -> i64 {
    match mode {
        PadMode::Edge | PadMode::Constant => i.clamp(0, n - 1),
        PadMode::Reflect => {
            if n == 1 {
                return 0;
            }
            let p = 2 * (n - 1);
            let m = i.rem_euclid(p);
            if m >= n {
                p - m
            } else {
                m
            }
        }
        PadMode::Symmetric => {
            let p = 2 * n;
            let m = i.rem_euclid(p);
            if m >= n {
                p - 1 - m
            } else {
                m
            }
        }
    }
}

/// The adjoint of padding axis `axis` of an array of `n` elements there in
/// a replicating mode: the interior slice of `g` plus, for each run of
/// border positions copying consecutive (step +-1) or equal (step 0)
/// input positions, that run's cotangent (flipped or summed) added at its
/// source positions.
fn pad_axis_adjoint(mode: PadMode, g: &Array, axis: usize, n: i64, lo: i64) -> Result<Array> {
    let total = g.shape()[axis];
    let mut acc = take(g, axis, lo, n)?;
    let mut i = -lo;
    while i < total - lo {
        if (0..n).contains(&i) {
            i = n;
            continue;
        }
        let end = if i < 0 { 0 } else { total - lo };
        let s0 = pad_source(mode, n, i);
        let step = if i + 1 < end {
            pad_source(mode, n, i + 1) - s0
        } else {
            0
        };
        let mut len = 1;
        while i + len < end && pad_source(mode, n, i + len) == s0 + step * len {
            len += 1;
        }
        let part = take(g, axis, i + lo, len)?;
        // Border runs copy equal or consecutive sources (see the kernel).
        debug_assert!((-1..=1).contains(&step));
        let (part, first) = match step {
            0 => (ops::sum(&part, Some(&[axis as i64]), true, None)?, s0),
            1 => (part, s0),
            _ => (
                ops::flip(&part, Some(&[axis as i64]), None)?,
                s0 - (len - 1),
            ),
        };
        let width = part.shape()[axis];
        let placed = pad_axis(&part, axis, first, n - first - width)?;
        acc = ops::add(&acc, &placed, None)?;
        i += len;
    }
    Ok(acc)
}

/// The cotangent of the array is the interior of the output's (plus, in
/// the replicating modes, the border cotangents added at the positions
/// they copy); that of the constant fill value is the sum over the border.
pub(super) fn pad_vjp(
    p: &Pad,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    let nd = x.ndim();
    argnums
        .iter()
        .map(|&i| {
            if i == 1 {
                // Ones on the border: pad of zeros with fill one.
                let mask = ops::pad(
                    &ops::zeros(x.shape(), Dtype::Bool, None)?,
                    &widths(p),
                    PadMode::Constant,
                    &ops::ones(&[], Dtype::Bool, None)?,
                    None,
                )?;
                let border = ops::where_(&mask, cot, &zero_of(cot)?, None)?;
                return ops::astype(
                    &ops::sum(&border, None, false, None)?,
                    primals[1].dtype(),
                    None,
                );
            }
            if x.size() == 0 {
                return ops::zeros_like(x, None, None);
            }
            if p.mode == PadMode::Constant {
                return ops::slice_strided(cot, &p.low, &vec![1; nd], x.shape(), None);
            }
            let mut g = cot.clone();
            for ax in 0..nd {
                if p.low[ax] != 0 || p.high[ax] != 0 {
                    g = pad_axis_adjoint(p.mode, &g, ax, x.shape()[ax], p.low[ax])?;
                }
            }
            Ok(g)
        })
        .collect()
}

fn widths(p: &Pad) -> Vec<(i64, i64)> {
    p.low.iter().zip(&p.high).map(|(&l, &h)| (l, h)).collect()
}

/// The pad of the array's tangent with the fill value's tangent (each zero
/// when absent): padding is linear in both.
pub(super) fn pad_jvp(
    p: &Pad,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    let tan = |i: usize| argnums.iter().position(|&a| a == i).map(|k| &tangents[k]);
    let tx = match tan(0) {
        Some(t) => t.clone(),
        None => ops::zeros_like(x, None, None)?,
    };
    let tv = match tan(1) {
        Some(t) => t.clone(),
        None => zero_of(x)?,
    };
    Ok(vec![ops::pad(&tx, &widths(p), p.mode, &tv, None)?])
}

/// The batch axis goes to the front and is not padded. A batched fill
/// value (one per batch element) cannot be a `Pad` parameter: the array is
/// padded with zeros and the border is filled with the values by `where`.
pub(super) fn pad_vmap(
    p: &Pad,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let zero = zero_of(x)?;
    let value = inputs.get(1).unwrap_or(&zero);
    let Some(n) = batch_size(inputs, axes) else {
        return Ok((
            vec![ops::pad(x, &widths(p), p.mode, value, None)?],
            vec![None],
        ));
    };
    let xb = with_batch(x, axes[0], n)?;
    let mut w = vec![(0, 0)];
    w.extend(widths(p));
    let vax = axes.get(1).copied().flatten();
    let Some(vax) = vax else {
        return Ok((vec![ops::pad(&xb, &w, p.mode, value, None)?], vec![Some(0)]));
    };
    let padded = ops::pad(&xb, &w, p.mode, &zero, None)?;
    let mask = ops::pad(
        &ops::zeros(&xb.shape()[1..], Dtype::Bool, None)?,
        &widths(p),
        PadMode::Constant,
        &ops::ones(&[], Dtype::Bool, None)?,
        None,
    )?;
    // The value is 0-d per batch element: shape it (n, 1, ..., 1).
    let mut vshape = vec![n];
    vshape.extend(std::iter::repeat_n(1, padded.ndim() - 1));
    let v = ops::reshape(&batch_first(value, vax)?, &vshape, None)?;
    Ok((vec![ops::where_(&mask, &v, &padded, None)?], vec![Some(0)]))
}

// ------------------------------------------------------------------ roll

/// `shift` undone: `n - shift` per axis.
fn unroll_shift(p: &Roll, shape: &[i64]) -> Vec<i64> {
    p.shift
        .iter()
        .zip(shape)
        .map(|(&s, &n)| if n > 0 { (n - s) % n } else { 0 })
        .collect()
}

fn roll_all(x: &Array, shift: &[i64]) -> Result<Array> {
    let axes: Vec<i64> = (0..x.ndim() as i64).collect();
    ops::roll(x, shift, Some(&axes), None)
}

pub(super) fn roll_vjp(
    p: &Roll,
    primals: &[Array],
    cot: &Array,
    _: &[usize],
) -> Result<Vec<Array>> {
    Ok(vec![roll_all(cot, &unroll_shift(p, primals[0].shape()))?])
}

pub(super) fn roll_jvp(p: &Roll, _: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![roll_all(t, &p.shift)?])
}

/// The batch axis, where it is, is not rolled.
pub(super) fn roll_vmap(
    p: &Roll,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let mut shift = p.shift.clone();
    if let Some(b) = axes[0] {
        shift.insert(b, 0);
    }
    Ok((vec![roll_all(&inputs[0], &shift)?], vec![axes[0]]))
}

// -------------------------------------------------------------- diagonal

/// The `[..., n1, n2]` array with `g` (`[..., len]`) on its `offset`
/// diagonal and zeros elsewhere. The diagonal is indexed by the row when
/// `offset >= 0` and by the column otherwise, so `g` padded to that axis'
/// length and broadcast along the other one is selected by the `eye` mask.
fn embed_diagonal(g: &Array, n1: i64, n2: i64, offset: i64) -> Result<Array> {
    let len = g.shape()[g.ndim() - 1];
    if len == 0 {
        let mut shape = g.shape()[..g.ndim() - 1].to_vec();
        shape.extend([n1, n2]);
        return ops::zeros(&shape, g.dtype(), None);
    }
    let last = g.ndim() - 1;
    let (h, at) = if offset >= 0 {
        (pad_axis(g, last, 0, n1 - len)?, -1)
    } else {
        (pad_axis(g, last, 0, n2 - len)?, -2)
    };
    let h = ops::expand_dims(&h, &[at], None)?;
    let mask = ops::eye(n1, Some(n2), offset, Dtype::Bool, None)?;
    ops::where_(&mask, &h, &zero_of(g)?, None)
}

/// The cotangent matrix: the output's cotangent on the diagonal, zeros
/// elsewhere, with the plane's axes moved back to `axis1` and `axis2`.
pub(super) fn diagonal_vjp(
    p: &Diagonal,
    primals: &[Array],
    cot: &Array,
    _: &[usize],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    let nd = x.ndim();
    let (n1, n2) = (x.shape()[p.axis1], x.shape()[p.axis2]);
    let e = embed_diagonal(cot, n1, n2, p.offset)?;
    // `e` holds the other axes in order, then axis1, then axis2.
    let rest = nd - 2;
    let mut next = 0;
    let perm: Vec<i64> = (0..nd)
        .map(|k| {
            if k == p.axis1 {
                rest as i64
            } else if k == p.axis2 {
                rest as i64 + 1
            } else {
                next += 1;
                next - 1
            }
        })
        .collect();
    Ok(vec![ops::transpose(&e, Some(&perm), None)?])
}

pub(super) fn diagonal_jvp(p: &Diagonal, _: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::diagonal(
        t,
        p.offset,
        p.axis1 as i64,
        p.axis2 as i64,
        None,
    )?])
}

/// The batch axis goes to the front; the diagonal stays the last axis.
pub(super) fn diagonal_vmap(
    p: &Diagonal,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let Some(b) = axes[0] else {
        return Ok((diagonal_jvp(p, &[], &inputs[0])?, vec![None]));
    };
    let x = batch_first(&inputs[0], b)?;
    let d = ops::diagonal(&x, p.offset, p.axis1 as i64 + 1, p.axis2 as i64 + 1, None)?;
    Ok((vec![d], vec![Some(0)]))
}

// ------------------------------------------------------------------ diag

/// The `k`-th diagonal of the cotangent matrix.
pub(super) fn diag_vjp(p: &Diag, _: &[Array], cot: &Array, _: &[usize]) -> Result<Vec<Array>> {
    Ok(vec![ops::diagonal(cot, p.k, 0, 1, None)?])
}

pub(super) fn diag_jvp(p: &Diag, _: &[Array], t: &Array) -> Result<Vec<Array>> {
    Ok(vec![ops::diag(t, p.k, None)?])
}

/// A batch of vectors becomes a batch of matrices.
pub(super) fn diag_vmap(
    p: &Diag,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let Some(b) = axes[0] else {
        return Ok((diag_jvp(p, &[], &inputs[0])?, vec![None]));
    };
    let x = batch_first(&inputs[0], b)?;
    let m = x.shape()[1] + p.k.abs();
    Ok((vec![embed_diagonal(&x, m, m, p.k)?], vec![Some(0)]))
}
