//! `QuantizedLinear` (MLX `nn.QuantizedLinear`): a linear layer whose weight
//! is packed with `rmlx::ops::quantized::quantize` and applied with
//! `quantized_matmul`. The packed arrays are frozen; a bias taken over from
//! a `Linear` stays trainable, as in MLX.

use rmlx::ops::{self, quantized};
use rmlx::{Array, Dtype, Result};

use crate::init::uniform_array;
use crate::layers::Linear;
use crate::module::{Module, ModuleMeta};

/// A linear layer with a quantized weight: `weight` (packed uint32),
/// `scales` and, in affine mode, `biases`, plus an optional float `bias`.
#[derive(Clone, Debug)]
pub struct QuantizedLinear {
    meta: ModuleMeta,
    /// Packed weight codes, `(output_dims, input_dims * bits / 32)`.
    pub weight: Array,
    /// Per-group scales.
    pub scales: Array,
    /// Per-group offsets (affine mode only).
    pub biases: Option<Array>,
    /// Float bias `(output_dims,)`.
    pub bias: Option<Array>,
    /// Elements per quantization group.
    pub group_size: i64,
    /// Bits per element.
    pub bits: i64,
    /// Quantization mode (`"affine"`, `"mxfp4"`, `"nvfp4"`, `"mxfp8"`).
    pub mode: String,
}

impl QuantizedLinear {
    /// A layer with MLX's initialisation, quantized; everything, the bias
    /// included, starts frozen (MLX). `group_size` / `bits` default per
    /// mode (affine: 64 / 4).
    pub fn new(
        input_dims: i64,
        output_dims: i64,
        bias: bool,
        group_size: Option<i64>,
        bits: Option<i64>,
        mode: &str,
    ) -> Result<Self> {
        let scale = (1.0 / input_dims as f64).sqrt();
        let w = uniform_array(-scale, scale, &[output_dims, input_dims], Dtype::Float32)?;
        let bias = bias
            .then(|| ops::zeros(&[output_dims], Dtype::Float32, None))
            .transpose()?;
        let mut layer = Self::quantized(&w, bias, group_size, bits, mode)?;
        layer.freeze_with(false, None);
        Ok(layer)
    }

    /// A quantized copy of `linear`, whose bias (if any) it shares and
    /// leaves trainable (MLX `from_linear` / `Linear.to_quantized`).
    pub fn from_linear(
        linear: &Linear,
        group_size: Option<i64>,
        bits: Option<i64>,
        mode: &str,
    ) -> Result<Self> {
        let mut layer = Self::quantized(&linear.weight, None, group_size, bits, mode)?;
        layer.freeze_with(false, None);
        layer.bias = linear.bias.clone();
        Ok(layer)
    }

    fn quantized(
        w: &Array,
        bias: Option<Array>,
        group_size: Option<i64>,
        bits: Option<i64>,
        mode: &str,
    ) -> Result<Self> {
        let qm = quantized::parse_mode(mode, "QuantizedLinear")?;
        let (group_size, bits) = quantized::params_from_mode(qm, group_size, bits);
        let mut parts =
            quantized::quantize(w, Some(group_size), Some(bits), mode, None, None)?.into_iter();
        let weight = parts.next().expect("quantize returns the codes");
        let scales = parts.next().expect("quantize returns the scales");
        Ok(QuantizedLinear {
            meta: ModuleMeta::default(),
            weight,
            scales,
            biases: parts.next(),
            bias,
            group_size,
            bits,
            mode: mode.to_string(),
        })
    }
}

impl Module for QuantizedLinear {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        let mut v = vec![("weight", &self.weight), ("scales", &self.scales)];
        if let Some(b) = &self.biases {
            v.push(("biases", b));
        }
        if let Some(b) = &self.bias {
            v.push(("bias", b));
        }
        v
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        let mut v = vec![("weight", &mut self.weight), ("scales", &mut self.scales)];
        if let Some(b) = &mut self.biases {
            v.push(("biases", b));
        }
        if let Some(b) = &mut self.bias {
            v.push(("bias", b));
        }
        v
    }
    /// Unfreezes as asked, then freezes this layer's own arrays again: the
    /// packed weights never train (MLX's override).
    fn unfreeze_with(&mut self, _recurse: bool, _keys: Option<&[&str]>) {
        self.freeze_with(false, None);
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        let y = quantized::quantized_matmul(
            x,
            &self.weight,
            &self.scales,
            self.biases.as_ref(),
            true,
            Some(self.group_size),
            Some(self.bits),
            &self.mode,
            None,
        )?;
        match &self.bias {
            Some(b) => ops::add(&y, b, None),
            None => Ok(y),
        }
    }
}
