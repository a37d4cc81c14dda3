//! The indexing primitives: [`Gather`] and [`Scatter`] over a list of index
//! arrays (MLX's semantics: index arrays over chosen axes plus slice
//! sizes), their one-axis forms [`GatherAxis`] (`take_along_axis`) and
//! [`ScatterAxis`] (`put_along_axis`, `scatter_add_axis`), and the static
//! strided [`SliceUpdate`]. Dynamic slices (`slice` / `slice_update` with
//! an array of starts) are gathers / scatters with 0-d indices.
//!
//! Negative indices wrap; out-of-range ones fail evaluation with an
//! IndexError naming the index and the axis size (MLX reads garbage).
//! Kernels: `backend/cpu/indexing.rs`; rules: `indexing_grad.rs`.

use std::any::Any;

use super::indexing_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::backend::cpu::indexing as kernel;
use crate::error::Result;
use crate::eval::EvalCtx;

/// How a scatter combines an update with the value already there.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScatterReduce {
    /// Overwrite (the last duplicate wins).
    None,
    /// Add (duplicates accumulate).
    Sum,
    /// Multiply.
    Prod,
    /// Maximum (NaN propagates).
    Max,
    /// Minimum (NaN propagates).
    Min,
}

impl ScatterReduce {
    /// The MLX op name of the scatter with this reduction.
    pub fn op_name(self) -> &'static str {
        match self {
            ScatterReduce::None => "scatter",
            ScatterReduce::Sum => "scatter_add",
            ScatterReduce::Prod => "scatter_prod",
            ScatterReduce::Max => "scatter_max",
            ScatterReduce::Min => "scatter_min",
        }
    }
}

/// `out[i..., s...] = a[idx_0[i...] at axes[0], ..., + s...]`. Inputs:
/// `a`, then one integer index array per gathered axis (all of one shape).
/// Output shape: the index shape followed by `slice_sizes` (one per axis
/// of `a`; gathered axes usually take 1).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Gather {
    /// The axis each index array indexes.
    pub axes: Vec<usize>,
    /// Extent of the slice taken at each index position, per axis of `a`.
    pub slice_sizes: Vec<i64>,
}

impl Primitive for Gather {
    fn name(&self) -> &'static str {
        "gather"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        kernel::gather(
            &ctx.inputs[0],
            &ctx.inputs[1..],
            &self.axes,
            &self.slice_sizes,
            &out,
            ctx.outputs[0].shape,
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
        grad::gather_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::gather_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::gather_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Gather>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `a` with `updates` combined in at index positions: inputs `a`, one
/// index array per axis in `axes` (all of one shape), then `updates` of
/// shape index shape ++ slice shape (one extent per axis of `a`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scatter {
    /// How updates combine with the existing values.
    pub reduce: ScatterReduce,
    /// The axis each index array indexes.
    pub axes: Vec<usize>,
}

impl Primitive for Scatter {
    fn name(&self) -> &'static str {
        self.reduce.op_name()
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let n = ctx.inputs.len();
        let out = match ctx.donor(0, 0) {
            Some(d) => d,
            None => {
                let out = ctx.alloc(0)?;
                kernel::copy_input(a, &out);
                out
            }
        };
        kernel::scatter(
            self.reduce,
            a.dtype(),
            &out,
            a.shape(),
            &ctx.inputs[1..n - 1],
            &self.axes,
            &ctx.inputs[n - 1],
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
        grad::scatter_vjp(self, primals, &cotangents[0], argnums, &outputs[0])
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::scatter_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::scatter_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Scatter>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `take_along_axis`: inputs `a` and an integer index array with the same
/// extents except on `axis`; the output has the index array's shape.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatherAxis {
    /// The indexed axis.
    pub axis: usize,
}

impl Primitive for GatherAxis {
    fn name(&self) -> &'static str {
        "take_along_axis"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        kernel::gather_axis(
            &ctx.inputs[0],
            &ctx.inputs[1],
            self.axis,
            &out,
            ctx.outputs[0].shape,
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
        grad::gather_axis_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::gather_axis_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::gather_axis_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<GatherAxis>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `put_along_axis` (`None`) and `scatter_add_axis` (`Sum`): inputs `a`,
/// an index array and values of the index array's shape, which matches
/// `a`'s except on `axis`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScatterAxis {
    /// `None` or `Sum`.
    pub reduce: ScatterReduce,
    /// The indexed axis.
    pub axis: usize,
}

impl Primitive for ScatterAxis {
    fn name(&self) -> &'static str {
        if self.reduce == ScatterReduce::None {
            "put_along_axis"
        } else {
            "scatter_add_axis"
        }
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = match ctx.donor(0, 0) {
            Some(d) => d,
            None => {
                let out = ctx.alloc(0)?;
                kernel::copy_input(a, &out);
                out
            }
        };
        kernel::scatter_axis(
            self.reduce,
            a.dtype(),
            &out,
            a.shape(),
            &ctx.inputs[1],
            &ctx.inputs[2],
            self.axis,
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
        grad::scatter_axis_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::scatter_axis_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::scatter_axis_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<ScatterAxis>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `a` with the strided window (per axis start, step, count) replaced by
/// `update` (inputs `a` and `update` of shape `count`, same dtype).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SliceUpdate {
    /// First index per axis.
    pub start: Vec<i64>,
    /// Step per axis (may be negative).
    pub step: Vec<i64>,
    /// Elements per axis (the update's shape).
    pub count: Vec<i64>,
}

impl Primitive for SliceUpdate {
    fn name(&self) -> &'static str {
        "slice_update"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = match ctx.donor(0, 0) {
            Some(d) => d,
            None => {
                let out = ctx.alloc(0)?;
                kernel::copy_input(a, &out);
                out
            }
        };
        kernel::slice_update(
            &out,
            a.dtype(),
            &ctx.inputs[1],
            &self.start,
            &self.step,
            &self.count,
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
        grad::slice_update_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::slice_update_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::slice_update_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<SliceUpdate>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
