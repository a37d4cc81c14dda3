//! Norms and the cross product of `linalg`, composed from other ops exactly
//! as MLX composes them (so dtypes, shapes and error messages agree):
//! vector norms of every order, matrix norms `'fro'`, `'nuc'`, `±1`,
//! `±2`, `±inf`, NumPy's `matrix_norm`, and `cross`.

use super::linalg::svd;
use super::{
    abs, astype, broadcast_shapes, broadcast_to, concatenate, expand_dims, max, min, moveaxis,
    multiply, negative, normalize_axis, not_equal, power, sqrt, square, subtract, sum, zeros_like,
};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{promote_types, Dtype};
use crate::element::Scalar;
use crate::error::{Error, Result};

/// The order of a norm: a number (`inf` and `-inf` included) or one of the
/// matrix orders named by a string (`"fro"`, `"f"`, `"nuc"`; any other
/// string is refused with MLX's message).
#[derive(Clone, Debug, PartialEq)]
pub enum NormOrd {
    /// A numeric order.
    P(f64),
    /// A named order.
    Named(String),
}

/// MLX's `at_least_float`: inexact dtypes stay, others promote with float32.
fn at_least_float(dt: Dtype) -> Dtype {
    if dt.is_inexact() {
        dt
    } else {
        promote_types(dt, Dtype::Float32)
    }
}

fn scalar(v: f64, dt: Dtype) -> Result<Array> {
    Array::from_scalar(Scalar::Float(v), dt)
}

fn l2_norm(a: &Array, axes: &[i64], keepdims: bool, s: Stream) -> Result<Array> {
    let sq = if a.dtype().is_complex() {
        let m = abs(a, Some(s))?;
        multiply(&m, &m, Some(s))?
    } else {
        square(a, Some(s))?
    };
    sqrt(&sum(&sq, Some(axes), keepdims, Some(s))?, Some(s))
}

fn vector_norm(a: &Array, ord: f64, axes: &[i64], keepdims: bool, s: Stream) -> Result<Array> {
    let dt = at_least_float(a.dtype());
    let st = Some(s);
    if ord == 0.0 {
        let nz = not_equal(a, &Array::scalar(0i32), st)?;
        astype(&sum(&nz, Some(axes), keepdims, st)?, dt, st)
    } else if ord == 1.0 {
        astype(&sum(&abs(a, st)?, Some(axes), keepdims, st)?, dt, st)
    } else if ord == 2.0 {
        l2_norm(a, axes, keepdims, s)
    } else if ord == f64::INFINITY {
        astype(&max(&abs(a, st)?, Some(axes), keepdims, st)?, dt, st)
    } else if ord == f64::NEG_INFINITY {
        astype(&min(&abs(a, st)?, Some(axes), keepdims, st)?, dt, st)
    } else {
        let p = power(&abs(a, st)?, &scalar(ord, dt)?, st)?;
        power(
            &sum(&p, Some(axes), keepdims, st)?,
            &scalar(1.0 / ord, dt)?,
            st,
        )
    }
}

/// The matrices of the plane (`axes[0]`, `axes[1]`) moved to the last two
/// axes, rows first, and the two axes normalised.
fn to_matrices(a: &Array, axes: &[i64], s: Stream) -> Result<(Array, usize, usize)> {
    let r = normalize_axis("", axes[0], a.ndim())?;
    let c = normalize_axis("", axes[1], a.ndim())?;
    let st = Some(s);
    let m = if r > c {
        moveaxis(&moveaxis(a, r as i64, -1, st)?, c as i64, -1, st)?
    } else {
        moveaxis(&moveaxis(a, c as i64, -1, st)?, r as i64, -2, st)?
    };
    Ok((m, r, c))
}

/// Puts back the normed axes as size-1 axes for `keepdims`.
fn keep(x: Array, r: usize, c: usize, keepdims: bool, s: Stream) -> Result<Array> {
    if !keepdims {
        return Ok(x);
    }
    let (lo, hi) = if r < c { (r, c) } else { (c, r) };
    expand_dims(&x, &[lo as i64, hi as i64], Some(s))
}

fn matrix_norm_p(a: &Array, ord: f64, axes: &[i64], keepdims: bool, s: Stream) -> Result<Array> {
    let dt = at_least_float(a.dtype());
    let st = Some(s);
    let (mut row, mut col) = (
        normalize_axis("", axes[0], a.ndim())? as i64,
        normalize_axis("", axes[1], a.ndim())? as i64,
    );
    // Reduce one axis, then the other (shifted when the first is gone).
    if ord == 1.0 || ord == -1.0 {
        col -= i64::from(!keepdims && col > row);
        let s1 = sum(&abs(a, st)?, Some(&[row]), keepdims, st)?;
        let r = if ord == 1.0 {
            max(&s1, Some(&[col]), keepdims, st)?
        } else {
            min(&s1, Some(&[col]), keepdims, st)?
        };
        astype(&r, dt, st)
    } else if ord.is_infinite() {
        row -= i64::from(!keepdims && row > col);
        let s1 = sum(&abs(a, st)?, Some(&[col]), keepdims, st)?;
        let r = if ord > 0.0 {
            max(&s1, Some(&[row]), keepdims, st)?
        } else {
            min(&s1, Some(&[row]), keepdims, st)?
        };
        astype(&r, dt, st)
    } else if ord == 2.0 || ord == -2.0 {
        let (m, r, c) = to_matrices(a, axes, s)?;
        let sv = svd(&m, false, st)?.remove(0);
        let x = if ord == 2.0 {
            max(&sv, Some(&[-1]), false, st)?
        } else {
            min(&sv, Some(&[-1]), false, st)?
        };
        astype(&keep(x, r, c, keepdims, s)?, dt, st)
    } else {
        Err(Error::value(format!(
            "[linalg::norm] Invalid ord {} for matrix norm.",
            fmt_ord(ord)
        )))
    }
}

/// A number as C++ `ostream` prints a double (`3`, `0.5`, `inf`).
fn fmt_ord(v: f64) -> String {
    if v.is_infinite() {
        return if v > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let s = format!("{v}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn matrix_norm_named(
    a: &Array,
    ord: &str,
    axes: &[i64],
    keepdims: bool,
    s: Stream,
) -> Result<Array> {
    match ord {
        "f" | "fro" => l2_norm(a, axes, keepdims, s),
        "nuc" => {
            let (m, r, c) = to_matrices(a, axes, s)?;
            let sv = svd(&m, false, Some(s))?.remove(0);
            keep(sum(&sv, Some(&[-1]), false, Some(s))?, r, c, keepdims, s)
        }
        _ => Err(Error::value(format!(
            "[linalg::norm] Invalid ord value '{ord}' for matrix norm."
        ))),
    }
}

/// Matrix or vector norm (MLX `linalg::norm`). With `ord` `None` it is the
/// 2-norm / Frobenius norm over `axis` (all axes when `None`, any number of
/// them); otherwise `axis` (default: all axes) must name one axis (vector
/// norm) or two (matrix norm).
pub fn norm(
    a: &Array,
    ord: Option<&NormOrd>,
    axis: Option<&[i64]>,
    keepdims: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "norm")?;
    let all: Vec<i64> = (0..a.ndim() as i64).collect();
    let Some(ord) = ord else {
        return match axis {
            None => l2_norm(a, &all, keepdims, s),
            Some(ax) if ax.len() > 2 => Err(Error::value(
                "[linalg::norm] Received too many axes for norm.",
            )),
            Some(ax) => l2_norm(a, ax, keepdims, s),
        };
    };
    let ax = axis.unwrap_or(&all);
    match ord {
        NormOrd::P(p) => match ax.len() {
            1 => vector_norm(a, *p, ax, keepdims, s),
            2 => matrix_norm_p(a, *p, ax, keepdims, s),
            _ => Err(Error::value(
                "[linalg::norm] Received too many axes for norm.",
            )),
        },
        NormOrd::Named(name) => {
            if ax.len() != 2 {
                return Err(Error::value(format!(
                    "[linalg::norm] Norm '{name}' only supported for matrices, but received {} axis/axes.",
                    ax.len()
                )));
            }
            matrix_norm_named(a, name, ax, keepdims, s)
        }
    }
}

/// NumPy's `linalg.matrix_norm`: the norm of the matrices in the last two
/// axes (`ord` defaults to `"fro"`). Not in MLX.
pub fn matrix_norm(
    a: &Array,
    ord: Option<&NormOrd>,
    keepdims: bool,
    s: Option<Stream>,
) -> Result<Array> {
    if a.ndim() < 2 {
        return Err(Error::value(format!(
            "[linalg::matrix_norm] Arrays must have >= 2 dimensions. Received array with {} dimensions.",
            a.ndim()
        )));
    }
    let fro = NormOrd::Named("fro".into());
    norm(a, Some(ord.unwrap_or(&fro)), Some(&[-2, -1]), keepdims, s)
}

/// Cross product of `a` and `b` along `axis`, whose size must be 2 (a
/// zero third component is implied) or 3; other axes broadcast (MLX
/// `linalg::cross`).
pub fn cross(a: &Array, b: &Array, axis: i64, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "cross")?;
    let st = Some(s);
    let check = |x: &Array| -> Result<usize> {
        let nd = x.ndim() as i64;
        if axis >= nd || axis < -nd {
            return Err(Error::index(format!(
                "[linalg::cross] Axis {axis} is out of bounds for array with {nd} dimensions."
            )));
        }
        let ax = if axis < 0 { axis + nd } else { axis } as usize;
        let d = x.shape()[ax];
        if !(2..=3).contains(&d) {
            return Err(Error::value(
                "[linalg::cross] The specified axis must have size 2 or 3.",
            ));
        }
        Ok(d as usize)
    };
    let (da, db) = (check(a)?, check(b)?);
    let dt = promote_types(a.dtype(), b.dtype());
    let with3 = |x: &Array| {
        let mut sh = x.shape().to_vec();
        let nd = sh.len() as i64;
        sh[(if axis < 0 { axis + nd } else { axis }) as usize] = 3;
        sh
    };
    let mut out_shape = broadcast_shapes(&with3(a), &with3(b))?;
    let ax = if axis < 0 {
        axis + out_shape.len() as i64
    } else {
        axis
    };
    let axu = ax as usize;
    out_shape[axu] = da as i64;
    let a = broadcast_to(&astype(a, dt, st)?, &out_shape, st)?;
    out_shape[axu] = db as i64;
    let b = broadcast_to(&astype(b, dt, st)?, &out_shape, st)?;
    let pa = super::split(&a, da as i64, ax, st)?;
    let pb = super::split(&b, db as i64, ax, st)?;
    let mul = |x: &Array, y: &Array| multiply(x, y, st);
    let mut parts = Vec::with_capacity(3);
    match (da, db) {
        (2, 2) => {
            let z = zeros_like(&pa[0], None, st)?;
            parts.push(z.clone());
            parts.push(z);
        }
        (3, 2) => {
            parts.push(negative(&mul(&pa[2], &pb[1])?, st)?);
            parts.push(mul(&pa[2], &pb[0])?);
        }
        (2, 3) => {
            parts.push(mul(&pa[1], &pb[2])?);
            parts.push(negative(&mul(&pa[0], &pb[2])?, st)?);
        }
        _ => {
            parts.push(subtract(&mul(&pa[1], &pb[2])?, &mul(&pa[2], &pb[1])?, st)?);
            parts.push(subtract(&mul(&pa[2], &pb[0])?, &mul(&pa[0], &pb[2])?, st)?);
        }
    }
    parts.push(subtract(&mul(&pa[0], &pb[1])?, &mul(&pa[1], &pb[0])?, st)?);
    concatenate(&parts, Some(ax), st)
}
