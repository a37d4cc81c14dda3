//! The layers: dense, embedding, convolution, normalisation, dropout,
//! attention, positional encoding, containers, activations and the
//! quantized linear layer.

pub mod activations;
mod attention;
mod containers;
mod conv;
mod dropout;
mod embedding;
mod linear;
mod normalization;
mod positional;
mod quantized;

pub use activations::{
    GeluApprox, HardShrink, HardTanh, Hardswish, LeakyReLU, LogSigmoid, LogSoftmax, Mish, PReLU,
    ReLU, ReLU2, ReLU6, SiLU, Sigmoid, Softmax, Softmin, Softplus, Softshrink, Softsign, Step,
    Tanh, CELU, ELU, GELU, GLU, SELU,
};
pub use attention::{AttentionDims, MultiHeadAttention};
pub use containers::Sequential;
pub use conv::{Conv1d, Conv2d};
pub use dropout::Dropout;
pub use embedding::Embedding;
pub use linear::{Identity, Linear};
pub use normalization::{LayerNorm, RMSNorm};
pub use positional::RoPE;
pub use quantized::QuantizedLinear;
