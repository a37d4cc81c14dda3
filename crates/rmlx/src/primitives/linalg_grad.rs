//! Transformation rules of the linalg primitives. MLX 0.32 differentiates
//! none of them; rmlx follows the standard matrix-calculus rules (JAX's and
//! PyTorch's), built from public lazy ops so they nest:
//!
//! - `inv`: `dX = -X dA X`; `tri_inv` and `solve_triangular` restrict
//!   `dA` and the cotangent to the triangle they read.
//! - `cholesky` and `eigh` treat their input as the symmetric matrix they
//!   stand for: tangents are symmetrised and cotangents symmetric (the
//!   JAX / PyTorch convention), so the gradient does not depend on which
//!   triangle is read.
//! - `qr` (any shape), `svd` and `lu_factor` use the usual formulas; the
//!   extra columns of the full `U` / `Vt` (beyond `min(m, n)`), which the
//!   input does not determine, get zero tangents and their cotangents are
//!   ignored. Repeated singular values / eigenvalues give inf / NaN, as in
//!   JAX and PyTorch. Complex `svd` / `eigh` are not differentiated.
//! - `eig` has no rule (as in MLX).
//!
//! Every primitive batches by running on the batched input, with the batch
//! axis moved among the leading axes when it is one of the matrix axes.

use super::binary_grad::align_batched;
use super::linalg::{Cholesky, Eig, Eigh, Inverse, LuFactor, Qr, Solve, Svd};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::ops::{self, linalg as la};

/// Rebuilds a primitive's outputs on new inputs (for batching).
pub(super) trait Rebuild {
    fn apply(&self, inputs: &[Array]) -> Result<Vec<Array>>;
}

impl Rebuild for Inverse {
    fn apply(&self, x: &[Array]) -> Result<Vec<Array>> {
        Ok(vec![if self.tri {
            la::tri_inv(&x[0], self.upper, None)?
        } else {
            la::inv(&x[0], None)?
        }])
    }
}

impl Rebuild for Cholesky {
    fn apply(&self, x: &[Array]) -> Result<Vec<Array>> {
        Ok(vec![la::cholesky(&x[0], self.upper, None)?])
    }
}

impl Rebuild for Qr {
    fn apply(&self, x: &[Array]) -> Result<Vec<Array>> {
        let (q, r) = la::qr(&x[0], None)?;
        Ok(vec![q, r])
    }
}

impl Rebuild for Svd {
    fn apply(&self, x: &[Array]) -> Result<Vec<Array>> {
        la::svd(&x[0], self.compute_uv, None)
    }
}

fn uplo(upper: bool) -> &'static str {
    if upper {
        "U"
    } else {
        "L"
    }
}

impl Rebuild for Eigh {
    fn apply(&self, x: &[Array]) -> Result<Vec<Array>> {
        if self.vectors {
            let (w, v) = la::eigh(&x[0], uplo(self.upper), None)?;
            Ok(vec![w, v])
        } else {
            Ok(vec![la::eigvalsh(&x[0], uplo(self.upper), None)?])
        }
    }
}

impl Rebuild for Eig {
    fn apply(&self, x: &[Array]) -> Result<Vec<Array>> {
        if self.vectors {
            let (w, v) = la::eig(&x[0], None)?;
            Ok(vec![w, v])
        } else {
            Ok(vec![la::eigvals(&x[0], None)?])
        }
    }
}

impl Rebuild for LuFactor {
    fn apply(&self, x: &[Array]) -> Result<Vec<Array>> {
        la::lu_parts(&x[0], "lu_factor", None)
    }
}

impl Rebuild for Solve {
    fn apply(&self, x: &[Array]) -> Result<Vec<Array>> {
        Ok(vec![la::solve_matrices(
            &x[0],
            &x[1],
            self.tri,
            x[0].stream(),
        )?])
    }
}

/// Batching: the op on the batched inputs, whose batch axis must sit among
/// the leading (non-matrix) axes; every output keeps the leading axes, so
/// carries the batch axis at the same position.
pub(super) fn vmap<P: Rebuild>(
    p: &P,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let (mut xs, ax) = if inputs.len() == 1 {
        (inputs.to_vec(), axes[0])
    } else {
        align_batched(inputs, axes)?
    };
    let Some(mut b) = ax else {
        let outs = p.apply(inputs)?;
        let n = outs.len();
        return Ok((outs, vec![None; n]));
    };
    let rank = xs.iter().map(Array::ndim).max().unwrap_or(0);
    if b + 2 >= rank {
        for x in xs.iter_mut() {
            if x.ndim() == rank {
                *x = ops::moveaxis(x, b as i64, 0, None)?;
            }
        }
        b = 0;
    }
    let outs = p.apply(&xs)?;
    let n = outs.len();
    Ok((outs, vec![Some(b); n]))
}

// ---------------------------------------------------------------------------
// Helpers

fn t(x: &Array) -> Result<Array> {
    ops::swapaxes(x, -1, -2, None)
}

fn mm(a: &Array, b: &Array) -> Result<Array> {
    la::mm(a, b, None)
}

fn add(a: &Array, b: &Array) -> Result<Array> {
    ops::add(a, b, None)
}

fn sub(a: &Array, b: &Array) -> Result<Array> {
    ops::subtract(a, b, None)
}

fn mul(a: &Array, b: &Array) -> Result<Array> {
    ops::multiply(a, b, None)
}

fn scalar(v: f64, dt: Dtype) -> Result<Array> {
    Array::from_scalar(Scalar::Float(v), dt)
}

/// `(x + x^T) / 2`.
fn sym(x: &Array) -> Result<Array> {
    mul(&add(x, &t(x)?)?, &scalar(0.5, x.dtype())?)
}

fn eye(n: i64, dt: Dtype) -> Result<Array> {
    ops::eye(n, None, 0, dt, None)
}

/// Lower (or upper) triangle of the last two axes, diagonal included.
fn triangle(x: &Array, upper: bool) -> Result<Array> {
    if upper {
        ops::triu(x, 0, None)
    } else {
        ops::tril(x, 0, None)
    }
}

/// `x[..., :, start:start + count]`.
fn columns(x: &Array, start: i64, count: i64) -> Result<Array> {
    let nd = x.ndim();
    let mut st = vec![0i64; nd];
    st[nd - 1] = start;
    let mut c = x.shape().to_vec();
    c[nd - 1] = count;
    ops::slice_strided(x, &st, &vec![1; nd], &c, None)
}

/// `1 / (v_j - v_i)` off the diagonal (`squares`: `1 / (v_j^2 - v_i^2)`),
/// zero on it: the coupling of the eigen / singular vectors.
fn coupling(v: &Array, squares: bool) -> Result<Array> {
    let n = v.dim(-1);
    let dt = v.dtype();
    let (row, col) = (
        ops::expand_dims(v, &[-2], None)?,
        ops::expand_dims(v, &[-1], None)?,
    );
    let (row, col) = if squares {
        (mul(&row, &row)?, mul(&col, &col)?)
    } else {
        (row, col)
    };
    let e = eye(n, dt)?;
    let d = add(&sub(&row, &col)?, &e)?;
    mul(&ops::reciprocal(&d, None)?, &sub(&scalar(1.0, dt)?, &e)?)
}

/// Whether the outputs a multi-output rule received are the op's own: the
/// transformation passes zeros in place of a sibling that was dropped, so a
/// rule that needs the factors recomputes them unless every output still
/// shares the op.
fn live(outs: &[Array]) -> bool {
    let ops: Vec<_> = outs.iter().map(Array::op).collect();
    match ops.first() {
        Some(Some((first, _))) => ops
            .iter()
            .all(|o| matches!(o, Some((op, _)) if std::sync::Arc::ptr_eq(op, first))),
        _ => false,
    }
}

fn complex_unsupported(op: &str, mode: &str) -> Error {
    Error::not_implemented(format!("{mode} of {op} for complex inputs"))
}

// ---------------------------------------------------------------------------
// Inverses and solves

pub(super) fn inverse_vjp(p: &Inverse, _a: &Array, g: &Array, x: &Array) -> Result<Vec<Array>> {
    let xt = t(x)?;
    let r = ops::negative(&mm(&mm(&xt, g)?, &xt)?, None)?;
    Ok(vec![if p.tri { triangle(&r, p.upper)? } else { r }])
}

pub(super) fn inverse_jvp(p: &Inverse, a: &Array, da: &Array) -> Result<Vec<Array>> {
    let x = p.apply(std::slice::from_ref(a))?.remove(0);
    let da = if p.tri {
        triangle(da, p.upper)?
    } else {
        da.clone()
    };
    Ok(vec![ops::negative(&mm(&mm(&x, &da)?, &x)?, None)?])
}

pub(super) fn solve_vjp(
    p: &Solve,
    primals: &[Array],
    g: &Array,
    argnums: &[usize],
    x: &Array,
) -> Result<Vec<Array>> {
    let a = &primals[0];
    let at = t(a)?;
    let gb = la::solve_matrices(&at, g, p.tri.map(|u| !u), a.stream())?;
    argnums
        .iter()
        .map(|&i| {
            if i == 1 {
                return Ok(gb.clone());
            }
            let ga = ops::negative(&mm(&gb, &t(x)?)?, None)?;
            match p.tri {
                Some(upper) => triangle(&ga, upper),
                None => Ok(ga),
            }
        })
        .collect()
}

pub(super) fn solve_jvp(
    p: &Solve,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (a, b) = (&primals[0], &primals[1]);
    let s = a.stream();
    let mut rhs: Option<Array> = None;
    for (tan, &i) in tangents.iter().zip(argnums) {
        let term = if i == 1 {
            tan.clone()
        } else {
            let x = la::solve_matrices(a, b, p.tri, s)?;
            let da = match p.tri {
                Some(upper) => triangle(tan, upper)?,
                None => tan.clone(),
            };
            ops::negative(&mm(&da, &x)?, None)?
        };
        rhs = Some(match rhs {
            Some(r) => add(&r, &term)?,
            None => term,
        });
    }
    let rhs = match rhs {
        Some(r) => ops::broadcast_to(&r, b.shape(), None)?,
        None => ops::zeros_like(b, None, None)?,
    };
    Ok(vec![la::solve_matrices(a, &rhs, p.tri, s)?])
}

// ---------------------------------------------------------------------------
// Cholesky

/// The lower triangle with its diagonal halved.
fn phi(x: &Array) -> Result<Array> {
    let e = eye(x.dim(-1), x.dtype())?;
    sub(
        &ops::tril(x, 0, None)?,
        &mul(&mul(x, &e)?, &scalar(0.5, x.dtype())?)?,
    )
}

pub(super) fn cholesky_vjp(p: &Cholesky, g: &Array, out: &Array) -> Result<Vec<Array>> {
    let (l, gl) = if p.upper {
        (t(out)?, t(g)?)
    } else {
        (out.clone(), g.clone())
    };
    // A = L L^T: gA = sym(L^-T phi(L^T gL) L^-1).
    let lt = t(&l)?;
    let y = la::solve_matrices(&lt, &phi(&mm(&lt, &gl)?)?, Some(true), l.stream())?;
    let s = t(&la::solve_matrices(&lt, &t(&y)?, Some(true), l.stream())?)?;
    Ok(vec![sym(&s)?])
}

pub(super) fn cholesky_jvp(p: &Cholesky, a: &Array, da: &Array) -> Result<Vec<Array>> {
    let out = la::cholesky(a, p.upper, None)?;
    let l = if p.upper { t(&out)? } else { out };
    // dL = L phi(L^-1 sym(dA) L^-T).
    let y = la::solve_matrices(&l, &sym(da)?, Some(false), l.stream())?;
    let c = t(&la::solve_matrices(&l, &t(&y)?, Some(false), l.stream())?)?;
    let dl = mm(&l, &phi(&c)?)?;
    Ok(vec![if p.upper { t(&dl)? } else { dl }])
}

// ---------------------------------------------------------------------------
// QR

/// Cotangent of `A = Q R` for `m >= n` (square `R`).
fn qr_vjp_tall(q: &Array, r: &Array, gq: &Array, gr: &Array) -> Result<Array> {
    let m = sub(&mm(gr, &t(r)?)?, &mm(&t(q)?, gq)?)?;
    let sym_m = add(&ops::triu(&m, 0, None)?, &t(&ops::triu(&m, 1, None)?)?)?;
    let z = add(gq, &mm(q, &sym_m)?)?;
    t(&la::solve_matrices(r, &t(&z)?, Some(true), r.stream())?)
}

pub(super) fn qr_vjp(a: &Array, cots: &[Array], outs: &[Array]) -> Result<Vec<Array>> {
    let (q, r) = if live(outs) {
        (outs[0].clone(), outs[1].clone())
    } else {
        la::qr(a, None)?
    };
    let (q, r) = (&q, &r);
    let (gq, gr) = (&cots[0], &cots[1]);
    let (m, n) = (a.dim(-2), a.dim(-1));
    if m >= n {
        return Ok(vec![qr_vjp_tall(q, r, gq, gr)?]);
    }
    // A = [X | Y] with X square: Q R_X = X, R_Y = Q^T Y.
    let y = columns(a, m, n - m)?;
    let gry = columns(gr, m, n - m)?;
    let gy = mm(q, &gry)?;
    let gq2 = add(gq, &mm(&y, &t(&gry)?)?)?;
    let gx = qr_vjp_tall(q, &columns(r, 0, m)?, &gq2, &columns(gr, 0, m)?)?;
    Ok(vec![ops::concatenate(&[gx, gy], Some(-1), None)?])
}

/// Tangents of `A = Q R` for `m >= n`.
fn qr_jvp_tall(q: &Array, r: &Array, da: &Array) -> Result<(Array, Array)> {
    // dA R^-1.
    let dxr = t(&la::solve_matrices(
        &t(r)?,
        &t(da)?,
        Some(false),
        r.stream(),
    )?)?;
    let c = mm(&t(q)?, &dxr)?;
    let lo = ops::tril(&c, -1, None)?;
    let omega = sub(&lo, &t(&lo)?)?;
    let dq = add(&mm(q, &sub(&omega, &c)?)?, &dxr)?;
    let dr = mm(&sub(&c, &omega)?, r)?;
    Ok((dq, dr))
}

pub(super) fn qr_jvp(a: &Array, da: &Array) -> Result<Vec<Array>> {
    let (q, r) = la::qr(a, None)?;
    let (m, n) = (a.dim(-2), a.dim(-1));
    if m >= n {
        let (dq, dr) = qr_jvp_tall(&q, &r, da)?;
        return Ok(vec![dq, dr]);
    }
    let (dq, drx) = qr_jvp_tall(&q, &columns(&r, 0, m)?, &columns(da, 0, m)?)?;
    let y = columns(a, m, n - m)?;
    let dry = add(&mm(&t(&dq)?, &y)?, &mm(&t(&q)?, &columns(da, m, n - m)?)?)?;
    Ok(vec![dq, ops::concatenate(&[drx, dry], Some(-1), None)?])
}

// ---------------------------------------------------------------------------
// SVD

/// The thin factors `(U_k, V_k)` (`V_k` as columns) of full `U` and `Vt`.
fn thin(u: &Array, vt: &Array, m: i64, n: i64) -> Result<(Array, Array)> {
    let k = m.min(n);
    Ok((
        la::leading_block(u, m, k, None)?,
        t(&la::leading_block(vt, k, n, None)?)?,
    ))
}

pub(super) fn svd_vjp(p: &Svd, a: &Array, cots: &[Array], outs: &[Array]) -> Result<Vec<Array>> {
    if a.dtype().is_complex() {
        return Err(complex_unsupported("svd", "vjp"));
    }
    let (m, n) = (a.dim(-2), a.dim(-1));
    let k = m.min(n);
    if !p.compute_uv {
        let o = la::svd(a, true, None)?;
        let (uk, vk) = thin(&o[0], &o[2], m, n)?;
        let scaled = mul(&uk, &ops::expand_dims(&cots[0], &[-2], None)?)?;
        return Ok(vec![mm(&scaled, &t(&vk)?)?]);
    }
    let o = if live(outs) {
        outs.to_vec()
    } else {
        la::svd(a, true, None)?
    };
    let (s, (uk, vk)) = (&o[1], thin(&o[0], &o[2], m, n)?);
    let guk = la::leading_block(&cots[0], m, k, None)?;
    let gvk = t(&la::leading_block(&cots[2], k, n, None)?)?;
    let srow = ops::expand_dims(s, &[-2], None)?;
    let scol = ops::expand_dims(s, &[-1], None)?;
    let f = coupling(s, true)?;
    let utgu = mm(&t(&uk)?, &guk)?;
    let vtgv = mm(&t(&vk)?, &gvk)?;
    let ju = mul(&f, &sub(&utgu, &t(&utgu)?)?)?;
    let jv = mul(&f, &sub(&vtgv, &t(&vtgv)?)?)?;
    let diag = mul(
        &eye(k, s.dtype())?,
        &ops::expand_dims(&cots[1], &[-2], None)?,
    )?;
    let inner = add(&add(&mul(&ju, &srow)?, &mul(&scol, &jv)?)?, &diag)?;
    let mut ga = mm(&mm(&uk, &inner)?, &t(&vk)?)?;
    if m > k {
        let proj = sub(&guk, &mm(&uk, &utgu)?)?;
        ga = add(&ga, &mm(&ops::divide(&proj, &srow, None)?, &t(&vk)?)?)?;
    }
    if n > k {
        let proj = sub(&gvk, &mm(&vk, &vtgv)?)?;
        ga = add(&ga, &mm(&uk, &t(&ops::divide(&proj, &srow, None)?)?)?)?;
    }
    Ok(vec![ga])
}

pub(super) fn svd_jvp(p: &Svd, a: &Array, da: &Array) -> Result<Vec<Array>> {
    if a.dtype().is_complex() {
        return Err(complex_unsupported("svd", "jvp"));
    }
    let (m, n) = (a.dim(-2), a.dim(-1));
    let k = m.min(n);
    let o = la::svd(a, true, None)?;
    let s = &o[1];
    let (uk, vk) = thin(&o[0], &o[2], m, n)?;
    let dsm = mm(&mm(&t(&uk)?, da)?, &vk)?;
    let ds = ops::diagonal(&dsm, 0, -2, -1, None)?;
    if !p.compute_uv {
        return Ok(vec![ds]);
    }
    let srow = ops::expand_dims(s, &[-2], None)?;
    let scol = ops::expand_dims(s, &[-1], None)?;
    let f = coupling(s, true)?;
    let dss = mul(&dsm, &srow)?;
    let sds = mul(&scol, &dsm)?;
    let mut du = mm(&uk, &mul(&f, &add(&dss, &t(&dss)?)?)?)?;
    let mut dv = mm(&vk, &mul(&f, &add(&sds, &t(&sds)?)?)?)?;
    if m > n {
        let dav = mm(da, &vk)?;
        let proj = sub(&dav, &mm(&uk, &mm(&t(&uk)?, &dav)?)?)?;
        du = add(&du, &ops::divide(&proj, &srow, None)?)?;
    }
    if n > m {
        let dau = mm(&t(da)?, &uk)?;
        let proj = sub(&dau, &mm(&vk, &mm(&t(&vk)?, &dau)?)?)?;
        dv = add(&dv, &ops::divide(&proj, &srow, None)?)?;
    }
    // The columns of the full U / Vt beyond k do not move.
    let dt = a.dtype();
    let nd = a.ndim();
    let mut dvt = t(&dv)?;
    if m > k {
        let mut zs = du.shape().to_vec();
        zs[nd - 1] = m - k;
        du = ops::concatenate(&[du, ops::zeros(&zs, dt, None)?], Some(-1), None)?;
    }
    if n > k {
        let mut zs = dvt.shape().to_vec();
        zs[nd - 2] = n - k;
        dvt = ops::concatenate(&[dvt, ops::zeros(&zs, dt, None)?], Some(-2), None)?;
    }
    Ok(vec![du, ds, dvt])
}

// ---------------------------------------------------------------------------
// Symmetric eigendecomposition

pub(super) fn eigh_vjp(p: &Eigh, a: &Array, cots: &[Array], outs: &[Array]) -> Result<Vec<Array>> {
    if a.dtype().is_complex() {
        return Err(complex_unsupported(p.apply_name(), "vjp"));
    }
    let (w, v) = if p.vectors && live(outs) {
        (outs[0].clone(), outs[1].clone())
    } else {
        la::eigh(a, uplo(p.upper), None)?
    };
    let n = a.dim(-1);
    let mut inner = mul(
        &eye(n, w.dtype())?,
        &ops::expand_dims(&cots[0], &[-2], None)?,
    )?;
    if p.vectors {
        inner = add(
            &inner,
            &mul(&coupling(&w, false)?, &mm(&t(&v)?, &cots[1])?)?,
        )?;
    }
    Ok(vec![sym(&mm(&mm(&v, &inner)?, &t(&v)?)?)?])
}

pub(super) fn eigh_jvp(p: &Eigh, a: &Array, da: &Array) -> Result<Vec<Array>> {
    if a.dtype().is_complex() {
        return Err(complex_unsupported(p.apply_name(), "jvp"));
    }
    let (w, v) = la::eigh(a, uplo(p.upper), None)?;
    let c = mm(&mm(&t(&v)?, &sym(da)?)?, &v)?;
    let dw = ops::diagonal(&c, 0, -2, -1, None)?;
    if !p.vectors {
        return Ok(vec![dw]);
    }
    let dv = mm(&v, &mul(&coupling(&w, false)?, &c)?)?;
    Ok(vec![dw, dv])
}

impl Eigh {
    fn apply_name(&self) -> &'static str {
        if self.vectors {
            "eigh"
        } else {
            "eigvalsh"
        }
    }
}

// ---------------------------------------------------------------------------
// LU

/// `L` padded to `m x m` and `U` to `n x n` with identity blocks, so both
/// are square and invertible wherever the factors allow.
fn lu_square_factors(lu: &Array) -> Result<(Array, Array)> {
    let (m, n) = (lu.dim(-2), lu.dim(-1));
    let k = m.min(n);
    let dt = lu.dtype();
    let nd = lu.ndim();
    let mut l = ops::tril(&la::leading_block(lu, m, k, None)?, -1, None)?;
    if m > k {
        let mut zs = l.shape().to_vec();
        zs[nd - 1] = m - k;
        l = ops::concatenate(&[l, ops::zeros(&zs, dt, None)?], Some(-1), None)?;
    }
    let l = add(&l, &eye(m, dt)?)?;
    let mut u = ops::triu(&la::leading_block(lu, k, n, None)?, 0, None)?;
    if n > k {
        let mut zs = u.shape().to_vec();
        zs[nd - 2] = n - k;
        u = ops::concatenate(&[u, ops::zeros(&zs, dt, None)?], Some(-2), None)?;
        let tail = ops::greater_equal(
            &ops::arange(0.0, n as f64, 1.0, Dtype::Int32, None)?,
            &Array::scalar(k as i32),
            None,
        )?;
        u = add(&u, &mul(&eye(n, dt)?, &ops::astype(&tail, dt, None)?)?)?;
    }
    Ok((l, u))
}

/// The permutation matrix `P` with `P A = (A's rows in pivoted order)`,
/// from MLX's row indices (`P[i, j] = rows[j] == i`).
fn perm_matrix(rows: &Array, dt: Dtype) -> Result<Array> {
    let m = rows.dim(-1);
    let iota = ops::arange(0.0, m as f64, 1.0, Dtype::Uint32, None)?;
    let p = ops::equal(
        &ops::expand_dims(rows, &[-2], None)?,
        &ops::expand_dims(&iota, &[-1], None)?,
        None,
    )?;
    ops::astype(&p, dt, None)
}

pub(super) fn lu_vjp(a: &Array, g: &Array, outs: &[Array]) -> Result<Vec<Array>> {
    let o = if live(outs) {
        outs.to_vec()
    } else {
        la::lu_parts(a, "lu_factor", None)?
    };
    let (lu, rows) = (&o[0], &o[2]);
    let (l, u) = lu_square_factors(lu)?;
    let s = lu.stream();
    // gA = P^T L^-T (tril(L^T G, -1) + triu(G U^T)) U^-T.
    let h = add(
        &ops::tril(&mm(&t(&l)?, g)?, -1, None)?,
        &ops::triu(&mm(g, &t(&u)?)?, 0, None)?,
    )?;
    let z = la::solve_matrices(&t(&l)?, &h, Some(true), s)?;
    let w = t(&la::solve_matrices(&u, &t(&z)?, Some(true), s)?)?;
    Ok(vec![mm(&t(&perm_matrix(rows, lu.dtype())?)?, &w)?])
}

pub(super) fn lu_jvp(a: &Array, da: &Array) -> Result<Vec<Array>> {
    let o = la::lu_parts(a, "lu_factor", None)?;
    let (l, u) = lu_square_factors(&o[0])?;
    let s = a.stream();
    let x = mm(&perm_matrix(&o[2], a.dtype())?, da)?;
    let la_ = la::solve_matrices(&l, &x, Some(false), s)?;
    let lau = t(&la::solve_matrices(&t(&u)?, &t(&la_)?, Some(false), s)?)?;
    let dlu = add(
        &mm(&l, &ops::tril(&lau, -1, None)?)?,
        &mm(&ops::triu(&lau, 0, None)?, &u)?,
    )?;
    Ok(vec![
        dlu,
        ops::zeros_like(&o[1], None, None)?,
        ops::zeros_like(&o[2], None, None)?,
    ])
}
