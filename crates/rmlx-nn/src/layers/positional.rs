//! `RoPE`: rotary positional encoding (MLX `nn.RoPE`) on the fused
//! `fast::rope` kernel.

use rmlx::ops::fast;
use rmlx::{Array, Result};

use crate::module::{Module, ModuleMeta};

/// Rotary positional encoding of the first `dims` features of inputs shaped
/// `(..., L, D)`; frequencies `base^(-2i / dims)`, positions times `scale`.
#[derive(Clone, Debug)]
pub struct RoPE {
    meta: ModuleMeta,
    /// Rotated features.
    pub dims: i64,
    /// Rotate consecutive pairs instead of the two halves.
    pub traditional: bool,
    /// Frequency base.
    pub base: f64,
    /// Position scale.
    pub scale: f64,
}

impl RoPE {
    /// A RoPE layer (MLX defaults: not traditional, base 10000, scale 1).
    pub fn new(dims: i64, traditional: bool, base: f64, scale: f64) -> Self {
        RoPE {
            meta: ModuleMeta::default(),
            dims,
            traditional,
            base,
            scale,
        }
    }

    /// The encoding with positions starting at `offset`.
    pub fn forward_offset(&self, x: &Array, offset: i64) -> Result<Array> {
        fast::rope(
            x,
            self.dims,
            self.traditional,
            Some(self.base as f32),
            self.scale as f32,
            &Array::scalar(offset as i32),
            None,
            None,
        )
    }
}

impl Module for RoPE {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        Vec::new()
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        Vec::new()
    }
    /// Positions from 0.
    fn forward(&self, x: &Array) -> Result<Array> {
        self.forward_offset(x, 0)
    }
}
