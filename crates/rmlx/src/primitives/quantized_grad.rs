//! Transformation rules of the quantization primitives.
//!
//! * `Quantize`: zero cotangents and tangents (MLX's behaviour: rounding
//!   is flat almost everywhere).
//! * `Dequantize` (affine): linear in scales and biases; with cotangent
//!   `c` grouped as `(..., groups, group_size)`, `d scales = Σ c * q` and
//!   `d biases = Σ c` where `q` are the integer codes; the codes get zeros.
//! * `QuantizedMatmul`: `d x` is the product with the other transpose;
//!   the packed weights have no gradient (MLX's error); affine scales and
//!   biases go through the dense gradient of the dequantised matrix.
//! * `vmap`: batch axes move to the front (unbatched operands are
//!   broadcast) and the op is applied to the batched operands.

use super::quantized::{Dequantize, Quantize, QuantizedMatmul};
use crate::array::Array;
use crate::backend::cpu::quantized::QMode;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::ops;

/// Moves the batch axis of each operand to the front, broadcasting the
/// unbatched ones to the batch size.
fn align(inputs: &[Array], axes: &[Option<usize>]) -> Result<Vec<Array>> {
    let b = inputs
        .iter()
        .zip(axes)
        .find_map(|(a, ax)| ax.map(|ax| a.shape()[ax]))
        .unwrap_or(1);
    inputs
        .iter()
        .zip(axes)
        .map(|(a, ax)| match ax {
            Some(ax) => ops::moveaxis(a, *ax as i64, 0, None),
            None => {
                let mut sh = vec![b];
                sh.extend_from_slice(a.shape());
                ops::broadcast_to(&ops::expand_dims(a, &[0], None)?, &sh, None)
            }
        })
        .collect()
}

/// Zero tangents of the quantized outputs.
pub fn quantize_jvp(p: &Quantize, primals: &[Array]) -> Result<Vec<Array>> {
    let outs = ops::quantized::quantize(
        &primals[0],
        Some(p.group_size as i64),
        Some(p.bits as i64),
        p.mode.name(),
        primals.get(1),
        None,
    )?;
    outs.iter()
        .map(|o| ops::zeros_like(o, None, None))
        .collect()
}

/// Quantize along the last axis of the batched operand.
pub fn quantize_vmap(
    p: &Quantize,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    if axes.get(1).copied().flatten().is_some() {
        return Err(Error::value(
            "[quantize] vmap over the global scale is not supported.",
        ));
    }
    let w = match axes[0] {
        Some(ax) => ops::moveaxis(&inputs[0], ax as i64, 0, None)?,
        None => inputs[0].clone(),
    };
    let outs = ops::quantized::quantize(
        &w,
        Some(p.group_size as i64),
        Some(p.bits as i64),
        p.mode.name(),
        inputs.get(1),
        None,
    )?;
    let ax = axes[0].map(|_| 0);
    let n = outs.len();
    Ok((outs, vec![ax; n]))
}

/// `c` reshaped to `(..., groups, group_size)` along its last axis.
fn grouped(c: &Array, gs: usize) -> Result<Array> {
    let mut sh = c.shape().to_vec();
    let last = sh.pop().unwrap();
    sh.push(last / gs as i64);
    sh.push(gs as i64);
    ops::reshape(c, &sh, None)
}

/// The integer codes of affine `w` as float32 values.
fn codes(w: &Array, scales: &Array, gs: usize, bits: u32) -> Result<Array> {
    let one = ops::ones_like(scales, Some(Dtype::Float32), None)?;
    let zero = ops::zeros_like(scales, Some(Dtype::Float32), None)?;
    ops::quantized::dequantize(
        w,
        &one,
        Some(&zero),
        Some(gs as i64),
        Some(bits as i64),
        "affine",
        None,
        None,
        None,
    )
}

/// Gradients of affine scales / biases from the dense gradient `dw` of
/// the dequantised matrix (same shape as it).
fn scale_bias_grads(
    dw: &Array,
    w: &Array,
    scales: &Array,
    gs: usize,
    bits: u32,
    which: usize,
) -> Result<Array> {
    let g = grouped(dw, gs)?;
    let r = if which == 1 {
        let q = grouped(&codes(w, scales, gs, bits)?, gs)?;
        ops::sum(&ops::multiply(&g, &q, None)?, Some(&[-1]), false, None)?
    } else {
        ops::sum(&g, Some(&[-1]), false, None)?
    };
    ops::astype(&r, scales.dtype(), None)
}

/// Reverse mode of `Dequantize`.
pub fn dequantize_vjp(
    p: &Dequantize,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    argnums
        .iter()
        .map(|&i| match i {
            0 => ops::zeros_like(&primals[0], None, None),
            1 | 2 if p.mode == QMode::Affine => {
                scale_bias_grads(cot, &primals[0], &primals[1], p.group_size, p.bits, i)
            }
            _ => Err(Error::value(format!(
                "[dequantize] No gradient with respect to the scales of {} quantization.",
                p.mode.name()
            ))),
        })
        .collect()
}

/// Forward mode of `Dequantize` (linear in the affine scales and biases).
pub fn dequantize_jvp(
    p: &Dequantize,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let pick = |i: usize| -> Result<Array> {
        match argnums.iter().position(|&a| a == i) {
            Some(j) => Ok(tangents[j].clone()),
            None => ops::zeros_like(&primals[i], None, None),
        }
    };
    if p.mode != QMode::Affine {
        if argnums.iter().any(|&a| a != 0) {
            return Err(Error::value(format!(
                "[dequantize] No tangent with respect to the scales of {} quantization.",
                p.mode.name()
            )));
        }
        let mut sh = primals[0].shape().to_vec();
        let last = sh.pop().unwrap();
        sh.push(last * 32 / p.bits as i64);
        return Ok(vec![ops::zeros(&sh, Dtype::Float32, None)?]);
    }
    let (ts, tb) = (pick(1)?, pick(2)?);
    let out = ops::quantized::dequantize(
        &primals[0],
        &ts,
        Some(&tb),
        Some(p.group_size as i64),
        Some(p.bits as i64),
        "affine",
        None,
        None,
        None,
    )?;
    Ok(vec![out])
}

/// Batching of `Dequantize`.
pub fn dequantize_vmap(
    p: &Dequantize,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let nq = if p.mode == QMode::Affine { 3 } else { 2 };
    if axes.len() > nq && axes[nq].is_some() {
        return Err(Error::value(
            "[dequantize] vmap over the global scale is not supported.",
        ));
    }
    let a = align(&inputs[..nq], &axes[..nq])?;
    let g = inputs.get(nq);
    let out = if p.mode == QMode::Affine {
        ops::quantized::dequantize(
            &a[0],
            &a[1],
            Some(&a[2]),
            Some(p.group_size as i64),
            Some(p.bits as i64),
            "affine",
            None,
            None,
            None,
        )?
    } else {
        // The primitive's output dtype is the node's; the batched rule is
        // built in float32 and cast by the caller's astype when needed.
        ops::quantized::dequantize(
            &a[0],
            &a[1],
            None,
            Some(p.group_size as i64),
            Some(p.bits as i64),
            p.mode.name(),
            g,
            None,
            None,
        )?
    };
    Ok((vec![out], vec![Some(0)]))
}

fn qmm_call(
    p: &QuantizedMatmul,
    x: &Array,
    w: &Array,
    s: &Array,
    b: Option<&Array>,
    transpose: bool,
) -> Result<Array> {
    ops::quantized::quantized_matmul(
        x,
        w,
        s,
        b,
        transpose,
        Some(p.group_size as i64),
        Some(p.bits as i64),
        p.mode.name(),
        None,
    )
}

/// Reverse mode of `QuantizedMatmul`.
pub fn qmm_vjp(
    p: &QuantizedMatmul,
    primals: &[Array],
    cot: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (x, w, s) = (&primals[0], &primals[1], &primals[2]);
    let b = primals.get(3);
    let mut out = Vec::with_capacity(argnums.len());
    for &i in argnums {
        match i {
            0 => out.push(qmm_call(p, cot, w, s, b, !p.transpose)?),
            1 => {
                return Err(Error::runtime(
                    "[QuantizedMatmul::vjp] no gradient wrt the quantized weights.",
                ))
            }
            2 | 3 if p.mode == QMode::Affine => {
                let (x2, c2) = if x.ndim() == 1 {
                    (
                        ops::expand_dims(x, &[0], None)?,
                        ops::expand_dims(cot, &[0], None)?,
                    )
                } else {
                    (x.clone(), cot.clone())
                };
                let mut dw = if p.transpose {
                    ops::matmul(&ops::swapaxes(&c2, -1, -2, None)?, &x2, None)?
                } else {
                    ops::matmul(&ops::swapaxes(&x2, -1, -2, None)?, &c2, None)?
                };
                if dw.ndim() > w.ndim() {
                    let extra: Vec<i64> = (0..(dw.ndim() - w.ndim()) as i64).collect();
                    dw = ops::sum(&dw, Some(&extra), false, None)?;
                }
                out.push(scale_bias_grads(&dw, w, s, p.group_size, p.bits, i - 1)?);
            }
            _ => {
                return Err(Error::value(format!(
                "[QuantizedMatmul::vjp] No gradient with respect to the scales of {} quantization.",
                p.mode.name()
            )))
            }
        }
    }
    Ok(out)
}

/// Forward mode of `QuantizedMatmul`.
pub fn qmm_jvp(
    p: &QuantizedMatmul,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (x, w, s) = (&primals[0], &primals[1], &primals[2]);
    let b = primals.get(3);
    let mut acc: Option<Array> = None;
    let mut add = |t: Array| -> Result<()> {
        acc = Some(match acc.take() {
            Some(a) => ops::add(&a, &t, None)?,
            None => t,
        });
        Ok(())
    };
    let (mut ts, mut tb) = (None, None);
    for (j, &i) in argnums.iter().enumerate() {
        match i {
            0 => add(qmm_call(p, &tangents[j], w, s, b, p.transpose)?)?,
            1 => {}
            2 if p.mode == QMode::Affine => ts = Some(tangents[j].clone()),
            3 => tb = Some(tangents[j].clone()),
            _ => {
                return Err(Error::value(format!(
                "[QuantizedMatmul::jvp] No tangent with respect to the scales of {} quantization.",
                p.mode.name()
            )))
            }
        }
    }
    if ts.is_some() || tb.is_some() {
        let ts = match ts {
            Some(t) => t,
            None => ops::zeros_like(s, None, None)?,
        };
        let tb = match tb {
            Some(t) => t,
            None => ops::zeros_like(s, None, None)?,
        };
        let dw = ops::quantized::dequantize(
            w,
            &ts,
            Some(&tb),
            Some(p.group_size as i64),
            Some(p.bits as i64),
            "affine",
            None,
            None,
            None,
        )?;
        let dw = if p.transpose {
            ops::swapaxes(&dw, -1, -2, None)?
        } else {
            dw
        };
        add(ops::matmul(x, &dw, None)?)?;
    }
    match acc {
        Some(a) => Ok(vec![a]),
        None => {
            let out = qmm_call(p, x, w, s, b, p.transpose)?;
            Ok(vec![ops::zeros_like(&out, None, None)?])
        }
    }
}

/// Batching of `QuantizedMatmul`.
pub fn qmm_vmap(
    p: &QuantizedMatmul,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    if axes[1..].iter().all(|a| a.is_none()) {
        let x = ops::moveaxis(&inputs[0], axes[0].unwrap_or(0) as i64, 0, None)?;
        let out = qmm_call(p, &x, &inputs[1], &inputs[2], inputs.get(3), p.transpose)?;
        return Ok((vec![out], vec![Some(0)]));
    }
    let a = align(inputs, axes)?;
    let mut x = a[0].clone();
    let squeeze = x.ndim() == 2;
    if squeeze {
        x = ops::expand_dims(&x, &[1], None)?;
    }
    let mut out = qmm_call(p, &x, &a[1], &a[2], a.get(3), p.transpose)?;
    if squeeze {
        out = ops::squeeze(&out, Some(&[1]), None)?;
    }
    Ok((vec![out], vec![Some(0)]))
}
