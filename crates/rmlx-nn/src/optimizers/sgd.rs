//! Stochastic gradient descent (MLX `optimizers.SGD`).

use rmlx::{ops, Array, Error, Result};

use super::{LearningRate, Optimizer, OptimizerState, Slots, StepInfo};
use crate::util::mul_s;

/// SGD with optional momentum, dampening, Nesterov momentum and L2 weight
/// decay: `g += weight_decay * w`, `v = momentum * v + (1 - dampening) g`,
/// `w -= lr * (nesterov ? g + momentum * v : v)` (plain `w -= lr * g`
/// without momentum).
pub struct SGD {
    core: OptimizerState,
    /// Momentum (0: none).
    pub momentum: f64,
    /// L2 penalty added to the gradient.
    pub weight_decay: f64,
    /// Dampening of the momentum's gradient term.
    pub dampening: f64,
    /// Nesterov momentum.
    pub nesterov: bool,
}

impl SGD {
    /// Plain SGD (MLX defaults: no momentum, no weight decay).
    pub fn new(learning_rate: impl Into<LearningRate>) -> Result<Self> {
        Self::with(learning_rate, 0.0, 0.0, 0.0, false)
    }

    /// SGD with every setting given.
    pub fn with(
        learning_rate: impl Into<LearningRate>,
        momentum: f64,
        weight_decay: f64,
        dampening: f64,
        nesterov: bool,
    ) -> Result<Self> {
        if nesterov && (momentum <= 0.0 || dampening != 0.0) {
            return Err(Error::value(
                "Nesterov momentum requires a momentum and zero dampening.",
            ));
        }
        Ok(SGD {
            core: OptimizerState::new(learning_rate.into())?,
            momentum,
            weight_decay,
            dampening,
            nesterov,
        })
    }
}

impl Optimizer for SGD {
    fn core(&self) -> &OptimizerState {
        &self.core
    }
    fn core_mut(&mut self) -> &mut OptimizerState {
        &mut self.core
    }
    fn init_single(&self, parameter: &Array, slots: &mut Slots) -> Result<()> {
        slots.insert("v".into(), ops::zeros_like(parameter, None, None)?);
        Ok(())
    }
    fn apply_single(
        &self,
        gradient: &Array,
        parameter: &Array,
        slots: &mut Slots,
        info: &StepInfo,
    ) -> Result<Array> {
        let mut g = gradient.clone();
        if self.weight_decay != 0.0 {
            g = ops::add(&g, &mul_s(parameter, self.weight_decay)?, None)?;
        }
        let lr = ops::astype(&info.learning_rate, g.dtype(), None)?;
        if self.momentum <= 0.0 {
            return ops::subtract(parameter, &ops::multiply(&lr, &g, None)?, None);
        }
        let mut v = mul_s(&slots["v"], self.momentum)?;
        v = if self.dampening > 0.0 {
            ops::add(&v, &mul_s(&g, 1.0 - self.dampening)?, None)?
        } else {
            ops::add(&v, &g, None)?
        };
        let update = if self.nesterov {
            ops::add(&g, &mul_s(&v, self.momentum)?, None)?
        } else {
            v.clone()
        };
        slots.insert("v".into(), v);
        ops::subtract(parameter, &ops::multiply(&lr, &update, None)?, None)
    }
}
