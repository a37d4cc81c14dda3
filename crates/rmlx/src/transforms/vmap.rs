//! Batching: `vmap`. The function runs on placeholders of the unbatched
//! shape (which refuse evaluation); the tape of ops that depend on them is
//! replayed on the batched inputs, each primitive rewriting itself for
//! inputs that carry a batch axis (`Primitive::vmap`).

use std::any::Any;
use std::sync::Arc;

use super::{record_tape, IdMap, TraceGuard};
use crate::array::{Array, Data};
use crate::error::{Error, Result};
use crate::eval::EvalCtx;
use crate::ops::{self, fmt_shape, normalize_axis};
use crate::primitives::Primitive;

/// Input or output axes of `vmap`: the batch axis of each array, or `None`
/// for arrays that are not mapped.
pub type VmapAxes = Vec<Option<i64>>;

/// What a vmapped function sees in place of a mapped argument.
#[derive(Debug)]
struct Placeholder;

impl Primitive for Placeholder {
    fn name(&self) -> &'static str {
        "vmap_placeholder"
    }
    fn eval_cpu(&self, _: &EvalCtx) -> Result<Vec<Data>> {
        Err(Error::value(
            "[eval] Attempting to eval an array during function transformations like compile or vmap is not allowed.",
        ))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Maps `f` over axis `in_axes[i]` of each input (`None`: passed whole) and
/// stacks the results along `out_axes[j]` of each output.
pub fn vmap<F>(
    f: F,
    inputs: &[Array],
    in_axes: &[Option<i64>],
    out_axes: &[Option<i64>],
) -> Result<Vec<Array>>
where
    F: FnOnce(&[Array]) -> Result<Vec<Array>>,
{
    if in_axes.len() != inputs.len() {
        return Err(Error::value(format!(
            "[vmap] The number of in axes ({}) must match the number of arguments ({}).",
            in_axes.len(),
            inputs.len()
        )));
    }
    let mut batch: Option<i64> = None;
    let mut axes = Vec::with_capacity(inputs.len());
    for (x, ax) in inputs.iter().zip(in_axes) {
        let Some(ax) = ax else {
            axes.push(None);
            continue;
        };
        let a = if *ax < 0 { *ax + x.ndim() as i64 } else { *ax };
        if a < 0 || a >= x.ndim() as i64 {
            return Err(Error::value(format!(
                "[vmap] Axis {ax} is out of bounds for an input of shape {}.",
                fmt_shape(x.shape())
            )));
        }
        let n = x.shape()[a as usize];
        if batch.is_some_and(|b| b != n) {
            return Err(Error::value(format!(
                "[vmap] Inconsistent axis sizes: found mapped axes of sizes {} and {n}.",
                batch.unwrap_or(0)
            )));
        }
        batch = Some(n);
        axes.push(Some(a as usize));
    }
    let (outputs, sources, args) = {
        let _trace = TraceGuard::new();
        let mut sources = Vec::new();
        let args: Vec<Array> = inputs
            .iter()
            .zip(&axes)
            .map(|(x, ax)| match ax {
                None => x.clone(),
                Some(a) => {
                    let mut shape = x.shape().to_vec();
                    shape.remove(*a);
                    let p =
                        Array::from_op(shape, x.dtype(), x.stream(), Arc::new(Placeholder), vec![]);
                    sources.push(p.clone());
                    p
                }
            })
            .collect();
        (f(&args)?, sources, args)
    };
    if out_axes.len() != outputs.len() && out_axes.len() != 1 {
        return Err(Error::value(format!(
            "[vmap] The number of out axes ({}) must match the number of outputs ({}).",
            out_axes.len(),
            outputs.len()
        )));
    }
    let tape = record_tape(&sources, &outputs, &|_| false);
    let mut mapped: IdMap<(Array, Option<usize>)> = IdMap::default();
    for ((p, x), ax) in args.iter().zip(inputs).zip(&axes) {
        if ax.is_some() {
            mapped.insert(p.id(), (x.clone(), *ax));
        }
    }
    for entry in &tape {
        let (ins, in_ax): (Vec<Array>, Vec<Option<usize>>) = entry
            .op
            .inputs
            .iter()
            .map(|x| match mapped.get(&x.id()) {
                Some((b, ax)) => (b.clone(), *ax),
                None => (x.clone(), None),
            })
            .unzip();
        let (outs, out_ax) = entry.op.prim.vmap(&ins, &in_ax)?;
        for ((o, b), ax) in entry.outputs.iter().zip(outs).zip(out_ax) {
            if let Some(o) = o {
                mapped.insert(o.id(), (b, ax));
            }
        }
    }
    let n = batch.unwrap_or(1);
    outputs
        .iter()
        .enumerate()
        .map(|(j, o)| {
            let want = out_axes[if out_axes.len() == 1 { 0 } else { j }];
            let (b, ax) = match mapped.get(&o.id()) {
                Some((b, ax)) => (b.clone(), *ax),
                None => (o.clone(), None),
            };
            match (ax, want) {
                (None, None) => Ok(b),
                (Some(_), None) => Err(Error::value(
                    "[vmap] Cannot use None as the out axis of an output that depends on the mapped inputs.",
                )),
                (Some(a), Some(w)) => {
                    let w = normalize_axis("vmap", w, b.ndim())?;
                    ops::moveaxis(&b, a as i64, w as i64, None)
                }
                (None, Some(w)) => {
                    let w = normalize_axis("vmap", w, b.ndim() + 1)?;
                    let e = ops::expand_dims(&b, &[w as i64], None)?;
                    let mut shape = e.shape().to_vec();
                    shape[w] = n;
                    ops::broadcast_to(&e, &shape, None)
                }
            }
        })
        .collect()
}
