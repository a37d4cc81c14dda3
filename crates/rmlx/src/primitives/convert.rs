//! Dtype conversion: `astype` (value conversion with C++ cast semantics) and
//! `view` (reinterpretation of the bytes).

use std::any::Any;

use super::Primitive;
use crate::array::Data;
use crate::backend::cpu::elementwise::{apply1, Kern};
use crate::dtype::Dtype;
use crate::error::Result;
use crate::eval::EvalCtx;

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
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<View>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
