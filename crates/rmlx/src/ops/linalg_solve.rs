//! The composite inverses of `linalg`, built from its primitives as MLX
//! builds them: `pinv` (SVD), `cholesky_inv` (triangular inverse), `det`
//! and `slogdet` (closed forms up to 3x3, LU beyond), and NumPy's `lstsq`,
//! which MLX lacks.

use super::linalg::{check_float, check_matrix, cpu_stream, lu_factor, svd, tri_inv};
use super::{
    abs, add, any, arange, astype, broadcast_to, diagonal, equal, exp, expand_dims, greater, less,
    log, max, multiply, not_equal, reciprocal, remainder, sign, slice_strided, squeeze, subtract,
    sum, swapaxes, where_,
};
use crate::array::Array;
use crate::device::Stream;
use crate::dtype::{finfo, promote_types, Dtype};
use crate::element::Scalar;
use crate::error::{Error, Result};

fn scalar(v: f64, dt: Dtype) -> Result<Array> {
    Array::from_scalar(Scalar::Float(v), dt)
}

/// Batched matrix product of the last two axes (batch axes broadcast).
pub(crate) fn mm(a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
    super::matmul(a, b, s)
}

/// `x[..., :rows, :cols]`.
pub(crate) fn leading_block(x: &Array, rows: i64, cols: i64, s: Option<Stream>) -> Result<Array> {
    let nd = x.ndim();
    let mut count = x.shape().to_vec();
    count[nd - 2] = rows;
    count[nd - 1] = cols;
    slice_strided(x, &vec![0; nd], &vec![1; nd], &count, s)
}

/// Pseudo-inverse through the SVD with singular values below `rcond`
/// times the largest treated as zero.
fn pinv_rcond(a: &Array, rcond: f64, s: Stream) -> Result<Array> {
    let st = Some(s);
    let (m, n) = (a.dim(-2), a.dim(-1));
    let k = m.min(n);
    let o = svd(a, true, st)?;
    let u = swapaxes(&leading_block(&o[0], m, k, st)?, -1, -2, st)?;
    let v = swapaxes(&leading_block(&o[2], k, n, st)?, -1, -2, st)?;
    let sv = expand_dims(&o[1], &[-2], st)?;
    let dt = a.dtype();
    let cutoff = multiply(&scalar(rcond, dt)?, &max(&sv, Some(&[-1]), true, st)?, st)?;
    let rs = where_(
        &greater(&sv, &cutoff, st)?,
        &reciprocal(&sv, st)?,
        &scalar(0.0, dt)?,
        st,
    )?;
    mm(&multiply(&v, &rs, st)?, &u, st)
}

/// Moore-Penrose pseudo-inverse of each matrix (MLX `linalg::pinv`):
/// singular values up to `10 * max(m, n) * eps` of the largest are dropped.
pub fn pinv(a: &Array, s: Option<Stream>) -> Result<Array> {
    let s = cpu_stream(s, "pinv")?;
    check_float(a.dtype(), "pinv")?;
    check_matrix(a, "pinv", "Arrays")?;
    let eps = finfo(a.dtype()).map_or(0.0, |f| f.eps);
    let rcond = 10.0 * a.dim(-2).max(a.dim(-1)) as f64 * eps;
    pinv_rcond(a, rcond, s)
}

/// Inverse of `L @ L.T` (`upper`: `U.T @ U`) from the triangular factor
/// (MLX `linalg::cholesky_inv`).
pub fn cholesky_inv(l: &Array, upper: bool, s: Option<Stream>) -> Result<Array> {
    let s = cpu_stream(s, "cholesky_inv")?;
    check_float(l.dtype(), "cholesky_inv")?;
    check_matrix(l, "cholesky_inv", "Arrays")?;
    if l.dim(-1) != l.dim(-2) {
        return Err(Error::value(
            "[linalg::cholesky_inv] Cholesky inverse is only defined for square matrices.",
        ));
    }
    let st = Some(s);
    let li = tri_inv(l, upper, st)?;
    let lt = swapaxes(&li, -1, -2, st)?;
    if upper {
        mm(&li, &lt, st)
    } else {
        mm(&lt, &li, st)
    }
}

/// MLX's `validate_det`.
fn validate_det(a: &Array, op: &str, s: Option<Stream>) -> Result<Stream> {
    let s = cpu_stream(s, op)?;
    if a.dtype().is_complex() {
        return Err(Error::value(format!(
            "[linalg::{op}] Complex inputs are not supported."
        )));
    }
    check_matrix(a, op, "Arrays")?;
    if a.dim(-1) != a.dim(-2) {
        return Err(Error::value(format!(
            "[linalg::{op}] Only defined for square matrices."
        )));
    }
    Ok(s)
}

/// The determinant of matrices of order up to 3, by cofactors.
fn det_small(a: &Array, s: Stream) -> Result<Array> {
    let st = Some(s);
    let n = a.dim(-1);
    let nd = a.ndim();
    if n == 0 {
        return broadcast_to(&scalar(1.0, a.dtype())?, &a.shape()[..nd - 2], st);
    }
    let e = |i: i64, j: i64| -> Result<Array> {
        let mut start = vec![0i64; nd];
        let mut count = a.shape().to_vec();
        start[nd - 2] = i;
        start[nd - 1] = j;
        count[nd - 2] = 1;
        count[nd - 1] = 1;
        let x = slice_strided(a, &start, &vec![1; nd], &count, st)?;
        squeeze(&x, Some(&[-2, -1]), st)
    };
    let mul = |x: &Array, y: &Array| multiply(x, y, st);
    let sub = |x: &Array, y: &Array| subtract(x, y, st);
    match n {
        1 => e(0, 0),
        2 => sub(&mul(&e(0, 0)?, &e(1, 1)?)?, &mul(&e(0, 1)?, &e(1, 0)?)?),
        _ => {
            let m = |i, j, k, l| -> Result<Array> {
                sub(&mul(&e(i, j)?, &e(k, l)?)?, &mul(&e(i, l)?, &e(k, j)?)?)
            };
            let t0 = mul(&e(0, 0)?, &m(1, 1, 2, 2)?)?;
            let t1 = mul(&e(0, 1)?, &m(1, 0, 2, 2)?)?;
            let t2 = mul(&e(0, 2)?, &m(1, 0, 2, 1)?)?;
            add(&sub(&t0, &t1)?, &t2, st)
        }
    }
}

/// `(sign, log|det|)` of matrices of any order (MLX's `slogdet_impl`).
fn slogdet_impl(a: &Array, s: Stream) -> Result<(Array, Array)> {
    let st = Some(s);
    let dt = a.dtype();
    if a.dim(-1) <= 3 {
        let raw = det_small(a, s)?;
        return Ok((sign(&raw, st)?, log(&abs(&raw, st)?, st)?));
    }
    let (lu, piv) = lu_factor(a, st)?;
    let d = diagonal(&lu, 0, -2, -1, st)?;
    let k = a.dim(-1);
    let iota = arange(0.0, k as f64, 1.0, Dtype::Uint32, st)?;
    let count =
        |x: &Array| -> Result<Array> { astype(&sum(x, Some(&[-1]), false, st)?, Dtype::Int32, st) };
    let parity = count(&not_equal(&piv, &iota, st)?)?;
    let negs = count(&less(&d, &scalar(0.0, dt)?, st)?)?;
    let two = Array::scalar(2i32);
    let odd = remainder(&add(&parity, &negs, st)?, &two, st)?;
    let sgn = subtract(&Array::scalar(1i32), &multiply(&two, &odd, st)?, st)?;
    let sgn = astype(&sgn, dt, st)?;
    let logabs = sum(&log(&abs(&d, st)?, st)?, Some(&[-1]), false, st)?;
    let zero = any(&equal(&d, &scalar(0.0, dt)?, st)?, Some(&[-1]), false, st)?;
    Ok((
        where_(&zero, &scalar(0.0, dt)?, &sgn, st)?,
        where_(&zero, &scalar(f64::NEG_INFINITY, dt)?, &logabs, st)?,
    ))
}

fn at_least_float(dt: Dtype) -> Dtype {
    if dt.is_inexact() {
        dt
    } else {
        promote_types(dt, Dtype::Float32)
    }
}

/// Sign and natural log of the absolute determinant of each matrix (MLX
/// `linalg::slogdet`); singular matrices give `(0, -inf)`.
pub fn slogdet(a: &Array, s: Option<Stream>) -> Result<(Array, Array)> {
    let s = validate_det(a, "slogdet", s)?;
    let x = astype(a, at_least_float(a.dtype()), Some(s))?;
    slogdet_impl(&x, s)
}

/// Determinant of each matrix (MLX `linalg::det`): cofactors up to 3x3,
/// `sign * exp(log|det|)` from the LU factors beyond.
pub fn det(a: &Array, s: Option<Stream>) -> Result<Array> {
    let s = validate_det(a, "det", s)?;
    let x = astype(a, at_least_float(a.dtype()), Some(s))?;
    if x.dim(-1) <= 3 {
        return det_small(&x, s);
    }
    let (sg, la) = slogdet_impl(&x, s)?;
    multiply(&sg, &exp(&la, Some(s))?, Some(s))
}

/// Least-squares solution of `a @ x = b` as `numpy.linalg.lstsq` (not in
/// MLX): `(x, residuals, rank, s)`. `b` is a vector or a stack of
/// matrices; batch axes broadcast. Singular values up to `rcond` (default
/// `eps * max(m, n)`) times the largest count as zero. `residuals` holds
/// the squared residual norm of each column when every matrix has full
/// column rank `n < m`, and is empty otherwise (this reads the ranks, so
/// it evaluates them).
pub fn lstsq(
    a: &Array,
    b: &Array,
    rcond: Option<f64>,
    s: Option<Stream>,
) -> Result<(Array, Array, Array, Array)> {
    let s = cpu_stream(s, "lstsq")?;
    let st = Some(s);
    check_matrix(a, "lstsq", "Arrays")?;
    if b.ndim() < 1 {
        return Err(Error::value(
            "[linalg::lstsq] Second input must have >= 1 dimensions. Received array with 0 dimensions.",
        ));
    }
    let (m, n) = (a.dim(-2), a.dim(-1));
    let vector = b.ndim() == 1;
    let rows = if vector { b.dim(-1) } else { b.dim(-2) };
    if rows != m {
        return Err(Error::value(format!(
            "[linalg::lstsq] Incompatible dimensions: a has {m} rows but b has {rows}."
        )));
    }
    let dt = promote_types(a.dtype(), b.dtype());
    let dt = if dt == Dtype::Float64 {
        dt
    } else {
        Dtype::Float32
    };
    let a = astype(a, dt, st)?;
    let b = astype(b, dt, st)?;
    let bm = if vector {
        expand_dims(&b, &[-1], st)?
    } else {
        b
    };
    let eps = finfo(dt).map_or(0.0, |f| f.eps);
    let rcond = rcond.unwrap_or(eps * m.max(n) as f64);
    let sv = svd(&a, false, st)?.remove(0);
    let x = mm(&pinv_rcond(&a, rcond, s)?, &bm, st)?;
    let k = m.min(n);
    let rank = if k == 0 {
        super::zeros(&sv.shape()[..sv.ndim() - 1], Dtype::Int32, st)?
    } else {
        let cutoff = multiply(&scalar(rcond, dt)?, &max(&sv, Some(&[-1]), true, st)?, st)?;
        astype(
            &sum(&greater(&sv, &cutoff, st)?, Some(&[-1]), false, st)?,
            Dtype::Int32,
            st,
        )?
    };
    let full = m > n && {
        let full_rank = super::all(
            &equal(&rank, &Array::scalar(n as i32), st)?,
            None,
            false,
            st,
        )?;
        full_rank.item::<bool>()?
    };
    let residuals = if full {
        let r = subtract(&mm(&a, &x, st)?, &bm, st)?;
        sum(&multiply(&r, &r, st)?, Some(&[-2]), false, st)?
    } else {
        super::zeros(&[0], dt, st)?
    };
    let x = if vector {
        squeeze(&x, Some(&[-1]), st)?
    } else {
        x
    };
    Ok((x, residuals, rank, sv))
}
