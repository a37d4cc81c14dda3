//! Transformation rules of the `fast` primitives, and the compositions of
//! primitive ops ("fallbacks", as MLX calls them) that compute the same
//! functions. The norms get MLX's hand-written vjps (built from lazy ops,
//! so they differentiate again), rope's vjp is the inverse rotation, and
//! the rest differentiate their fallback. Batching folds the mapped axis
//! into the leading axes whenever the per-row parameters are not mapped,
//! so the batched op is still one fused kernel; otherwise the fallback is
//! mapped.

use std::sync::Arc;

use super::fast::{CrossEntropy, LayerNorm, RmsNorm, Rope, Sdpa};
use super::Primitive;
use crate::array::Array;
use crate::dtype::{finfo, Dtype};
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::ops;
use crate::transforms;

fn scalar(v: f64, dt: Dtype) -> Result<Array> {
    Array::from_scalar(Scalar::Float(v), dt)
}

/// The dtype the fallbacks compute in: float32, float64 for float64.
fn acc_dtype(dt: Dtype) -> Dtype {
    if dt == Dtype::Float64 {
        dt
    } else {
        Dtype::Float32
    }
}

fn last_axis_mean(a: &Array) -> Result<Array> {
    ops::mean(a, Some(&[-1]), true, None)
}

/// Sum over every axis but the last.
fn sum_leading(a: &Array) -> Result<Array> {
    let axes: Vec<i64> = (0..a.ndim() as i64 - 1).collect();
    if axes.is_empty() {
        return Ok(a.clone());
    }
    ops::sum(a, Some(&axes), false, None)
}

/// A node of `p` over `inputs` with the given output shape and dtype.
fn node<P: Primitive + Clone>(p: &P, shape: Vec<i64>, dt: Dtype, inputs: Vec<Array>) -> Array {
    let s = inputs[0].stream();
    Array::from_op(shape, dt, s, Arc::new(p.clone()), inputs)
}

/// A primitive whose function is also a composition of primitive ops.
pub(super) trait Fallback: Primitive + Clone {
    /// The op's output computed by ordinary lazy ops.
    fn fallback(&self, inputs: &[Array]) -> Result<Array>;
}

impl Fallback for RmsNorm {
    fn fallback(&self, i: &[Array]) -> Result<Array> {
        let (x, w) = (&i[0], &i[1]);
        let acc = acc_dtype(x.dtype());
        let xf = ops::astype(x, acc, None)?;
        let ms = last_axis_mean(&ops::square(&xf, None)?)?;
        let n = ops::rsqrt(&ops::add(&ms, &scalar(self.eps as f64, acc)?, None)?, None)?;
        let y = ops::astype(&ops::multiply(&xf, &n, None)?, x.dtype(), None)?;
        ops::multiply(&y, w, None)
    }
}

impl Fallback for LayerNorm {
    fn fallback(&self, i: &[Array]) -> Result<Array> {
        let (x, w, b) = (&i[0], &i[1], &i[2]);
        let acc = acc_dtype(x.dtype());
        let xf = ops::astype(x, acc, None)?;
        let xc = ops::subtract(&xf, &last_axis_mean(&xf)?, None)?;
        let var = last_axis_mean(&ops::square(&xc, None)?)?;
        let n = ops::rsqrt(&ops::add(&var, &scalar(self.eps as f64, acc)?, None)?, None)?;
        let y = ops::astype(&ops::multiply(&xc, &n, None)?, x.dtype(), None)?;
        ops::add(&ops::multiply(&y, w, None)?, b, None)
    }
}

impl Fallback for CrossEntropy {
    fn fallback(&self, i: &[Array]) -> Result<Array> {
        let (logits, t) = (&i[0], &i[1]);
        let lf = ops::astype(logits, acc_dtype(logits.dtype()), None)?;
        let lse = ops::logsumexp(&lf, Some(&[-1]), false, None)?;
        let picked = ops::sum(
            &ops::multiply(
                &lf,
                &one_hot(t, logits.shape()[logits.ndim() - 1], lf.dtype())?,
                None,
            )?,
            Some(&[-1]),
            false,
            None,
        )?;
        ops::astype(&ops::subtract(&lse, &picked, None)?, Dtype::Float32, None)
    }
}

/// `(..., c)` one-hot rows of the class indices `t` (negative ones count
/// from the end, as the kernel reads them).
fn one_hot(t: &Array, c: i64, dt: Dtype) -> Result<Array> {
    let t = ops::astype(t, Dtype::Int64, None)?;
    let zero = Array::from_scalar(Scalar::Int(0), Dtype::Int64)?;
    let cc = Array::from_scalar(Scalar::Int(c), Dtype::Int64)?;
    let t = ops::where_(
        &ops::less(&t, &zero, None)?,
        &ops::add(&t, &cc, None)?,
        &t,
        None,
    )?;
    let classes = ops::arange(0.0, c as f64, 1.0, Dtype::Int64, None)?;
    let eq = ops::equal(&ops::expand_dims(&t, &[-1], None)?, &classes, None)?;
    ops::astype(&eq, dt, None)
}

impl Fallback for Sdpa {
    fn fallback(&self, i: &[Array]) -> Result<Array> {
        let (q, k, v) = (&i[0], &i[1], &i[2]);
        let dt = q.dtype();
        let (hq, hkv) = (q.shape()[1], k.shape()[1]);
        let rep = hq / hkv.max(1);
        let mut q = ops::multiply(&scalar(self.scale as f64, dt)?, q, None)?;
        let (mut k, mut v) = (k.clone(), v.clone());
        if rep > 1 {
            q = ops::unflatten(&q, 1, &[hkv, rep], None)?;
            k = ops::expand_dims(&k, &[2], None)?;
            v = ops::expand_dims(&v, &[2], None)?;
        }
        let mut scores = ops::matmul(&q, &ops::swapaxes(&k, -1, -2, None)?, None)?;
        let (lq, lk) = (q.shape()[q.ndim() - 2], k.shape()[k.ndim() - 2]);
        let mask = if self.causal {
            let off = (lk - lq) as f64;
            let qi = ops::arange(off, lq as f64 + off, 1.0, Dtype::Int32, None)?;
            let ki = ops::arange(0.0, lk as f64, 1.0, Dtype::Int32, None)?;
            Some(ops::greater_equal(
                &ops::expand_dims(&qi, &[1], None)?,
                &ops::expand_dims(&ki, &[0], None)?,
                None,
            )?)
        } else if self.has_mask {
            let m = i[3].clone();
            Some(if rep > 1 {
                ops::unflatten(&m, -3, &[hkv, rep], None)?
            } else {
                m
            })
        } else {
            None
        };
        if let Some(m) = mask {
            scores = if m.dtype() == Dtype::Bool {
                let low = finfo(scores.dtype()).map_or(f64::MIN, |f| f.min);
                ops::where_(&m, &scores, &scalar(low, scores.dtype())?, None)?
            } else {
                ops::add(&scores, &m, None)?
            };
        }
        if self.has_sinks {
            let mut sk = ops::expand_dims(&i[i.len() - 1], &[0, 2, 3], None)?;
            if scores.ndim() == 5 {
                sk = ops::unflatten(&sk, 1, &[hkv, rep], None)?;
            }
            let mut shape = scores.shape().to_vec();
            *shape.last_mut().unwrap_or(&mut 0) = 1;
            let sk = ops::broadcast_to(&sk, &shape, None)?;
            scores = ops::concatenate(&[sk, scores], Some(-1), None)?;
        }
        let mut p = ops::softmax(&scores, Some(&[-1]), true, None)?;
        if self.has_sinks {
            let nd = p.ndim();
            let mut start = vec![0i64; nd];
            start[nd - 1] = 1;
            let mut count = p.shape().to_vec();
            count[nd - 1] -= 1;
            p = ops::slice_strided(&p, &start, &vec![1; nd], &count, None)?;
        }
        let mut out = ops::matmul(&p, &v, None)?;
        if rep > 1 {
            out = ops::flatten(&out, 1, 2, None)?;
        }
        Ok(out)
    }
}

/// `f`'s inputs with the ones at `argnums` replaced by `xs`.
fn with_args(primals: &[Array], argnums: &[usize], xs: &[Array]) -> Vec<Array> {
    let mut all = primals.to_vec();
    for (&i, x) in argnums.iter().zip(xs) {
        all[i] = x.clone();
    }
    all
}

/// Forward mode through the fallback (only the inputs in `argnums` are
/// traced, so integer inputs never meet a tangent).
pub(super) fn fallback_jvp<P: Fallback>(
    p: &P,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let xs: Vec<Array> = argnums.iter().map(|&i| primals[i].clone()).collect();
    let f = |xs: &[Array]| -> Result<Vec<Array>> {
        Ok(vec![p.fallback(&with_args(primals, argnums, xs))?])
    };
    Ok(transforms::jvp(f, &xs, tangents)?.1)
}

/// Reverse mode through the fallback.
pub(super) fn fallback_vjp<P: Fallback>(
    p: &P,
    primals: &[Array],
    cotangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let xs: Vec<Array> = argnums.iter().map(|&i| primals[i].clone()).collect();
    let f = |xs: &[Array]| -> Result<Vec<Array>> {
        Ok(vec![p.fallback(&with_args(primals, argnums, xs))?])
    };
    Ok(transforms::vjp(f, &xs, cotangents)?.1)
}

/// Maps the fallback over the batch (for mapped per-row parameters).
fn fallback_vmap<P: Fallback>(
    p: &P,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let in_axes: Vec<Option<i64>> = axes.iter().map(|a| a.map(|a| a as i64)).collect();
    let f = |xs: &[Array]| -> Result<Vec<Array>> { Ok(vec![p.fallback(xs)?]) };
    let outs = transforms::vmap(f, inputs, &in_axes, &[Some(0)])?;
    Ok((outs, vec![Some(0)]))
}

pub(super) fn rms_norm_vjp(
    eps: f32,
    primals: &[Array],
    g: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (x0, w0) = (&primals[0], &primals[1]);
    let acc = acc_dtype(x0.dtype());
    let x = ops::astype(x0, acc, None)?;
    let w = ops::astype(w0, acc, None)?;
    let g = ops::astype(g, acc, None)?;
    let ms = last_axis_mean(&ops::square(&x, None)?)?;
    let n = ops::rsqrt(&ops::add(&ms, &scalar(eps as f64, acc)?, None)?, None)?;
    let n3 = ops::multiply(&ops::square(&n, None)?, &n, None)?;
    argnums
        .iter()
        .map(|&a| match a {
            0 => {
                let gw = ops::multiply(&g, &w, None)?;
                let t = last_axis_mean(&ops::multiply(&gw, &x, None)?)?;
                let t = ops::multiply(&ops::multiply(&x, &t, None)?, &n3, None)?;
                let dx = ops::subtract(&ops::multiply(&gw, &n, None)?, &t, None)?;
                ops::astype(&dx, x0.dtype(), None)
            }
            _ if w0.ndim() == 0 => ops::zeros_like(w0, None, None),
            _ => {
                let dw = sum_leading(&ops::multiply(&g, &ops::multiply(&x, &n, None)?, None)?)?;
                ops::astype(&dw, w0.dtype(), None)
            }
        })
        .collect()
}

pub(super) fn layer_norm_vjp(
    eps: f32,
    primals: &[Array],
    g: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (x0, w0, b0) = (&primals[0], &primals[1], &primals[2]);
    let acc = acc_dtype(x0.dtype());
    let x = ops::astype(x0, acc, None)?;
    let w = ops::astype(w0, acc, None)?;
    let g = ops::astype(g, acc, None)?;
    let xc = ops::subtract(&x, &last_axis_mean(&x)?, None)?;
    let var = last_axis_mean(&ops::square(&xc, None)?)?;
    let n = ops::rsqrt(&ops::add(&var, &scalar(eps as f64, acc)?, None)?, None)?;
    argnums
        .iter()
        .map(|&a| match a {
            0 => {
                let n3 = ops::multiply(&ops::square(&n, None)?, &n, None)?;
                let wg = ops::multiply(&w, &g, None)?;
                let mwg = last_axis_mean(&wg)?;
                let mwgxc = last_axis_mean(&ops::multiply(&wg, &xc, None)?)?;
                let t1 = ops::multiply(&ops::multiply(&xc, &mwgxc, None)?, &n3, None)?;
                let t2 = ops::multiply(&ops::subtract(&wg, &mwg, None)?, &n, None)?;
                ops::astype(&ops::subtract(&t2, &t1, None)?, x0.dtype(), None)
            }
            1 if w0.ndim() == 0 => ops::zeros_like(w0, None, None),
            1 => {
                let dw = sum_leading(&ops::multiply(&g, &ops::multiply(&xc, &n, None)?, None)?)?;
                ops::astype(&dw, w0.dtype(), None)
            }
            _ if b0.ndim() == 0 => ops::zeros_like(b0, None, None),
            _ => ops::astype(&sum_leading(&g)?, b0.dtype(), None),
        })
        .collect()
}

/// Batching of the norms: a mapped `x` alone moves its batch axis first
/// (the rows stay rows); mapped weights or biases map the fallback.
pub(super) fn norm_vmap<P: Fallback>(
    p: &P,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    match axes[0] {
        Some(a) if axes[1..].iter().all(Option::is_none) => {
            let x = ops::moveaxis(&inputs[0], a as i64, 0, None)?;
            let mut ins = inputs.to_vec();
            ins[0] = x.clone();
            Ok((
                vec![node(p, x.shape().to_vec(), x.dtype(), ins)],
                vec![Some(0)],
            ))
        }
        _ => fallback_vmap(p, inputs, axes),
    }
}

pub(super) fn rope_vjp(
    p: &Rope,
    primals: &[Array],
    g: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    if argnums.len() > 1 || argnums[0] != 0 {
        return Err(Error::value(
            "[RoPE::vjp] vjp for offset or frequencies not supported",
        ));
    }
    let inv = Rope {
        forward: !p.forward,
        ..p.clone()
    };
    let mut ins = primals.to_vec();
    ins[0] = g.clone();
    Ok(vec![node(&inv, g.shape().to_vec(), g.dtype(), ins)])
}

pub(super) fn rope_jvp(
    p: &Rope,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    if argnums.len() > 1 || argnums[0] != 0 {
        return Err(Error::value(
            "[RoPE::jvp] jvp for offset or frequencies not supported",
        ));
    }
    let mut ins = primals.to_vec();
    ins[0] = tangents[0].clone();
    Ok(vec![node(p, ins[0].shape().to_vec(), ins[0].dtype(), ins)])
}

/// `a` with its batch axis (`ax`) first, or broadcast along a new first
/// axis of `n` when it is not mapped.
fn batch_first(a: &Array, ax: Option<usize>, n: i64) -> Result<Array> {
    match ax {
        Some(ax) => ops::moveaxis(a, ax as i64, 0, None),
        None => {
            let mut shape = vec![n];
            shape.extend_from_slice(a.shape());
            ops::broadcast_to(&ops::expand_dims(a, &[0], None)?, &shape, None)
        }
    }
}

/// Merges the first two axes.
fn merge01(a: &Array) -> Result<Array> {
    ops::flatten(a, 0, 1, None)
}

fn batch_size(inputs: &[Array], axes: &[Option<usize>]) -> i64 {
    inputs
        .iter()
        .zip(axes)
        .find_map(|(x, a)| a.map(|a| x.shape()[a]))
        .unwrap_or(1)
}

/// Batching of rope: the mapped axis joins the batch axis (the offsets
/// per batch element repeat, or are mapped, alongside).
pub(super) fn rope_vmap(
    p: &Rope,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    if axes.get(2).copied().flatten().is_some() {
        return Err(Error::not_implemented(
            "[rope] vmap over the frequencies is not supported.",
        ));
    }
    let nb = batch_size(inputs, axes);
    let x = batch_first(&inputs[0], axes[0], nb)?;
    let b = x.shape()[1];
    let off = &inputs[1];
    let offset = if axes[1].is_none() && off.size() == 1 {
        off.clone()
    } else {
        let o = batch_first(off, axes[1], nb)?;
        let o = ops::reshape(&o, &[nb, -1], None)?;
        merge01(&ops::broadcast_to(&o, &[nb, b], None)?)?
    };
    let mut ins = inputs.to_vec();
    ins[0] = merge01(&x)?;
    ins[1] = offset;
    let out = node(p, ins[0].shape().to_vec(), x.dtype(), ins);
    Ok((vec![ops::reshape(&out, x.shape(), None)?], vec![Some(0)]))
}

/// Batching of attention: the mapped axis joins the batch axis of
/// queries, keys, values and mask; mapped sinks map the fallback.
pub(super) fn sdpa_vmap(
    p: &Sdpa,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    if p.has_sinks && axes[inputs.len() - 1].is_some() {
        return fallback_vmap(p, inputs, axes);
    }
    let nb = batch_size(inputs, axes);
    let n4 = 3 + usize::from(p.has_mask);
    let mut ins = inputs.to_vec();
    for i in 0..n4 {
        ins[i] = merge01(&batch_first(&inputs[i], axes[i], nb)?)?;
    }
    let q = &ins[0];
    let shape = vec![q.shape()[0], q.shape()[1], q.shape()[2], ins[2].shape()[3]];
    let out = node(p, shape.clone(), q.dtype(), ins);
    let mut full = vec![nb, shape[0] / nb.max(1)];
    full.extend_from_slice(&shape[1..]);
    Ok((vec![ops::reshape(&out, &full, None)?], vec![Some(0)]))
}

pub(super) fn cross_entropy_vjp(
    primals: &[Array],
    g: &Array,
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (logits, t) = (&primals[0], &primals[1]);
    argnums
        .iter()
        .map(|&a| {
            if a != 0 {
                return ops::zeros_like(t, None, None);
            }
            let lf = ops::astype(logits, acc_dtype(logits.dtype()), None)?;
            let sm = ops::softmax(&lf, Some(&[-1]), true, None)?;
            let c = logits.shape()[logits.ndim() - 1];
            let d = ops::subtract(&sm, &one_hot(t, c, lf.dtype())?, None)?;
            let g = ops::expand_dims(&ops::astype(g, lf.dtype(), None)?, &[-1], None)?;
            ops::astype(&ops::multiply(&d, &g, None)?, logits.dtype(), None)
        })
        .collect()
}

pub(super) fn cross_entropy_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let nb = batch_size(inputs, axes);
    let l = batch_first(&inputs[0], axes[0], nb)?;
    let t = batch_first(&inputs[1], axes[1], nb)?;
    let out = node(
        &CrossEntropy,
        t.shape().to_vec(),
        Dtype::Float32,
        vec![l, t],
    );
    Ok((vec![out], vec![Some(0)]))
}
