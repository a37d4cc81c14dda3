//! `linalg`: MLX's `mlx.core.linalg` functions (plus `lstsq` and
//! `matrix_norm`, which MLX lacks). Each validates as MLX does (same
//! messages and error kinds) and builds the primitives of
//! `primitives/linalg.rs`; the composite functions (norms, `pinv`,
//! `cholesky_inv`, `det`, `slogdet`, `lstsq`, `cross`) live in
//! `linalg_norm.rs` and `linalg_solve.rs` and are re-exported here.
//!
//! MLX runs these ops on the CPU only and refuses a GPU stream with a
//! `ValueError`; so does rmlx.

use std::sync::Arc;

use super::{astype, broadcast_shapes, broadcast_to, fmt_shape, reshape, squeeze};
use crate::array::Array;
use crate::device::{resolve_stream, DeviceType, Stream};
use crate::dtype::{promote_types, Dtype};
use crate::error::{Error, Result};
use crate::primitives::linalg::{Cholesky, Eig, Eigh, Inverse, LuFactor, Qr, Solve, Svd};

pub use super::linalg_norm::*;
pub use super::linalg_solve::*;
pub(crate) use super::linalg_solve::{leading_block, mm};

/// Resolves the stream of linalg op `op` (`"[linalg::op]"`), refusing the
/// GPU as MLX does.
pub(crate) fn cpu_stream(s: Option<Stream>, op: &str) -> Result<Stream> {
    let s = resolve_stream(s, op)?;
    if s.device.kind == DeviceType::Gpu {
        return Err(Error::value(format!(
            "[linalg::{op}] This op is not yet supported on the GPU. Explicitly pass a CPU stream to run it."
        )));
    }
    Ok(s)
}

/// MLX's `check_float`: float32 or float64 only.
pub(crate) fn check_float(dt: Dtype, op: &str) -> Result<()> {
    if dt != Dtype::Float32 && dt != Dtype::Float64 {
        return Err(Error::value(format!(
            "[linalg::{op}] Arrays must have type float32 or float64. Received array with type {dt}."
        )));
    }
    Ok(())
}

fn check_float_or_complex(dt: Dtype, op: &str) -> Result<()> {
    if !matches!(dt, Dtype::Float32 | Dtype::Float64 | Dtype::Complex64) {
        return Err(Error::value(format!(
            "[linalg::{op}] Arrays must have type float32, float64 or complex64. Received array with type {dt}."
        )));
    }
    Ok(())
}

/// At least two axes (MLX's message, with `what` = "Arrays" / "Input array").
pub(crate) fn check_matrix(a: &Array, op: &str, what: &str) -> Result<()> {
    if a.ndim() < 2 {
        return Err(Error::value(format!(
            "[linalg::{op}] {what} must have >= 2 dimensions. Received array with {} dimensions.",
            a.ndim()
        )));
    }
    Ok(())
}

fn check_square(a: &Array, msg: &str) -> Result<()> {
    if a.dim(-1) != a.dim(-2) {
        return Err(Error::value(msg.to_string()));
    }
    Ok(())
}

fn inverse_op(a: &Array, tri: bool, upper: bool, s: Option<Stream>) -> Result<Array> {
    // MLX names both inverses `linalg::inv` in its messages.
    let s = cpu_stream(s, "inv")?;
    check_float(a.dtype(), "inv")?;
    check_matrix(a, "inv", "Arrays")?;
    check_square(
        a,
        "[linalg::inv] Inverses are only defined for square matrices.",
    )?;
    Ok(Array::from_op(
        a.shape().to_vec(),
        a.dtype(),
        s,
        Arc::new(Inverse { tri, upper }),
        vec![a.clone()],
    ))
}

/// Inverse of each square matrix in the last two axes (MLX `linalg::inv`).
/// A singular matrix fails at evaluation (RuntimeError).
pub fn inv(a: &Array, s: Option<Stream>) -> Result<Array> {
    inverse_op(a, false, true, s)
}

/// Inverse of each triangular matrix, reading only its lower (`upper`:
/// upper) triangle (MLX `linalg::tri_inv`).
pub fn tri_inv(a: &Array, upper: bool, s: Option<Stream>) -> Result<Array> {
    inverse_op(a, true, upper, s)
}

/// Cholesky factor `L` (`L @ L.T = a`) or, with `upper`, `U` (`U.T @ U =
/// a`) of each symmetric positive definite matrix, read from that
/// triangle (MLX `linalg::cholesky`). A matrix that is not positive
/// definite gives NaN.
pub fn cholesky(a: &Array, upper: bool, s: Option<Stream>) -> Result<Array> {
    let s = cpu_stream(s, "cholesky")?;
    check_float(a.dtype(), "cholesky")?;
    check_matrix(a, "cholesky", "Arrays")?;
    check_square(
        a,
        "[linalg::cholesky] Cholesky decomposition is only defined for square matrices.",
    )?;
    Ok(Array::from_op(
        a.shape().to_vec(),
        a.dtype(),
        s,
        Arc::new(Cholesky { upper }),
        vec![a.clone()],
    ))
}

/// Reduced QR factorisation `(Q, R)` of each matrix (MLX `linalg::qr`).
pub fn qr(a: &Array, s: Option<Stream>) -> Result<(Array, Array)> {
    let s = cpu_stream(s, "qr")?;
    check_float(a.dtype(), "qr")?;
    check_matrix(a, "qr", "Arrays")?;
    let (m, n) = (a.dim(-2), a.dim(-1));
    let k = m.min(n);
    let mut qs = a.shape().to_vec();
    *qs.last_mut().expect("2-d") = k;
    let mut rs = a.shape().to_vec();
    let nd = rs.len();
    rs[nd - 2] = k;
    let dt = a.dtype();
    let outs = Array::from_multi_op(vec![(qs, dt), (rs, dt)], s, Arc::new(Qr), vec![a.clone()]);
    Ok((outs[0].clone(), outs[1].clone()))
}

/// Singular value decomposition (MLX `linalg::svd`): `[U, S, Vt]` (full
/// `U` and `Vt`) with `compute_uv`, else `[S]`. Singular values of
/// complex64 input are float32.
pub fn svd(a: &Array, compute_uv: bool, s: Option<Stream>) -> Result<Vec<Array>> {
    let s = cpu_stream(s, "svd")?;
    check_float_or_complex(a.dtype(), "svd")?;
    check_matrix(a, "svd", "Input array")?;
    let (m, n) = (a.dim(-2), a.dim(-1));
    let nd = a.ndim();
    let mut ss = a.shape()[..nd - 1].to_vec();
    ss[nd - 2] = m.min(n);
    let sdt = if a.dtype() == Dtype::Complex64 {
        Dtype::Float32
    } else {
        a.dtype()
    };
    let prim = Arc::new(Svd { compute_uv });
    if !compute_uv {
        return Ok(vec![Array::from_op(ss, sdt, s, prim, vec![a.clone()])]);
    }
    let mut us = a.shape().to_vec();
    us[nd - 1] = m;
    let mut vs = a.shape().to_vec();
    vs[nd - 2] = n;
    Ok(Array::from_multi_op(
        vec![(us, a.dtype()), (ss, sdt), (vs, a.dtype())],
        s,
        prim,
        vec![a.clone()],
    ))
}

/// MLX's `validate_eig`.
fn validate_eig(a: &Array, op: &str, s: Option<Stream>) -> Result<Stream> {
    let s = cpu_stream(s, op)?;
    check_float_or_complex(a.dtype(), op)?;
    check_matrix(a, op, "Arrays")?;
    check_square(
        a,
        &format!("[linalg::{op}] Only defined for square matrices."),
    )?;
    Ok(s)
}

/// `UPLO` as a flag (true: upper). MLX passes any string to LAPACK;
/// rmlx accepts `"L"` and `"U"` only.
fn uplo_flag(uplo: &str, op: &str) -> Result<bool> {
    match uplo {
        "L" => Ok(false),
        "U" => Ok(true),
        _ => Err(Error::value(format!(
            "[linalg::{op}] UPLO must be 'L' or 'U', got '{uplo}'."
        ))),
    }
}

fn eigh_op(a: &Array, uplo: &str, vectors: bool, s: Option<Stream>) -> Result<Vec<Array>> {
    let op = if vectors { "eigh" } else { "eigvalsh" };
    let s = validate_eig(a, op, s)?;
    let upper = uplo_flag(uplo, op)?;
    let wdt = if a.dtype() == Dtype::Complex64 {
        Dtype::Float32
    } else {
        a.dtype()
    };
    let ws = a.shape()[..a.ndim() - 1].to_vec();
    let prim = Arc::new(Eigh { upper, vectors });
    if !vectors {
        return Ok(vec![Array::from_op(ws, wdt, s, prim, vec![a.clone()])]);
    }
    Ok(Array::from_multi_op(
        vec![(ws, wdt), (a.shape().to_vec(), a.dtype())],
        s,
        prim,
        vec![a.clone()],
    ))
}

/// Eigenvalues (ascending) and eigenvectors (columns) of each Hermitian
/// matrix, read from the `UPLO` triangle (MLX `linalg::eigh`).
pub fn eigh(a: &Array, uplo: &str, s: Option<Stream>) -> Result<(Array, Array)> {
    let o = eigh_op(a, uplo, true, s)?;
    Ok((o[0].clone(), o[1].clone()))
}

/// Eigenvalues (ascending) of each Hermitian matrix (MLX
/// `linalg::eigvalsh`).
pub fn eigvalsh(a: &Array, uplo: &str, s: Option<Stream>) -> Result<Array> {
    Ok(eigh_op(a, uplo, false, s)?.remove(0))
}

fn eig_op(a: &Array, vectors: bool, s: Option<Stream>) -> Result<Vec<Array>> {
    let op = if vectors { "eig" } else { "eigvals" };
    let s = validate_eig(a, op, s)?;
    let ws = a.shape()[..a.ndim() - 1].to_vec();
    let prim = Arc::new(Eig { vectors });
    if !vectors {
        return Ok(vec![Array::from_op(
            ws,
            Dtype::Complex64,
            s,
            prim,
            vec![a.clone()],
        )]);
    }
    Ok(Array::from_multi_op(
        vec![
            (ws, Dtype::Complex64),
            (a.shape().to_vec(), Dtype::Complex64),
        ],
        s,
        prim,
        vec![a.clone()],
    ))
}

/// Eigenvalues and right eigenvectors (columns) of each square matrix, as
/// complex64 (MLX `linalg::eig`).
pub fn eig(a: &Array, s: Option<Stream>) -> Result<(Array, Array)> {
    let o = eig_op(a, true, s)?;
    Ok((o[0].clone(), o[1].clone()))
}

/// Eigenvalues of each square matrix, as complex64 (MLX
/// `linalg::eigvals`).
pub fn eigvals(a: &Array, s: Option<Stream>) -> Result<Array> {
    Ok(eig_op(a, false, s)?.remove(0))
}

/// The three outputs of the LU primitive: packed factors, pivots, rows.
pub(crate) fn lu_parts(a: &Array, op: &str, s: Option<Stream>) -> Result<Vec<Array>> {
    let s = cpu_stream(s, op)?;
    check_float(a.dtype(), op)?;
    check_matrix(a, op, "Arrays")?;
    let (m, n) = (a.dim(-2), a.dim(-1));
    let nd = a.ndim();
    let mut ps = a.shape()[..nd - 2].to_vec();
    ps.push(m.min(n));
    let rs = a.shape()[..nd - 1].to_vec();
    Ok(Array::from_multi_op(
        vec![
            (a.shape().to_vec(), a.dtype()),
            (ps, Dtype::Uint32),
            (rs, Dtype::Uint32),
        ],
        s,
        Arc::new(LuFactor),
        vec![a.clone()],
    ))
}

/// Packed LU factors and LAPACK pivots (`uint32`, 0-based) of each matrix
/// (MLX `linalg::lu_factor`).
pub fn lu_factor(a: &Array, s: Option<Stream>) -> Result<(Array, Array)> {
    let o = lu_parts(a, "lu_factor", s)?;
    Ok((o[0].clone(), o[1].clone()))
}

/// `(rows, L, U)` with `a[i] = (L @ U)[rows[i]]`, `L` unit lower `m x k`
/// and `U` upper `k x n` (MLX `linalg::lu`).
pub fn lu(a: &Array, s: Option<Stream>) -> Result<(Array, Array, Array)> {
    let o = lu_parts(a, "lu", s)?;
    let s = Some(o[0].stream());
    let (m, n) = (a.dim(-2), a.dim(-1));
    let k = m.min(n);
    let nd = a.ndim();
    let mut l = super::tril(&o[0], -1, s)?;
    let mut u = super::triu(&o[0], 0, s)?;
    let zeros = vec![0i64; nd];
    let ones = vec![1i64; nd];
    if n != k {
        let mut count = l.shape().to_vec();
        count[nd - 1] = k;
        l = super::slice_strided(&l, &zeros, &ones, &count, s)?;
    } else if m != k {
        let mut count = u.shape().to_vec();
        count[nd - 2] = k;
        u = super::slice_strided(&u, &zeros, &ones, &count, s)?;
    }
    let l = super::add(&l, &super::eye(m, Some(k), 0, a.dtype(), s)?, s)?;
    Ok((o[2].clone(), l, u))
}

/// MLX's `validate_solve`: `a` square with at least 2 axes, `b` a vector
/// or a stack of matrices whose rows match, both promoting to a float.
/// Returns the common float dtype.
fn validate_solve(a: &Array, b: &Array, op: &str) -> Result<Dtype> {
    if a.ndim() < 2 {
        return Err(Error::value(format!(
            "[linalg::{op}] First input must have >= 2 dimensions. Received array with {} dimensions.",
            a.ndim()
        )));
    }
    if b.ndim() < 1 {
        return Err(Error::value(format!(
            "[linalg::{op}] Second input must have >= 1 dimensions. Received array with {} dimensions.",
            b.ndim()
        )));
    }
    if a.dim(-1) != a.dim(-2) {
        return Err(Error::value(format!(
            "[linalg::{op}] First input must be a square matrix. Received array with shape {}.",
            fmt_shape(a.shape())
        )));
    }
    let rows = if b.ndim() > 1 { b.dim(-2) } else { b.dim(-1) };
    if a.dim(-1) != rows {
        return Err(Error::value(format!(
            "[linalg::{op}] Last dimension of first input with shape {} must match second to last dimension of second input with shape {}.",
            fmt_shape(a.shape()),
            fmt_shape(b.shape())
        )));
    }
    let dt = promote_types(a.dtype(), b.dtype());
    if dt != Dtype::Float32 && dt != Dtype::Float64 {
        return Err(Error::value(format!(
            "[linalg::{op}] Input arrays must promote to float32 or float64.  Received arrays with type {} and {}.",
            a.dtype(),
            b.dtype()
        )));
    }
    Ok(dt)
}

/// The solve primitive on `a` and a stack of right-hand-side matrices `b`
/// (at least 2 axes), batch axes broadcast against each other. Used by the
/// public solves and by the transformation rules.
pub(crate) fn solve_matrices(a: &Array, b: &Array, tri: Option<bool>, s: Stream) -> Result<Array> {
    let (na, nb) = (a.ndim(), b.ndim());
    let batch = broadcast_shapes(&a.shape()[..na - 2], &b.shape()[..nb - 2])?;
    let mut ashape = batch.clone();
    ashape.extend_from_slice(&a.shape()[na - 2..]);
    let mut bshape = batch;
    bshape.extend_from_slice(&b.shape()[nb - 2..]);
    let a = broadcast_to(a, &ashape, Some(s))?;
    let b = broadcast_to(b, &bshape, Some(s))?;
    Ok(Array::from_op(
        bshape,
        a.dtype(),
        s,
        Arc::new(Solve { tri }),
        vec![a, b],
    ))
}

fn solve_op(a: &Array, b: &Array, tri: Option<bool>, s: Option<Stream>) -> Result<Array> {
    let op = if tri.is_some() {
        "solve_triangular"
    } else {
        "solve"
    };
    let s = cpu_stream(s, op)?;
    let dt = validate_solve(a, b, op)?;
    let a = astype(a, dt, Some(s))?;
    let b = astype(b, dt, Some(s))?;
    if b.ndim() == 1 {
        // A vector right-hand side, broadcast against a's batch.
        let n = b.dim(-1);
        let col = reshape(&b, &[n, 1], Some(s))?;
        let x = solve_matrices(&a, &col, tri, s)?;
        return squeeze(&x, Some(&[-1]), Some(s));
    }
    solve_matrices(&a, &b, tri, s)
}

/// Solution `x` of `a @ x = b` (MLX `linalg::solve`): `b` a vector or a
/// stack of matrices; batch axes broadcast. A singular `a` fails at
/// evaluation with MLX's RuntimeError.
pub fn solve(a: &Array, b: &Array, s: Option<Stream>) -> Result<Array> {
    solve_op(a, b, None, s)
}

/// Solution of `a @ x = b` for triangular `a`, reading only its lower
/// (`upper`: upper) triangle (MLX `linalg::solve_triangular`).
pub fn solve_triangular(a: &Array, b: &Array, upper: bool, s: Option<Stream>) -> Result<Array> {
    solve_op(a, b, Some(upper), s)
}
