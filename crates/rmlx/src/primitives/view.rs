//! View primitives: broadcast, reshape, transpose, slice, contiguous copy
//! and `as_strided`.
//! Their outputs share the input's buffer with new strides whenever the
//! layout allows (no data moves); to the user they are values.
//! Transformation rules: `view_grad.rs`.

use std::any::Any;

use super::view_grad as grad;
use super::Primitive;
use crate::array::shape_size;
use crate::array::{row_strides, Array, Data};
use crate::backend::cpu::copy::copy_to_contiguous;
use crate::error::Result;
use crate::eval::EvalCtx;
use crate::ops::broadcast_view;

/// The transformation rules and equivalence test of a view primitive whose
/// rules in `view_grad.rs` all take the primitive itself (every view op
/// but `Contiguous`): they differ only in the functions they forward to.
macro_rules! view_rules {
    ($vjp:ident, $jvp:ident, $vmap:ident) => {
        fn vjp(
            &self,
            primals: &[Array],
            cotangents: &[Array],
            argnums: &[usize],
            _: &[Array],
        ) -> Result<Vec<Array>> {
            grad::$vjp(self, primals, &cotangents[0], argnums)
        }
        fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
            grad::$jvp(self, primals, &tangents[0])
        }
        fn vmap(
            &self,
            inputs: &[Array],
            axes: &[Option<usize>],
        ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
            grad::$vmap(self, inputs, axes)
        }
        fn is_equivalent(&self, other: &dyn Primitive) -> bool {
            other.as_any().downcast_ref::<Self>() == Some(self)
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    };
}

/// Broadcasts the input to `shape` (stride-0 view).
#[derive(Debug, Clone, PartialEq)]
pub struct Broadcast {
    /// The output shape (the forward-mode and batching rules need it).
    pub shape: Vec<i64>,
}

impl Primitive for Broadcast {
    fn name(&self) -> &'static str {
        "broadcast_to"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        Ok(vec![broadcast_view(
            a.data(),
            a.shape(),
            ctx.outputs[0].shape,
        )])
    }
    view_rules!(broadcast_vjp, broadcast_jvp, broadcast_vmap);
}

/// Strides that view `d` (of `shape`) as `to` without copying, if any exist
/// (NumPy's no-copy reshape: match groups of axes with equal element
/// counts; each source group must be contiguous within itself).
fn reshape_strides(d: &Data, shape: &[i64], to: &[i64]) -> Option<Box<[i64]>> {
    if d.is_row_contiguous(shape) || shape.contains(&0) {
        return Some(row_strides(to));
    }
    let (od, os): (Vec<i64>, Vec<i64>) = shape
        .iter()
        .zip(d.strides.iter())
        .filter(|(&n, _)| n != 1)
        .map(|(&n, &s)| (n, s))
        .unzip();
    let mut ns = vec![0i64; to.len()];
    let (mut oi, mut oj, mut ni, mut nj) = (0usize, 1usize, 0usize, 1usize);
    while ni < to.len() && oi < od.len() {
        let (mut np, mut op) = (to[ni], od[oi]);
        while np != op {
            if np < op {
                if nj >= to.len() {
                    return None;
                }
                np *= to[nj];
                nj += 1;
            } else {
                if oj >= od.len() {
                    return None;
                }
                op *= od[oj];
                oj += 1;
            }
        }
        for ok in oi..oj - 1 {
            if os[ok] != od[ok + 1] * os[ok + 1] {
                return None;
            }
        }
        ns[nj - 1] = os[oj - 1];
        for nk in (ni + 1..nj).rev() {
            ns[nk - 1] = ns[nk] * to[nk];
        }
        ni = nj;
        nj += 1;
        oi = oj;
        oj += 1;
    }
    // Trailing size-1 axes: any stride works.
    for s in ns.iter_mut().skip(ni) {
        *s = 1;
    }
    Some(ns.into_boxed_slice())
}

/// Reshapes to `shape`; a view when the layout allows, else a contiguous
/// copy.
#[derive(Debug, Clone, PartialEq)]
pub struct Reshape {
    /// The output shape (the forward-mode and batching rules need it).
    pub shape: Vec<i64>,
}

impl Primitive for Reshape {
    fn name(&self) -> &'static str {
        "reshape"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let to = ctx.outputs[0].shape;
        let d = a.data();
        if let Some(strides) = reshape_strides(d, a.shape(), to) {
            return Ok(vec![Data {
                buf: d.buf.clone(),
                offset: d.offset,
                strides,
            }]);
        }
        let out = ctx.alloc(0)?;
        copy_to_contiguous(d, a.shape(), a.itemsize(), out.byte_ptr(a.dtype()));
        Ok(vec![out])
    }
    view_rules!(reshape_vjp, reshape_jvp, reshape_vmap);
}

/// Permutes axes (a view).
#[derive(Debug, Clone, PartialEq)]
pub struct Transpose(pub Vec<usize>);

impl Primitive for Transpose {
    fn name(&self) -> &'static str {
        "transpose"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let d = ctx.inputs[0].data();
        let strides = self.0.iter().map(|&p| d.strides[p]).collect();
        Ok(vec![Data {
            buf: d.buf.clone(),
            offset: d.offset,
            strides,
        }])
    }
    view_rules!(transpose_vjp, transpose_jvp, transpose_vmap);
}

/// A strided slice: per axis start, step and element count (the output
/// shape). Negative steps are allowed. A view.
#[derive(Debug, Clone, PartialEq)]
pub struct Slice {
    /// First index per axis.
    pub start: Vec<i64>,
    /// Step per axis.
    pub step: Vec<i64>,
    /// Elements taken per axis (the output shape; the forward-mode and
    /// batching rules need it).
    pub count: Vec<i64>,
}

impl Primitive for Slice {
    fn name(&self) -> &'static str {
        "slice"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let d = ctx.inputs[0].data();
        let out_shape = ctx.outputs[0].shape;
        if out_shape.contains(&0) {
            return Ok(vec![ctx.alloc(0)?]);
        }
        let mut off = d.offset as i64;
        for (ax, &st) in self.start.iter().enumerate() {
            off += st * d.strides[ax];
        }
        let strides = self
            .step
            .iter()
            .zip(d.strides.iter())
            .map(|(&k, &s)| k * s)
            .collect();
        Ok(vec![Data {
            buf: d.buf.clone(),
            offset: off as usize,
            strides,
        }])
    }
    view_rules!(slice_vjp, slice_jvp, slice_vmap);
}

/// Materialises a row-contiguous copy (MLX `contiguous` / `copy`).
#[derive(Debug, Clone)]
pub struct Contiguous;

impl Primitive for Contiguous {
    fn name(&self) -> &'static str {
        "contiguous"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let d = a.data();
        if d.is_row_contiguous(a.shape()) && d.strides.iter().all(|&s| s != 0) || a.size() <= 1 {
            return Ok(vec![d.clone()]);
        }
        let out = ctx.alloc(0)?;
        copy_to_contiguous(d, a.shape(), a.itemsize(), out.byte_ptr(a.dtype()));
        Ok(vec![out])
    }
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::contiguous_vjp(primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::contiguous_jvp(primals, &tangents[0])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::contiguous_vmap(inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().is::<Contiguous>()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A strided view of the (flattened, row-contiguous) input: element strides
/// and an element offset relative to that contiguous buffer (MLX
/// `AsStrided`). The op checks that every element read lies in the input.
#[derive(Debug, Clone, PartialEq)]
pub struct AsStrided {
    /// The output shape.
    pub shape: Vec<i64>,
    /// Element strides of the output (may be 0 or negative).
    pub strides: Vec<i64>,
    /// Element offset of the output's first element.
    pub offset: i64,
}

impl Primitive for AsStrided {
    fn name(&self) -> &'static str {
        "as_strided"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        if shape_size(&self.shape) == 0 {
            return Ok(vec![ctx.alloc(0)?]);
        }
        let d = a.data();
        // The strides count elements of the row-contiguous input: a
        // strided or broadcast input is copied first.
        let base = if d.is_row_contiguous(a.shape()) {
            d.clone()
        } else {
            let out = Data::alloc(a.shape(), a.dtype())?;
            copy_to_contiguous(d, a.shape(), a.itemsize(), out.byte_ptr(a.dtype()));
            out
        };
        Ok(vec![Data {
            buf: base.buf,
            offset: (base.offset as i64 + self.offset) as usize,
            strides: self.strides.clone().into_boxed_slice(),
        }])
    }
    view_rules!(as_strided_vjp, as_strided_jvp, as_strided_vmap);
}
