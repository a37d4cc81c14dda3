//! The scan op family: cumulative sum, product, max, min and log-add-exp
//! along one axis, forward or reversed, inclusive or exclusive. Shape rule:
//! the input's shape. Kernels: `backend/cpu/scan.rs`; transformation rules:
//! `scan_grad.rs`.

use std::any::Any;

use super::scan_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::error::Result;
use crate::eval::EvalCtx;

/// Which cumulative operation a [`Scan`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScanOp {
    /// Running sum.
    Sum,
    /// Running product.
    Prod,
    /// Running maximum (NaN propagates).
    Max,
    /// Running minimum (NaN propagates).
    Min,
    /// Running `log(exp(acc) + exp(x))`.
    LogAddExp,
}

impl ScanOp {
    /// The MLX op name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            ScanOp::Sum => "cumsum",
            ScanOp::Prod => "cumprod",
            ScanOp::Max => "cummax",
            ScanOp::Min => "cummin",
            ScanOp::LogAddExp => "logcumsumexp",
        }
    }
}

/// A scan along `axis`. Exclusive scans start from the op's identity
/// (0, 1, the lowest / highest value, `-inf`). Input and output share a
/// dtype and the accumulation happens in it (as MLX does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scan {
    /// The operation.
    pub op: ScanOp,
    /// The scanned axis (non-negative).
    pub axis: usize,
    /// Scan from the end of the axis.
    pub reverse: bool,
    /// Whether output `i` includes input `i`.
    pub inclusive: bool,
}

impl Primitive for Scan {
    fn name(&self) -> &'static str {
        self.op.name()
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        crate::backend::cpu::scan::scan(self, a.dtype(), a.data(), a.shape(), &out)?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        outputs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::scan_vjp(self, primals, cotangents, argnums, outputs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::scan_jvp(self, primals, tangents)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::scan_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<Scan>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
