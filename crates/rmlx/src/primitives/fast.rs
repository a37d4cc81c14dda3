//! The `fast` op family: fused `rms_norm`, `layer_norm`, `rope`,
//! `scaled_dot_product_attention` and `cross_entropy`. Each is one
//! primitive with one CPU kernel (`backend/cpu/fast_*.rs`); the
//! transformation rules (`fast_grad.rs`) follow MLX: hand-written vjps for
//! the norms and rope, the others derived from a composition of primitive
//! ops that computes the same function.

use std::any::Any;

use super::fast_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::backend::cpu::{fast_norm, fast_rope, fast_sdpa};
use crate::error::Result;
use crate::eval::EvalCtx;

macro_rules! equivalent {
    () => {
        fn is_equivalent(&self, other: &dyn Primitive) -> bool {
            other
                .as_any()
                .downcast_ref::<Self>()
                .is_some_and(|o| o == self)
        }

        fn as_any(&self) -> &dyn Any {
            self
        }
    };
}

/// `x * rsqrt(mean(x^2, -1) + eps) * w`. Inputs `[x, w]` of one floating
/// dtype; `w` is 1-d (the last axis of `x`) or 0-d (no weight).
#[derive(Clone, Debug, PartialEq)]
pub struct RmsNorm {
    /// Added to the mean square.
    pub eps: f32,
}

impl Primitive for RmsNorm {
    fn name(&self) -> &'static str {
        "RMSNorm"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        fast_norm::rms_norm(&ctx.inputs[0], &ctx.inputs[1], self.eps, &out)?;
        Ok(vec![out])
    }

    fn vjp(&self, p: &[Array], c: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::rms_norm_vjp(self.eps, p, &c[0], argnums)
    }

    fn jvp(&self, p: &[Array], t: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::fallback_jvp(self, p, t, argnums)
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::norm_vmap(self, x, axes)
    }

    equivalent!();
}

/// `(x - mean) * rsqrt(var + eps) * w + b` over the last axis. Inputs
/// `[x, w, b]` of one floating dtype; `w`/`b` 1-d or 0-d (absent).
#[derive(Clone, Debug, PartialEq)]
pub struct LayerNorm {
    /// Added to the variance.
    pub eps: f32,
}

impl Primitive for LayerNorm {
    fn name(&self) -> &'static str {
        "LayerNorm"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let i = ctx.inputs;
        fast_norm::layer_norm(&i[0], &i[1], &i[2], self.eps, &out)?;
        Ok(vec![out])
    }

    fn vjp(&self, p: &[Array], c: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::layer_norm_vjp(self.eps, p, &c[0], argnums)
    }

    fn jvp(&self, p: &[Array], t: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::fallback_jvp(self, p, t, argnums)
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::norm_vmap(self, x, axes)
    }

    equivalent!();
}

/// Rotary position encoding of the first `dims` features. Inputs
/// `[x, offset (int, 0-d or (B,)), freqs? (float32, (dims/2,))]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Rope {
    /// Rotated features (even).
    pub dims: usize,
    /// Rotate consecutive pairs instead of the two halves.
    pub traditional: bool,
    /// Frequency base (unused with `freqs`).
    pub base: f32,
    /// Position scale.
    pub scale: f32,
    /// Rotate forwards (false: the inverse rotation, the vjp).
    pub forward: bool,
}

impl Primitive for Rope {
    fn name(&self) -> &'static str {
        "RoPE"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let i = ctx.inputs;
        fast_rope::rope(self, &i[0], &i[1], i.get(2), &out)?;
        Ok(vec![out])
    }

    fn vjp(&self, p: &[Array], c: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::rope_vjp(self, p, &c[0], argnums)
    }

    fn jvp(&self, p: &[Array], t: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::rope_jvp(self, p, t, argnums)
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::rope_vmap(self, x, axes)
    }

    equivalent!();
}

/// `softmax(scale * q @ k^T + mask) @ v` per head, grouped-query heads
/// sharing key/value heads. Inputs `[q, k, v, mask?, sinks?]`; the mask is
/// broadcast to `(B, Hq, Lq, Lk)` and is bool or of the output dtype.
#[derive(Clone, Debug, PartialEq)]
pub struct Sdpa {
    /// Score scale.
    pub scale: f32,
    /// Lower-right aligned causal mask.
    pub causal: bool,
    /// Whether an array mask is the fourth input.
    pub has_mask: bool,
    /// Whether per-head sinks are the last input.
    pub has_sinks: bool,
}

impl Primitive for Sdpa {
    fn name(&self) -> &'static str {
        "ScaledDotProductAttention"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        fast_sdpa::sdpa(self, ctx.inputs, &out)?;
        Ok(vec![out])
    }

    fn vjp(&self, p: &[Array], c: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::fallback_vjp(self, p, c, argnums)
    }

    fn jvp(&self, p: &[Array], t: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::fallback_jvp(self, p, t, argnums)
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::sdpa_vmap(self, x, axes)
    }

    equivalent!();
}

/// `logsumexp(logits, -1) - logits[..., target]` in float32. Inputs
/// `[logits, targets (integer)]`.
#[derive(Clone, Debug, PartialEq)]
pub struct CrossEntropy;

impl Primitive for CrossEntropy {
    fn name(&self) -> &'static str {
        "CrossEntropy"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        fast_norm::cross_entropy(&ctx.inputs[0], &ctx.inputs[1], &out)?;
        Ok(vec![out])
    }

    fn vjp(&self, p: &[Array], c: &[Array], argnums: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        grad::cross_entropy_vjp(p, &c[0], argnums)
    }

    fn jvp(&self, p: &[Array], t: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::fallback_jvp(self, p, t, argnums)
    }

    fn vmap(
        &self,
        x: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::cross_entropy_vmap(x, axes)
    }

    equivalent!();
}
