//! `Embedding`: a lookup table of vectors (MLX `nn.Embedding`).

use rmlx::ops::{self, random};
use rmlx::{Array, Dtype, Result};

use crate::module::{Module, ModuleMeta};
use crate::util::f32_scalar;

/// Maps integer ids to rows of `weight` `(num_embeddings, dims)`,
/// initialised normal with standard deviation `1 / sqrt(dims)`.
#[derive(Clone, Debug)]
pub struct Embedding {
    meta: ModuleMeta,
    /// `(num_embeddings, dims)`.
    pub weight: Array,
}

impl Embedding {
    /// A table with MLX's initialisation.
    pub fn new(num_embeddings: i64, dims: i64) -> Result<Self> {
        let scale = (1.0 / dims as f64).sqrt();
        let weight = random::normal(
            &[num_embeddings, dims],
            Dtype::Float32,
            None,
            Some(&f32_scalar(scale)),
            None,
            None,
        )?;
        Ok(Embedding {
            meta: ModuleMeta::default(),
            weight,
        })
    }

    /// Uses the table as a linear layer: `x @ weight^T` (tied output
    /// projections).
    pub fn as_linear(&self, x: &Array) -> Result<Array> {
        ops::matmul(x, &ops::matrix_transpose(&self.weight, None)?, None)
    }
}

impl Module for Embedding {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        vec![("weight", &self.weight)]
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        vec![("weight", &mut self.weight)]
    }
    /// The rows of `weight` at the ids `x` (any integer shape).
    fn forward(&self, x: &Array) -> Result<Array> {
        ops::take(&self.weight, x, Some(0), None)
    }
}
