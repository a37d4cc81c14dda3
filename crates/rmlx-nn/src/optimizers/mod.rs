//! Optimizers (MLX `mlx.optimizers`): SGD, Adam, AdamW, RMSprop, Adagrad
//! and Lion over parameter trees, with learning rates given as values or
//! schedules, and `clip_grad_norm`.
//!
//! As in MLX, an optimizer keeps a step count, its current learning rate (a
//! float32 array) and per-parameter state arrays keyed by the parameter's
//! dotted path. Schedules see the step count before the update; bias
//! corrections see it after.

mod adam;
mod others;
mod schedules;
mod sgd;

use std::collections::BTreeMap;
use std::sync::Arc;

use rmlx::{ops, Array, Dtype, Error, Result};

use crate::module::Module;
use crate::tree::ParamTree;
use crate::util::{add_s, f32_scalar, weak};

pub use adam::{Adam, AdamW};
pub use others::{Adagrad, Lion, RMSprop};
pub use schedules::{cosine_decay, exponential_decay, join_schedules, linear_schedule, step_decay};
pub use sgd::SGD;

/// A learning-rate schedule: the step count (a uint64 scalar) to the rate.
pub type Schedule = Arc<dyn Fn(&Array) -> Result<Array> + Send + Sync>;

/// A learning rate: a constant or a [`Schedule`].
#[derive(Clone)]
pub enum LearningRate {
    /// A constant rate.
    Value(f64),
    /// A rate recomputed from the step count at every update.
    Schedule(Schedule),
}

impl From<f64> for LearningRate {
    fn from(v: f64) -> Self {
        LearningRate::Value(v)
    }
}

impl From<f32> for LearningRate {
    fn from(v: f32) -> Self {
        LearningRate::Value(v as f64)
    }
}

impl From<Schedule> for LearningRate {
    fn from(s: Schedule) -> Self {
        LearningRate::Schedule(s)
    }
}

/// The state arrays of one parameter, by name (`"m"`, `"v"` ...).
pub type Slots = BTreeMap<String, Array>;

/// What one update step passes to [`Optimizer::apply_single`].
pub struct StepInfo {
    /// The step count after this update's increment (uint64 scalar).
    pub step: Array,
    /// The learning rate of this update (float32 scalar).
    pub learning_rate: Array,
}

/// The state every optimizer keeps: step count, learning rate (and its
/// schedule) and the per-parameter slots.
pub struct OptimizerState {
    step: u64,
    schedule: Option<Schedule>,
    learning_rate: Array,
    slots: BTreeMap<String, Slots>,
}

impl OptimizerState {
    /// Fresh state; a schedule is evaluated at step 0 right away, as MLX.
    pub fn new(lr: LearningRate) -> Result<Self> {
        let (schedule, learning_rate) = match lr {
            LearningRate::Value(v) => (None, f32_scalar(v)),
            LearningRate::Schedule(s) => {
                let v = s(&Array::scalar(0u64))?;
                (Some(s), v)
            }
        };
        Ok(OptimizerState {
            step: 0,
            schedule,
            learning_rate,
            slots: BTreeMap::new(),
        })
    }
}

/// An optimizer over parameter trees (MLX `optimizers.Optimizer`).
///
/// Implementors provide the state accessors and the per-parameter rules
/// `init_single` / `apply_single`; the tree handling is shared.
pub trait Optimizer {
    /// The shared state.
    fn core(&self) -> &OptimizerState;
    /// Mutable access to the shared state.
    fn core_mut(&mut self) -> &mut OptimizerState;
    /// Fills `slots` (empty) with the initial state for `parameter`.
    fn init_single(&self, parameter: &Array, slots: &mut Slots) -> Result<()>;
    /// The updated `parameter` given its `gradient`; may update `slots`.
    fn apply_single(
        &self,
        gradient: &Array,
        parameter: &Array,
        slots: &mut Slots,
        info: &StepInfo,
    ) -> Result<Array>;

    /// Creates the state of every parameter in `params` that has none yet.
    fn init(&mut self, params: &ParamTree) -> Result<()> {
        let mut slots = std::mem::take(&mut self.core_mut().slots);
        let mut res = Ok(());
        for (k, p) in params.flatten() {
            if let std::collections::btree_map::Entry::Vacant(e) = slots.entry(k) {
                let mut s = Slots::new();
                if let Err(err) = self.init_single(&p, &mut s) {
                    res = Err(err);
                    break;
                }
                e.insert(s);
            }
        }
        self.core_mut().slots = slots;
        res
    }

    /// Advances the step and returns the updated parameters (a tree shaped
    /// like `gradients`; `params` must hold every gradient's path) without
    /// touching any model (MLX `apply_gradients`).
    fn apply_gradients(&mut self, gradients: &ParamTree, params: &ParamTree) -> Result<ParamTree> {
        self.init(gradients)?;
        let core = self.core_mut();
        if let Some(s) = &core.schedule {
            core.learning_rate = s(&Array::scalar(core.step))?;
        }
        core.step += 1;
        let info = StepInfo {
            step: Array::scalar(core.step),
            learning_rate: core.learning_rate.clone(),
        };
        let mut slots = std::mem::take(&mut core.slots);
        let out = (|| {
            let mut out = Vec::new();
            for (k, g) in gradients.flatten() {
                let p = params.get_array(&k).ok_or_else(|| {
                    Error::value(format!(
                        "[Optimizer] No parameter for the gradient \"{k}\"."
                    ))
                })?;
                let s = slots.get_mut(&k).expect("initialised above");
                out.push((k, self.apply_single(&g, p, s, &info)?));
            }
            ParamTree::unflatten(out)
        })();
        self.core_mut().slots = slots;
        out
    }

    /// Applies `gradients` to `model`'s parameters in place (MLX `update`).
    fn update(&mut self, model: &mut dyn Module, gradients: &ParamTree) -> Result<()> {
        let new = self.apply_gradients(gradients, &model.parameters())?;
        model.update(&new)
    }

    /// The number of updates applied so far.
    fn step(&self) -> u64 {
        self.core().step
    }

    /// The current learning rate (a float32 scalar array).
    fn learning_rate(&self) -> Array {
        self.core().learning_rate.clone()
    }

    /// Sets the learning rate (a schedule, if any, overrides it at the next
    /// update, as in MLX).
    fn set_learning_rate(&mut self, lr: f64) {
        self.core_mut().learning_rate = f32_scalar(lr);
    }

    /// The state as a tree: `step` (uint64), `learning_rate` and each
    /// parameter's slots at its path (MLX `optimizer.state`); evaluate it
    /// with the model's parameters after each update.
    fn state(&self) -> ParamTree {
        let core = self.core();
        let mut t = ParamTree::new();
        for (k, s) in &core.slots {
            for (name, a) in s {
                // A parameter path and slot name never collide with the
                // two top-level scalars in practice; MLX nests the same way.
                let _ = t.insert(&format!("{k}.{name}"), ParamTree::Array(a.clone()));
            }
        }
        let _ = t.insert("step", ParamTree::Array(Array::scalar(core.step)));
        let _ = t.insert(
            "learning_rate",
            ParamTree::Array(core.learning_rate.clone()),
        );
        t
    }

    /// Every state array (slots and learning rate), for `rmlx::eval`.
    fn state_arrays(&self) -> Vec<Array> {
        let core = self.core();
        let mut v: Vec<Array> = core
            .slots
            .values()
            .flat_map(|s| s.values().cloned())
            .collect();
        v.push(core.learning_rate.clone());
        v
    }
}

/// Scales `grads` so that their global L2 norm is at most `max_norm`;
/// returns the scaled gradients and the norm before scaling (MLX
/// `clip_grad_norm`).
pub fn clip_grad_norm(grads: &ParamTree, max_norm: f64) -> Result<(ParamTree, Array)> {
    if max_norm < 0.0 {
        return Err(Error::value(format!(
            "max_norm should be >=0, {max_norm} was provided instead"
        )));
    }
    let mut acc = f32_scalar(0.0);
    for g in grads.leaves() {
        // float16 squares overflow easily; accumulate them in float32.
        let g = if g.dtype() == Dtype::Float16 {
            ops::astype(&g, Dtype::Float32, None)?
        } else {
            g
        };
        let sq = ops::sum(&ops::square(&g, None)?, None, false, None)?;
        acc = ops::add(&acc, &sq, None)?;
    }
    let total = ops::sqrt(&acc, None)?;
    let den = add_s(&total, 1e-6)?;
    let factor = ops::minimum(
        &ops::divide(&weak(max_norm, &den), &den, None)?,
        &weak(1.0, &den),
        None,
    )?;
    let clipped = grads.map(|_, g| {
        let s = ops::multiply(g, &factor, None)?;
        if g.dtype().is_floating() {
            ops::astype(&s, g.dtype(), None)
        } else {
            Ok(s)
        }
    })?;
    Ok((clipped, total))
}
