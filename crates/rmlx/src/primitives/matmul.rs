//! The matrix-product primitives: `Matmul`, `AddMM`, `GatherMM`,
//! `SegmentedMM` and the Walsh-Hadamard transform `Hadamard`.
//!
//! Shape rules: the ops (`ops/products.rs`) hand `Matmul` and `AddMM`
//! operands `(..., m, k)` and `(..., k, n)` with identical (broadcast, so
//! possibly stride-0) batch shapes and get `(..., m, n)`; `GatherMM` gets
//! `idx_shape + (m, n)`, `SegmentedMM` `segments.shape[:-1] + (m, n)`.
//! Kernels: `backend/cpu/gemm.rs` (+ `gemv.rs`, `hadamard.rs`);
//! transformation rules: `matmul_grad.rs`.

use std::any::Any;

use super::matmul_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::backend::cpu::copy::copy_strided;
use crate::backend::cpu::gemm::{batch_offsets, products, Products};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::eval::EvalCtx;

/// The transformation rules and equivalence test of a matrix-product
/// primitive without parameters whose rules take the operands, the output
/// cotangent / input tangents and `argnums` (`GatherMM`, `SegmentedMM`).
macro_rules! operand_rules {
    ($vjp:ident, $jvp:ident, $vmap:ident) => {
        fn vjp(
            &self,
            primals: &[Array],
            cotangents: &[Array],
            argnums: &[usize],
            _: &[Array],
        ) -> Result<Vec<Array>> {
            grad::$vjp(primals, &cotangents[0], argnums)
        }
        fn jvp(
            &self,
            primals: &[Array],
            tangents: &[Array],
            argnums: &[usize],
        ) -> Result<Vec<Array>> {
            grad::$jvp(primals, tangents, argnums)
        }
        fn vmap(
            &self,
            inputs: &[Array],
            axes: &[Option<usize>],
        ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
            grad::$vmap(inputs, axes)
        }
        fn is_equivalent(&self, other: &dyn Primitive) -> bool {
            other.as_any().is::<Self>()
        }
        fn as_any(&self) -> &dyn Any {
            self
        }
    };
}

/// Batched matrix product `a @ b`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Matmul;

/// `alpha * (a @ b) + beta * c` (inputs `a`, `b`, `c`; `c` has the output
/// shape, possibly through a broadcast view).
#[derive(Clone, Debug, PartialEq)]
pub struct AddMM {
    /// Scale of the product.
    pub alpha: f64,
    /// Scale of `c`.
    pub beta: f64,
}

/// `out[i] = a[lhs[i]] @ b[rhs[i]]` where the indices address the
/// flattened batch axes of `a` and `b` (inputs `a`, `b`, `lhs`, `rhs`, the
/// index arrays broadcast to one shape, uint32).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatherMM;

/// `out[s] = a[:, k0..k1] @ b[k0..k1, :]` for each segment `(k0, k1)` of
/// `segments` (inputs `a` (m, k), `b` (k, n), `segments` (..., 2) uint32).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SegmentedMM;

/// The Walsh-Hadamard transform along the last axis times `scale`: the
/// product with `H_m ⊗ H_{2^j}` for an axis of length `m * 2^j`, `m` in
/// (1, 12, 20, 28). `transpose` applies `H^T` (the 20 and 28 point matrices
/// are not symmetric; the vjp needs it).
#[derive(Clone, Debug, PartialEq)]
pub struct Hadamard {
    /// Factor applied to the result.
    pub scale: f64,
    /// Multiply by the transposed matrix.
    pub transpose: bool,
}

/// One [`products`] call over `dt` matrices stored in the last two axes of
/// `a` and `b` (their strides give the row and column steps), starting at
/// the element offsets paired with each operand, into `out`.
fn matrix_products(
    dt: Dtype,
    (m, n, k): (usize, usize, usize),
    (a, a_offs): (&Data, &[isize]),
    (b, b_offs): (&Data, &[isize]),
    out: *mut u8,
    alpha: f64,
    beta: f64,
) -> Result<()> {
    let (an, bn) = (a.strides.len(), b.strides.len());
    products(&Products {
        dtype: dt,
        m,
        n,
        k,
        a: a.byte_ptr(dt),
        a_offs,
        a_rs: a.strides[an - 2] as isize,
        a_cs: a.strides[an - 1] as isize,
        b: b.byte_ptr(dt),
        b_offs,
        b_rs: b.strides[bn - 2] as isize,
        b_cs: b.strides[bn - 1] as isize,
        out,
        alpha,
        beta,
    })
}

/// The shared batch walk of `Matmul` and `AddMM`: products of the last two
/// axes of `a` and `b` into the row-contiguous `out`.
fn eval_products(
    a: &Array,
    b: &Array,
    out: &Data,
    out_shape: &[i64],
    alpha: f64,
    beta: f64,
) -> Result<()> {
    let nd = out_shape.len();
    let (m, n, k) = (
        out_shape[nd - 2] as usize,
        out_shape[nd - 1] as usize,
        a.shape()[nd - 1] as usize,
    );
    let (ad, bd) = (a.data(), b.data());
    let batch = &out_shape[..nd - 2];
    let a_offs = batch_offsets(batch, &ad.strides[..nd - 2]);
    let b_offs = batch_offsets(batch, &bd.strides[..nd - 2]);
    let dt = a.dtype();
    matrix_products(
        dt,
        (m, n, k),
        (ad, &a_offs),
        (bd, &b_offs),
        out.byte_ptr(dt),
        alpha,
        beta,
    )
}

impl Primitive for Matmul {
    fn name(&self) -> &'static str {
        "Matmul"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let shape = ctx.outputs[0].shape;
        eval_products(&ctx.inputs[0], &ctx.inputs[1], &out, shape, 1.0, 0.0)?;
        Ok(vec![out])
    }
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::matmul_vjp(primals, &cotangents[0], argnums, 1.0)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::matmul_jvp(primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::matmul_vmap(inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().is::<Matmul>()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Primitive for AddMM {
    fn name(&self) -> &'static str {
        "AddMM"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let shape = ctx.outputs[0].shape;
        let out = if self.beta != 0.0 {
            // Start from c (donated when nobody else sees it).
            match ctx.donor(2, 0) {
                Some(d) => d,
                None => {
                    let out = ctx.alloc(0)?;
                    let c = &ctx.inputs[2];
                    copy_strided(
                        c.data(),
                        shape,
                        c.itemsize(),
                        out.byte_ptr(c.dtype()),
                        &out.strides,
                    );
                    out
                }
            }
        } else {
            ctx.alloc(0)?
        };
        eval_products(
            &ctx.inputs[0],
            &ctx.inputs[1],
            &out,
            shape,
            self.alpha,
            self.beta,
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
        grad::addmm_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::addmm_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::addmm_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<AddMM>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Reads index `i` (row-major) of a uint32 view of `shape`.
fn read_index(d: &Data, shape: &[i64], mut i: usize) -> u32 {
    let mut off = 0i64;
    for ax in (0..shape.len()).rev() {
        let e = shape[ax] as usize;
        off += (i % e) as i64 * d.strides[ax];
        i /= e;
    }
    // SAFETY: the offset addresses an element of the view.
    unsafe { *d.ptr::<u32>().offset(off as isize) }
}

impl Primitive for GatherMM {
    fn name(&self) -> &'static str {
        "GatherMM"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (a, b, li, ri) = (
            &ctx.inputs[0],
            &ctx.inputs[1],
            &ctx.inputs[2],
            &ctx.inputs[3],
        );
        let out = ctx.alloc(0)?;
        let (an, bn) = (a.ndim(), b.ndim());
        let (m, k, n) = (a.shape()[an - 2], a.shape()[an - 1], b.shape()[bn - 1]);
        let a_all = batch_offsets(&a.shape()[..an - 2], &a.data().strides[..an - 2]);
        let b_all = batch_offsets(&b.shape()[..bn - 2], &b.data().strides[..bn - 2]);
        let count = li.size();
        let mut a_offs = Vec::with_capacity(count);
        let mut b_offs = Vec::with_capacity(count);
        for i in 0..count {
            let (x, y) = (
                read_index(li.data(), li.shape(), i) as usize,
                read_index(ri.data(), ri.shape(), i) as usize,
            );
            if x >= a_all.len() || y >= b_all.len() {
                return Err(Error::index(format!(
                    "[gather_mm] Index out of range: lhs index {x} for {} matrices, rhs index {y} for {} matrices.",
                    a_all.len(),
                    b_all.len()
                )));
            }
            a_offs.push(a_all[x]);
            b_offs.push(b_all[y]);
        }
        let dt = a.dtype();
        matrix_products(
            dt,
            (m as usize, n as usize, k as usize),
            (a.data(), &a_offs),
            (b.data(), &b_offs),
            out.byte_ptr(dt),
            1.0,
            0.0,
        )?;
        Ok(vec![out])
    }
    operand_rules!(gather_mm_vjp, gather_mm_jvp, gather_mm_vmap);
}

impl Primitive for SegmentedMM {
    fn name(&self) -> &'static str {
        "SegmentedMM"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (a, b, seg) = (&ctx.inputs[0], &ctx.inputs[1], &ctx.inputs[2]);
        let out = ctx.alloc(0)?;
        let (m, k, n) = (
            a.shape()[0] as usize,
            a.shape()[1] as usize,
            b.shape()[1] as usize,
        );
        let (ad, bd, dt) = (a.data(), b.data(), a.dtype());
        let count = seg.size() / 2;
        let esize = dt.size();
        for s in 0..count {
            let k0 = (read_index(seg.data(), seg.shape(), 2 * s) as usize).min(k);
            let k1 = (read_index(seg.data(), seg.shape(), 2 * s + 1) as usize).min(k);
            let kk = k1.saturating_sub(k0);
            let a_off = [k0 as isize * ad.strides[1] as isize];
            let b_off = [k0 as isize * bd.strides[0] as isize];
            matrix_products(
                dt,
                (m, n, kk),
                (ad, &a_off),
                (bd, &b_off),
                // SAFETY: block s of the row-contiguous output.
                unsafe { out.byte_ptr(dt).add(s * m * n * esize) },
                1.0,
                0.0,
            )?;
        }
        Ok(vec![out])
    }
    operand_rules!(segmented_mm_vjp, segmented_mm_jvp, segmented_mm_vmap);
}

impl Primitive for Hadamard {
    fn name(&self) -> &'static str {
        "Hadamard"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let x = &ctx.inputs[0];
        let shape = ctx.outputs[0].shape;
        let out = match ctx.donor(0, 0) {
            Some(d) => d,
            None => {
                let out = ctx.alloc(0)?;
                copy_strided(
                    x.data(),
                    shape,
                    x.itemsize(),
                    out.byte_ptr(x.dtype()),
                    &out.strides,
                );
                out
            }
        };
        let n = *shape.last().unwrap_or(&1) as usize;
        crate::backend::cpu::hadamard::hadamard_in_place(
            x.dtype(),
            &out,
            x.size(),
            n,
            self.scale,
            self.transpose,
        )?;
        Ok(vec![out])
    }
    fn vjp(
        &self,
        _: &[Array],
        cotangents: &[Array],
        _: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::hadamard_vjp(self, &cotangents[0])
    }
    fn jvp(&self, _: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::hadamard_jvp(self, &tangents[0])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::hadamard_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Hadamard>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Element types with a matrix-product kernel.
pub fn has_kernel(dt: Dtype) -> bool {
    dt.is_inexact()
}
