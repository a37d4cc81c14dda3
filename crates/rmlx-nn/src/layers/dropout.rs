//! `Dropout` (MLX `nn.Dropout`): zeroes elements at random in training mode.

use rmlx::ops::{self, random};
use rmlx::{Array, Error, Result};

use crate::module::{Module, ModuleMeta};
use crate::util::{f32_scalar, mul_s};

/// Zeroes each element with probability `p` during training and scales the
/// rest by `1 / (1 - p)`; the identity in evaluation mode.
#[derive(Clone, Debug)]
pub struct Dropout {
    meta: ModuleMeta,
    p_1: f64,
}

impl Dropout {
    /// A dropout layer; `p` must be in `[0, 1)` (MLX default 0.5).
    pub fn new(p: f64) -> Result<Self> {
        if !(0.0..1.0).contains(&p) {
            return Err(Error::value(format!(
                "The dropout probability {p} is not in [0, 1)"
            )));
        }
        Ok(Dropout {
            meta: ModuleMeta::default(),
            p_1: 1.0 - p,
        })
    }

    /// The drop probability.
    pub fn p(&self) -> f64 {
        1.0 - self.p_1
    }
}

impl Module for Dropout {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        Vec::new()
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        Vec::new()
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        if self.p_1 == 1.0 || !self.training() {
            return Ok(x.clone());
        }
        let mask = random::bernoulli(&f32_scalar(self.p_1), Some(x.shape()), None, None)?;
        mul_s(&ops::multiply(&mask, x, None)?, 1.0 / self.p_1)
    }
}
