//! The binary family: arithmetic, comparison, logical and bitwise ops on two
//! broadcast operands. Shape rule: NumPy broadcasting. Kernels:
//! `backend/cpu/binary.rs`.

use std::any::Any;

use super::{binary_grad, Primitive};
use crate::array::{shape_size, Array, Data};
use crate::dtype::Dtype;
use crate::error::Result;
use crate::eval::EvalCtx;
use crate::ops::broadcast_view;
use crate::primitives::unary::dense_block;

/// Which binary op.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// a + b
    Add,
    /// a - b
    Subtract,
    /// a * b
    Multiply,
    /// a / b
    Divide,
    /// floor(a / b)
    FloorDivide,
    /// Python-style a % b
    Remainder,
    /// a ** b
    Power,
    /// elementwise max
    Maximum,
    /// elementwise min
    Minimum,
    /// a == b
    Equal,
    /// a == b, NaN equal to NaN
    NanEqual,
    /// a != b
    NotEqual,
    /// a < b
    Less,
    /// a <= b
    LessEqual,
    /// a > b
    Greater,
    /// a >= b
    GreaterEqual,
    /// a && b
    LogicalAnd,
    /// a || b
    LogicalOr,
    /// a & b
    BitwiseAnd,
    /// a | b
    BitwiseOr,
    /// a ^ b
    BitwiseXor,
    /// a << b
    LeftShift,
    /// a >> b
    RightShift,
    /// atan2(a, b)
    ArcTan2,
    /// log(exp(a) + exp(b))
    LogAddExp,
}

impl BinaryOp {
    /// MLX's op name.
    pub fn name(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "add",
            Subtract => "subtract",
            Multiply => "multiply",
            Divide => "divide",
            FloorDivide => "floor_divide",
            Remainder => "remainder",
            Power => "power",
            Maximum => "maximum",
            Minimum => "minimum",
            Equal => "equal",
            NanEqual => "equal",
            NotEqual => "not_equal",
            Less => "less",
            LessEqual => "less_equal",
            Greater => "greater",
            GreaterEqual => "greater_equal",
            LogicalAnd => "logical_and",
            LogicalOr => "logical_or",
            BitwiseAnd => "bitwise_and",
            BitwiseOr => "bitwise_or",
            BitwiseXor => "bitwise_xor",
            LeftShift => "left_shift",
            RightShift => "right_shift",
            ArcTan2 => "arctan2",
            LogAddExp => "logaddexp",
        }
    }

    /// Whether the result is bool (comparisons and logical ops).
    pub fn is_predicate(self) -> bool {
        use BinaryOp::*;
        matches!(
            self,
            Equal
                | NanEqual
                | NotEqual
                | Less
                | LessEqual
                | Greater
                | GreaterEqual
                | LogicalAnd
                | LogicalOr
        )
    }
}

/// A binary op applied to two operands of one dtype.
#[derive(Debug, Clone, Copy)]
pub struct Binary(pub BinaryOp);

impl Binary {
    /// When the operands are the same permutation of dense blocks (a
    /// transpose next to a transpose or a scalar), computes over the block
    /// in memory order and gives the output the operands' layout, as MLX
    /// does, instead of gathering across cache lines.
    fn eval_dense_block(
        &self,
        dtype: Dtype,
        av: &Data,
        bv: &Data,
        ctx: &EvalCtx,
    ) -> Result<Option<Data>> {
        let shape = ctx.outputs[0].shape;
        let scalar = |d: &Data| d.strides.iter().all(|&s| s == 0);
        let dense = match (scalar(av), scalar(bv)) {
            (true, true) => return Ok(None),
            (true, false) => bv,
            (false, true) => av,
            (false, false) if av.strides == bv.strides => av,
            _ => return Ok(None),
        };
        if shape_size(shape) < 2 || dense.is_row_contiguous(shape) {
            return Ok(None);
        }
        let Some(size) = dense_block(dense, shape) else {
            return Ok(None);
        };
        let block = |d: &Data| Data {
            buf: d.buf.clone(),
            offset: d.offset,
            strides: Box::new([if scalar(d) { 0 } else { 1 }]),
        };
        let flat = [size as i64];
        let out = Data::alloc(&flat, ctx.outputs[0].dtype)?;
        crate::backend::cpu::binary::binary(self.0, dtype, &block(av), &block(bv), &out, &flat)?;
        Ok(Some(Data {
            buf: out.buf,
            offset: 0,
            strides: dense.strides.clone(),
        }))
    }
}

impl Primitive for Binary {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (a, b) = (&ctx.inputs[0], &ctx.inputs[1]);
        let shape = ctx.outputs[0].shape;
        // The views hold references to the input buffers: they must be gone
        // before asking for a donor.
        let dense = {
            let av = broadcast_view(a.data(), a.shape(), shape);
            let bv = broadcast_view(b.data(), b.shape(), shape);
            self.eval_dense_block(a.dtype(), &av, &bv, ctx)?
        };
        if let Some(out) = dense {
            return Ok(vec![out]);
        }
        let out = if self.0.is_predicate() {
            ctx.alloc(0)?
        } else {
            ctx.donate_or_alloc(&[0, 1], 0)?
        };
        let av = broadcast_view(a.data(), a.shape(), shape);
        let bv = broadcast_view(b.data(), b.shape(), shape);
        crate::backend::cpu::binary::binary(self.0, a.dtype(), &av, &bv, &out, shape)?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        outputs: &[Array],
    ) -> Result<Vec<Array>> {
        binary_grad::vjp(self.0, primals, cotangents, argnums, outputs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        binary_grad::jvp(self.0, primals, tangents, argnums)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        binary_grad::vmap(self.0, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<Binary>()
            .is_some_and(|o| o.0 == self.0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `divmod`: floor quotient and remainder in one pass (two outputs).
#[derive(Debug, Clone, Copy)]
pub struct DivMod;

impl Primitive for DivMod {
    fn name(&self) -> &'static str {
        "divmod"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (a, b) = (&ctx.inputs[0], &ctx.inputs[1]);
        let shape = ctx.outputs[0].shape;
        let av = broadcast_view(a.data(), a.shape(), shape);
        let bv = broadcast_view(b.data(), b.shape(), shape);
        let (q, r) = (ctx.alloc(0)?, ctx.alloc(1)?);
        crate::backend::cpu::binary::binary(BinaryOp::FloorDivide, a.dtype(), &av, &bv, &q, shape)?;
        crate::backend::cpu::binary::binary(BinaryOp::Remainder, a.dtype(), &av, &bv, &r, shape)?;
        Ok(vec![q, r])
    }

    fn vjp(
        &self,
        primals: &[Array],
        _: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        binary_grad::divmod_vjp(primals, argnums)
    }

    fn jvp(&self, primals: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        binary_grad::divmod_jvp(primals)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        binary_grad::divmod_vmap(inputs, axes)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
