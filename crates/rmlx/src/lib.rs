//! rmlx: MLX rebuilt in Rust. Lazy n-dimensional arrays that record a graph
//! and compute at [`eval`], MLX's dtypes and promotion rules, and fast CPU
//! kernels.
//!
//! ```
//! use rmlx::{ops, Array};
//! let a = Array::from_slice(&[1.0f32, 2.0, 3.0], &[3]).unwrap();
//! let b = ops::multiply(&a, &Array::scalar(2.0f32), None).unwrap();
//! assert_eq!(b.to_vec::<f32>().unwrap(), vec![2.0, 4.0, 6.0]);
//! ```
#![warn(missing_docs)]
#![allow(clippy::needless_range_loop)]

#[macro_use]
pub mod error;
pub mod array;
pub mod backend;
pub mod device;
pub mod dtype;
pub mod element;
pub mod eval;
pub mod io;
pub mod memory;
pub mod ops;
pub mod primitives;
pub mod print;
pub mod transforms;

pub use array::{Array, Data, Shape};
pub use device::{Device, DeviceType, Stream};
pub use dtype::Dtype;
pub use element::{Element, Scalar};
pub use error::{Error, ErrorKind, Result};
pub use eval::{async_eval, eval};
