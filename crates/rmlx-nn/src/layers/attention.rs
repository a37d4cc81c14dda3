//! `MultiHeadAttention` (MLX `nn.MultiHeadAttention`) on the fused
//! `fast::scaled_dot_product_attention` kernel.

use rmlx::dtype::finfo;
use rmlx::ops::{self, fast::SdpaMask};
use rmlx::{Array, Dtype, Error, Result, Scalar};

use crate::layers::Linear;
use crate::module::{Module, ModuleMeta};

/// Multi-head scaled dot-product attention over `(N, L, D)` inputs:
/// queries, keys and values go through `query_proj`, `key_proj` and
/// `value_proj`, are split into heads, attended with scale
/// `1 / sqrt(head dims)` and projected back by `out_proj`.
pub struct MultiHeadAttention {
    meta: ModuleMeta,
    /// Heads.
    pub num_heads: i64,
    /// Query projection.
    pub query_proj: Linear,
    /// Key projection.
    pub key_proj: Linear,
    /// Value projection.
    pub value_proj: Linear,
    /// Output projection.
    pub out_proj: Linear,
}

/// The optional sizes of [`MultiHeadAttention::with_dims`] (MLX's keyword
/// arguments; `None` takes MLX's default).
#[derive(Clone, Copy, Debug, Default)]
pub struct AttentionDims {
    /// Query input features (default `dims`).
    pub query_input_dims: Option<i64>,
    /// Key input features (default `dims`).
    pub key_input_dims: Option<i64>,
    /// Value input features (default: the key input features).
    pub value_input_dims: Option<i64>,
    /// Value projection features (default `dims`).
    pub value_dims: Option<i64>,
    /// Output features (default `dims`).
    pub value_output_dims: Option<i64>,
}

impl MultiHeadAttention {
    /// Attention with `dims` features everywhere (MLX default: no biases).
    pub fn new(dims: i64, num_heads: i64, bias: bool) -> Result<Self> {
        Self::with_dims(dims, num_heads, AttentionDims::default(), bias)
    }

    /// Attention with the sizes of `d`.
    pub fn with_dims(dims: i64, num_heads: i64, d: AttentionDims, bias: bool) -> Result<Self> {
        if num_heads <= 0 || dims % num_heads != 0 {
            return Err(Error::value(format!(
                "The input feature dimensions should be divisible by the number of heads ({dims} % {num_heads}) != 0"
            )));
        }
        let q_in = d.query_input_dims.unwrap_or(dims);
        let k_in = d.key_input_dims.unwrap_or(dims);
        let v_in = d.value_input_dims.unwrap_or(k_in);
        let v_dims = d.value_dims.unwrap_or(dims);
        let v_out = d.value_output_dims.unwrap_or(dims);
        Ok(MultiHeadAttention {
            meta: ModuleMeta::default(),
            num_heads,
            query_proj: Linear::new(q_in, dims, bias)?,
            key_proj: Linear::new(k_in, dims, bias)?,
            value_proj: Linear::new(v_in, v_dims, bias)?,
            out_proj: Linear::new(v_dims, v_out, bias)?,
        })
    }

    fn heads(&self, x: &Array) -> Result<Array> {
        let x = ops::unflatten(x, -1, &[self.num_heads, -1], None)?;
        ops::transpose(&x, Some(&[0, 2, 1, 3]), None)
    }

    /// Attention of `queries` `(N, Lq, Dq)` over `keys` `(N, Lk, Dk)` and
    /// `values` `(N, Lk, Dv)` with an optional mask.
    pub fn attend(
        &self,
        queries: &Array,
        keys: &Array,
        values: &Array,
        mask: &SdpaMask,
    ) -> Result<Array> {
        let q = self.heads(&self.query_proj.forward(queries)?)?;
        let k = self.heads(&self.key_proj.forward(keys)?)?;
        let v = self.heads(&self.value_proj.forward(values)?)?;
        let scale = (1.0 / q.shape()[3] as f64).sqrt();
        let out =
            ops::fast::scaled_dot_product_attention(&q, &k, &v, scale as f32, mask, None, None)?;
        let out = ops::transpose(&out, Some(&[0, 2, 1, 3]), None)?;
        let out = ops::flatten(&out, -2, -1, None)?;
        self.out_proj.forward(&out)
    }

    /// An `(n, n)` additive mask: 0 on and below the diagonal, the dtype's
    /// most negative finite value above it.
    pub fn create_additive_causal_mask(n: i64, dtype: Dtype) -> Result<Array> {
        let idx = ops::arange(0.0, n as f64, 1.0, Dtype::Int32, None)?;
        let rows = ops::expand_dims(&idx, &[1], None)?;
        let cols = ops::expand_dims(&idx, &[0], None)?;
        let mask = ops::astype(&ops::less(&rows, &cols, None)?, dtype, None)?;
        let min = finfo(dtype)
            .ok_or_else(|| {
                Error::value(format!(
                    "[create_additive_causal_mask] {dtype} is not a float type."
                ))
            })?
            .min;
        ops::multiply(&mask, &Array::from_scalar(Scalar::Float(min), dtype)?, None)
    }
}

impl Module for MultiHeadAttention {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        Vec::new()
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        Vec::new()
    }
    fn children(&self) -> Vec<(String, &dyn Module)> {
        vec![
            ("key_proj".into(), &self.key_proj as &dyn Module),
            ("out_proj".into(), &self.out_proj),
            ("query_proj".into(), &self.query_proj),
            ("value_proj".into(), &self.value_proj),
        ]
    }
    fn children_mut(&mut self) -> Vec<(String, &mut dyn Module)> {
        vec![
            ("key_proj".into(), &mut self.key_proj as &mut dyn Module),
            ("out_proj".into(), &mut self.out_proj),
            ("query_proj".into(), &mut self.query_proj),
            ("value_proj".into(), &mut self.value_proj),
        ]
    }
    /// Self-attention of `x` without a mask.
    fn forward(&self, x: &Array) -> Result<Array> {
        self.attend(x, x, x, &SdpaMask::None)
    }
}
