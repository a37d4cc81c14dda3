//! Transformation rules of [`Convolution`]. A convolution is bilinear, and
//! both of its transposes are convolutions again, so every rule builds
//! convolutions (differentiable and batchable in turn):
//!
//! * **input cotangent**: the output cotangent convolved with the weight
//!   transposed per group (`C_out` and `C_in` swapped) and flipped the other
//!   way; the roles of stride and input dilation swap and the low padding
//!   becomes `(K - 1) * kernel_dilation - padding_lo` (negative values crop,
//!   which the primitive allows; the public ops never build them).
//! * **weight cotangent**: a convolution over the batch: the input with its
//!   batch and channel axes swapped (batch of `C_in / groups`, channels
//!   `groups x N`) correlated with the output cotangent (`C_out` outputs,
//!   taps over the output positions, `N` channels per group), with stride
//!   and kernel dilation swapped; flipped back when the convolution flips.
//! * **jvp**: `conv(dx, w) + conv(x, dw)`.
//! * **vmap**: a batched input folds its batch into `N`; a batched weight
//!   into `C_out` (inside each group); both batched fold the batch into the
//!   groups.
//!
//! Output extents are set exactly through the high padding.

use std::sync::Arc;

use super::conv::Convolution;
use crate::array::Array;
use crate::device::resolve_stream;
use crate::error::Result;
use crate::ops;

/// The convolution `p` of `x` and `w` (dtypes already equal; no checks).
pub(crate) fn conv_raw(x: &Array, w: &Array, p: Convolution) -> Result<Array> {
    let s = resolve_stream(None, "conv_general")?;
    let shape = p.out_shape(x.shape(), w.shape());
    Ok(Array::from_op(
        shape,
        x.dtype(),
        s,
        Arc::new(p),
        vec![x.clone(), w.clone()],
    ))
}

/// The high padding that makes axis `i` of a convolution produce `out`
/// outputs from `in_size` inputs and `k` taps.
fn hi_for(p: &Convolution, i: usize, in_size: i64, k: i64, out: i64) -> i64 {
    let dilated = (in_size - 1) * p.input_dilation[i] + 1;
    let span = (k - 1) * p.kernel_dilation[i] + 1;
    (out - 1) * p.stride[i] + span - dilated - p.padding_lo[i]
}

fn to_i64(v: &[usize]) -> Vec<i64> {
    v.iter().map(|&a| a as i64).collect()
}

/// Cotangent of the input: `(N, spatial..., C_in)`.
fn grad_input(p: &Convolution, x: &Array, w: &Array, cot: &Array) -> Result<Array> {
    let d = p.ndim();
    let (ws, xs) = (w.shape(), x.shape());
    let g = p.groups;
    let (og, cg) = (ws[0] / g, ws[d + 1]);
    // w2[g*Cg + c, k, j] = w[g*Og + j, k, c].
    let mut split = vec![g, og];
    split.extend_from_slice(&ws[1..=d]);
    split.push(cg);
    let w5 = ops::reshape(w, &split, None)?;
    let mut perm = vec![0usize, d + 2];
    perm.extend(2..d + 2);
    perm.push(1);
    let w5 = ops::transpose(&w5, Some(&to_i64(&perm)), None)?;
    let mut shape2 = vec![g * cg];
    shape2.extend_from_slice(&ws[1..=d]);
    shape2.push(og);
    let w2 = ops::reshape(&w5, &shape2, None)?;
    let mut q = Convolution {
        stride: p.input_dilation.clone(),
        padding_lo: (0..d)
            .map(|i| (ws[i + 1] - 1) * p.kernel_dilation[i] - p.padding_lo[i])
            .collect(),
        padding_hi: vec![0; d],
        kernel_dilation: p.kernel_dilation.clone(),
        input_dilation: p.stride.clone(),
        groups: g,
        flip: !p.flip,
    };
    let cs = cot.shape();
    q.padding_hi = (0..d)
        .map(|i| hi_for(&q, i, cs[i + 1], ws[i + 1], xs[i + 1]))
        .collect();
    conv_raw(cot, &w2, q)
}

/// Cotangent of the weight: `(C_out, spatial..., C_in / groups)`.
fn grad_weight(p: &Convolution, x: &Array, w: &Array, cot: &Array) -> Result<Array> {
    let d = p.ndim();
    let (ws, xs) = (w.shape(), x.shape());
    let g = p.groups;
    let cg = ws[d + 1];
    // x3[c, i..., g*N + n] = x[n, i..., g*Cg + c].
    let mut split = xs[..=d].to_vec();
    split.push(g);
    split.push(cg);
    let x5 = ops::reshape(x, &split, None)?;
    let mut perm = vec![d + 2];
    perm.extend(1..=d);
    perm.push(d + 1);
    perm.push(0);
    let x5 = ops::transpose(&x5, Some(&to_i64(&perm)), None)?;
    let mut shape3 = vec![cg];
    shape3.extend_from_slice(&xs[1..=d]);
    shape3.push(g * xs[0]);
    let x3 = ops::reshape(&x5, &shape3, None)?;
    // y3[gj, o..., n] = cot[n, o..., gj].
    let y3 = ops::swapaxes(cot, 0, -1, None)?;
    let mut q = Convolution {
        stride: p.kernel_dilation.clone(),
        padding_lo: p.padding_lo.clone(),
        padding_hi: vec![0; d],
        kernel_dilation: p.stride.clone(),
        input_dilation: p.input_dilation.clone(),
        groups: g,
        flip: false,
    };
    let cs = cot.shape();
    q.padding_hi = (0..d)
        .map(|i| hi_for(&q, i, xs[i + 1], cs[i + 1], ws[i + 1]))
        .collect();
    let r = conv_raw(&x3, &y3, q)?;
    let gw = ops::swapaxes(&r, 0, -1, None)?;
    if p.flip {
        let axes: Vec<i64> = (1..=d as i64).collect();
        ops::flip(&gw, Some(&axes), None)
    } else {
        Ok(gw)
    }
}

pub(super) fn conv_vjp(
    p: &Convolution,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (x, w) = (&primals[0], &primals[1]);
    argnums
        .iter()
        .map(|&a| {
            if a == 0 {
                grad_input(p, x, w, cot)
            } else {
                grad_weight(p, x, w, cot)
            }
        })
        .collect()
}

pub(super) fn conv_jvp(
    p: &Convolution,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (x, w) = (&primals[0], &primals[1]);
    let mut acc: Option<Array> = None;
    for (t, &a) in tangents.iter().zip(argnums) {
        let term = if a == 0 {
            conv_raw(t, w, p.clone())?
        } else {
            conv_raw(x, t, p.clone())?
        };
        acc = Some(match acc {
            None => term,
            Some(s) => ops::add(&s, &term, None)?,
        });
    }
    Ok(vec![acc.expect("jvp with at least one tangent")])
}

pub(super) fn conv_vmap(
    p: &Convolution,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let (x, w) = (&inputs[0], &inputs[1]);
    let d = p.ndim();
    let out = match (axes[0], axes[1]) {
        (None, None) => return Ok((vec![conv_raw(x, w, p.clone())?], vec![None])),
        (Some(bx), None) => {
            // (B, N, ...) -> (B*N, ...).
            let x = ops::moveaxis(x, bx as i64, 0, None)?;
            let xs = x.shape().to_vec();
            let mut flat = vec![xs[0] * xs[1]];
            flat.extend_from_slice(&xs[2..]);
            let y = conv_raw(&ops::reshape(&x, &flat, None)?, w, p.clone())?;
            let mut shape = vec![xs[0], xs[1]];
            shape.extend_from_slice(&y.shape()[1..]);
            ops::reshape(&y, &shape, None)?
        }
        (None, Some(bw)) => {
            // (B, O, K..., Cg) -> (G*B*Og, K..., Cg): the batch goes inside
            // each group's output channels.
            let w = ops::moveaxis(w, bw as i64, 0, None)?;
            let ws = w.shape().to_vec();
            let (b, g) = (ws[0], p.groups);
            let og = ws[1] / g;
            let mut split = vec![b, g, og];
            split.extend_from_slice(&ws[2..]);
            let mut perm: Vec<i64> = vec![1, 0];
            perm.extend(2..split.len() as i64);
            let w2 = ops::transpose(&ops::reshape(&w, &split, None)?, Some(&perm), None)?;
            let mut merged = vec![g * b * og];
            merged.extend_from_slice(&ws[2..]);
            let y = conv_raw(x, &ops::reshape(&w2, &merged, None)?, p.clone())?;
            // (N, sp..., G, B, Og) -> (B, N, sp..., G, Og) -> (B, N, sp..., O).
            let ys = y.shape().to_vec();
            let mut split = ys[..=d].to_vec();
            split.extend_from_slice(&[g, b, og]);
            let y = ops::moveaxis(&ops::reshape(&y, &split, None)?, d as i64 + 2, 0, None)?;
            let mut shape = vec![b];
            shape.extend_from_slice(&ys[..=d]);
            shape.push(g * og);
            ops::reshape(&y, &shape, None)?
        }
        (Some(bx), Some(bw)) => {
            // The batch becomes groups: x (N, sp..., B*C), w (B*O, K..., Cg).
            let x = ops::moveaxis(x, bx as i64, d as i64 + 1, None)?;
            let xs = x.shape().to_vec();
            let b = xs[d + 1];
            let mut xm = xs[..=d].to_vec();
            xm.push(b * xs[d + 2]);
            let w = ops::moveaxis(w, bw as i64, 0, None)?;
            let ws = w.shape().to_vec();
            let mut wm = vec![b * ws[1]];
            wm.extend_from_slice(&ws[2..]);
            let mut q = p.clone();
            q.groups = p.groups * b;
            let y = conv_raw(
                &ops::reshape(&x, &xm, None)?,
                &ops::reshape(&w, &wm, None)?,
                q,
            )?;
            let ys = y.shape().to_vec();
            let mut split = ys[..=d].to_vec();
            split.extend_from_slice(&[b, ws[1]]);
            ops::moveaxis(&ops::reshape(&y, &split, None)?, d as i64 + 1, 0, None)?
        }
    };
    Ok((vec![out], vec![Some(0)]))
}
