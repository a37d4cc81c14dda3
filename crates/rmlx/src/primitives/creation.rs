//! Creation primitives that compute their data from parameters alone
//! (`arange`). Fills are broadcasts of a scalar and need no primitive.

use std::any::Any;

use super::Primitive;
use crate::array::Data;
use crate::element::{Element, Scalar};
use crate::error::Result;
use crate::eval::EvalCtx;

/// `start + i * step` for each output element.
#[derive(Debug, Clone, PartialEq)]
pub struct Arange {
    /// First value.
    pub start: f64,
    /// Increment.
    pub step: f64,
}

fn fill_arange<T: Element>(out: &Data, n: usize, start: f64, step: f64) {
    let p = out.ptr::<T>();
    let integral = !T::DTYPE.is_inexact();
    for i in 0..n {
        let v = start + i as f64 * step;
        let s = if integral { Scalar::Int(v as i64) } else { Scalar::Float(v) };
        // SAFETY: the output holds n elements.
        unsafe { *p.add(i) = T::from_scalar(s) };
    }
}

impl Primitive for Arange {
    fn name(&self) -> &'static str {
        "arange"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let n = ctx.outputs[0].shape[0] as usize;
        crate::dispatch!(ctx.outputs[0].dtype, T => fill_arange::<T>(&out, n, self.start, self.step));
        Ok(vec![out])
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Arange>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
