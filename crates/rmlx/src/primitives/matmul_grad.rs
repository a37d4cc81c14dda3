//! Transformation rules (vjp, jvp, vmap) of the matrix-product primitives.
//! Every rule builds public lazy ops, so rules are differentiable and
//! batchable in turn.
//!
//! Complex products follow MLX's convention: cotangents flow through the
//! conjugated operands (`d(a @ b)/da` applied to `g` is `g @ conj(b)^T`);
//! tangents do not conjugate. Gradients with respect to index arrays
//! (gather_mm, segmented_mm) are errors, as in MLX.

use super::matmul::{AddMM, Hadamard};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::ops;

/// The last two axes of `x` swapped.
fn mt(x: &Array) -> Result<Array> {
    ops::swapaxes(x, -1, -2, None)
}

/// `conj(x)^T` over the last two axes.
fn adjoint(x: &Array) -> Result<Array> {
    ops::conjugate(&mt(x)?, None)
}

fn scaled(x: Array, s: f64) -> Result<Array> {
    if s == 1.0 {
        return Ok(x);
    }
    ops::multiply(&x, &Array::from_scalar(Scalar::Float(s), x.dtype())?, None)
}

/// Moves a batch axis to the front (no-op for `None` or axis 0).
fn to_front(x: &Array, ax: Option<usize>) -> Result<Array> {
    match ax {
        Some(a) if a > 0 => ops::moveaxis(x, a as i64, 0, None),
        _ => Ok(x.clone()),
    }
}

fn sum_tangents(parts: Vec<Array>) -> Result<Array> {
    let mut it = parts.into_iter();
    let mut acc = it.next().ok_or_else(|| Error::value("[jvp] no tangents"))?;
    for p in it {
        acc = ops::add(&acc, &p, None)?;
    }
    Ok(acc)
}

pub(super) fn matmul_vjp(
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
    scale: f64,
) -> Result<Vec<Array>> {
    let (a, b) = (&primals[0], &primals[1]);
    argnums
        .iter()
        .map(|&arg| {
            let g = if arg == 0 {
                ops::matmul(cot, &adjoint(b)?, None)?
            } else {
                ops::matmul(&adjoint(a)?, cot, None)?
            };
            scaled(g, scale)
        })
        .collect()
}

pub(super) fn matmul_jvp(
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (a, b) = (&primals[0], &primals[1]);
    let parts = argnums
        .iter()
        .zip(tangents)
        .map(|(&arg, t)| {
            if arg == 0 {
                ops::matmul(t, b, None)
            } else {
                ops::matmul(a, t, None)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(vec![sum_tangents(parts)?])
}

pub(super) fn matmul_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    // With the batch axes in front, matmul's broadcasting lines the
    // unbatched operand up with the batched one.
    let a = to_front(&inputs[0], axes[0])?;
    let b = to_front(&inputs[1], axes[1])?;
    Ok((vec![ops::matmul(&a, &b, None)?], vec![Some(0)]))
}

pub(super) fn addmm_vjp(
    p: &AddMM,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let mut out = Vec::with_capacity(argnums.len());
    for &arg in argnums {
        out.push(if arg < 2 {
            matmul_vjp(primals, cot, &[arg], p.alpha)?.remove(0)
        } else {
            scaled(cot.clone(), p.beta)?
        });
    }
    Ok(out)
}

pub(super) fn addmm_jvp(
    p: &AddMM,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (a, b) = (&primals[0], &primals[1]);
    let mut parts = Vec::new();
    for (&arg, t) in argnums.iter().zip(tangents) {
        parts.push(match arg {
            0 => scaled(ops::matmul(t, b, None)?, p.alpha)?,
            1 => scaled(ops::matmul(a, t, None)?, p.alpha)?,
            _ => scaled(t.clone(), p.beta)?,
        });
    }
    Ok(vec![sum_tangents(parts)?])
}

pub(super) fn addmm_vmap(
    p: &AddMM,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let a = to_front(&inputs[0], axes[0])?;
    let b = to_front(&inputs[1], axes[1])?;
    let c = to_front(&inputs[2], axes[2])?;
    Ok((
        vec![ops::addmm(&c, &a, &b, p.alpha, p.beta, None)?],
        vec![Some(0)],
    ))
}

fn index_grad_error() -> Error {
    Error::value("[gather_mm] Cannot calculate VJP with respect to indices.")
}

/// Sums `g` (`idx... + (r, c)`) into the `count` matrices `idx` points at,
/// giving `(count, r, c)`: a one-hot matrix product, itself differentiable.
fn scatter_matrices(g: &Array, idx: &Array, count: i64) -> Result<Array> {
    let nd = g.ndim();
    let (r, c) = (g.shape()[nd - 2], g.shape()[nd - 1]);
    let items = idx.size() as i64;
    let oh = ops::one_hot(&ops::reshape(idx, &[items], None)?, count, g.dtype(), None)?;
    let flat = ops::reshape(g, &[items, r * c], None)?;
    let summed = ops::matmul(&mt(&oh)?, &flat, None)?;
    ops::reshape(&summed, &[count, r, c], None)
}

pub(super) fn gather_mm_vjp(
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (a, b, li, ri) = (&primals[0], &primals[1], &primals[2], &primals[3]);
    let mut out = Vec::with_capacity(argnums.len());
    for &arg in argnums {
        match arg {
            0 => {
                let g = ops::gather_mm(cot, &adjoint(b)?, None, Some(ri), false, None)?;
                out.push(ops::reshape(
                    &scatter_matrices(&g, li, batch_count(a))?,
                    a.shape(),
                    None,
                )?);
            }
            1 => {
                let g = ops::gather_mm(&adjoint(a)?, cot, Some(li), None, false, None)?;
                out.push(ops::reshape(
                    &scatter_matrices(&g, ri, batch_count(b))?,
                    b.shape(),
                    None,
                )?);
            }
            _ => return Err(index_grad_error()),
        }
    }
    Ok(out)
}

/// Number of matrices in the batch axes of `x`.
fn batch_count(x: &Array) -> i64 {
    x.shape()[..x.ndim() - 2].iter().product()
}

pub(super) fn gather_mm_jvp(
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (a, b, li, ri) = (&primals[0], &primals[1], &primals[2], &primals[3]);
    let mut parts = Vec::new();
    for (&arg, t) in argnums.iter().zip(tangents) {
        parts.push(match arg {
            0 => ops::gather_mm(t, b, Some(li), Some(ri), false, None)?,
            1 => ops::gather_mm(a, t, Some(li), Some(ri), false, None)?,
            _ => {
                return Err(Error::value(
                    "[gather_mm] Cannot calculate JVP with respect to indices.",
                ))
            }
        });
    }
    Ok(vec![sum_tangents(parts)?])
}

pub(super) fn gather_mm_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let v = inputs
        .iter()
        .zip(axes)
        .find_map(|(x, ax)| ax.map(|a| x.shape()[a]))
        .unwrap_or(1);
    // A batched operand's matrices are flattened into its batch and its
    // indices offset by the vmap position; indices gain a leading axis.
    let operand = |x: &Array, ax: Option<usize>| -> Result<(Array, Option<Array>)> {
        match ax {
            None => Ok((x.clone(), None)),
            Some(a) => {
                let x = ops::moveaxis(x, a as i64, 0, None)?;
                let nd = x.ndim();
                let per: i64 = x.shape()[1..nd - 2].iter().product();
                let flat = ops::reshape(&x, &[-1, x.shape()[nd - 2], x.shape()[nd - 1]], None)?;
                let offs = ops::arange(
                    0.0,
                    (v * per) as f64,
                    per.max(1) as f64,
                    Dtype::Uint32,
                    None,
                )?;
                let offs = if per == 0 {
                    ops::zeros(&[v], Dtype::Uint32, None)?
                } else {
                    offs
                };
                Ok((flat, Some(offs)))
            }
        }
    };
    let index = |x: &Array, ax: Option<usize>, offs: Option<Array>| -> Result<Array> {
        let x = match ax {
            Some(a) => ops::moveaxis(x, a as i64, 0, None)?,
            None => ops::expand_dims(x, &[0], None)?,
        };
        match offs {
            None => Ok(x),
            Some(o) => {
                let mut sh = vec![1i64; x.ndim()];
                sh[0] = v;
                ops::add(&x, &ops::reshape(&o, &sh, None)?, None)
            }
        }
    };
    let (a, oa) = operand(&inputs[0], axes[0])?;
    let (b, ob) = operand(&inputs[1], axes[1])?;
    let li = index(&inputs[2], axes[2], oa)?;
    let ri = index(&inputs[3], axes[3], ob)?;
    let out = ops::gather_mm(&a, &b, Some(&li), Some(&ri), false, None)?;
    // The leading axis is 1 when only one side got the vmap extent through
    // broadcasting; give it the full extent.
    let out = if out.shape()[0] != v {
        let mut sh = out.shape().to_vec();
        sh[0] = v;
        ops::broadcast_to(&out, &sh, None)?
    } else {
        out
    };
    Ok((vec![out], vec![Some(0)]))
}

/// Sums `g` over all its axes but the last `keep`.
fn sum_leading(g: Array, keep: usize) -> Result<Array> {
    let lead = g.ndim() - keep;
    if lead == 0 {
        return Ok(g);
    }
    let axes: Vec<i64> = (0..lead as i64).collect();
    ops::sum(&g, Some(&axes), false, None)
}

pub(super) fn segmented_mm_vjp(
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (a, b, seg) = (&primals[0], &primals[1], &primals[2]);
    let k = a.shape()[1];
    let mut out = Vec::with_capacity(argnums.len());
    for &arg in argnums {
        let mask = ops::segment_mask(seg, k, a.dtype(), None)?;
        match arg {
            0 => {
                let g = ops::matmul(cot, &adjoint(b)?, None)?;
                let g = ops::multiply(&g, &ops::expand_dims(&mask, &[-2], None)?, None)?;
                out.push(sum_leading(g, 2)?);
            }
            1 => {
                let g = ops::matmul(&adjoint(a)?, cot, None)?;
                let g = ops::multiply(&g, &ops::expand_dims(&mask, &[-1], None)?, None)?;
                out.push(sum_leading(g, 2)?);
            }
            _ => {
                return Err(Error::value(
                    "[segmented_mm] Cannot calculate VJP with respect to segments.",
                ))
            }
        }
    }
    Ok(out)
}

pub(super) fn segmented_mm_jvp(
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (a, b, seg) = (&primals[0], &primals[1], &primals[2]);
    let mut parts = Vec::new();
    for (&arg, t) in argnums.iter().zip(tangents) {
        parts.push(match arg {
            0 => ops::segmented_mm(t, b, seg, None)?,
            1 => ops::segmented_mm(a, t, seg, None)?,
            _ => {
                return Err(Error::value(
                    "[segmented_mm] Cannot calculate JVP with respect to segments.",
                ))
            }
        });
    }
    Ok(vec![sum_tangents(parts)?])
}

pub(super) fn segmented_mm_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    // The masked form: out[v, s...] = (a[v] * mask[v, s]) @ b[v].
    let seg = to_front(&inputs[2], axes[2])?;
    let a = to_front(&inputs[0], axes[0])?;
    let b = to_front(&inputs[1], axes[1])?;
    let k = a.shape()[a.ndim() - 1];
    // Segment axes other than the vmap one.
    let ns = seg.ndim() - 1 - usize::from(axes[2].is_some());
    let mask = ops::segment_mask(&seg, k, a.dtype(), None)?;
    let mask = if axes[2].is_some() {
        mask
    } else {
        ops::expand_dims(&mask, &[0], None)?
    };
    let mask = ops::expand_dims(&mask, &[-2], None)?;
    let lift = |x: Array, batched: bool| -> Result<Array> {
        let x = if batched {
            x
        } else {
            ops::expand_dims(&x, &[0], None)?
        };
        let mut sh = vec![x.shape()[0]];
        sh.extend(std::iter::repeat_n(1, ns));
        sh.extend_from_slice(&x.shape()[1..]);
        ops::reshape(&x, &sh, None)
    };
    let a = lift(a, axes[0].is_some())?;
    let b = lift(b, axes[1].is_some())?;
    let out = ops::matmul(&ops::multiply(&a, &mask, None)?, &b, None)?;
    Ok((vec![out], vec![Some(0)]))
}

pub(super) fn hadamard_vjp(p: &Hadamard, cot: &Array) -> Result<Vec<Array>> {
    let s = cot.stream();
    Ok(vec![ops::hadamard_node(cot, p.scale, !p.transpose, s)?])
}

pub(super) fn hadamard_jvp(p: &Hadamard, t: &Array) -> Result<Vec<Array>> {
    let s = t.stream();
    Ok(vec![ops::hadamard_node(t, p.scale, p.transpose, s)?])
}

pub(super) fn hadamard_vmap(
    p: &Hadamard,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let (x, ax) = match axes[0] {
        Some(a) if a + 1 == x.ndim() => (ops::moveaxis(x, a as i64, 0, None)?, Some(0)),
        other => (x.clone(), other),
    };
    Ok((
        vec![ops::hadamard_node(&x, p.scale, p.transpose, x.stream())?],
        vec![ax],
    ))
}
