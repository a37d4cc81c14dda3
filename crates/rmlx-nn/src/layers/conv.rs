//! Convolutions over channels-last inputs (MLX `nn.Conv1d`, `nn.Conv2d`).
//! Weights are `(out_channels, *kernel_size, in_channels / groups)`,
//! initialised uniform on `[-k, k]` with `k = 1 / sqrt(fan_in)`; biases
//! start at zero.

use rmlx::ops;
use rmlx::{Array, Dtype, Error, Result};

use crate::init::uniform_array;
use crate::module::{Module, ModuleMeta};

fn check_groups(in_channels: i64, groups: i64) -> Result<()> {
    if groups <= 0 || in_channels % groups != 0 {
        return Err(Error::value(format!(
            "The number of input channels ({in_channels}) must be divisible by the number of groups ({groups})"
        )));
    }
    Ok(())
}

fn init_weight(out_channels: i64, kernel: &[i64], in_per_group: i64) -> Result<Array> {
    let fan_in = in_per_group * kernel.iter().product::<i64>();
    let scale = (1.0 / fan_in as f64).sqrt();
    let mut shape = vec![out_channels];
    shape.extend_from_slice(kernel);
    shape.push(in_per_group);
    uniform_array(-scale, scale, &shape, Dtype::Float32)
}

fn zeros_bias(out_channels: i64, bias: bool) -> Result<Option<Array>> {
    bias.then(|| ops::zeros(&[out_channels], Dtype::Float32, None))
        .transpose()
}

fn add_bias(y: Array, bias: &Option<Array>) -> Result<Array> {
    match bias {
        Some(b) => ops::add(&y, b, None),
        None => Ok(y),
    }
}

macro_rules! conv_params {
    () => {
        fn local_parameters(&self) -> Vec<(&str, &Array)> {
            let mut v = vec![("weight", &self.weight)];
            if let Some(b) = &self.bias {
                v.push(("bias", b));
            }
            v
        }
        fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
            let mut v = vec![("weight", &mut self.weight)];
            if let Some(b) = &mut self.bias {
                v.push(("bias", b));
            }
            v
        }
    };
}

/// 1-D convolution over `(N, L, C_in)` inputs.
#[derive(Clone, Debug)]
pub struct Conv1d {
    meta: ModuleMeta,
    /// `(out_channels, kernel_size, in_channels / groups)`.
    pub weight: Array,
    /// `(out_channels,)`, when the layer has a bias.
    pub bias: Option<Array>,
    /// Stride.
    pub stride: i64,
    /// Zero padding on both sides.
    pub padding: i64,
    /// Kernel dilation.
    pub dilation: i64,
    /// Channel groups.
    pub groups: i64,
}

impl Conv1d {
    /// A layer with MLX's initialisation (MLX defaults: stride 1, padding 0,
    /// dilation 1, groups 1, bias).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        in_channels: i64,
        out_channels: i64,
        kernel_size: i64,
        stride: i64,
        padding: i64,
        dilation: i64,
        groups: i64,
        bias: bool,
    ) -> Result<Self> {
        check_groups(in_channels, groups)?;
        Ok(Conv1d {
            meta: ModuleMeta::default(),
            weight: init_weight(out_channels, &[kernel_size], in_channels / groups)?,
            bias: zeros_bias(out_channels, bias)?,
            stride,
            padding,
            dilation,
            groups,
        })
    }

    /// A layer with MLX's defaults for everything but the sizes.
    pub fn simple(in_channels: i64, out_channels: i64, kernel_size: i64) -> Result<Self> {
        Self::new(in_channels, out_channels, kernel_size, 1, 0, 1, 1, true)
    }
}

impl Module for Conv1d {
    crate::impl_module_meta!();
    conv_params!();
    fn forward(&self, x: &Array) -> Result<Array> {
        let y = ops::conv1d(
            x,
            &self.weight,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            None,
        )?;
        add_bias(y, &self.bias)
    }
}

/// 2-D convolution over `(N, H, W, C_in)` inputs.
#[derive(Clone, Debug)]
pub struct Conv2d {
    meta: ModuleMeta,
    /// `(out_channels, kh, kw, in_channels / groups)`.
    pub weight: Array,
    /// `(out_channels,)`, when the layer has a bias.
    pub bias: Option<Array>,
    /// Strides.
    pub stride: [i64; 2],
    /// Zero padding on both sides, per spatial axis.
    pub padding: [i64; 2],
    /// Kernel dilation.
    pub dilation: [i64; 2],
    /// Channel groups.
    pub groups: i64,
}

impl Conv2d {
    /// A layer with MLX's initialisation (MLX defaults: stride `[1, 1]`,
    /// padding `[0, 0]`, dilation `[1, 1]`, groups 1, bias).
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        in_channels: i64,
        out_channels: i64,
        kernel_size: [i64; 2],
        stride: [i64; 2],
        padding: [i64; 2],
        dilation: [i64; 2],
        groups: i64,
        bias: bool,
    ) -> Result<Self> {
        check_groups(in_channels, groups)?;
        Ok(Conv2d {
            meta: ModuleMeta::default(),
            weight: init_weight(out_channels, &kernel_size, in_channels / groups)?,
            bias: zeros_bias(out_channels, bias)?,
            stride,
            padding,
            dilation,
            groups,
        })
    }

    /// A layer with MLX's defaults for everything but the sizes.
    pub fn simple(in_channels: i64, out_channels: i64, kernel_size: [i64; 2]) -> Result<Self> {
        Self::new(
            in_channels,
            out_channels,
            kernel_size,
            [1, 1],
            [0, 0],
            [1, 1],
            1,
            true,
        )
    }
}

impl Module for Conv2d {
    crate::impl_module_meta!();
    conv_params!();
    fn forward(&self, x: &Array) -> Result<Array> {
        let y = ops::conv2d(
            x,
            &self.weight,
            self.stride,
            self.padding,
            self.dilation,
            self.groups,
            None,
        )?;
        add_bias(y, &self.bias)
    }
}
