//! rmlx-nn: neural networks for rmlx, after MLX's `mlx.nn` and
//! `mlx.optimizers`.
//!
//! - [`Module`]: layers with parameter trees ([`ParamTree`]), `update`,
//!   `freeze` / `unfreeze` and training mode;
//! - [`layers`]: `Linear`, `Embedding`, `Conv1d` / `Conv2d`, `LayerNorm`,
//!   `RMSNorm`, `Dropout`, `MultiHeadAttention`, `RoPE`, `Sequential` and the
//!   activations;
//! - [`losses`], [`init`] and [`optimizers`] (SGD, Adam, AdamW, schedules);
//! - [`value_and_grad`]: a loss and its gradient with respect to a model's
//!   trainable parameters.
//!
//! ```
//! use rmlx::{ops, Array};
//! use rmlx_nn::{layers, losses, optimizers::{AdamW, Optimizer}, value_and_grad, Module};
//!
//! let mut model = layers::Sequential::new(vec![])
//!     .append(layers::Linear::new(2, 8, true).unwrap())
//!     .append(layers::ReLU::new())
//!     .append(layers::Linear::new(8, 1, true).unwrap());
//! let mut opt = AdamW::new(1e-2).unwrap();
//! let x = Array::from_slice(&[0.0f32, 1.0, 1.0, 0.0], &[2, 2]).unwrap();
//! let y = Array::from_slice(&[1.0f32, -1.0], &[2, 1]).unwrap();
//! let (loss, grads) = value_and_grad(&mut model, |m| {
//!     losses::mse_loss(&m.forward(&x)?, &y, losses::Reduction::Mean)
//! })
//! .unwrap();
//! opt.update(&mut model, &grads).unwrap();
//! rmlx::eval(&model.parameters().leaves()).unwrap();
//! assert!(loss.item::<f32>().unwrap() >= 0.0);
//! ```
#![warn(missing_docs)]

pub mod init;
pub mod layers;
pub mod losses;
pub mod module;
pub mod optimizers;
pub mod tree;
mod util;
pub mod value_and_grad;

pub use module::{Module, ModuleMeta};
pub use tree::ParamTree;
pub use value_and_grad::{value_and_grad, value_and_grad_multi};
