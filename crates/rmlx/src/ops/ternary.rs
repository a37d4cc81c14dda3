//! Ternary ops and elementwise composites: `where`, `clip`, `isclose`,
//! `allclose`, `array_equal` and `nan_to_num`, with MLX's dtype rules.

use std::sync::Arc;

use super::{astype, broadcast_shapes};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{finfo, promote_types, Dtype};
use crate::error::{Error, Result};
use crate::primitives::binary::BinaryOp;
use crate::primitives::ternary::{AllPairs, IsClose, NanToNum, Select};

/// Elementwise `condition ? x : y` (MLX `where`; `where` is a Rust keyword,
/// so the function is also available as [`r#where`]). The condition is
/// converted to bool; the result dtype is `promote_types(x, y)`; all three
/// broadcast together.
pub fn where_(condition: &Array, x: &Array, y: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "where")?;
    let dt = promote_types(x.dtype(), y.dtype());
    let shape = broadcast_shapes(&broadcast_shapes(condition.shape(), x.shape())?, y.shape())?;
    let c = astype(condition, Dtype::Bool, Some(s))?;
    let x = astype(x, dt, Some(s))?;
    let y = astype(y, dt, Some(s))?;
    Ok(Array::from_op(
        shape,
        dt,
        s,
        Arc::new(Select),
        vec![c, x, y],
    ))
}

/// MLX's `where` under its own name (see [`where_`]).
pub fn r#where(condition: &Array, x: &Array, y: &Array, s: Option<Stream>) -> Result<Array> {
    where_(condition, x, y, s)
}

/// Clips `a` to `[a_min, a_max]` (`maximum` then `minimum`, so NaN
/// propagates and the dtype promotes); at most one bound may be `None`.
pub fn clip(
    a: &Array,
    a_min: Option<&Array>,
    a_max: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    if a_min.is_none() && a_max.is_none() {
        return Err(Error::value(
            "[clip] At most one of a_min and a_max may be None",
        ));
    }
    let mut out = a.clone();
    if let Some(lo) = a_min {
        out = super::binary_op(BinaryOp::Maximum, &out, lo, s)?;
    }
    if let Some(hi) = a_max {
        out = super::binary_op(BinaryOp::Minimum, &out, hi, s)?;
    }
    Ok(out)
}

fn pair_inputs(
    op: &str,
    a: &Array,
    b: &Array,
    s: Option<Stream>,
) -> Result<(Array, Array, Vec<i64>, Stream)> {
    let s = resolve_stream(s, op)?;
    let shape = broadcast_shapes(a.shape(), b.shape())?;
    let dt = promote_types(a.dtype(), b.dtype());
    Ok((astype(a, dt, Some(s))?, astype(b, dt, Some(s))?, shape, s))
}

/// Elementwise `|a - b| <= atol + rtol * |b|`; infinities are close only
/// to the same infinity, NaNs only when `equal_nan` (MLX `isclose`).
pub fn isclose(
    a: &Array,
    b: &Array,
    rtol: f64,
    atol: f64,
    equal_nan: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let (a, b, shape, s) = pair_inputs("isclose", a, b, s)?;
    Ok(Array::from_op(
        shape,
        Dtype::Bool,
        s,
        Arc::new(IsClose {
            rtol,
            atol,
            equal_nan,
        }),
        vec![a, b],
    ))
}

/// Whether every pair is close (a 0-d bool; MLX `allclose`). Fused: no
/// elementwise intermediate is stored.
pub fn allclose(
    a: &Array,
    b: &Array,
    rtol: f64,
    atol: f64,
    equal_nan: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let (a, b, _, s) = pair_inputs("allclose", a, b, s)?;
    Ok(Array::from_op(
        vec![],
        Dtype::Bool,
        s,
        Arc::new(AllPairs::Close {
            rtol,
            atol,
            equal_nan,
        }),
        vec![a, b],
    ))
}

/// Whether `a` and `b` have the same shape and equal values (a 0-d bool;
/// MLX `array_equal`). Dtypes may differ; NaNs are equal when `equal_nan`.
pub fn array_equal(a: &Array, b: &Array, equal_nan: bool, s: Option<Stream>) -> Result<Array> {
    let st = resolve_stream(s, "array_equal")?;
    if a.shape() != b.shape() {
        return super::full_scalar(
            &[],
            crate::element::Scalar::Bool(false),
            Dtype::Bool,
            Some(st),
        );
    }
    let (a, b, _, s) = pair_inputs("array_equal", a, b, Some(st))?;
    let equal_nan = equal_nan && a.dtype().is_inexact();
    Ok(Array::from_op(
        vec![],
        Dtype::Bool,
        s,
        Arc::new(AllPairs::Equal { equal_nan }),
        vec![a, b],
    ))
}

/// Replaces NaN with `nan`, +inf with `posinf` and -inf with `neginf`
/// (defaults: the dtype's largest and lowest finite values) (MLX
/// `nan_to_num`). Non-floating inputs are returned unchanged. Unlike MLX
/// 0.32.4, float64 is supported. complex64 needs explicit `posinf` and
/// `neginf` (it has no largest value), as in MLX: a complex value is NaN
/// when either part is, and infinite only as `(+-inf, 0)`.
pub fn nan_to_num(
    a: &Array,
    nan: f64,
    posinf: Option<f64>,
    neginf: Option<f64>,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "nan_to_num")?;
    let dt = a.dtype();
    if !dt.is_inexact() {
        return Ok(a.clone());
    }
    if dt.is_complex() && (posinf.is_none() || neginf.is_none()) {
        return Err(Error::value(format!(
            "[nan_to_num] Does not yet support given type: {dt}."
        )));
    }
    let max = finfo(dt).map(|f| f.max).unwrap_or(f64::MAX);
    // MLX passes the replacements as float32 except in float64, where
    // rmlx keeps full precision.
    let conv = |v: f64| {
        if dt == Dtype::Float64 {
            v
        } else {
            v as f32 as f64
        }
    };
    let prim = NanToNum {
        nan: conv(nan),
        posinf: conv(posinf.unwrap_or(max)),
        neginf: conv(neginf.unwrap_or(-max)),
    };
    Ok(Array::from_op(
        a.shape().to_vec(),
        dt,
        s,
        Arc::new(prim),
        vec![a.clone()],
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn arr(v: &[f32]) -> Array {
        Array::from_slice(v, &[v.len() as i64]).unwrap()
    }

    #[test]
    fn where_picks_and_promotes() {
        let c = Array::from_slice(&[true, false, true], &[3]).unwrap();
        let x = Array::from_slice(&[1i8, 2, 3], &[3]).unwrap();
        let y = Array::scalar(10i32);
        let r = where_(&c, &x, &y, None).unwrap();
        assert_eq!(r.dtype(), Dtype::Int32);
        assert_eq!(r.to_vec::<i32>().unwrap(), vec![1, 10, 3]);
    }

    #[test]
    fn where_broadcasts() {
        let c = Array::from_slice(&[true, false], &[2, 1]).unwrap();
        let x = arr(&[1.0, 2.0, 3.0]);
        let y = Array::scalar(0.0f32);
        let r = where_(&c, &x, &y, None).unwrap();
        assert_eq!(r.shape(), &[2, 3]);
        assert_eq!(
            r.to_vec::<f32>().unwrap(),
            vec![1.0, 2.0, 3.0, 0.0, 0.0, 0.0]
        );
        let bad = where_(&c, &arr(&[1.0, 2.0, 3.0]), &arr(&[1.0, 2.0]), None);
        assert!(bad.is_err());
    }

    #[test]
    fn isclose_and_friends() {
        let a = arr(&[1.0, f32::NAN, f32::INFINITY, 2.0]);
        let b = arr(&[1.0 + 1e-7, f32::NAN, f32::INFINITY, 3.0]);
        let r = isclose(&a, &b, 1e-5, 1e-8, false, None).unwrap();
        assert_eq!(r.to_vec::<bool>().unwrap(), vec![true, false, true, false]);
        let r = isclose(&a, &b, 1e-5, 1e-8, true, None).unwrap();
        assert_eq!(r.to_vec::<bool>().unwrap(), vec![true, true, true, false]);
        assert!(!allclose(&a, &b, 1e-5, 1e-8, true, None)
            .unwrap()
            .item::<bool>()
            .unwrap());
        assert!(allclose(&a, &a, 1e-5, 1e-8, true, None)
            .unwrap()
            .item::<bool>()
            .unwrap());
        assert!(array_equal(&a, &a, true, None)
            .unwrap()
            .item::<bool>()
            .unwrap());
        assert!(!array_equal(&a, &a, false, None)
            .unwrap()
            .item::<bool>()
            .unwrap());
        assert!(!array_equal(&a, &arr(&[1.0]), false, None)
            .unwrap()
            .item::<bool>()
            .unwrap());
    }

    #[test]
    fn nan_to_num_defaults() {
        let a = arr(&[f32::NAN, f32::INFINITY, f32::NEG_INFINITY, 1.5]);
        let r = nan_to_num(&a, 0.0, None, None, None).unwrap();
        assert_eq!(
            r.to_vec::<f32>().unwrap(),
            vec![0.0, f32::MAX, f32::MIN, 1.5]
        );
    }

    #[test]
    fn clip_needs_a_bound() {
        let a = arr(&[1.0]);
        assert!(clip(&a, None, None, None).is_err());
        let r = clip(
            &arr(&[-1.0, 0.5, 2.0]),
            Some(&Array::scalar(0.0f32)),
            Some(&Array::scalar(1.0f32)),
            None,
        )
        .unwrap();
        assert_eq!(r.to_vec::<f32>().unwrap(), vec![0.0, 0.5, 1.0]);
    }
}
