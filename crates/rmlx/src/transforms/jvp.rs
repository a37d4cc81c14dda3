//! Forward mode: `jvp`. The function runs on tracers; the tape of ops that
//! depend on them is walked forwards, each primitive turning the tangents of
//! its active inputs into tangents of its outputs (`Primitive::jvp`).

use super::{mismatch, record_tape, tracer, IdMap, TraceGuard};
use crate::array::Array;
use crate::error::Result;
use crate::ops::{self, fmt_shape};
use crate::primitives::unary::StopGradient;

/// Runs `f` on `primals` and returns its outputs and the Jacobian-vector
/// product with `tangents` (one per primal, same shapes).
pub fn jvp<F>(f: F, primals: &[Array], tangents: &[Array]) -> Result<(Vec<Array>, Vec<Array>)>
where
    F: FnOnce(&[Array]) -> Result<Vec<Array>>,
{
    if primals.len() != tangents.len() {
        return Err(mismatch(
            "jvp",
            &format!(
                "Number of inputs to compute the jvp for ({}) does not match number of tangents ({}).",
                primals.len(),
                tangents.len()
            ),
        ));
    }
    for (p, t) in primals.iter().zip(tangents) {
        if p.shape() != t.shape() {
            return Err(mismatch(
                "jvp",
                &format!(
                    "Input shape {} does not match tangent shape {}.",
                    fmt_shape(p.shape()),
                    fmt_shape(t.shape())
                ),
            ));
        }
    }
    let (outputs, tracers) = {
        let _trace = TraceGuard::new();
        let tracers: Vec<Array> = primals.iter().map(tracer).collect();
        (f(&tracers)?, tracers)
    };
    let tape = record_tape(&tracers, &outputs, &|p| p.as_any().is::<StopGradient>());
    let mut tans: IdMap<Array> = IdMap::default();
    for (t, v) in tracers.iter().zip(tangents) {
        let v = if v.dtype() != t.dtype() {
            ops::astype(v, t.dtype(), None)?
        } else {
            v.clone()
        };
        tans.insert(t.id(), v);
    }
    for entry in &tape {
        let ins: Vec<Array> = entry
            .active
            .iter()
            .map(|&i| tans[&entry.op.inputs[i].id()].clone())
            .collect();
        let outs = entry.op.prim.jvp(&entry.op.inputs, &ins, &entry.active)?;
        for (o, t) in entry.outputs.iter().zip(outs) {
            if let Some(o) = o {
                tans.insert(o.id(), t);
            }
        }
    }
    let jvps = outputs
        .iter()
        .map(|o| match tans.get(&o.id()) {
            Some(t) => Ok(t.clone()),
            None => ops::zeros_like(o, None, None),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((outputs, jvps))
}
