//! Activation functions and their module wrappers (MLX's `mlx.nn`
//! activations), written with the same array expressions as MLX so that the
//! results agree to rounding.

use rmlx::ops;
use rmlx::{Array, Error, Result};

use crate::module::{Module, ModuleMeta};
use crate::util::{add_s, f32_scalar, max_s, min_s, mul_s, sub_s, weak, weak_int};

/// The logistic sigmoid `1 / (1 + exp(-x))`.
pub fn sigmoid(x: &Array) -> Result<Array> {
    ops::sigmoid(x, None)
}

/// `max(x, 0)`.
pub fn relu(x: &Array) -> Result<Array> {
    ops::maximum(x, &weak_int(0, x), None)
}

/// `max(x, 0)^2`.
pub fn relu2(x: &Array) -> Result<Array> {
    ops::square(&relu(x)?, None)
}

/// `min(max(x, 0), 6)`.
pub fn relu6(x: &Array) -> Result<Array> {
    min_s(&relu(x)?, 6.0)
}

/// `max(negative_slope * x, x)`.
pub fn leaky_relu(x: &Array, negative_slope: f64) -> Result<Array> {
    ops::maximum(&mul_s(x, negative_slope)?, x, None)
}

/// `x - logsumexp(x)` along `axis`, with the maximum subtracted first.
pub fn log_softmax(x: &Array, axis: i64) -> Result<Array> {
    let m = ops::stop_gradient(&ops::max(x, Some(&[axis]), true, None)?, None)?;
    let x = ops::subtract(x, &m, None)?;
    ops::subtract(&x, &ops::logsumexp(&x, Some(&[axis]), true, None)?, None)
}

/// `x` where positive, `alpha * (exp(x) - 1)` elsewhere.
pub fn elu(x: &Array, alpha: f64) -> Result<Array> {
    let neg = mul_s(&sub_s(&ops::exp(x, None)?, 1.0)?, alpha)?;
    ops::r#where(&ops::greater(x, &weak_int(0, x), None)?, x, &neg, None)
}

/// Softmax along `axis`.
pub fn softmax(x: &Array, axis: i64) -> Result<Array> {
    ops::softmax(x, Some(&[axis]), false, None)
}

/// `log(1 + exp(x))`.
pub fn softplus(x: &Array) -> Result<Array> {
    ops::logaddexp(x, &weak_int(0, x), None)
}

/// `x / (1 + |x|)`.
pub fn softsign(x: &Array) -> Result<Array> {
    ops::divide(x, &add_s(&ops::abs(x, None)?, 1.0)?, None)
}

/// `x - sign(x) * lambd` where `|x| > lambd`, else 0.
pub fn softshrink(x: &Array, lambd: f64) -> Result<Array> {
    let shrunk = ops::subtract(x, &mul_s(&ops::sign(x, None)?, lambd)?, None)?;
    let keep = ops::greater(&ops::abs(x, None)?, &weak(lambd, x), None)?;
    ops::r#where(&keep, &shrunk, &weak_int(0, x), None)
}

/// `max(0, x) + alpha * (exp(min(0, x) / alpha) - 1)`.
pub fn celu(x: &Array, alpha: f64) -> Result<Array> {
    let e = sub_s(
        &ops::exp(&crate::util::div_s(&min_s(x, 0.0)?, alpha)?, None)?,
        1.0,
    )?;
    ops::add(&max_s(x, 0.0)?, &mul_s(&e, alpha)?, None)
}

/// `x * sigmoid(x)` (swish).
pub fn silu(x: &Array) -> Result<Array> {
    ops::multiply(x, &ops::sigmoid(x, None)?, None)
}

/// `-softplus(-x)`.
pub fn log_sigmoid(x: &Array) -> Result<Array> {
    ops::negative(&softplus(&ops::negative(x, None)?)?, None)
}

/// `x * (1 + erf(x / sqrt(2))) / 2`, the exact GELU.
pub fn gelu(x: &Array) -> Result<Array> {
    let e = ops::erf(&crate::util::div_s(x, std::f64::consts::SQRT_2)?, None)?;
    crate::util::div_s(&ops::multiply(x, &add_s(&e, 1.0)?, None)?, 2.0)
}

/// The tanh approximation of GELU.
pub fn gelu_approx(x: &Array) -> Result<Array> {
    let cube = ops::power(x, &weak_int(3, x), None)?;
    let inner = ops::add(x, &mul_s(&cube, 0.044715)?, None)?;
    let t = ops::tanh(&mul_s(&inner, (2.0 / std::f64::consts::PI).sqrt())?, None)?;
    ops::multiply(&mul_s(x, 0.5)?, &add_s(&t, 1.0)?, None)
}

/// `x * sigmoid(1.702 x)`.
pub fn gelu_fast_approx(x: &Array) -> Result<Array> {
    ops::multiply(x, &ops::sigmoid(&mul_s(x, 1.702)?, None)?, None)
}

/// `a * sigmoid(b)` for the two halves `a`, `b` of `x` along `axis`.
pub fn glu(x: &Array, axis: i64) -> Result<Array> {
    let parts = ops::split(x, 2, axis, None)?;
    ops::multiply(&parts[0], &ops::sigmoid(&parts[1], None)?, None)
}

/// 1 where `x >= threshold`, else 0 (int32).
pub fn step(x: &Array, threshold: f64) -> Result<Array> {
    let c = ops::greater_equal(x, &weak(threshold, x), None)?;
    ops::r#where(&c, &Array::scalar(1i32), &Array::scalar(0i32), None)
}

/// `1.0507 * elu(x, 1.67326)`.
pub fn selu(x: &Array) -> Result<Array> {
    mul_s(&elu(x, 1.67326)?, 1.0507)
}

/// `max(0, x) + alpha * min(0, x)`.
pub fn prelu(x: &Array, alpha: &Array) -> Result<Array> {
    let neg = ops::minimum(&weak_int(0, x), x, None)?;
    ops::add(
        &ops::maximum(&weak_int(0, x), x, None)?,
        &ops::multiply(alpha, &neg, None)?,
        None,
    )
}

/// `x * tanh(softplus(x))`.
pub fn mish(x: &Array) -> Result<Array> {
    ops::multiply(x, &ops::tanh(&softplus(x)?, None)?, None)
}

/// `x * min(max(x + 3, 0), 6) / 6`.
pub fn hardswish(x: &Array) -> Result<Array> {
    let c = min_s(&max_s(&add_s(x, 3.0)?, 0.0)?, 6.0)?;
    crate::util::div_s(&ops::multiply(x, &c, None)?, 6.0)
}

/// `x` clipped to `[min_val, max_val]`.
pub fn hard_tanh(x: &Array, min_val: f64, max_val: f64) -> Result<Array> {
    min_s(&max_s(x, min_val)?, max_val)
}

/// `x` where `|x| > lambd`, else 0.
pub fn hard_shrink(x: &Array, lambd: f64) -> Result<Array> {
    let keep = ops::greater(&ops::abs(x, None)?, &weak(lambd, x), None)?;
    ops::r#where(&keep, x, &weak_int(0, x), None)
}

/// The softmax of `-x` along `axis`.
pub fn softmin(x: &Array, axis: i64) -> Result<Array> {
    softmax(&ops::negative(x, None)?, axis)
}

/// Hyperbolic tangent.
pub fn tanh(x: &Array) -> Result<Array> {
    ops::tanh(x, None)
}

macro_rules! stateless {
    ($($(#[$doc:meta])* $name:ident => |$x:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug, Default)]
        pub struct $name {
            meta: ModuleMeta,
        }

        impl $name {
            /// A new module.
            pub fn new() -> Self {
                Self::default()
            }
        }

        impl Module for $name {
            crate::impl_module_meta!();
            fn local_parameters(&self) -> Vec<(&str, &Array)> {
                Vec::new()
            }
            fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
                Vec::new()
            }
            fn forward(&self, $x: &Array) -> Result<Array> {
                $body
            }
        }
    )*};
}

stateless! {
    /// Applies [`sigmoid`].
    Sigmoid => |x| sigmoid(x);
    /// Applies [`relu`].
    ReLU => |x| relu(x);
    /// Applies [`relu2`].
    ReLU2 => |x| relu2(x);
    /// Applies [`relu6`].
    ReLU6 => |x| relu6(x);
    /// Applies [`softplus`].
    Softplus => |x| softplus(x);
    /// Applies [`softsign`].
    Softsign => |x| softsign(x);
    /// Applies [`silu`].
    SiLU => |x| silu(x);
    /// Applies [`log_sigmoid`].
    LogSigmoid => |x| log_sigmoid(x);
    /// Applies [`mish`].
    Mish => |x| mish(x);
    /// Applies [`selu`].
    SELU => |x| selu(x);
    /// Applies [`tanh`].
    Tanh => |x| tanh(x);
    /// Applies [`hardswish`].
    Hardswish => |x| hardswish(x);
    /// Applies [`softmax`] over the last axis.
    Softmax => |x| softmax(x, -1);
    /// Applies [`log_softmax`] over the last axis.
    LogSoftmax => |x| log_softmax(x, -1);
    /// Applies [`softmin`] over the last axis.
    Softmin => |x| softmin(x, -1);
    /// Applies [`hard_tanh`] on `[-1, 1]`.
    HardTanh => |x| hard_tanh(x, -1.0, 1.0);
    /// Applies [`glu`] over the last axis.
    GLU => |x| glu(x, -1);
}

macro_rules! with_param {
    ($($(#[$doc:meta])* $name:ident($field:ident = $default:expr) => |$s:ident, $x:ident| $body:expr;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            meta: ModuleMeta,
            $field: f64,
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new($default)
            }
        }

        impl $name {
            /// A new module with the given setting (MLX's default: see
            /// [`Default`]).
            pub fn new($field: f64) -> Self {
                Self { meta: ModuleMeta::default(), $field }
            }
        }

        impl Module for $name {
            crate::impl_module_meta!();
            fn local_parameters(&self) -> Vec<(&str, &Array)> {
                Vec::new()
            }
            fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
                Vec::new()
            }
            fn forward(&self, $x: &Array) -> Result<Array> {
                let $s = self;
                $body
            }
        }
    )*};
}

with_param! {
    /// Applies [`leaky_relu`] (default slope 0.01).
    LeakyReLU(negative_slope = 0.01) => |s, x| leaky_relu(x, s.negative_slope);
    /// Applies [`elu`] (default alpha 1).
    ELU(alpha = 1.0) => |s, x| elu(x, s.alpha);
    /// Applies [`celu`] (default alpha 1).
    CELU(alpha = 1.0) => |s, x| celu(x, s.alpha);
    /// Applies [`softshrink`] (default lambda 0.5).
    Softshrink(lambd = 0.5) => |s, x| softshrink(x, s.lambd);
    /// Applies [`hard_shrink`] (default lambda 0.5).
    HardShrink(lambd = 0.5) => |s, x| hard_shrink(x, s.lambd);
    /// Applies [`step`] (default threshold 0).
    Step(threshold = 0.0) => |s, x| step(x, s.threshold);
}

/// The GELU variants of [`GELU`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GeluApprox {
    /// Exact ([`gelu`]; MLX `"none"`).
    #[default]
    None,
    /// The tanh approximation ([`gelu_approx`]; MLX `"precise"` / `"tanh"`).
    Tanh,
    /// The sigmoid approximation ([`gelu_fast_approx`]; MLX `"fast"`).
    Fast,
}

impl GeluApprox {
    /// The variant MLX names `name`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "none" => Ok(GeluApprox::None),
            "precise" | "tanh" => Ok(GeluApprox::Tanh),
            "fast" => Ok(GeluApprox::Fast),
            _ => Err(Error::value(format!(
                "The approximation should be in ['none', 'precise', 'tanh', 'fast'] but '{name}' was given"
            ))),
        }
    }
}

/// Gaussian error linear unit.
#[derive(Clone, Debug, Default)]
pub struct GELU {
    meta: ModuleMeta,
    approx: GeluApprox,
}

impl GELU {
    /// A GELU computed as `approx` says.
    pub fn new(approx: GeluApprox) -> Self {
        GELU {
            meta: ModuleMeta::default(),
            approx,
        }
    }
}

impl Module for GELU {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        Vec::new()
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        Vec::new()
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        match self.approx {
            GeluApprox::None => gelu(x),
            GeluApprox::Tanh => gelu_approx(x),
            GeluApprox::Fast => gelu_fast_approx(x),
        }
    }
}

/// Parametric ReLU with a learnable slope `weight` of shape
/// `(num_parameters,)`.
#[derive(Clone, Debug)]
pub struct PReLU {
    meta: ModuleMeta,
    /// The negative slopes.
    pub weight: Array,
}

impl PReLU {
    /// Slopes initialised to `init` (MLX defaults: 1 parameter, 0.25).
    pub fn new(num_parameters: i64, init: f64) -> Result<Self> {
        let weight = ops::full(&[num_parameters], &f32_scalar(init), None, None)?;
        Ok(PReLU {
            meta: ModuleMeta::default(),
            weight,
        })
    }
}

impl Module for PReLU {
    crate::impl_module_meta!();
    fn local_parameters(&self) -> Vec<(&str, &Array)> {
        vec![("weight", &self.weight)]
    }
    fn local_parameters_mut(&mut self) -> Vec<(&str, &mut Array)> {
        vec![("weight", &mut self.weight)]
    }
    fn forward(&self, x: &Array) -> Result<Array> {
        prelu(x, &self.weight)
    }
}
