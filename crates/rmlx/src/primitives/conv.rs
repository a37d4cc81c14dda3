//! The convolution primitive: MLX's `Convolution`, in MLX's channels-last
//! layout (input `(N, spatial..., C_in)`, weight `(C_out, spatial...,
//! C_in / groups)`, output `(N, spatial..., C_out)`), with strides, low and
//! high padding, kernel dilation, input dilation, feature groups and
//! flipping. Every public convolution (`conv1d` ... `conv_general`, the
//! transposed ones, `convolve`) is this one primitive. Kernels:
//! `backend/cpu/conv*.rs`; transformation rules: `conv_grad.rs`.
//!
//! Along one spatial axis, output `o` and tap `k` read the input-dilated,
//! padded signal at `o * stride + k * kernel_dilation - padding_lo`, which is
//! input element `p / input_dilation` when that position `p` is a multiple
//! of the dilation inside the input, and zero otherwise; the tap uses weight
//! `k` (`K - 1 - k` when flipped). The public ops only build non-negative
//! paddings (MLX slices the input for negative ones); the transformation
//! rules also use negative low paddings, which crop the dilated signal.

use std::any::Any;

use super::conv_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::error::Result;
use crate::eval::EvalCtx;

/// A grouped, strided, padded and dilated N-d convolution (cross-correlation
/// unless `flip`). All per-axis lists have one entry per spatial axis.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Convolution {
    /// Output step per spatial axis (positive).
    pub stride: Vec<i64>,
    /// Zeros before the input-dilated signal (negative: cropped).
    pub padding_lo: Vec<i64>,
    /// Zeros after the input-dilated signal (only sets the output size).
    pub padding_hi: Vec<i64>,
    /// Spacing of the kernel taps (positive).
    pub kernel_dilation: Vec<i64>,
    /// Spacing of the input elements (positive; `stride` of a transposed
    /// convolution).
    pub input_dilation: Vec<i64>,
    /// Feature groups: input and output channels split into this many
    /// independent blocks.
    pub groups: i64,
    /// Convolution (flipped kernel) rather than cross-correlation.
    pub flip: bool,
}

impl Convolution {
    /// Output extent along one axis (MLX's formula, C++ integer division:
    /// a slightly too short signal still gives one output, computed with
    /// zeros beyond the end, as MLX does).
    pub fn out_size(&self, i: usize, in_size: i64, k: i64) -> i64 {
        let dilated = (in_size - 1) * self.input_dilation[i] + 1;
        let span = (k - 1) * self.kernel_dilation[i] + 1;
        (dilated + self.padding_lo[i] + self.padding_hi[i] - span) / self.stride[i] + 1
    }

    /// The output shape for an input and weight shape (sizes clamped at 0).
    pub fn out_shape(&self, x: &[i64], w: &[i64]) -> Vec<i64> {
        let d = x.len() - 2;
        let mut out = Vec::with_capacity(d + 2);
        out.push(x[0]);
        for i in 0..d {
            out.push(self.out_size(i, x[i + 1], w[i + 1]).max(0));
        }
        out.push(w[0]);
        out
    }

    /// The number of spatial axes.
    pub fn ndim(&self) -> usize {
        self.stride.len()
    }
}

impl Primitive for Convolution {
    fn name(&self) -> &'static str {
        "Convolution"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (x, w) = (&ctx.inputs[0], &ctx.inputs[1]);
        let out = ctx.alloc(0)?;
        crate::backend::cpu::conv::conv(
            self,
            x.dtype(),
            (x.data(), x.shape()),
            (w.data(), w.shape()),
            (&out, ctx.outputs[0].shape),
        )?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        argnums: &[usize],
        _outputs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::conv_vjp(self, primals, &cotangents[0], argnums)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::conv_jvp(self, primals, tangents, argnums)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        grad::conv_vmap(self, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<Convolution>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
