//! The quantization primitives: `Quantize` (packed codes, scales and, in
//! affine mode, biases), `Dequantize`, `QuantizedMatmul` and `ConvertFP8`.
//!
//! Shape rules (checked by `ops/quantized.rs`): `Quantize` maps `(..., k)`
//! to `(..., k * bits / 32)` uint32 codes and `(..., k / group_size)`
//! scales; `Dequantize` is the inverse; `QuantizedMatmul` takes `x (..., m,
//! k)`, packed `w` (2-D, or with the batch shape of `x`) and gives `(...,
//! m, n)`. Kernels: `backend/cpu/quantized.rs` and `quantized_gemv.rs`;
//! transformation rules: `quantized_grad.rs`.

use std::any::Any;
use std::borrow::Cow;

use super::quantized_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::backend::cpu::gemm::batch_offsets;
use crate::backend::cpu::quantized::{self as k, load_bytes, load_f32, store_f32, QMode};
use crate::backend::cpu::quantized_gemv::{qmm, QMat};
use crate::dtype::{promote_types, Dtype};
use crate::error::{Error, Result};
use crate::eval::EvalCtx;

/// Quantizes the last axis of `w` by groups (inputs `w` and, for nvfp4,
/// optionally the float32 global scale).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Quantize {
    /// Mode.
    pub mode: QMode,
    /// Values per group.
    pub group_size: usize,
    /// Bits per code.
    pub bits: u32,
}

/// Inverse of `Quantize` (inputs `w`, `scales`, then `biases` in affine
/// mode or the optional global scale in nvfp4 mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Dequantize {
    /// Mode.
    pub mode: QMode,
    /// Values per group.
    pub group_size: usize,
    /// Bits per code.
    pub bits: u32,
}

/// `x @ dequantize(w)^T` (`transpose`) or `x @ dequantize(w)` (inputs `x`,
/// `w`, `scales`, and `biases` in affine mode).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuantizedMatmul {
    /// Mode.
    pub mode: QMode,
    /// Values per group.
    pub group_size: usize,
    /// Bits per code.
    pub bits: u32,
    /// Whether `w` holds the transposed matrix (rows are outputs).
    pub transpose: bool,
}

/// Conversion to (`to_fp8`) or from E4M3 bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConvertFP8 {
    /// Direction.
    pub to_fp8: bool,
    /// Output dtype (uint8 for `to_fp8`).
    pub dtype: Dtype,
}

fn global_of(inputs: &[Array], i: usize) -> Result<Option<f32>> {
    match inputs.get(i) {
        Some(g) => Ok(Some(load_f32(g)?[0])),
        None => Ok(None),
    }
}

impl Primitive for Quantize {
    fn name(&self) -> &'static str {
        "Quantize"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let w = &ctx.inputs[0];
        let dt = w.dtype();
        if self.mode == QMode::Affine && dt == Dtype::Float64 {
            return Err(Error::runtime(
                "[fast::Quantize::eval_cpu] Only supports floating point inputs",
            ));
        }
        let vals = load_f32(w)?;
        let groups = vals.len() / self.group_size;
        let wq = ctx.alloc(0)?;
        let nbytes = vals.len() * self.bits as usize / 8;
        // SAFETY: the codes output holds k * bits / 32 uint32 per row.
        let q = unsafe { std::slice::from_raw_parts_mut(wq.ptr::<u8>(), nbytes) };
        if self.mode == QMode::Affine {
            let (mut sc, mut bi) = (vec![0f32; groups], vec![0f32; groups]);
            k::affine_quantize(&vals, self.group_size, self.bits, q, &mut sc, &mut bi);
            let (so, bo) = (ctx.alloc(1)?, ctx.alloc(2)?);
            store_f32(&sc, dt, so.byte_ptr(dt));
            store_f32(&bi, dt, bo.byte_ptr(dt));
            Ok(vec![wq, so, bo])
        } else {
            let so = ctx.alloc(1)?;
            // SAFETY: one uint8 scale per group.
            let s = unsafe { std::slice::from_raw_parts_mut(so.ptr::<u8>(), groups) };
            let global = global_of(ctx.inputs, 1)?;
            k::fp_quantize(&vals, dt, self.group_size, self.bits, global, q, s);
            Ok(vec![wq, so])
        }
    }
    fn vjp(
        &self,
        primals: &[Array],
        _: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        argnums
            .iter()
            .map(|&i| crate::ops::zeros_like(&primals[i], None, None))
            .collect()
    }
    fn jvp(&self, primals: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::quantize_jvp(self, primals)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::quantize_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Quantize>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Primitive for Dequantize {
    fn name(&self) -> &'static str {
        "Dequantize"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out_dt = ctx.outputs[0].dtype;
        let n = crate::array::shape_size(ctx.outputs[0].shape);
        let wq = load_bytes(&ctx.inputs[0]);
        let mut vals = vec![0f32; n];
        if self.mode == QMode::Affine {
            let (s, b) = (&ctx.inputs[1], &ctx.inputs[2]);
            let mul_dt = promote_types(Dtype::Uint32, s.dtype());
            let add_dt = promote_types(mul_dt, b.dtype());
            let (sv, bv) = (load_f32(s)?, load_f32(b)?);
            k::affine_dequantize(
                &wq,
                &sv,
                &bv,
                self.group_size,
                self.bits,
                mul_dt,
                add_dt,
                &mut vals,
            );
        } else {
            let sc = load_bytes(&ctx.inputs[1]);
            let global = global_of(ctx.inputs, 2)?;
            k::fp_dequantize(
                &wq,
                &sc,
                self.group_size,
                self.bits,
                out_dt,
                global,
                &mut vals,
            );
        }
        let out = ctx.alloc(0)?;
        store_f32(&vals, out_dt, out.byte_ptr(out_dt));
        Ok(vec![out])
    }
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::dequantize_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::dequantize_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::dequantize_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Dequantize>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Matrices of the last two axes of `a` for each batch index of `batch`
/// (`a` 2-D: one matrix for all): the dense data and per-batch element
/// offsets. Borrowed when the matrices are dense and the dtype is kept.
struct Mats<'a, T: Clone> {
    data: Cow<'a, [T]>,
    offs: Vec<usize>,
}

fn mats_raw<'a, T: Clone + Copy + 'static>(a: &'a Array, batch: &[i64]) -> Mats<'a, T> {
    let nd = a.ndim();
    let nb: usize = batch.iter().product::<i64>().max(1) as usize;
    let (r, c) = (a.shape()[nd - 2], a.shape()[nd - 1]);
    let d = a.data();
    let st = &d.strides;
    let dense_tail = (c <= 1 || st[nd - 1] == 1) && (r <= 1 || st[nd - 2] == c);
    let batch_ok = nd == 2 || st[..nd - 2].iter().all(|&s| s >= 0);
    if dense_tail && batch_ok && a.size() > 0 {
        let offs: Vec<isize> = if nd == 2 {
            vec![0; nb]
        } else {
            batch_offsets(&a.shape()[..nd - 2], &st[..nd - 2])
        };
        let max = offs.iter().copied().max().unwrap_or(0) as usize + (r * c) as usize;
        // SAFETY: every matrix lies inside the viewed buffer.
        let data = unsafe { std::slice::from_raw_parts(d.ptr::<T>() as *const T, max) };
        return Mats {
            data: Cow::Borrowed(data),
            offs: offs.into_iter().map(|o| o as usize).collect(),
        };
    }
    let bytes = load_bytes(a);
    let n = a.size();
    let mut v: Vec<T> = Vec::with_capacity(n);
    // SAFETY: bytes holds n elements of T.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const T, v.as_mut_ptr(), n);
        v.set_len(n);
    }
    let per = (r * c) as usize;
    let offs = (0..nb).map(|b| if nd == 2 { 0 } else { b * per }).collect();
    Mats {
        data: Cow::Owned(v),
        offs,
    }
}

fn mats_f32<'a>(a: &'a Array, batch: &[i64]) -> Result<Mats<'a, f32>> {
    if a.dtype() == Dtype::Float32 {
        return Ok(mats_raw::<f32>(a, batch));
    }
    let v = load_f32(a)?;
    let nd = a.ndim();
    let nb: usize = batch.iter().product::<i64>().max(1) as usize;
    let per = (a.shape()[nd - 2] * a.shape()[nd - 1]) as usize;
    Ok(Mats {
        data: Cow::Owned(v),
        offs: (0..nb).map(|b| if nd == 2 { 0 } else { b * per }).collect(),
    })
}

impl Primitive for QuantizedMatmul {
    fn name(&self) -> &'static str {
        "QuantizedMatmul"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (x, w) = (&ctx.inputs[0], &ctx.inputs[1]);
        let dt = x.dtype();
        if !matches!(dt, Dtype::Float32 | Dtype::Float16 | Dtype::Bfloat16) {
            return Err(Error::value(
                "[quantized_matmul] only floating types are supported",
            ));
        }
        let oshape = ctx.outputs[0].shape;
        let nd = oshape.len();
        let n = oshape[nd - 1] as usize;
        let kk = x.shape()[x.ndim() - 1] as usize;
        let m = if x.ndim() > 1 {
            x.shape()[x.ndim() - 2] as usize
        } else {
            1
        };
        let nb = x.size() / (m * kk).max(1);
        let batch: Vec<i64> = if nd > 2 {
            oshape[..nd - 2].to_vec()
        } else {
            vec![]
        };
        let out = ctx.alloc(0)?;
        let total = crate::array::shape_size(oshape);
        if total == 0 {
            return Ok(vec![out]);
        }
        let xv = load_f32(x)?;
        let wb = w.ndim() > 2 && x.ndim() > 2;
        let wbatch: &[i64] = if wb { &batch } else { &[] };
        let wm = mats_raw::<u32>(w, wbatch);
        let (rows, wcols) = (
            w.shape()[w.ndim() - 2] as usize,
            w.shape()[w.ndim() - 1] as usize,
        );
        let cols = wcols * 32 / self.bits as usize;
        let wlen = rows * wcols;
        let affine = self.mode == QMode::Affine;
        let (sm, bm, scm);
        let glen = rows * cols / self.group_size;
        if affine {
            sm = Some(mats_f32(&ctx.inputs[2], wbatch)?);
            bm = Some(mats_f32(&ctx.inputs[3], wbatch)?);
            scm = None;
        } else {
            sm = None;
            bm = None;
            scm = Some(mats_raw::<u8>(&ctx.inputs[2], wbatch));
        }
        let mut res = if dt == Dtype::Float32 {
            Vec::new()
        } else {
            vec![0f32; total]
        };
        for b in 0..nb.max(1) {
            let wi = if wb { b } else { 0 };
            let wo = wm.offs[wi];
            // SAFETY: the codes are read as bytes of the uint32 words.
            let wbytes = unsafe {
                std::slice::from_raw_parts(wm.data[wo..wo + wlen].as_ptr() as *const u8, wlen * 4)
            };
            let empty_f: &[f32] = &[];
            let empty_u: &[u8] = &[];
            let qm = QMat {
                mode: self.mode,
                bits: self.bits,
                gs: self.group_size,
                w: wbytes,
                cols,
                scales: sm
                    .as_ref()
                    .map_or(empty_f, |s| &s.data[s.offs[wi]..s.offs[wi] + glen]),
                biases: bm
                    .as_ref()
                    .map_or(empty_f, |s| &s.data[s.offs[wi]..s.offs[wi] + glen]),
                scodes: scm
                    .as_ref()
                    .map_or(empty_u, |s| &s.data[s.offs[wi]..s.offs[wi] + glen]),
            };
            let xs = &xv[b * m * kk..(b + 1) * m * kk];
            let dst: &mut [f32] = if dt == Dtype::Float32 {
                // SAFETY: the output holds nb * m * n float32 values.
                unsafe { std::slice::from_raw_parts_mut(out.ptr::<f32>().add(b * m * n), m * n) }
            } else {
                &mut res[b * m * n..(b + 1) * m * n]
            };
            qmm(xs, &qm, m, n, kk, self.transpose, dst)?;
        }
        if dt != Dtype::Float32 {
            store_f32(&res, dt, out.byte_ptr(dt));
        }
        Ok(vec![out])
    }
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        grad::qmm_vjp(self, primals, &cotangents[0], argnums)
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::qmm_jvp(self, primals, tangents, argnums)
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::qmm_vmap(self, inputs, axes)
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<QuantizedMatmul>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Primitive for ConvertFP8 {
    fn name(&self) -> &'static str {
        if self.to_fp8 {
            "ToFP8"
        } else {
            "FromFP8"
        }
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let x = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        let n = x.size();
        if self.to_fp8 {
            let v = load_f32(x)?;
            // SAFETY: n uint8 outputs.
            let o = unsafe { std::slice::from_raw_parts_mut(out.ptr::<u8>(), n) };
            for (d, &f) in o.iter_mut().zip(&v) {
                *d = k::to_fp8(f);
            }
        } else {
            let b = load_bytes(x);
            let v: Vec<f32> = b.iter().map(|&c| k::from_fp8(c)).collect();
            let dt = ctx.outputs[0].dtype;
            store_f32(&v, dt, out.byte_ptr(dt));
        }
        Ok(vec![out])
    }
    fn vjp(&self, _: &[Array], _: &[Array], _: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        Err(Error::value(format!(
            "[Primitive::vjp] Not implemented for {}.",
            self.name()
        )))
    }
    fn jvp(&self, _: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Err(Error::value(format!(
            "[Primitive::jvp] Not implemented for {}.",
            self.name()
        )))
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let out = if self.to_fp8 {
            crate::ops::quantized::to_fp8(&inputs[0], None)?
        } else {
            crate::ops::quantized::from_fp8(&inputs[0], self.dtype, None)?
        };
        Ok((vec![out], vec![axes[0]]))
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<ConvertFP8>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
