//! The shape op family: primitives with their shape and transformation rules.
//!
//! Most shape ops are compositions of the view primitives (`reshape`,
//! `transpose`, `broadcast_to`, `slice`). The primitives here are the ones
//! that need a copy kernel (`Concatenate`, `Pad`, `Roll`, `Diag`)
//! or a view the view family does not
//! have (`Diagonal`). Kernels: `backend/cpu/shape.rs`; transformation
//! rules: `shape_grad.rs`.

use std::any::Any;

use super::shape_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::backend::cpu::shape as kern;
use crate::error::Result;
use crate::eval::EvalCtx;

/// Joins the inputs (all of the output's dtype) along `axis`.
#[derive(Debug, Clone, PartialEq)]
pub struct Concatenate {
    /// The (non-negative) axis the inputs are joined along.
    pub axis: usize,
}

impl Primitive for Concatenate {
    fn name(&self) -> &'static str {
        "concatenate"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let parts: Vec<(&Data, &[i64])> =
            ctx.inputs.iter().map(|a| (a.data(), a.shape())).collect();
        kern::concatenate(
            &parts,
            self.axis,
            &out,
            ctx.outputs[0].shape,
            ctx.outputs[0].dtype.size(),
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
        grad::concatenate_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::concatenate_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::concatenate_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Concatenate>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// How `pad` fills the new elements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PadMode {
    /// A constant value (the primitive's second input).
    Constant,
    /// The edge values of the array, repeated.
    Edge,
    /// The reflection of the array without repeating the edge values.
    Reflect,
    /// The reflection of the array repeating the edge values.
    Symmetric,
}

impl PadMode {
    /// The mode's name as MLX spells it.
    pub fn name(self) -> &'static str {
        match self {
            PadMode::Constant => "constant",
            PadMode::Edge => "edge",
            PadMode::Reflect => "reflect",
            PadMode::Symmetric => "symmetric",
        }
    }

    /// Parses MLX's mode names.
    pub fn from_name(s: &str) -> Option<PadMode> {
        Some(match s {
            "constant" => PadMode::Constant,
            "edge" => PadMode::Edge,
            "reflect" => PadMode::Reflect,
            "symmetric" => PadMode::Symmetric,
            _ => return None,
        })
    }
}

/// Pads each axis with `low[i]` elements before and `high[i]` after.
/// Inputs: the array and (for [`PadMode::Constant`]) a 0-d fill value of
/// the same dtype.
#[derive(Debug, Clone, PartialEq)]
pub struct Pad {
    /// The fill rule.
    pub mode: PadMode,
    /// Elements added before each axis.
    pub low: Vec<i64>,
    /// Elements added after each axis.
    pub high: Vec<i64>,
}

impl Primitive for Pad {
    fn name(&self) -> &'static str {
        "pad"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        let value = ctx.inputs.get(1).map(|v| v.data());
        kern::pad(
            a.data(),
            a.shape(),
            value,
            self.mode,
            &self.low,
            &out,
            ctx.outputs[0].shape,
            a.itemsize(),
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
        grad::pad_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::pad_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::pad_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Pad>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Rolls every axis by `shift[i]` positions (normalised to `0..n`).
#[derive(Debug, Clone, PartialEq)]
pub struct Roll {
    /// Shift per axis, in `0..shape[i]`.
    pub shift: Vec<i64>,
}

impl Primitive for Roll {
    fn name(&self) -> &'static str {
        "roll"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        kern::roll(a.data(), a.shape(), &self.shift, &out, a.itemsize());
        Ok(vec![out])
    }
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::roll_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::roll_jvp(self, primals, &tangents[0])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::roll_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Roll>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The diagonals of the plane (`axis1`, `axis2`) at `offset`, as a view:
/// the two axes are removed and the diagonal becomes the last axis.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagonal {
    /// Diagonal offset (positive: above the main diagonal).
    pub offset: i64,
    /// First axis of the plane (non-negative).
    pub axis1: usize,
    /// Second axis of the plane (non-negative).
    pub axis2: usize,
}

impl Primitive for Diagonal {
    fn name(&self) -> &'static str {
        "diagonal"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out_shape = ctx.outputs[0].shape;
        if out_shape.contains(&0) {
            return Ok(vec![ctx.alloc(0)?]);
        }
        let d = a.data();
        let (s1, s2) = (d.strides[self.axis1], d.strides[self.axis2]);
        let start = if self.offset >= 0 {
            self.offset * s2
        } else {
            -self.offset * s1
        };
        let mut strides: Vec<i64> = (0..a.ndim())
            .filter(|&i| i != self.axis1 && i != self.axis2)
            .map(|i| d.strides[i])
            .collect();
        strides.push(s1 + s2);
        let offset = (d.offset as i64 + start) as usize;
        Ok(vec![Data {
            buf: d.buf.clone(),
            offset,
            strides: strides.into_boxed_slice(),
        }])
    }
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::diagonal_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::diagonal_jvp(self, primals, &tangents[0])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::diagonal_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Diagonal>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A square matrix holding the 1-D input on its `k`-th diagonal, zeros
/// elsewhere (`diag` of a vector).
#[derive(Debug, Clone, PartialEq)]
pub struct Diag {
    /// Which diagonal (positive: above the main one).
    pub k: i64,
}

impl Primitive for Diag {
    fn name(&self) -> &'static str {
        "diag"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        kern::diag(
            a.data(),
            a.shape()[0],
            self.k,
            &out,
            ctx.outputs[0].shape[0],
            a.itemsize(),
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
        grad::diag_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::diag_jvp(self, primals, &tangents[0])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::diag_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Diag>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
