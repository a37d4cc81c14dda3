//! The ternary family and fused elementwise composites: `Select` (the
//! primitive of `where`), `IsClose`, the all-reductions `AllClose` and
//! `ArrayEqual` (fused: no elementwise intermediate), and `NanToNum`.
//! Shape rule: NumPy broadcasting of the inputs (scalar output for the
//! all-reductions). Kernels: `backend/cpu/ternary.rs`; transformation
//! rules: `ternary_grad.rs`.

use std::any::Any;

use super::ternary_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::backend::cpu::ternary as kern;
use crate::element::Scalar;
use crate::error::Result;
use crate::eval::EvalCtx;
use crate::ops::broadcast_view;

/// `condition ? x : y` elementwise; inputs are a bool condition and two
/// operands of the output dtype, all broadcastable to the output shape.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Select;

impl Primitive for Select {
    fn name(&self) -> &'static str {
        "select"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let shape = ctx.outputs[0].shape;
        let (c, x, y) = (&ctx.inputs[0], &ctx.inputs[1], &ctx.inputs[2]);
        let out = ctx.donate_or_alloc(&[1, 2], 0)?;
        let cv = broadcast_view(c.data(), c.shape(), shape);
        let xv = broadcast_view(x.data(), x.shape(), shape);
        let yv = broadcast_view(y.data(), y.shape(), shape);
        kern::select(ctx.outputs[0].dtype.size(), &cv, &xv, &yv, &out, shape);
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::select_vjp(primals, &cotangents[0], argnums)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::select_jvp(primals, tangents, argnums)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::select_vmap(inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().is::<Select>()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `|a - b| <= atol + rtol * |b|` elementwise with MLX's infinity and NaN
/// rules; both inputs have one dtype, the output is bool.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IsClose {
    /// Relative tolerance.
    pub rtol: f64,
    /// Absolute tolerance.
    pub atol: f64,
    /// Whether two NaNs compare close.
    pub equal_nan: bool,
}

impl Primitive for IsClose {
    fn name(&self) -> &'static str {
        "isclose"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let shape = ctx.outputs[0].shape;
        let (a, b) = (&ctx.inputs[0], &ctx.inputs[1]);
        let out = ctx.alloc(0)?;
        let av = broadcast_view(a.data(), a.shape(), shape);
        let bv = broadcast_view(b.data(), b.shape(), shape);
        kern::isclose(
            a.dtype(),
            &av,
            &bv,
            &out,
            shape,
            (self.rtol, self.atol, self.equal_nan),
        );
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        let _ = cotangents;
        grad::predicate_vjp(primals, argnums)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        let _ = (tangents, argnums);
        grad::isclose_jvp(primals)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::isclose_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<IsClose>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A 0-d bool telling whether a predicate holds for every element pair of
/// two inputs of one dtype, broadcast together.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AllPairs {
    /// `all(isclose(a, b, rtol, atol, equal_nan))` (MLX `allclose`).
    Close {
        /// Relative tolerance.
        rtol: f64,
        /// Absolute tolerance.
        atol: f64,
        /// Whether two NaNs compare close.
        equal_nan: bool,
    },
    /// `all(a == b)`, NaNs equal when `equal_nan` (MLX `array_equal`).
    Equal {
        /// Whether two NaNs compare equal.
        equal_nan: bool,
    },
}

impl Primitive for AllPairs {
    fn name(&self) -> &'static str {
        match self {
            AllPairs::Close { .. } => "allclose",
            AllPairs::Equal { .. } => "array_equal",
        }
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (a, b) = (&ctx.inputs[0], &ctx.inputs[1]);
        let shape = crate::ops::broadcast_shapes(a.shape(), b.shape())?;
        let av = broadcast_view(a.data(), a.shape(), &shape);
        let bv = broadcast_view(b.data(), b.shape(), &shape);
        let v = match *self {
            AllPairs::Close {
                rtol,
                atol,
                equal_nan,
            } => kern::all_close(a.dtype(), &av, &bv, &shape, rtol, atol, equal_nan),
            AllPairs::Equal { equal_nan } => {
                kern::all_equal(a.dtype(), &av, &bv, &shape, equal_nan)
            }
        };
        let out = ctx.alloc(0)?;
        // SAFETY: a 0-d bool output holds one element.
        unsafe {
            crate::element::write_scalar(
                out.byte_ptr(ctx.outputs[0].dtype),
                ctx.outputs[0].dtype,
                0,
                Scalar::Bool(v),
            )
        };
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        let _ = cotangents;
        grad::predicate_vjp(primals, argnums)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        let _ = (primals, tangents, argnums);
        grad::all_pairs_jvp()
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::all_pairs_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<AllPairs>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Replaces NaN, +inf and -inf of a floating input with finite values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NanToNum {
    /// Replacement for NaN.
    pub nan: f64,
    /// Replacement for +inf.
    pub posinf: f64,
    /// Replacement for -inf.
    pub neginf: f64,
}

impl Primitive for NanToNum {
    fn name(&self) -> &'static str {
        "nan_to_num"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.donate_or_alloc(&[0], 0)?;
        kern::nan_to_num(
            a.dtype(),
            a.data(),
            &out,
            a.shape(),
            self.nan,
            self.posinf,
            self.neginf,
        )?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::nan_to_num_vjp(primals, &cotangents[0], argnums)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        let _ = argnums;
        grad::nan_to_num_jvp(primals, &tangents[0])
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::nan_to_num_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<NanToNum>() == Some(self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
