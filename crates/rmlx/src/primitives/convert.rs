//! Dtype conversion: `astype` (value conversion with C++ cast semantics) and
//! `view` (reinterpretation of the bytes), with their transformation rules.
//! `astype` differentiates as MLX's: the cotangent is cast back to the
//! input's dtype and the tangent to the output's, for every pair of dtypes
//! (so a round trip through an integer dtype passes the derivative straight
//! through, truncated, as in MLX).
//! `view` has a batching rule only: like MLX, no derivative is defined for a
//! bit reinterpretation, so its vjp and jvp keep the not-implemented error.

use std::any::Any;

use super::Primitive;
use crate::array::{Array, Data};
use crate::backend::cpu::elementwise::{apply1, Kern};
use crate::dtype::Dtype;
use crate::error::Result;
use crate::eval::EvalCtx;
use crate::ops;

/// Converts elements to another dtype.
#[derive(Debug, Clone, PartialEq)]
pub struct AsType(pub Dtype);

fn cast_from<T: Kern>(to: Dtype, a: &Data, out: &Data, shape: &[i64]) {
    crate::dispatch!(to, U => apply1(a, out, shape, |x: T| x.cast::<U>()))
}

impl Primitive for AsType {
    fn name(&self) -> &'static str {
        "astype"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.donate_or_alloc(&[0], 0)?;
        crate::dispatch!(a.dtype(), T => cast_from::<T>(self.0, a.data(), &out, a.shape()));
        Ok(vec![out])
    }
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        _: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        // complex -> real: the real cotangent becomes complex (zero
        // imaginary part); real -> complex: the real part is kept.
        Ok(vec![ops::astype(&cotangents[0], primals[0].dtype(), None)?])
    }
    fn jvp(&self, _: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Ok(vec![ops::astype(&tangents[0], self.0, None)?])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        Ok((vec![ops::astype(&inputs[0], self.0, None)?], vec![axes[0]]))
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<AsType>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Reinterprets the bytes of a row-contiguous input as another dtype.
#[derive(Debug, Clone, PartialEq)]
pub struct View(pub Dtype);

impl Primitive for View {
    fn name(&self) -> &'static str {
        "view"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let d = a.data();
        let out_shape = ctx.outputs[0].shape;
        if d.is_row_contiguous(a.shape()) && (d.offset * a.itemsize()).is_multiple_of(self.0.size())
        {
            return Ok(vec![Data {
                buf: d.buf.clone(),
                offset: d.offset * a.itemsize() / self.0.size(),
                strides: crate::array::row_strides(out_shape),
            }]);
        }
        let out = ctx.alloc(0)?;
        crate::backend::cpu::copy::copy_to_contiguous(
            d,
            a.shape(),
            a.itemsize(),
            out.byte_ptr(self.0),
        );
        Ok(vec![out])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let x = &inputs[0];
        match axes[0] {
            // `view` rescales the last axis: a batch axis there would mix
            // the batch into it, so it moves to the front first. (A rank-1
            // batched input is a batch of scalars, which `view` only allows
            // between dtypes of one size: the axis is left alone.)
            Some(ax) if ax + 1 == x.ndim() && x.ndim() > 1 => {
                let x = ops::moveaxis(x, ax as i64, 0, None)?;
                Ok((vec![ops::view(&x, self.0, None)?], vec![Some(0)]))
            }
            ax => Ok((vec![ops::view(x, self.0, None)?], vec![ax])),
        }
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<View>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
