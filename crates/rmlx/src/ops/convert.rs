//! Dtype conversion ops: `astype` and `view`.

use std::sync::Arc;

use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::convert::{AsType, View};

/// Converts `a` to `dtype` (no-op when it already has it).
pub fn astype(a: &Array, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    if a.dtype() == dtype {
        return Ok(a.clone());
    }
    let s = resolve_stream(s, "astype")?;
    Ok(Array::from_op(
        a.shape().to_vec(),
        dtype,
        s,
        Arc::new(AsType(dtype)),
        vec![a.clone()],
    ))
}

/// Reinterprets the bytes of `a` as `dtype` (MLX `view`): the last axis
/// scales by the ratio of the element sizes.
pub fn view(a: &Array, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "view")?;
    if a.dtype() == dtype {
        return Ok(a.clone());
    }
    let (ib, ob) = (a.itemsize() as i64, dtype.size() as i64);
    let mut shape = a.shape().to_vec();
    if shape.is_empty() {
        if ib != ob {
            return Err(Error::value("[view] Changing the type of a scalar is only allowed for types with the same size."));
        }
    } else {
        let last = shape.last_mut().expect("ndim > 0");
        if ib < ob {
            if (*last * ib) % ob != 0 {
                return Err(Error::value(
                    "[view] When viewing as a larger dtype, the size in bytes of the last axis must be a multiple of the requested type size.",
                ));
            }
            *last = *last * ib / ob;
        } else {
            *last = *last * ib / ob;
        }
    }
    Ok(Array::from_op(
        shape,
        dtype,
        s,
        Arc::new(View(dtype)),
        vec![a.clone()],
    ))
}
