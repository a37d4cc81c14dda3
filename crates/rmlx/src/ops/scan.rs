//! Public ops of the scan family: `cumsum`, `cumprod`, `cummax`, `cummin`
//! and `logcumsumexp`. `axis: None` scans the flattened array.

use std::sync::Arc;

use super::{astype, reshape};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::scan::{Scan, ScanOp};

/// Builds a [`Scan`] node. Result dtypes follow MLX: `cumsum` of bool is
/// int32, `logcumsumexp` of integers is float32, the rest keep the dtype.
pub fn scan_op(
    op: ScanOp,
    a: &Array,
    axis: Option<i64>,
    reverse: bool,
    inclusive: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let name = op.name();
    let s = resolve_stream(s, name)?;
    let Some(axis) = axis else {
        let flat = reshape(a, &[a.size() as i64], Some(s))?;
        return scan_op(op, &flat, Some(0), reverse, inclusive, Some(s));
    };
    let nd = a.ndim() as i64;
    if axis >= nd || axis < -nd {
        return Err(Error::index(format!(
            "[{name}] Axis {axis} is out of bounds for array with {nd} dimensions."
        )));
    }
    let axis = if axis < 0 { axis + nd } else { axis } as usize;
    let dt = match op {
        ScanOp::Sum if a.dtype() == Dtype::Bool => Dtype::Int32,
        ScanOp::LogAddExp => a.dtype().to_inexact(),
        _ => a.dtype(),
    };
    let x = astype(a, dt, Some(s))?;
    Ok(Array::from_op(
        a.shape().to_vec(),
        dt,
        s,
        Arc::new(Scan {
            op,
            axis,
            reverse,
            inclusive,
        }),
        vec![x],
    ))
}

/// Defines public scan ops: [`scan_op`] with a fixed [`ScanOp`] (the five
/// ops share one signature, so only the name, the op and the doc differ).
macro_rules! scan_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {$(
        $(#[$doc])*
        pub fn $name(
            a: &Array,
            axis: Option<i64>,
            reverse: bool,
            inclusive: bool,
            s: Option<Stream>,
        ) -> Result<Array> {
            scan_op(ScanOp::$op, a, axis, reverse, inclusive, s)
        }
    )*};
}

scan_fns! {
    /// Cumulative sum along `axis` (flattened for `None`).
    cumsum => Sum;
    /// Cumulative product along `axis` (flattened for `None`).
    cumprod => Prod;
    /// Cumulative maximum along `axis` (flattened for `None`).
    cummax => Max;
    /// Cumulative minimum along `axis` (flattened for `None`).
    cummin => Min;
    /// Cumulative `log(sum(exp(a)))` along `axis` (flattened for `None`).
    logcumsumexp => LogAddExp;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The int32 values of an op's result.
    fn ints(r: Result<Array>) -> Vec<i32> {
        r.unwrap().to_vec::<i32>().unwrap()
    }

    #[test]
    fn scans() {
        let a = Array::from_slice(&[1i32, 2, 3, 4], &[2, 2]).unwrap();
        assert_eq!(ints(cumsum(&a, None, false, true, None)), vec![1, 3, 6, 10]);
        assert_eq!(
            ints(cumsum(&a, Some(0), false, true, None)),
            vec![1, 2, 4, 6]
        );
        assert_eq!(
            ints(cumprod(&a, Some(1), true, false, None)),
            vec![2, 1, 4, 1]
        );
        assert_eq!(
            ints(cummax(&a, Some(1), false, false, None)),
            vec![i32::MIN, 1, i32::MIN, 3]
        );
        assert_eq!(
            cumsum(&a, Some(2), false, true, None).unwrap_err().kind,
            crate::ErrorKind::Index
        );
    }
}
