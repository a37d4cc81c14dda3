//! Adam and AdamW (MLX `optimizers.Adam`, `optimizers.AdamW`).

use rmlx::{ops, Array, Error, Result};

use super::{LearningRate, Optimizer, OptimizerState, Slots, StepInfo};
use crate::util::{add_s, mul_s, rsub_s, weak};

/// Adam: `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
/// `w -= lr m / (sqrt(v) + eps)`, with the moments bias-corrected when
/// `bias_correction` is set (off by default, as in MLX).
pub struct Adam {
    core: OptimizerState,
    /// `(b1, b2)`: the moments' decay rates.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// Whether to bias-correct the moments.
    pub bias_correction: bool,
}

fn check(betas: (f64, f64), eps: f64) -> Result<()> {
    for (i, b) in [betas.0, betas.1].into_iter().enumerate() {
        if !(0.0..1.0).contains(&b) {
            return Err(Error::value(format!(
                "Adam beta{} should be in [0, 1), {b} was provided instead",
                i + 1
            )));
        }
    }
    if eps < 0.0 {
        return Err(Error::value(format!(
            "Adam epsilon should be >=0, {eps} was provided instead"
        )));
    }
    Ok(())
}

impl Adam {
    /// Adam with MLX's defaults: betas (0.9, 0.999), eps 1e-8, no bias
    /// correction.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Result<Self> {
        Self::with(learning_rate, (0.9, 0.999), 1e-8, false)
    }

    /// Adam with every setting given.
    pub fn with(
        learning_rate: impl Into<LearningRate>,
        betas: (f64, f64),
        eps: f64,
        bias_correction: bool,
    ) -> Result<Self> {
        check(betas, eps)?;
        Ok(Adam {
            core: OptimizerState::new(learning_rate.into())?,
            betas,
            eps,
            bias_correction,
        })
    }
}

fn adam_init(parameter: &Array, slots: &mut Slots) -> Result<()> {
    slots.insert("m".into(), ops::zeros_like(parameter, None, None)?);
    slots.insert("v".into(), ops::zeros_like(parameter, None, None)?);
    Ok(())
}

/// MLX's Adam update of one parameter.
fn adam_step(
    betas: (f64, f64),
    eps: f64,
    bias_correction: bool,
    gradient: &Array,
    parameter: &Array,
    slots: &mut Slots,
    info: &StepInfo,
) -> Result<Array> {
    let dt = gradient.dtype();
    let lr = ops::astype(&info.learning_rate, dt, None)?;
    let (b1, b2) = betas;
    let m = ops::add(&mul_s(&slots["m"], b1)?, &mul_s(gradient, 1.0 - b1)?, None)?;
    let v = ops::add(
        &mul_s(&slots["v"], b2)?,
        &mul_s(&ops::square(gradient, None)?, 1.0 - b2)?,
        None,
    )?;
    slots.insert("m".into(), m.clone());
    slots.insert("v".into(), v.clone());
    if !bias_correction {
        let num = ops::multiply(&lr, &m, None)?;
        let den = add_s(&ops::sqrt(&v, None)?, eps)?;
        return ops::subtract(parameter, &ops::divide(&num, &den, None)?, None);
    }
    // b^step with a uint64 step computes in float32, as MLX's Python
    // scalar ** array does.
    let pow = |b: f64| ops::power(&weak(b, &info.step), &info.step, None);
    let c1 = ops::divide(&lr, &rsub_s(1.0, &pow(b1)?)?, None)?;
    let c1 = ops::astype(&c1, dt, None)?;
    let c2 = ops::astype(&ops::rsqrt(&rsub_s(1.0, &pow(b2)?)?, None)?, dt, None)?;
    let num = ops::multiply(&c1, &m, None)?;
    let den = add_s(&ops::multiply(&ops::sqrt(&v, None)?, &c2, None)?, eps)?;
    ops::subtract(parameter, &ops::divide(&num, &den, None)?, None)
}

impl Optimizer for Adam {
    fn core(&self) -> &OptimizerState {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerState {
        &mut self.core
    }
    fn init_single(&self, parameter: &Array, slots: &mut Slots) -> Result<()> {
        adam_init(parameter, slots)
    }
    fn apply_single(
        &self,
        gradient: &Array,
        parameter: &Array,
        slots: &mut Slots,
        info: &StepInfo,
    ) -> Result<Array> {
        adam_step(
            self.betas,
            self.eps,
            self.bias_correction,
            gradient,
            parameter,
            slots,
            info,
        )
    }
}

/// Adam with decoupled weight decay: the parameter is first scaled by
/// `1 - lr * weight_decay`.
pub struct AdamW {
    core: OptimizerState,
    /// `(b1, b2)`: the moments' decay rates.
    pub betas: (f64, f64),
    /// Added to the denominator.
    pub eps: f64,
    /// Decoupled weight decay.
    pub weight_decay: f64,
    /// Whether to bias-correct the moments.
    pub bias_correction: bool,
}

impl AdamW {
    /// AdamW with MLX's defaults: betas (0.9, 0.999), eps 1e-8, weight
    /// decay 0.01, no bias correction.
    pub fn new(learning_rate: impl Into<LearningRate>) -> Result<Self> {
        Self::with(learning_rate, (0.9, 0.999), 1e-8, 0.01, false)
    }

    /// AdamW with every setting given.
    pub fn with(
        learning_rate: impl Into<LearningRate>,
        betas: (f64, f64),
        eps: f64,
        weight_decay: f64,
        bias_correction: bool,
    ) -> Result<Self> {
        check(betas, eps)?;
        Ok(AdamW {
            core: OptimizerState::new(learning_rate.into())?,
            betas,
            eps,
            weight_decay,
            bias_correction,
        })
    }
}

impl Optimizer for AdamW {
    fn core(&self) -> &OptimizerState {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerState {
        &mut self.core
    }
    fn init_single(&self, parameter: &Array, slots: &mut Slots) -> Result<()> {
        adam_init(parameter, slots)
    }
    fn apply_single(
        &self,
        gradient: &Array,
        parameter: &Array,
        slots: &mut Slots,
        info: &StepInfo,
    ) -> Result<Array> {
        let lr = ops::astype(&info.learning_rate, gradient.dtype(), None)?;
        let decay = rsub_s(1.0, &mul_s(&lr, self.weight_decay)?)?;
        let p = ops::multiply(parameter, &decay, None)?;
        adam_step(
            self.betas,
            self.eps,
            self.bias_correction,
            gradient,
            &p,
            slots,
            info,
        )
    }
}
