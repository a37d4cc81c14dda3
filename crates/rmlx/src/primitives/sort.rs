//! The sort family: [`Sort`], [`ArgSort`], [`Partition`], [`ArgPartition`]
//! and [`SearchSorted`]. Shape rule: the input's shape (`searchsorted`: the
//! values' shape); index outputs are uint32. Order: MLX's (NaNs last, equal
//! to each other; `-0.0 == 0.0`; complex lexicographic); sorts are stable.
//! Kernels: `backend/cpu/sort.rs`; transformation rules: `sort_grad.rs`.

use std::any::Any;

use super::sort_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::error::Result;
use crate::eval::EvalCtx;

macro_rules! same_as {
    ($t:ty) => {
        fn is_equivalent(&self, other: &dyn Primitive) -> bool {
            other
                .as_any()
                .downcast_ref::<$t>()
                .is_some_and(|o| o == self)
        }

        fn as_any(&self) -> &dyn Any {
            self
        }
    };
}

/// A stable sort along `axis` (MLX `sort`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sort {
    /// The sorted axis (non-negative).
    pub axis: usize,
}

/// The indices of a stable sort along `axis`, uint32 (MLX `argsort`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgSort {
    /// The sorted axis (non-negative).
    pub axis: usize,
}

/// A partition along `axis`: element `kth` is the one a sort would put
/// there, smaller ones before it and larger ones after it, in the order
/// libstdc++'s `nth_element` leaves them (as MLX's CPU backend).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    /// The position that gets its sorted element (non-negative).
    pub kth: usize,
    /// The partitioned axis (non-negative).
    pub axis: usize,
}

/// The indices of a partition along `axis`, uint32. With `ties_by_index`
/// (MLX `argpartition`), equal values are ordered by index while
/// partitioning; without it they are equivalent, which makes the indices
/// exactly the permutation [`Partition`] applies (what its vjp needs).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgPartition {
    /// The position that gets its sorted element (non-negative).
    pub kth: usize,
    /// The partitioned axis (non-negative).
    pub axis: usize,
    /// Order equal values by index while partitioning.
    pub ties_by_index: bool,
}

/// Insertion points of `values` (input 1) in the 1-d `sorted_sequence`
/// (input 0), uint32 of the values' shape (MLX `searchsorted`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchSorted {
    /// After equal elements (`side="right"`) rather than before them.
    pub right: bool,
}

/// Sorts input 0 along `axis` into a new output (`arg`: the indices).
fn eval_sort(ctx: &EvalCtx, axis: usize, arg: bool) -> Result<Vec<Data>> {
    let a = &ctx.inputs[0];
    let out = ctx.alloc(0)?;
    crate::backend::cpu::sort::sort(a.data(), a.shape(), a.dtype(), axis, arg, &out)?;
    Ok(vec![out])
}

/// Partitions input 0 along `axis` at `kth` into a new output (`arg`: the
/// indices, with equal values ordered by index when `ties_by_index`).
fn eval_partition(
    ctx: &EvalCtx,
    axis: usize,
    kth: usize,
    arg: bool,
    ties_by_index: bool,
) -> Result<Vec<Data>> {
    let a = &ctx.inputs[0];
    let out = ctx.alloc(0)?;
    crate::backend::cpu::sort::partition(
        a.data(),
        a.shape(),
        a.dtype(),
        axis,
        kth,
        arg,
        ties_by_index,
        &out,
    )?;
    Ok(vec![out])
}

impl Primitive for Sort {
    fn name(&self) -> &'static str {
        "sort"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        eval_sort(ctx, self.axis, false)
    }

    fn vjp(&self, p: &[Array], c: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::sort_vjp(self.axis, None, p, c, argnums)
    }

    fn jvp(&self, p: &[Array], t: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::sort_jvp(self.axis, None, p, t)
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::along_axis_vmap(x, axes, self.axis, |x, ax| {
            crate::ops::sort(x, Some(ax as i64), None)
        })
    }

    same_as!(Sort);
}

impl Primitive for ArgSort {
    fn name(&self) -> &'static str {
        "argsort"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        eval_sort(ctx, self.axis, true)
    }

    fn vjp(&self, p: &[Array], _: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::zero_cotangents(p, argnums)
    }

    fn jvp(&self, p: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::index_tangent(&p[0])
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::along_axis_vmap(x, axes, self.axis, |x, ax| {
            crate::ops::argsort(x, Some(ax as i64), None)
        })
    }

    same_as!(ArgSort);
}

impl Primitive for Partition {
    fn name(&self) -> &'static str {
        "partition"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        eval_partition(ctx, self.axis, self.kth, false, false)
    }

    fn vjp(&self, p: &[Array], c: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::sort_vjp(self.axis, Some(self.kth), p, c, argnums)
    }

    fn jvp(&self, p: &[Array], t: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::sort_jvp(self.axis, Some(self.kth), p, t)
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let kth = self.kth as i64;
        grad::along_axis_vmap(x, axes, self.axis, |x, ax| {
            crate::ops::partition(x, kth, Some(ax as i64), None)
        })
    }

    same_as!(Partition);
}

impl Primitive for ArgPartition {
    fn name(&self) -> &'static str {
        "argpartition"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        eval_partition(ctx, self.axis, self.kth, true, self.ties_by_index)
    }

    fn vjp(&self, p: &[Array], _: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::zero_cotangents(p, argnums)
    }

    fn jvp(&self, p: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::index_tangent(&p[0])
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let (kth, ties) = (self.kth, self.ties_by_index);
        grad::along_axis_vmap(x, axes, self.axis, |x, ax| {
            crate::ops::argpartition_impl(x, kth, ax, ties, None)
        })
    }

    same_as!(ArgPartition);
}

impl Primitive for SearchSorted {
    fn name(&self) -> &'static str {
        "searchsorted"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (seq, v) = (&ctx.inputs[0], &ctx.inputs[1]);
        let out = ctx.alloc(0)?;
        crate::backend::cpu::sort::searchsorted(
            seq.data(),
            seq.size(),
            v.data(),
            v.shape(),
            v.dtype(),
            self.right,
            &out,
        )?;
        Ok(vec![out])
    }

    fn vjp(&self, p: &[Array], _: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::zero_cotangents(p, argnums)
    }

    fn jvp(&self, p: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::index_tangent(&p[1])
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::searchsorted_vmap(self.right, x, axes)
    }

    same_as!(SearchSorted);
}
