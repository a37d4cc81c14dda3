//! Normalisation over the last axis: `LayerNorm` and `RMSNorm` (MLX
//! `nn.LayerNorm`, `nn.RMSNorm`), both on the fused `fast` kernels.

use rmlx::ops::{self, fast};
use rmlx::{Array, Dtype, Error, Result};

use crate::module::{Module, ModuleMeta};

fn check_eps(name: &str, eps: f64) -> Result<()> {
    if eps <= 0.0 {
        return Err(Error::value(format!(
            "[{name}] 'eps' must be positive but got {eps}."
        )));
    }
    Ok(())
}

/// Normalises over the last axis to zero mean and unit variance, then
/// scales by `weight` (ones) and shifts by `bias` (zeros) when affine.
#[derive(Clone, Debug)]
pub struct LayerNorm {
    meta: ModuleMeta,
    /// `(dims,)` scale, when affine.
    pub weight: Option<Array>,
    /// `(dims,)` shift, when affine with a bias.
    pub bias: Option<Array>,
    /// Added to the variance.
    pub eps: f64,
}

impl LayerNorm {
    /// A layer (MLX defaults: eps 1e-5, affine, bias).
    pub fn new(dims: i64, eps: f64, affine: bool, bias: bool) -> Result<Self> {
        check_eps("LayerNorm", eps)?;
        let (weight, bias) = if affine {
            let w = ops::ones(&[dims], Dtype::Float32, None)?;
            let b = bias
                .then(|| ops::zeros(&[dims], Dtype::Float32, None))
                .transpose()?;
            (Some(w), b)
        } else {
            (None, None)
        };
        Ok(LayerNorm {
            meta: ModuleMeta::default(),
            weight,
            bias,
            eps,
        })
    }

    /// A layer with MLX's defaults.
    pub fn simple(dims: i64) -> Result<Self> {
        Self::new(dims, 1e-5, true, true)
    }
}

impl Module for LayerNorm {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        let mut v = Vec::new();
        if let Some(w) = &self.weight {
            v.push(("weight", w));
        }
        if let Some(b) = &self.bias {
            v.push(("bias", b));
        }
        v
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        let mut v = Vec::new();
        if let Some(w) = &mut self.weight {
            v.push(("weight", w));
        }
        if let Some(b) = &mut self.bias {
            v.push(("bias", b));
        }
        v
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        fast::layer_norm(
            x,
            self.weight.as_ref(),
            self.bias.as_ref(),
            self.eps as f32,
            None,
        )
    }
}

/// Divides by the root mean square over the last axis and scales by
/// `weight` (ones).
#[derive(Clone, Debug)]
pub struct RMSNorm {
    meta: ModuleMeta,
    /// `(dims,)` scale.
    pub weight: Array,
    /// Added to the mean square.
    pub eps: f64,
}

impl RMSNorm {
    /// A layer (MLX default eps: 1e-5).
    pub fn new(dims: i64, eps: f64) -> Result<Self> {
        check_eps("RMSNorm", eps)?;
        Ok(RMSNorm {
            meta: ModuleMeta::default(),
            weight: ops::ones(&[dims], Dtype::Float32, None)?,
            eps,
        })
    }
}

impl Module for RMSNorm {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        vec![("weight", &self.weight)]
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        vec![("weight", &mut self.weight)]
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        fast::rms_norm(x, Some(&self.weight), self.eps as f32, None)
    }
}
