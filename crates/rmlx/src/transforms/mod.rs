//! Function transformations over the lazy graph: reverse mode (`vjp`,
//! `grad`), forward mode (`jvp`), batching (`vmap`), and the pieces they
//! share. A transformation runs the user's function on *tracers* (fresh
//! nodes standing for the arguments), then walks the recorded graph from the
//! outputs back to the tracers and asks each primitive for its rule. The
//! rules live with the primitives (`primitives/*.rs`); they build ordinary
//! lazy ops, so transformations nest to any depth.
//!
//! While a trace is being recorded, every new node keeps its op after
//! evaluation (`Node::keep_graph`), so Python control flow on concrete
//! values (`if x.sum() > 0`) inside `grad` works without losing the graph.

use std::any::Any;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::array::{Array, Data, Op};
use crate::error::{Error, Result};
use crate::eval::EvalCtx;
use crate::primitives::Primitive;

mod custom;
mod jvp;
mod tree;
mod vjp;
mod vmap;

pub use custom::{checkpoint, custom_vjp, CustomRules, CustomVjpFn};
pub use jvp::jvp;
pub use tree::{jvp_tree, value_and_grad_tree, vjp_tree, Tree};
pub use vjp::{grad, value_and_grad, vjp};
pub use vmap::{vmap, VmapAxes};

/// Hashes node ids (addresses): one multiply, instead of SipHash, which
/// showed up in profiles of `value_and_grad` (every op of the trace is looked
/// up several times while the tape and the cotangents are built).
#[derive(Default)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_usize(&mut self, id: usize) {
        // Node addresses share their low bits (alignment) and high bits;
        // the multiply spreads the middle bits into the top ones, which
        // hashbrown uses.
        self.0 = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A map keyed by node id.
pub(crate) type IdMap<V> = HashMap<usize, V, BuildHasherDefault<IdHasher>>;

/// Number of traces being recorded (all threads): nodes created while it is
/// non-zero keep their graph after evaluation.
static TRACE_DEPTH: AtomicUsize = AtomicUsize::new(0);

/// Whether a transformation is recording a trace.
pub fn tracing() -> bool {
    TRACE_DEPTH.load(Ordering::Relaxed) > 0
}

/// Marks a trace as being recorded for its lifetime.
pub(crate) struct TraceGuard;

impl TraceGuard {
    pub(crate) fn new() -> TraceGuard {
        TRACE_DEPTH.fetch_add(1, Ordering::Relaxed);
        TraceGuard
    }
}

impl Drop for TraceGuard {
    fn drop(&mut self) {
        TRACE_DEPTH.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The identity node that stands for a transformed function's argument.
/// Its output shares the input's data.
#[derive(Debug)]
pub(crate) struct Tracer;

impl Primitive for Tracer {
    fn name(&self) -> &'static str {
        "tracer"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        Ok(vec![a.evaluated()?.clone()])
    }
    fn vjp(&self, _: &[Array], cot: &[Array], _: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        Ok(vec![cot[0].clone()])
    }
    fn jvp(&self, _: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Ok(vec![tangents[0].clone()])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        Ok((vec![inputs[0].clone()], vec![axes[0]]))
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A fresh node standing for `x` in a trace.
pub(crate) fn tracer(x: &Array) -> Array {
    Array::from_op(
        x.shape().to_vec(),
        x.dtype(),
        x.stream(),
        Arc::new(Tracer),
        vec![x.clone()],
    )
}

/// One op of a recorded trace, in topological order.
pub(crate) struct TapeEntry {
    /// The op.
    pub op: Arc<Op>,
    /// Its outputs (one array for a single-output op; the siblings otherwise,
    /// `None` for outputs already dropped).
    pub outputs: Vec<Option<Array>>,
    /// Indices of the inputs that depend on a tracer.
    pub active: Vec<usize>,
}

/// The outputs of an op, given one of them.
fn op_outputs(a: &Array, op: &Arc<Op>) -> Vec<Option<Array>> {
    if op.siblings.is_empty() {
        vec![Some(a.clone())]
    } else {
        op.siblings.iter().map(|w| w.upgrade().map(Array)).collect()
    }
}

/// Whether the op is a `Detach`, which no transformation looks through.
fn is_detach(op: &Op) -> bool {
    op.prim.as_any().is::<custom::Detach>()
}

/// The ops between `sources` (tracers) and `outputs` that depend on a
/// source, in topological order. `stop` tells which primitives block the
/// dependency (`stop_gradient` for differentiation).
pub(crate) fn record_tape(
    sources: &[Array],
    outputs: &[Array],
    stop: &dyn Fn(&dyn Primitive) -> bool,
) -> Vec<TapeEntry> {
    // Per node id: whether it depends on a source.
    let mut depends: IdMap<bool> = sources.iter().map(|s| (s.id(), true)).collect();
    let mut tape = Vec::new();
    let mut stack: Vec<(Array, Arc<Op>, usize)> = Vec::new();
    for o in outputs {
        if depends.contains_key(&o.id()) {
            continue;
        }
        let Some((op, _)) = o.op() else {
            depends.insert(o.id(), false);
            continue;
        };
        let skip = if is_detach(&op) { op.inputs.len() } else { 0 };
        stack.push((o.clone(), op, skip));
        while let Some(top) = stack.last_mut() {
            let (_, op, next) = top;
            if *next < op.inputs.len() {
                let child = op.inputs[*next].clone();
                *next += 1;
                if depends.contains_key(&child.id()) {
                    continue;
                }
                match child.op() {
                    Some((cop, _)) => {
                        let skip = if is_detach(&cop) { cop.inputs.len() } else { 0 };
                        stack.push((child, cop, skip))
                    }
                    None => {
                        depends.insert(child.id(), false);
                    }
                }
                continue;
            }
            let (a, op, _) = stack.pop().expect("non-empty");
            let active: Vec<usize> = if is_detach(&op) || stop(op.prim.as_ref()) {
                Vec::new()
            } else {
                (0..op.inputs.len())
                    .filter(|&i| depends.get(&op.inputs[i].id()) == Some(&true))
                    .collect()
            };
            let outs = op_outputs(&a, &op);
            let dep = !active.is_empty();
            for s in outs.iter().flatten() {
                depends.insert(s.id(), dep);
            }
            depends.insert(a.id(), dep);
            if dep {
                tape.push(TapeEntry {
                    op,
                    outputs: outs,
                    active,
                });
            }
        }
    }
    tape
}

/// The error for transformed functions whose argument and result counts or
/// shapes disagree.
pub(crate) fn mismatch(op: &str, what: &str) -> Error {
    Error::value(format!("[{op}] {what}"))
}
