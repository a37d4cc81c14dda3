//! Reverse mode: `vjp`, `grad` and `value_and_grad`. The function runs on
//! tracers; the tape of ops that depend on them is walked backwards, each
//! primitive turning the cotangents of its outputs into cotangents of its
//! active inputs (`Primitive::vjp`), which are summed per node.

use super::{mismatch, record_tape, tracer, IdMap, TraceGuard};
use crate::array::Array;
use crate::error::Result;
use crate::ops::{self, fmt_shape};
use crate::primitives::unary::StopGradient;

/// Runs `f` on `primals` and returns its outputs and the vector-Jacobian
/// product of `cotangents` (one per output) with respect to each primal.
pub fn vjp<F>(f: F, primals: &[Array], cotangents: &[Array]) -> Result<(Vec<Array>, Vec<Array>)>
where
    F: FnOnce(&[Array]) -> Result<Vec<Array>>,
{
    let (outputs, tracers) = {
        let _trace = TraceGuard::new();
        let tracers: Vec<Array> = primals.iter().map(tracer).collect();
        (f(&tracers)?, tracers)
    };
    if outputs.len() != cotangents.len() {
        return Err(mismatch(
            "vjp",
            &format!(
                "Number of outputs to compute gradients for ({}) does not match number of cotangents ({}).",
                outputs.len(),
                cotangents.len()
            ),
        ));
    }
    for (o, c) in outputs.iter().zip(cotangents) {
        if o.shape() != c.shape() {
            return Err(mismatch(
                "vjp",
                &format!(
                    "Output shape {} does not match cotangent shape {}.",
                    fmt_shape(o.shape()),
                    fmt_shape(c.shape())
                ),
            ));
        }
    }
    let grads = backward(&tracers, &outputs, cotangents)?;
    Ok((outputs, grads))
}

/// Cotangents of `sources` given those of `outputs`.
pub(crate) fn backward(
    sources: &[Array],
    outputs: &[Array],
    cotangents: &[Array],
) -> Result<Vec<Array>> {
    let tape = record_tape(sources, outputs, &|p| p.as_any().is::<StopGradient>());
    let mut cots: IdMap<Array> = IdMap::default();
    for (o, c) in outputs.iter().zip(cotangents) {
        let c = if c.dtype() != o.dtype() {
            ops::astype(c, o.dtype(), None)?
        } else {
            c.clone()
        };
        accumulate(&mut cots, o, c)?;
    }
    for entry in tape.iter().rev() {
        let outs = &entry.outputs;
        if !outs.iter().flatten().any(|o| cots.contains_key(&o.id())) {
            continue;
        }
        let mut out_arrays = Vec::with_capacity(outs.len());
        let mut out_cots = Vec::with_capacity(outs.len());
        for (k, o) in outs.iter().enumerate() {
            let o = match o {
                Some(o) => o.clone(),
                // A dropped sibling has no consumers: a zero placeholder.
                None => {
                    let (shape, dt) = &entry.op.outputs[k];
                    ops::zeros(shape, *dt, None)?
                }
            };
            let c = match cots.remove(&o.id()) {
                Some(c) => c,
                None => ops::zeros_like(&o, None, None)?,
            };
            out_arrays.push(o);
            out_cots.push(c);
        }
        let in_cots = entry
            .op
            .prim
            .vjp(&entry.op.inputs, &out_cots, &entry.active, &out_arrays)?;
        for (&i, c) in entry.active.iter().zip(in_cots) {
            accumulate(&mut cots, &entry.op.inputs[i], c)?;
        }
    }
    sources
        .iter()
        .map(|s| match cots.remove(&s.id()) {
            Some(c) => Ok(c),
            None => ops::zeros_like(s, None, None),
        })
        .collect()
}

fn accumulate(cots: &mut IdMap<Array>, a: &Array, c: Array) -> Result<()> {
    let c = match cots.remove(&a.id()) {
        Some(prev) => ops::add(&prev, &c, None)?,
        None => c,
    };
    cots.insert(a.id(), c);
    Ok(())
}

/// Runs `f` (whose first output must be a scalar) on `args` and returns its
/// outputs and the gradient of the first output with respect to the
/// arguments listed in `argnums`.
pub fn value_and_grad<F>(
    f: F,
    args: &[Array],
    argnums: &[usize],
) -> Result<(Vec<Array>, Vec<Array>)>
where
    F: FnOnce(&[Array]) -> Result<Vec<Array>>,
{
    for &i in argnums {
        if i >= args.len() {
            return Err(crate::error::Error::value(format!(
                "[grad] Invalid argument number {i} for a function of {} arguments.",
                args.len()
            )));
        }
    }
    let primals: Vec<Array> = argnums.iter().map(|&i| args[i].clone()).collect();
    let mut seed = None;
    let (outputs, tracers) = {
        let wrapped = |tracers: &[Array]| -> Result<Vec<Array>> {
            let mut full = args.to_vec();
            for (&i, t) in argnums.iter().zip(tracers) {
                full[i] = t.clone();
            }
            let outs = f(&full)?;
            let Some(first) = outs.first() else {
                return Err(crate::error::Error::value(
                    "[value_and_grad] The function must return at least one array.",
                ));
            };
            if first.size() != 1 {
                return Err(crate::error::Error::value(format!(
                    "[value_and_grad] The function must return a scalar array; got an array of shape {}.",
                    fmt_shape(first.shape())
                )));
            }
            seed = Some(ops::ones_like(first, None, None)?);
            Ok(outs)
        };
        let _trace = TraceGuard::new();
        let tracers: Vec<Array> = primals.iter().map(tracer).collect();
        (wrapped(&tracers)?, tracers)
    };
    let seed = seed.expect("seed set by the wrapped function");
    let grads = backward(&tracers, &outputs[..1], &[seed])?;
    Ok((outputs, grads))
}

/// The gradient of the scalar first output of `f` with respect to the
/// arguments listed in `argnums`.
pub fn grad<F>(f: F, args: &[Array], argnums: &[usize]) -> Result<Vec<Array>>
where
    F: FnOnce(&[Array]) -> Result<Vec<Array>>,
{
    Ok(value_and_grad(f, args, argnums)?.1)
}
