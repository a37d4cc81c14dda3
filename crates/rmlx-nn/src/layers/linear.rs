//! Dense layers: `Identity` and `Linear` (MLX `nn.Identity`, `nn.Linear`).

use rmlx::ops;
use rmlx::{Array, Dtype, Result};

use crate::init::uniform_array;
use crate::module::{Module, ModuleMeta};

/// Returns its input unchanged.
#[derive(Clone, Debug, Default)]
pub struct Identity {
    meta: ModuleMeta,
}

impl Identity {
    /// A new identity layer.
    pub fn new() -> Self {
        Self::default()
    }
}

impl Module for Identity {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        Vec::new()
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        Vec::new()
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        Ok(x.clone())
    }
}

/// Affine map `y = x W^T + b`: `weight` `(output_dims, input_dims)`, `bias`
/// `(output_dims,)`, both initialised uniform on `[-k, k]` with
/// `k = 1 / sqrt(input_dims)` (as MLX).
#[derive(Clone, Debug)]
pub struct Linear {
    meta: ModuleMeta,
    /// `(output_dims, input_dims)`.
    pub weight: Array,
    /// `(output_dims,)`, when the layer has a bias.
    pub bias: Option<Array>,
}

impl Linear {
    /// A layer with MLX's initialisation.
    pub fn new(input_dims: i64, output_dims: i64, bias: bool) -> Result<Self> {
        let scale = (1.0 / input_dims as f64).sqrt();
        let weight = uniform_array(-scale, scale, &[output_dims, input_dims], Dtype::Float32)?;
        let bias = if bias {
            Some(uniform_array(
                -scale,
                scale,
                &[output_dims],
                Dtype::Float32,
            )?)
        } else {
            None
        };
        Ok(Linear::from_arrays(weight, bias))
    }

    /// A layer holding the given arrays.
    pub fn from_arrays(weight: Array, bias: Option<Array>) -> Self {
        Linear {
            meta: ModuleMeta::default(),
            weight,
            bias,
        }
    }

    /// `(input_dims, output_dims)`.
    pub fn dims(&self) -> (i64, i64) {
        (self.weight.shape()[1], self.weight.shape()[0])
    }
}

impl Module for Linear {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        let mut v = vec![("weight", &self.weight)];
        if let Some(b) = &self.bias {
            v.push(("bias", b));
        }
        v
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        let mut v = vec![("weight", &mut self.weight)];
        if let Some(b) = &mut self.bias {
            v.push(("bias", b));
        }
        v
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        let wt = ops::matrix_transpose(&self.weight, None)?;
        match &self.bias {
            Some(b) => ops::addmm(b, x, &wt, 1.0, 1.0, None),
            None => ops::matmul(x, &wt, None),
        }
    }
}
