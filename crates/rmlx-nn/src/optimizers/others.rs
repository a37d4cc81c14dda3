//! RMSprop, Adagrad and Lion (MLX `optimizers.RMSprop`, `Adagrad`, `Lion`).

use rmlx::{ops, Array, Error, Result};

use super::{LearningRate, Optimizer, OptimizerState, Slots, StepInfo};
use crate::util::{add_s, mul_s, rsub_s};

macro_rules! core_access {
    () => {
        fn core(&self) -> &OptimizerState {
            &self.core
        }
        fn core_mut(&mut self) -> &mut OptimizerState {
            &mut self.core
        }
    };
}

fn zero_slots(parameter: &Array, slots: &mut Slots, names: &[&str]) -> Result<()> {
    for n in names {
        slots.insert((*n).into(), ops::zeros_like(parameter, None, None)?);
    }
    Ok(())
}

/// `w - lr * g / (sqrt(v) + eps)`.
fn scaled_step(parameter: &Array, lr: &Array, g: &Array, v: &Array, eps: f64) -> Result<Array> {
    let num = ops::multiply(lr, g, None)?;
    let den = add_s(&ops::sqrt(v, None)?, eps)?;
    ops::subtract(parameter, &ops::divide(&num, &den, None)?, None)
}

/// RMSprop: `v = alpha v + (1 - alpha) g^2`, `w -= lr g / (sqrt(v) + eps)`.
pub struct RMSprop {
    core: OptimizerState,
    /// Decay of the squared-gradient average.
    pub alpha: f64,
    /// Added to the denominator.
    pub eps: f64,
}

impl RMSprop {
    /// RMSprop (MLX defaults: alpha 0.99, eps 1e-8).
    pub fn new(learning_rate: impl Into<LearningRate>, alpha: f64, eps: f64) -> Result<Self> {
        if alpha < 0.0 {
            return Err(Error::value(format!(
                "RMSprop alpha should be >=0, {alpha} was provided instead"
            )));
        }
        if eps <= 0.0 {
            return Err(Error::value(format!(
                "RMSprop epsilon should be >0, {eps} was provided instead"
            )));
        }
        Ok(RMSprop {
            core: OptimizerState::new(learning_rate.into())?,
            alpha,
            eps,
        })
    }
}

impl Optimizer for RMSprop {
    core_access!();
    fn init_single(&self, parameter: &Array, slots: &mut Slots) -> Result<()> {
        zero_slots(parameter, slots, &["v"])
    }
    fn apply_single(
        &self,
        g: &Array,
        p: &Array,
        slots: &mut Slots,
        info: &StepInfo,
    ) -> Result<Array> {
        let lr = ops::astype(&info.learning_rate, g.dtype(), None)?;
        let v = ops::add(
            &mul_s(&slots["v"], self.alpha)?,
            &mul_s(&ops::square(g, None)?, 1.0 - self.alpha)?,
            None,
        )?;
        slots.insert("v".into(), v.clone());
        scaled_step(p, &lr, g, &v, self.eps)
    }
}

/// Adagrad: `v += g^2`, `w -= lr g / (sqrt(v) + eps)`.
pub struct Adagrad {
    core: OptimizerState,
    /// Added to the denominator.
    pub eps: f64,
}

impl Adagrad {
    /// Adagrad (MLX default eps: 1e-8).
    pub fn new(learning_rate: impl Into<LearningRate>, eps: f64) -> Result<Self> {
        if eps <= 0.0 {
            return Err(Error::value(format!(
                "Adagrad epsilon should be >0, {eps} was provided instead"
            )));
        }
        Ok(Adagrad {
            core: OptimizerState::new(learning_rate.into())?,
            eps,
        })
    }
}

impl Optimizer for Adagrad {
    core_access!();
    fn init_single(&self, parameter: &Array, slots: &mut Slots) -> Result<()> {
        zero_slots(parameter, slots, &["v"])
    }
    fn apply_single(
        &self,
        g: &Array,
        p: &Array,
        slots: &mut Slots,
        info: &StepInfo,
    ) -> Result<Array> {
        let lr = ops::astype(&info.learning_rate, g.dtype(), None)?;
        let v = ops::add(&slots["v"], &ops::square(g, None)?, None)?;
        slots.insert("v".into(), v.clone());
        scaled_step(p, &lr, g, &v, self.eps)
    }
}

/// Lion: `w -= lr sign(b1 m + (1 - b1) g)`, `m = b2 m + (1 - b2) g`, with
/// optional decoupled weight decay.
pub struct Lion {
    core: OptimizerState,
    /// `(b1, b2)`.
    pub betas: (f64, f64),
    /// Decoupled weight decay.
    pub weight_decay: f64,
}

impl Lion {
    /// Lion (MLX defaults: betas (0.9, 0.99), no weight decay).
    pub fn new(
        learning_rate: impl Into<LearningRate>,
        betas: (f64, f64),
        weight_decay: f64,
    ) -> Result<Self> {
        for (i, b) in [betas.0, betas.1].into_iter().enumerate() {
            if !(0.0..1.0).contains(&b) {
                return Err(Error::value(format!(
                    "Lion beta{} should be in [0, 1), {b} was provided instead",
                    i + 1
                )));
            }
        }
        Ok(Lion {
            core: OptimizerState::new(learning_rate.into())?,
            betas,
            weight_decay,
        })
    }
}

impl Optimizer for Lion {
    core_access!();
    fn init_single(&self, parameter: &Array, slots: &mut Slots) -> Result<()> {
        zero_slots(parameter, slots, &["m"])
    }
    fn apply_single(
        &self,
        g: &Array,
        p: &Array,
        slots: &mut Slots,
        info: &StepInfo,
    ) -> Result<Array> {
        let lr = ops::astype(&info.learning_rate, g.dtype(), None)?;
        let (b1, b2) = self.betas;
        let m = &slots["m"];
        let c = ops::add(&mul_s(m, b1)?, &mul_s(g, 1.0 - b1)?, None)?;
        let new_m = ops::add(&mul_s(m, b2)?, &mul_s(g, 1.0 - b2)?, None)?;
        slots.insert("m".into(), new_m);
        let p = if self.weight_decay > 0.0 {
            ops::multiply(&rsub_s(1.0, &mul_s(&lr, self.weight_decay)?)?, p, None)?
        } else {
            p.clone()
        };
        let step = ops::multiply(&lr, &ops::sign(&c, None)?, None)?;
        ops::subtract(&p, &step, None)
    }
}
