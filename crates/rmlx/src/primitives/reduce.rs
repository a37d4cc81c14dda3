//! The reduce op family: primitives with their shape and transformation rules.
//!
//! - [`Reduce`]: sum / prod / max / min / and / or over a set of axes.
//! - [`ArgReduce`]: argmin / argmax along one axis (uint32 indices).
//! - [`LogSumExp`]: the fused, numerically stable log-sum-exp over axes.
//! - [`Softmax`]: the fused softmax over the last axis.
//!
//! Outputs are row-contiguous and hold the kept axes in order; whether the
//! reduced axes stay as size-1 axes (keepdims) is only a matter of the output
//! shape the op declares. Kernels: `backend/cpu/reduce.rs`; transformation
//! rules: `reduce_grad.rs`.

use std::any::Any;

use super::reduce_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::dtype::Dtype;
use crate::error::Result;
use crate::eval::EvalCtx;

/// Which reduction a [`Reduce`] computes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ReduceOp {
    /// Logical and of `x != 0` (bool output).
    And,
    /// Logical or of `x != 0` (bool output).
    Or,
    /// Sum (small integers accumulate in 32 bits, halves in float32).
    Sum,
    /// Product (same accumulation types as `Sum`).
    Prod,
    /// Maximum, NaN-propagating.
    Max,
    /// Minimum, NaN-propagating.
    Min,
}

impl ReduceOp {
    /// The MLX op name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::And => "all",
            ReduceOp::Or => "any",
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
        }
    }
}

/// MLX's result dtype of reduction `op` on `dt`: sums and products of
/// small integers widen to 32 bits (bool to int32), `all`/`any` give bool,
/// the rest keep the dtype.
pub fn reduce_dtype(op: ReduceOp, dt: Dtype) -> Dtype {
    match op {
        ReduceOp::And | ReduceOp::Or => Dtype::Bool,
        ReduceOp::Max | ReduceOp::Min => dt,
        ReduceOp::Sum | ReduceOp::Prod => match dt {
            Dtype::Bool | Dtype::Int8 | Dtype::Int16 | Dtype::Int32 => Dtype::Int32,
            Dtype::Uint8 | Dtype::Uint16 | Dtype::Uint32 => Dtype::Uint32,
            d => d,
        },
    }
}

/// A reduction of the input over `axes` (sorted, non-negative, unique).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reduce {
    /// The reduction.
    pub op: ReduceOp,
    /// Reduced axes of the input, sorted ascending.
    pub axes: Vec<usize>,
    /// Whether the output keeps the reduced axes as size-1 axes (the
    /// forward-mode and batching rules need the output shape).
    pub keepdims: bool,
}

impl Primitive for Reduce {
    fn name(&self) -> &'static str {
        self.op.name()
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        crate::backend::cpu::reduce::reduce(
            self.op,
            a.dtype(),
            ctx.outputs[0].dtype,
            a.data(),
            a.shape(),
            &self.axes,
            &out,
        )?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        outputs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::reduce_vjp(self, primals, cotangents, argnums, outputs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::reduce_jvp(self, primals, tangents)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::reduce_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<Reduce>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Which index an [`ArgReduce`] finds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ArgReduceOp {
    /// Index of the first minimum (a NaN counts as the minimum).
    ArgMin,
    /// Index of the first maximum (a NaN counts as the maximum).
    ArgMax,
}

impl ArgReduceOp {
    /// The MLX op name used in messages.
    pub fn name(self) -> &'static str {
        match self {
            ArgReduceOp::ArgMin => "argmin",
            ArgReduceOp::ArgMax => "argmax",
        }
    }
}

/// Index of the extreme value along `axis` (uint32 output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgReduce {
    /// argmin or argmax.
    pub op: ArgReduceOp,
    /// The reduced axis of the input (non-negative).
    pub axis: usize,
    /// Whether the output keeps the reduced axis as a size-1 axis.
    pub keepdims: bool,
}

impl Primitive for ArgReduce {
    fn name(&self) -> &'static str {
        self.op.name()
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        crate::backend::cpu::reduce::arg_reduce(
            self.op,
            a.dtype(),
            a.data(),
            a.shape(),
            self.axis,
            &out,
        )?;
        Ok(vec![out])
    }

    /// Indices are not differentiable: zero cotangents.
    fn vjp(
        &self,
        primals: &[Array],
        _: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::zero_cotangents(primals, argnums)
    }

    fn jvp(&self, primals: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::arg_reduce_jvp(self, primals)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::arg_reduce_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<ArgReduce>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `log(sum(exp(x)))` over `axes`, computed stably (max subtracted first;
/// an infinite maximum is returned as is). Input and output share an
/// inexact dtype.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSumExp {
    /// Reduced axes of the input, sorted ascending.
    pub axes: Vec<usize>,
    /// Whether the output keeps the reduced axes as size-1 axes.
    pub keepdims: bool,
}

impl Primitive for LogSumExp {
    fn name(&self) -> &'static str {
        "logsumexp"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        crate::backend::cpu::reduce::logsumexp(a.dtype(), a.data(), a.shape(), &self.axes, &out)?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        _: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::logsumexp_vjp(self, primals, cotangents)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::logsumexp_jvp(self, primals, tangents)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::logsumexp_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<LogSumExp>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Softmax over the last axis in one fused pass per row. `precise` makes
/// float16/bfloat16 accumulate in float32 (otherwise, as in MLX, they
/// accumulate in their own type).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Softmax {
    /// Accumulate half types in float32.
    pub precise: bool,
}

impl Primitive for Softmax {
    fn name(&self) -> &'static str {
        "softmax"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = if a.data().is_row_contiguous(a.shape()) {
            ctx.donate_or_alloc(&[0], 0)?
        } else {
            ctx.alloc(0)?
        };
        crate::backend::cpu::reduce::softmax(a.dtype(), self.precise, a.data(), a.shape(), &out)?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        _: &[Array],
        cotangents: &[Array],
        _: &[usize],
        outputs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::softmax_vjp(cotangents, outputs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::softmax_jvp(self, primals, tangents)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::softmax_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<Softmax>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
