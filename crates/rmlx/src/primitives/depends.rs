//! `Depends`: outputs identical to the first `n_inputs` inputs (they share
//! their buffers); the remaining inputs are dependencies the outputs wait
//! for without reading them (MLX `depends`).

use std::any::Any;

use super::Primitive;
use crate::array::{Array, Data};
use crate::error::Result;
use crate::eval::EvalCtx;
use crate::ops;

/// Passes its first `n_inputs` inputs through; the rest are dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Depends {
    /// How many leading inputs are passed through (one output each).
    pub n_inputs: usize,
}

impl Primitive for Depends {
    fn name(&self) -> &'static str {
        "depends"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        Ok(ctx.inputs[..self.n_inputs]
            .iter()
            .map(|x| x.data().clone())
            .collect())
    }
    /// The cotangents go through to the inputs; the dependencies get zeros
    /// (as MLX).
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        argnums
            .iter()
            .map(|&i| {
                if i < self.n_inputs {
                    Ok(cotangents[i].clone())
                } else {
                    ops::zeros_like(&primals[i], None, None)
                }
            })
            .collect()
    }
    /// Pass-through (MLX has no forward rule for `Depends`).
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        (0..self.n_inputs)
            .map(|o| match argnums.iter().position(|&i| i == o) {
                Some(k) => Ok(tangents[k].clone()),
                None => ops::zeros_like(&primals[o], None, None),
            })
            .collect()
    }
    /// The batched inputs keep depending on the batched dependencies; each
    /// output keeps its input's batch axis (MLX has no batching rule).
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let outs = ops::depends(&inputs[..self.n_inputs], &inputs[self.n_inputs..], None)?;
        Ok((outs, axes[..self.n_inputs].to_vec()))
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Depends>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
