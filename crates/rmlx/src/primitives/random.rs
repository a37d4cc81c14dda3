//! The random family's primitives.
//!
//! - [`RandomBits`]: MLX's primitive, threefry2x32 words of 1, 2 or 4 bytes
//!   from a key array of shape `(..., 2)`: each key fills one block of the
//!   output.
//! - [`RandomSample`]: `RandomBits` fused with the elementwise MLX graph of
//!   a distribution whose parameters are constants (see
//!   [`Sampler`]); one pass, same values.
//! - [`RandomPermutation`]: `argsort(RandomBits((n,)))` per key.
//! - [`PermuteAxis`]: `take` of a permutation along one axis (and its
//!   inverse, the scatter that is its transpose).
//! - [`SampleMath`]: MLX's own `erf`/`erfinv` approximations, which the
//!   distributions' general (array-parameter) graphs need to match MLX.
//! - [`CumulativeExp`]: the running sums of `exp(x - max)` behind MLX's
//!   inverse-CDF `categorical` of a single distribution.
//!
//! Transformations follow MLX: the random primitives batch over their keys
//! (a batched key gives one block per key) and have no derivative (their
//! only input is an integer key); MLX raises for their vjp/jvp, and so do
//! these, with MLX's message. `PermuteAxis` and `SampleMath` carry the
//! derivatives of the ops they stand for; `CumulativeExp` only feeds
//! comparisons, so its derivative is zero.

use std::any::Any;
use std::sync::Arc;

use super::Primitive;
use crate::array::{shape_size, Array, Data};
use crate::backend::cpu::copy::copy_to_contiguous;
use crate::backend::cpu::elementwise::apply1;
use crate::backend::cpu::random::{self as kernel, math, Sampler};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::eval::EvalCtx;
use crate::ops;

/// The keys of an evaluated key array of shape `(..., 2)`, in row-major
/// order.
fn read_keys(key: &Array) -> Vec<[u32; 2]> {
    let n = key.size() / 2;
    let mut keys = vec![[0u32; 2]; n];
    copy_to_contiguous(key.data(), key.shape(), 4, keys.as_mut_ptr() as *mut u8);
    keys
}

/// MLX's error for differentiating through a random primitive.
fn no_derivative(mode: &str) -> Error {
    Error::value(format!(
        "[Primitive::{mode}] Not implemented for RandomBits."
    ))
}

/// MLX's `RandomBits::vmap`: a key batched along `kax` (moved off the last
/// axis, which holds the key pair) gives one output block per key, the
/// batch inserted at `kax` of the output shape.
fn batch_keys(
    key: &Array,
    kax: Option<usize>,
    shape: &[i64],
) -> Result<(Array, Option<usize>, Vec<i64>)> {
    let Some(mut kax) = kax else {
        return Ok((key.clone(), None, shape.to_vec()));
    };
    let mut key = key.clone();
    if kax + 1 == key.ndim() {
        if kax == 0 {
            return Err(Error::value(
                "[RandomBits::vmap] The key pair axis cannot be the batched axis.",
            ));
        }
        key = ops::swapaxes(&key, kax as i64, kax as i64 - 1, None)?;
        kax -= 1;
    }
    let mut out = shape.to_vec();
    out.insert(kax.min(out.len()), key.shape()[kax]);
    Ok((key, Some(kax), out))
}

/// `shape`-sized threefry words of `width` bytes (1, 2, 4) per key (MLX
/// `RandomBits`). Input: the key array.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomBits {
    /// Shape of the output for one key.
    pub shape: Vec<i64>,
    /// Bytes per element (1, 2 or 4).
    pub width: usize,
}

/// The unsigned dtype of a bit width.
pub fn bits_dtype(width: usize) -> Dtype {
    match width {
        1 => Dtype::Uint8,
        2 => Dtype::Uint16,
        _ => Dtype::Uint32,
    }
}

impl Primitive for RandomBits {
    fn name(&self) -> &'static str {
        "RandomBits"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let keys = read_keys(&ctx.inputs[0]);
        let n = shape_size(ctx.outputs[0].shape);
        if n > 0 && !keys.is_empty() {
            // SAFETY: the output holds keys.len() blocks of n / keys.len() elements.
            unsafe {
                kernel::random_bits(
                    &keys,
                    n / keys.len(),
                    self.width,
                    out.byte_ptr(Dtype::Uint8),
                )
            };
        }
        Ok(vec![out])
    }
    fn vjp(&self, _: &[Array], _: &[Array], _: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        Err(no_derivative("vjp"))
    }
    fn jvp(&self, _: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Err(no_derivative("jvp"))
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let (key, kax, shape) = batch_keys(&inputs[0], axes[0], &self.shape)?;
        let prim = RandomBits {
            shape: shape.clone(),
            width: self.width,
        };
        let out = Array::from_op(
            shape,
            bits_dtype(self.width),
            key.stream(),
            Arc::new(prim),
            vec![key],
        );
        Ok((vec![out], vec![kax]))
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<RandomBits>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A distribution drawn straight from the key: `RandomBits` and the
/// distribution's elementwise graph in one kernel. Input: the key array.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomSample {
    /// Shape of the output for one key.
    pub shape: Vec<i64>,
    /// Output dtype.
    pub dtype: Dtype,
    /// What each element computes.
    pub sampler: Sampler,
}

impl Primitive for RandomSample {
    fn name(&self) -> &'static str {
        "RandomSample"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let keys = read_keys(&ctx.inputs[0]);
        let n = shape_size(ctx.outputs[0].shape);
        if n > 0 && !keys.is_empty() {
            // SAFETY: the output holds keys.len() blocks of n / keys.len() elements.
            unsafe {
                kernel::sample(
                    &self.sampler,
                    &keys,
                    n / keys.len(),
                    self.dtype,
                    out.byte_ptr(self.dtype),
                )?
            };
        }
        Ok(vec![out])
    }
    fn vjp(&self, _: &[Array], _: &[Array], _: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        Err(no_derivative("vjp"))
    }
    fn jvp(&self, _: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Err(no_derivative("jvp"))
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let (key, kax, shape) = batch_keys(&inputs[0], axes[0], &self.shape)?;
        let prim = RandomSample {
            shape: shape.clone(),
            ..self.clone()
        };
        let out = Array::from_op(shape, self.dtype, key.stream(), Arc::new(prim), vec![key]);
        Ok((vec![out], vec![kax]))
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<RandomSample>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A uint32 permutation of `0..n` per key: the stable argsort of the key's
/// `n` threefry words (MLX `permutation(n)`). Input: the key array.
#[derive(Debug, Clone, PartialEq)]
pub struct RandomPermutation {
    /// Shape of the output for one key (`[n]`).
    pub shape: Vec<i64>,
}

impl Primitive for RandomPermutation {
    fn name(&self) -> &'static str {
        "RandomPermutation"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let keys = read_keys(&ctx.inputs[0]);
        let n = *self.shape.last().unwrap_or(&0) as usize;
        if n > 0 && !keys.is_empty() {
            // SAFETY: the output holds keys.len() rows of n indices.
            unsafe { kernel::permutation(&keys, n, out.ptr::<u32>()) };
        }
        Ok(vec![out])
    }
    fn vjp(&self, _: &[Array], _: &[Array], _: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        Err(no_derivative("vjp"))
    }
    fn jvp(&self, _: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Err(no_derivative("jvp"))
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let (key, kax, shape) = batch_keys(&inputs[0], axes[0], &self.shape)?;
        let prim = RandomPermutation {
            shape: shape.clone(),
        };
        let out = Array::from_op(
            shape,
            Dtype::Uint32,
            key.stream(),
            Arc::new(prim),
            vec![key],
        );
        Ok((vec![out], vec![kax]))
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<RandomPermutation>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Reorders axis `axis` of `x` by a permutation `idx` (inputs `[x, idx]`):
/// `out[.., j, ..] = x[.., idx[j], ..]`, or the inverse (`scatter`:
/// `out[.., idx[j], ..] = x[.., j, ..]`). A 2-d `idx` of shape `(r, n)`
/// holds one permutation per index of `x`'s first axis (of size `r`).
#[derive(Debug, Clone, PartialEq)]
pub struct PermuteAxis {
    /// The permuted axis of `x`.
    pub axis: usize,
    /// Apply the inverse permutation.
    pub scatter: bool,
}

impl PermuteAxis {
    /// The op on `x` and `idx`.
    pub fn apply(&self, x: &Array, idx: &Array) -> Array {
        Array::from_op(
            x.shape().to_vec(),
            x.dtype(),
            x.stream(),
            Arc::new(self.clone()),
            vec![x.clone(), idx.clone()],
        )
    }
}

impl Primitive for PermuteAxis {
    fn name(&self) -> &'static str {
        "Gather"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (x, idx) = (&ctx.inputs[0], &ctx.inputs[1]);
        let out = ctx.alloc(0)?;
        let shape = x.shape();
        let item = x.itemsize();
        let n = shape[self.axis] as usize;
        let outer = shape_size(&shape[..self.axis]);
        let inner = shape_size(&shape[self.axis + 1..]) * item;
        if x.size() == 0 {
            return Ok(vec![out]);
        }
        let mut dense = vec![0u8; x.nbytes()];
        copy_to_contiguous(x.data(), shape, item, dense.as_mut_ptr());
        let mut ind = vec![0u32; idx.size()];
        copy_to_contiguous(idx.data(), idx.shape(), 4, ind.as_mut_ptr() as *mut u8);
        let rows = if idx.ndim() == 2 {
            idx.shape()[0] as usize
        } else {
            1
        };
        // SAFETY: dense and out hold outer * n * inner bytes; every index
        // row is a permutation of 0..n.
        unsafe {
            kernel::permute_axis(
                dense.as_ptr(),
                out.byte_ptr(x.dtype()),
                &ind,
                outer,
                n,
                inner,
                outer / rows.max(1),
                self.scatter,
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
        // The transpose of a permutation is its inverse.
        let inverse = PermuteAxis {
            axis: self.axis,
            scatter: !self.scatter,
        };
        argnums
            .iter()
            .map(|&i| match i {
                0 => Ok(inverse.apply(&cotangents[0], &primals[1])),
                _ => ops::zeros_like(&primals[1], None, None),
            })
            .collect()
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        match argnums.iter().position(|&i| i == 0) {
            Some(t) => Ok(vec![self.apply(&tangents[t], &primals[1])]),
            None => Ok(vec![ops::zeros_like(&primals[0], None, None)?]),
        }
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let (x, idx) = (&inputs[0], &inputs[1]);
        let grouped = |axis| PermuteAxis {
            axis,
            scatter: self.scatter,
        };
        match (axes[0], axes[1]) {
            (None, None) => Ok((vec![self.apply(x, idx)], vec![None])),
            (Some(bx), None) if idx.ndim() == 1 => {
                // Batching x only shifts the permuted axis.
                let x = ops::moveaxis(x, bx as i64, 0, None)?;
                Ok((vec![grouped(self.axis + 1).apply(&x, idx)], vec![Some(0)]))
            }
            (bx, bi) => {
                // General case: batch first on both, then fold the batch into
                // the per-row permutations.
                let b = bx
                    .map(|a| x.shape()[a])
                    .or(bi.map(|a| idx.shape()[a]))
                    .unwrap_or(1);
                let front = |a: &Array, ax: Option<usize>| -> Result<Array> {
                    match ax {
                        Some(ax) => ops::moveaxis(a, ax as i64, 0, None),
                        None => {
                            let mut shape = vec![b];
                            shape.extend_from_slice(a.shape());
                            ops::broadcast_to(&ops::expand_dims(a, &[0], None)?, &shape, None)
                        }
                    }
                };
                let (xb, ib) = (front(x, bx)?, front(idx, bi)?);
                let n = ib.shape()[ib.ndim() - 1];
                let rows = ib.size() as i64 / n.max(1);
                let mut xs = vec![rows];
                xs.extend_from_slice(&xb.shape()[ib.ndim() - 1..]);
                let xf = ops::reshape(&ops::contiguous(&xb, false, None)?, &xs, None)?;
                let ifl = ops::reshape(&ops::contiguous(&ib, false, None)?, &[rows, n], None)?;
                let axis = self.axis + 1 - (ib.ndim() - 2);
                let out = grouped(axis).apply(&xf, &ifl);
                Ok((vec![ops::reshape(&out, xb.shape(), None)?], vec![Some(0)]))
            }
        }
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<PermuteAxis>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `cumsum(exp(x - max(x)))` along the last axis of a float32 array, with
/// MLX's exp and summation order (`backend::cpu::random::cumulative_exp`):
/// the part of MLX's single-distribution `categorical` that must round as
/// MLX does for the sampled indices to agree. Its output only feeds
/// comparisons, so it has no derivative (zero, as for the indices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CumulativeExp;

impl CumulativeExp {
    /// The op on `x` (float32, at least 1-d).
    pub fn apply(self, x: &Array) -> Array {
        Array::from_op(
            x.shape().to_vec(),
            Dtype::Float32,
            x.stream(),
            Arc::new(self),
            vec![x.clone()],
        )
    }
}

impl Primitive for CumulativeExp {
    fn name(&self) -> &'static str {
        "CumulativeExp"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let x = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        let n = x.size();
        let k = x.shape().last().copied().unwrap_or(1) as usize;
        let mut dense = vec![0f32; n];
        copy_to_contiguous(x.data(), x.shape(), 4, dense.as_mut_ptr() as *mut u8);
        // SAFETY: the output holds n float32 values.
        let o = unsafe { std::slice::from_raw_parts_mut(out.ptr::<f32>(), n) };
        kernel::cumulative_exp(&dense, k, o);
        Ok(vec![out])
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
            .map(|_| ops::zeros_like(&primals[0], None, None))
            .collect()
    }
    fn jvp(&self, primals: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Ok(vec![ops::zeros_like(&primals[0], None, None)?])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        // Rows are independent: any batch axis but the last one works as is.
        let x = &inputs[0];
        match axes[0] {
            Some(b) if b + 1 == x.ndim() => {
                let x = ops::moveaxis(x, b as i64, 0, None)?;
                Ok((vec![self.apply(&x)], vec![Some(0)]))
            }
            b => Ok((vec![self.apply(x)], vec![b])),
        }
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().is::<CumulativeExp>()
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// MLX's float approximations used by the distributions' graphs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MathOp {
    /// `erf` (MLX's Abramowitz-Stegun form).
    Erf,
    /// `erfinv` (MLX's polynomials on glibc's `logf`).
    Erfinv,
}

/// `erf`/`erfinv` with MLX's exact rounding, elementwise on a float array
/// (computed in float32, as MLX does for every float dtype).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SampleMath(pub MathOp);

impl SampleMath {
    /// The op on `x` (a float array).
    pub fn apply(self, x: &Array) -> Array {
        Array::from_op(
            x.shape().to_vec(),
            x.dtype(),
            x.stream(),
            Arc::new(self),
            vec![x.clone()],
        )
    }
    /// The derivative at `x` (output `y`): `2/sqrt(pi) exp(-x^2)` for erf,
    /// `sqrt(pi)/2 exp(y^2)` for erfinv, as MLX writes them.
    fn derivative(self, x: &Array, y: &Array) -> Result<Array> {
        let dt = x.dtype();
        let c = |v: f64| Array::from_scalar(crate::element::Scalar::Float(v), dt);
        const TWO_SQRTPI: f64 = std::f64::consts::FRAC_2_SQRT_PI;
        match self.0 {
            MathOp::Erf => ops::multiply(
                &c(TWO_SQRTPI)?,
                &ops::exp(&ops::negative(&ops::square(x, None)?, None)?, None)?,
                None,
            ),
            MathOp::Erfinv => ops::multiply(
                &c(1.0 / TWO_SQRTPI)?,
                &ops::exp(&ops::square(y, None)?, None)?,
                None,
            ),
        }
    }
}

fn math_kernel<T: crate::backend::cpu::elementwise::Kern + kernel::Real>(
    op: MathOp,
    fast: bool,
    a: &Data,
    out: &Data,
    shape: &[i64],
) {
    match (op, fast) {
        (MathOp::Erf, _) => apply1(a, out, shape, |x: T| T::from_f32(math::erf_mlx(x.to_f32()))),
        (MathOp::Erfinv, true) => apply1(a, out, shape, |x: T| {
            T::from_f32(math::erfinv_mlx::<true>(x.to_f32()))
        }),
        (MathOp::Erfinv, false) => apply1(a, out, shape, |x: T| {
            T::from_f32(math::erfinv_mlx::<false>(x.to_f32()))
        }),
    }
}

impl Primitive for SampleMath {
    fn name(&self) -> &'static str {
        match self.0 {
            MathOp::Erf => "Erf",
            MathOp::Erfinv => "ErfInv",
        }
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        let fast = math::fast_logf_ok();
        let (d, shape) = (a.data(), a.shape());
        match a.dtype() {
            Dtype::Float32 => math_kernel::<f32>(self.0, fast, d, &out, shape),
            Dtype::Float64 => math_kernel::<f64>(self.0, fast, d, &out, shape),
            Dtype::Float16 => math_kernel::<half::f16>(self.0, fast, d, &out, shape),
            Dtype::Bfloat16 => math_kernel::<half::bf16>(self.0, fast, d, &out, shape),
            dt => {
                return Err(Error::type_(format!(
                    "[{}] Expected a real floating point array but got {dt}.",
                    self.name()
                )))
            }
        }
        Ok(vec![out])
    }
    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        _: &[usize],
        outputs: &[Array],
    ) -> Result<Vec<Array>> {
        let d = self.derivative(&primals[0], &outputs[0])?;
        Ok(vec![ops::multiply(&cotangents[0], &d, None)?])
    }
    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        let y = self.apply(&primals[0]);
        let d = self.derivative(&primals[0], &y)?;
        Ok(vec![ops::multiply(&tangents[0], &d, None)?])
    }
    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        Ok((vec![self.apply(&inputs[0])], vec![axes[0]]))
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<SampleMath>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
