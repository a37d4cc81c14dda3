//! Evaluation: an iterative depth-first walk orders the pending part of the
//! graph, then each op runs on its stream's backend. Finished nodes drop
//! their op (detach), so intermediates are freed after their last consumer,
//! and an input whose node and buffer only the consumer holds lends its
//! buffer to the output (donation).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::array::{Array, Data, Op};
use crate::device::DeviceType;
use crate::dtype::Dtype;
use crate::error::{Error, Result};

// One graph walk at a time: evaluations from several threads (and
// async_eval's worker) serialise here, so a node is never computed twice.
static EVAL_LOCK: Mutex<()> = Mutex::new(());
static EPOCH: AtomicU64 = AtomicU64::new(1);

/// Shape and dtype of one output of an op.
#[derive(Clone, Copy, Debug)]
pub struct OutSpec<'a> {
    /// Output shape.
    pub shape: &'a [i64],
    /// Output dtype.
    pub dtype: Dtype,
}

/// What a primitive's kernel sees: evaluated inputs, the outputs to produce,
/// and whether inputs may lend their buffers.
pub struct EvalCtx<'a> {
    /// Evaluated operands.
    pub inputs: &'a [Array],
    /// Outputs to produce, in order.
    pub outputs: &'a [OutSpec<'a>],
    donate: bool,
}

impl<'a> EvalCtx<'a> {
    /// A context over evaluated inputs (donation off); used by tests and by
    /// primitives that run other primitives' kernels.
    pub fn new(inputs: &'a [Array], outputs: &'a [OutSpec<'a>]) -> Self {
        EvalCtx {
            inputs,
            outputs,
            donate: false,
        }
    }

    /// Input `i`'s data.
    pub fn data(&self, i: usize) -> &Data {
        self.inputs[i].data()
    }

    /// A fresh row-contiguous buffer for output `o`.
    pub fn alloc(&self, o: usize) -> Result<Data> {
        Data::alloc(self.outputs[o].shape, self.outputs[o].dtype)
    }

    /// The buffer of input `i` if it can be overwritten to become output `o`
    /// (nobody else holds the node or the buffer, it is row-contiguous with
    /// the output's shape and element size); otherwise `None`.
    pub fn donor(&self, i: usize, o: usize) -> Option<Data> {
        if !self.donate {
            return None;
        }
        let a = &self.inputs[i];
        let out = self.outputs[o];
        if Arc::strong_count(&a.0) != 1
            || !crate::ops::same_shape(a.shape(), out.shape)
            || a.itemsize() != out.dtype.size()
        {
            return None;
        }
        let d = a.data();
        if Arc::strong_count(&d.buf) != 1 || !d.is_row_contiguous(out.shape) {
            return None;
        }
        Some(d.clone())
    }

    /// The first donatable input among `candidates`, or a fresh buffer.
    pub fn donate_or_alloc(&self, candidates: &[usize], o: usize) -> Result<Data> {
        for &i in candidates {
            if let Some(d) = self.donor(i, o) {
                return Ok(d);
            }
        }
        self.alloc(o)
    }
}

fn lock_op(a: &Array) -> std::sync::MutexGuard<'_, Option<(Arc<Op>, usize)>> {
    a.0.op.lock().unwrap_or_else(|e| e.into_inner())
}

/// Whether `a` still needs computing; marks it (and its siblings) visited.
fn visit(a: &Array, epoch: u64) -> Option<Arc<Op>> {
    if a.is_available() || a.0.visit.swap(epoch, Ordering::Relaxed) == epoch {
        return None;
    }
    let op = lock_op(a).as_ref().map(|(op, _)| op.clone())?;
    for s in &op.siblings {
        if let Some(s) = s.upgrade() {
            s.visit.store(epoch, Ordering::Relaxed);
        }
    }
    Some(op)
}

/// Computes `outputs` and everything they depend on that is not computed yet.
pub fn eval(outputs: &[Array]) -> Result<()> {
    if outputs.iter().all(Array::is_available) {
        return Ok(());
    }
    crate::backend::cpu::threads::init_thread_pool();
    let _guard = EVAL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let epoch = EPOCH.fetch_add(1, Ordering::Relaxed) + 1;

    // Post-order DFS with an explicit stack: (node, its op, next input).
    let mut order: Vec<Array> = Vec::new();
    let mut stack: Vec<(Array, Arc<Op>, usize)> = Vec::new();
    for o in outputs {
        let Some(op) = visit(o, epoch) else { continue };
        stack.push((o.clone(), op, 0));
        while let Some(top) = stack.last_mut() {
            let (_, op, next) = top;
            if *next < op.inputs.len() {
                let child = op.inputs[*next].clone();
                *next += 1;
                if let Some(cop) = visit(&child, epoch) {
                    stack.push((child, cop, 0));
                }
            } else {
                let (a, _, _) = stack.pop().expect("non-empty");
                order.push(a);
            }
        }
    }
    // A graph with large arrays runs on a worker of the thread pool: the
    // kernels' parallel splits then start from inside the pool (the
    // evaluating worker takes a share, only the others are woken) instead
    // of injecting every op's work from outside and parking this thread.
    // On the 2-core machine that halved the context switches of a small
    // MLP's gradient step. Small graphs stay here: a hand-off costs
    // microseconds.
    let large = order.iter().any(|a| a.size() >= POOL_EVAL_SIZE);
    let result =
        if large && rayon::current_thread_index().is_none() && rayon::current_num_threads() > 1 {
            rayon::scope(move |_| order.into_iter().try_for_each(run_op))
        } else {
            order.into_iter().try_for_each(run_op)
        };
    if large {
        crate::backend::cpu::threads::keep_workers_warm();
    }
    result
}

/// Elements from which a graph's evaluation moves into the thread pool.
const POOL_EVAL_SIZE: usize = 1 << 14;

/// Runs the op of `a` (and fills its siblings), then detaches it.
fn run_op(a: Array) -> Result<()> {
    let Some((op, _)) = lock_op(&a).take() else {
        return Ok(());
    };
    let keep = a.0.keep_graph.load(Ordering::Relaxed);
    if keep {
        *lock_op(&a) = Some((op.clone(), 0));
    }
    let sibs: Vec<Option<Array>> = op.siblings.iter().map(|w| w.upgrade().map(Array)).collect();
    let mut keep_any = keep;
    for s in sibs.iter().flatten() {
        if s.id() != a.id() && !s.0.keep_graph.load(Ordering::Relaxed) {
            lock_op(s).take();
        } else if s.0.keep_graph.load(Ordering::Relaxed) {
            keep_any = true;
        }
    }
    let stream = a.stream();
    if stream.device.kind == DeviceType::Gpu {
        return Err(Error::runtime(format!(
            "[eval] {} cannot run on {}: rmlx was built without a GPU backend.",
            op.prim.name(),
            stream.device
        )));
    }
    let result = {
        // Donation needs this op to be the only holder of its inputs.
        let donate = !keep_any && Arc::strong_count(&op) == 1;
        if op.outputs.is_empty() {
            // Single output: no allocation for the output list.
            let specs = [OutSpec {
                shape: a.shape(),
                dtype: a.dtype(),
            }];
            op.prim.eval_cpu(&EvalCtx {
                inputs: &op.inputs,
                outputs: &specs,
                donate,
            })
        } else {
            let specs: Vec<OutSpec> = op
                .outputs
                .iter()
                .map(|(s, d)| OutSpec {
                    shape: s,
                    dtype: *d,
                })
                .collect();
            op.prim.eval_cpu(&EvalCtx {
                inputs: &op.inputs,
                outputs: &specs,
                donate,
            })
        }
    };
    match result {
        Ok(datas) => {
            if op.siblings.is_empty() {
                let d = datas.into_iter().next().ok_or_else(|| {
                    Error::runtime(format!("[eval] {} produced no output", op.prim.name()))
                })?;
                a.set_data(d);
            } else {
                for (s, d) in sibs.iter().zip(datas) {
                    if let Some(s) = s {
                        s.set_data(d);
                    }
                }
            }
            Ok(())
        }
        Err(e) => {
            // Leave the graph as it was so the array is not corrupted.
            for s in sibs.iter().flatten() {
                let mut g = lock_op(s);
                if g.is_none() {
                    let pos = op
                        .siblings
                        .iter()
                        .position(|w| w.as_ptr() == Arc::as_ptr(&s.0))
                        .unwrap_or(0);
                    *g = Some((op.clone(), pos));
                }
            }
            let mut g = lock_op(&a);
            if g.is_none() {
                *g = Some((op, 0));
            }
            Err(e)
        }
    }
}

/// Starts evaluating `outputs` on a worker thread and returns at once
/// (MLX `async_eval`). A later `eval` of the same arrays waits for it.
pub fn async_eval(outputs: &[Array]) -> Result<()> {
    if outputs.iter().all(Array::is_available) {
        return Ok(());
    }
    let outs: Vec<Array> = outputs.to_vec();
    std::thread::Builder::new()
        .name("rmlx-async-eval".into())
        .spawn(move || {
            // Errors surface again when the caller evaluates the same arrays.
            let _ = eval(&outs);
        })
        .map_err(|e| Error::runtime(format!("[async_eval] cannot start worker: {e}")))?;
    Ok(())
}

/// Waits until every evaluation started before this call has finished
/// (MLX `synchronize`).
pub fn synchronize() {
    drop(EVAL_LOCK.lock().unwrap_or_else(|e| e.into_inner()));
}
