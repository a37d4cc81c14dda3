//! The public op functions: validation, dtype promotion, broadcasting and
//! graph building. One file per op family, mirroring `primitives/`.
//!
//! Every op takes `s: Option<Stream>`: `None` means the default stream of the
//! default device, as in MLX.

pub mod binary;
pub mod conv;
pub mod convert;
pub mod creation;
pub mod einsum;
pub mod fast;
pub mod fft;
pub mod indexing;
pub mod indexing_values;
pub mod linalg;
mod linalg_norm;
mod linalg_solve;
pub mod products;
pub mod quantized;
pub mod random;
pub mod reduce;
pub mod scan;
pub mod shape;
pub mod sort;
pub mod ternary;
pub mod unary;
pub mod view;

pub use binary::*;
pub use conv::*;
pub use convert::*;
pub use creation::*;
pub use einsum::*;
pub use indexing::*;
pub use indexing_values::*;
pub use products::*;
pub use reduce::*;
pub use scan::*;
pub use shape::*;
pub use sort::*;
pub use ternary::*;
pub use unary::*;
pub use view::*;

use crate::array::Data;
use crate::error::{Error, Result};

/// MLX's shape text: `(2,3)`.
pub fn fmt_shape(shape: &[i64]) -> String {
    let inner: Vec<String> = shape.iter().map(|d| d.to_string()).collect();
    format!("({})", inner.join(","))
}

/// NumPy broadcasting of two shapes (MLX `broadcast_shapes`).
pub fn broadcast_shapes(a: &[i64], b: &[i64]) -> Result<Vec<i64>> {
    if same_shape(a, b) {
        return Ok(a.to_vec());
    }
    let n = a.len().max(b.len());
    let mut out = vec![0i64; n];
    for i in 0..n {
        let da = if i + a.len() >= n {
            a[i + a.len() - n]
        } else {
            1
        };
        let db = if i + b.len() >= n {
            b[i + b.len() - n]
        } else {
            1
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return Err(Error::value(format!(
                "[broadcast_shapes] Shapes {} and {} cannot be broadcast.",
                fmt_shape(a),
                fmt_shape(b)
            )));
        };
    }
    Ok(out)
}

/// The view of `d` (of `shape`) broadcast to `to` (stride 0 on new and
/// size-1 axes). `to` must be a valid broadcast of `shape`.
pub fn broadcast_view(d: &Data, shape: &[i64], to: &[i64]) -> Data {
    if same_shape(shape, to) {
        return d.clone();
    }
    let lead = to.len() - shape.len();
    let strides: Box<[i64]> = (0..to.len())
        .map(|i| {
            if i < lead || shape[i - lead] != to[i] {
                0
            } else {
                d.strides[i - lead]
            }
        })
        .collect();
    Data {
        buf: d.buf.clone(),
        offset: d.offset,
        strides,
    }
}

/// Shape equality without a `memcmp` call: shapes are a few extents long and
/// this sits on the per-op path, where the libc call measured as a third of
/// the time of evaluating a scalar op.
#[inline]
pub fn same_shape(a: &[i64], b: &[i64]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut eq = true;
    for i in 0..a.len() {
        eq &= a[i] == b[i];
    }
    eq
}

/// Resolves a possibly negative axis against `ndim`; IndexError otherwise.
pub fn normalize_axis(op: &str, axis: i64, ndim: usize) -> Result<usize> {
    let n = ndim as i64;
    if axis < -n || axis >= n {
        let op = if op.is_empty() {
            String::new()
        } else {
            format!("[{op}] ")
        };
        return Err(Error::index(format!(
            "{op}Invalid axis {axis} for array with {ndim} dimensions."
        )));
    }
    Ok(if axis < 0 {
        (axis + n) as usize
    } else {
        axis as usize
    })
}
