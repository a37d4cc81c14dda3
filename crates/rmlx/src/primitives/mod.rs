//! Primitives: the operations a graph node can record. Each op family lives
//! in one file here with its shape rule and its transformation rules (vjp,
//! jvp, vmap); the kernels live beside each other under `backend/`.

use std::any::Any;
use std::fmt::Debug;

use crate::array::{Array, Data};
use crate::error::{Error, Result};
use crate::eval::EvalCtx;

pub mod binary;
mod binary_grad;
pub mod conv;
mod conv_grad;
pub mod convert;
pub mod creation;
pub mod depends;
pub mod fast;
mod fast_grad;
pub mod fft;
pub mod indexing;
mod indexing_grad;
pub mod linalg;
mod linalg_grad;
pub mod matmul;
mod matmul_grad;
pub mod quantized;
mod quantized_grad;
pub mod random;
pub mod reduce;
mod reduce_grad;
pub mod scan;
mod scan_grad;
pub mod shape;
mod shape_grad;
pub mod sort;
mod sort_grad;
pub mod ternary;
mod ternary_grad;
pub mod unary;
mod unary_grad;
pub mod view;
mod view_grad;

/// An operation recorded in the graph.
pub trait Primitive: Send + Sync + Debug + Any {
    /// The op's name in messages and graph dumps (MLX's primitive name).
    fn name(&self) -> &'static str;

    /// Computes the outputs on the CPU.
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>>;

    /// Reverse mode: cotangents of the inputs listed in `argnums` given the
    /// cotangents of the outputs.
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        outputs: &[Array],
    ) -> Result<Vec<Array>> {
        let _ = (primals, cotangents, argnums, outputs);
        Err(Error::not_implemented(format!("vjp of {}", self.name())))
    }

    /// Forward mode: output tangents given tangents of the inputs in `argnums`.
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        let _ = (primals, tangents, argnums);
        Err(Error::not_implemented(format!("jvp of {}", self.name())))
    }

    /// Batching: the op applied to inputs carrying a batch axis at `axes[i]`
    /// (`None`: not batched); returns outputs and their batch axes.
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let _ = (inputs, axes);
        Err(Error::not_implemented(format!("vmap of {}", self.name())))
    }

    /// Whether `other` computes the same function (for common-subexpression
    /// elimination in compile).
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        let _ = other;
        false
    }

    /// Downcasting support.
    fn as_any(&self) -> &dyn Any;
}
