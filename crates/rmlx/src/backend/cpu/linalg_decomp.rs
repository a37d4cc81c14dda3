//! CPU kernels of the linalg decompositions on `faer`: QR (LAPACK's
//! Householder signs), SVD, and the Hermitian and general
//! eigendecompositions (eigenvectors scaled as LAPACK's `geev` scales
//! them). The batching machinery is shared with `linalg.rs`.

use faer::diag::DiagMut;
use faer::dyn_stack::MemStack;
use faer::linalg::evd::{self, ComputeEigenvectors};
use faer::linalg::svd::{self as fsvd, ComputeSvdVectors};
use faer::linalg::{householder, qr as fqr};
use faer::{Conj, Par};
use num_complex::{Complex32, Complex64};

use super::linalg::{run_batch, stack_for, store, unsupported, view, view_mut, Field, Mats};
use super::SyncPtr;
use crate::array::Data;
use crate::dtype::Dtype;
use crate::error::{Error, Result};

/// Eigenvalues and column-major eigenvectors, widened to `Complex64`.
type EigResult = Result<(Vec<Complex64>, Vec<Complex64>)>;

// ---------------------------------------------------------------------------
// QR

fn qr_typed<T: Field>(a: &Data, shape: &[i64], q: &Data, r: &Data) -> Result<()> {
    let g = Mats::of(a, shape);
    let (m, n) = (g.m, g.n);
    let k = m.min(n);
    if k == 0 {
        return Ok(());
    }
    let (src, qp, rp) = (
        SyncPtr(a.ptr::<T>()),
        SyncPtr(q.ptr::<T>()),
        SyncPtr(r.ptr::<T>()),
    );
    let zero = T::from_c64(Complex64::new(0.0, 0.0));
    let one = T::from_c64(Complex64::new(1.0, 0.0));
    run_batch(g.count(), k.max(m.min(n)), |b, par| {
        let (src, qp, rp) = (src, qp, rp);
        // SAFETY: as in `lu_typed`.
        let mut buf = unsafe { g.load::<T>(src.0, b, false) };
        let bs = fqr::no_pivoting::factor::recommended_block_size::<T>(m, n);
        let mut coeff = vec![zero; bs * k];
        {
            let req = fqr::no_pivoting::factor::qr_in_place_scratch::<T>(
                m,
                n,
                bs,
                par,
                Default::default(),
            );
            let mut mem = stack_for(req);
            fqr::no_pivoting::factor::qr_in_place(
                view_mut(&mut buf, m, n),
                view_mut(&mut coeff, bs, k),
                par,
                MemStack::new(&mut mem),
                Default::default(),
            );
        }
        // The Householder vectors (unit diagonal) and R.
        let mut basis = vec![zero; m * k];
        for j in 0..k {
            basis[j * m + j] = one;
            for i in j + 1..m {
                basis[j * m + i] = buf[j * m + i];
            }
        }
        let mut qm = vec![zero; m * k];
        for j in 0..k {
            qm[j * m + j] = one;
        }
        {
            let req = householder::apply_block_householder_sequence_on_the_left_in_place_scratch::<T>(
                m, bs, k,
            );
            let mut mem = stack_for(req);
            householder::apply_block_householder_sequence_on_the_left_in_place_with_conj(
                view(&basis, m, k),
                view(&coeff, bs, k),
                Conj::No,
                view_mut(&mut qm, m, k),
                par,
                MemStack::new(&mut mem),
            );
        }
        // SAFETY: outputs of matrix b.
        unsafe {
            store(qp.0.add(b * m * k), &qm, m, k, |v| v);
            let d = rp.0.add(b * k * n);
            for i in 0..k {
                for j in 0..n {
                    *d.add(i * n + j) = if j < i { zero } else { buf[j * m + i] };
                }
            }
        }
        Ok(())
    })
}

/// Reduced QR factorisation of each matrix of `a`.
pub fn qr(dt: Dtype, a: &Data, shape: &[i64], q: &Data, r: &Data) -> Result<()> {
    match dt {
        Dtype::Float32 => qr_typed::<f32>(a, shape, q, r),
        Dtype::Float64 => qr_typed::<f64>(a, shape, q, r),
        _ => Err(unsupported("qr", dt)),
    }
}

// ---------------------------------------------------------------------------
// SVD

/// Writes an identity matrix of order `n` row-major at `dst`.
unsafe fn store_identity<T: Field>(dst: *mut T, n: usize) {
    for i in 0..n {
        for j in 0..n {
            *dst.add(i * n + j) = T::from_c64(Complex64::new(if i == j { 1.0 } else { 0.0 }, 0.0));
        }
    }
}

/// `S` is written as `R` (the real type of `T`).
fn svd_typed<T: Field, R: Copy>(
    a: &Data,
    shape: &[i64],
    s: &Data,
    uv: Option<(&Data, &Data)>,
    to_real: fn(Complex64) -> R,
) -> Result<()> {
    let g = Mats::of(a, shape);
    let (m, n) = (g.m, g.n);
    let k = m.min(n);
    let src = SyncPtr(a.ptr::<T>());
    let sp = SyncPtr(s.ptr::<R>());
    let uvp = uv.map(|(u, v)| (SyncPtr(u.ptr::<T>()), SyncPtr(v.ptr::<T>())));
    let zero = T::from_c64(Complex64::new(0.0, 0.0));
    run_batch(g.count(), m.max(n), |b, par| {
        let (src, sp, uvp) = (src, sp, uvp);
        if k == 0 {
            if let Some((u, v)) = uvp {
                // SAFETY: outputs of matrix b.
                unsafe {
                    store_identity(u.0.add(b * m * m), m);
                    store_identity(v.0.add(b * n * n), n);
                }
            }
            return Ok(());
        }
        // SAFETY: as in `lu_typed`.
        let buf = unsafe { g.load::<T>(src.0, b, false) };
        let mut sv = vec![zero; k];
        let want = if uvp.is_some() {
            ComputeSvdVectors::Full
        } else {
            ComputeSvdVectors::No
        };
        let mut um = vec![zero; if uvp.is_some() { m * m } else { 0 }];
        let mut vm = vec![zero; if uvp.is_some() { n * n } else { 0 }];
        let req = fsvd::svd_scratch::<T>(m, n, want, want, par, Default::default());
        let mut mem = stack_for(req);
        let res = fsvd::svd(
            view(&buf, m, n),
            DiagMut::from_slice_mut(&mut sv),
            uvp.is_some().then(|| view_mut(&mut um, m, m)),
            uvp.is_some().then(|| view_mut(&mut vm, n, n)),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        );
        if res.is_err() {
            return Err(Error::runtime("[SVD::eval_cpu] The SVD did not converge."));
        }
        // SAFETY: outputs of matrix b.
        unsafe {
            for (i, x) in sv.iter().enumerate() {
                *sp.0.add(b * k + i) = to_real(x.to_c64());
            }
            if let Some((u, v)) = uvp {
                store(u.0.add(b * m * m), &um, m, m, |x| x);
                // Vt = V^H.
                let d = v.0.add(b * n * n);
                for i in 0..n {
                    for j in 0..n {
                        *d.add(i * n + j) = vm[i * n + j].conj_();
                    }
                }
            }
        }
        Ok(())
    })
}

/// Singular values (and, with `uv`, the full `U` and `Vt`) of each matrix
/// of `a`, singular values in decreasing order.
pub fn svd(dt: Dtype, a: &Data, shape: &[i64], s: &Data, uv: Option<(&Data, &Data)>) -> Result<()> {
    match dt {
        Dtype::Float32 => svd_typed::<f32, f32>(a, shape, s, uv, |c| c.re as f32),
        Dtype::Float64 => svd_typed::<f64, f64>(a, shape, s, uv, |c| c.re),
        Dtype::Complex64 => svd_typed::<Complex32, f32>(a, shape, s, uv, |c| c.re as f32),
        _ => Err(unsupported("svd", dt)),
    }
}

// ---------------------------------------------------------------------------
// Eigendecompositions

fn eigh_typed<T: Field, R: Copy>(
    a: &Data,
    shape: &[i64],
    upper: bool,
    w: &Data,
    v: Option<&Data>,
    to_real: fn(Complex64) -> R,
) -> Result<()> {
    let g = Mats::of(a, shape);
    let n = g.n;
    let src = SyncPtr(a.ptr::<T>());
    let wp = SyncPtr(w.ptr::<R>());
    let vp = v.map(|v| SyncPtr(v.ptr::<T>()));
    let zero = T::from_c64(Complex64::new(0.0, 0.0));
    run_batch(g.count(), n, |b, par| {
        let (src, wp, vp) = (src, wp, vp);
        if n == 0 {
            return Ok(());
        }
        // faer reads the lower triangle; the upper one is the lower
        // triangle of the adjoint.
        // SAFETY: as in `lu_typed`.
        let buf = unsafe { g.load::<T>(src.0, b, upper) };
        let mut s = vec![zero; n];
        let mut u = vec![zero; if vp.is_some() { n * n } else { 0 }];
        let want = if vp.is_some() {
            ComputeEigenvectors::Yes
        } else {
            ComputeEigenvectors::No
        };
        let req = evd::self_adjoint_evd_scratch::<T>(n, want, par, Default::default());
        let mut mem = stack_for(req);
        let res = evd::self_adjoint_evd(
            view(&buf, n, n),
            DiagMut::from_slice_mut(&mut s),
            vp.is_some().then(|| view_mut(&mut u, n, n)),
            par,
            MemStack::new(&mut mem),
            Default::default(),
        );
        if res.is_err() {
            return Err(Error::runtime(
                "[Eigh::eval_cpu] Eigenvalue decomposition did not converge.",
            ));
        }
        // SAFETY: outputs of matrix b.
        unsafe {
            for (i, x) in s.iter().enumerate() {
                *wp.0.add(b * n + i) = to_real(x.to_c64());
            }
            if let Some(vp) = vp {
                store(vp.0.add(b * n * n), &u, n, n, |x| x);
            }
        }
        Ok(())
    })
}

/// Eigenvalues (ascending) and, with `v`, eigenvectors (columns) of each
/// Hermitian matrix of `a`, read from its lower (`upper`: upper) triangle.
pub fn eigh(
    dt: Dtype,
    a: &Data,
    shape: &[i64],
    upper: bool,
    w: &Data,
    v: Option<&Data>,
) -> Result<()> {
    match dt {
        Dtype::Float32 => eigh_typed::<f32, f32>(a, shape, upper, w, v, |c| c.re as f32),
        Dtype::Float64 => eigh_typed::<f64, f64>(a, shape, upper, w, v, |c| c.re),
        Dtype::Complex64 => eigh_typed::<Complex32, f32>(a, shape, upper, w, v, |c| c.re as f32),
        _ => Err(unsupported("eigh", dt)),
    }
}

/// Scales each eigenvector (column of the `n x n` column-major `v`) as
/// LAPACK's `geev` does: unit norm, largest component real. `pairs` marks
/// the vectors of complex-conjugate pairs of a real matrix, whose largest
/// component keeps the sign of its real part (LAPACK rotates them with
/// `dlartg`); the others get a positive one.
fn normalize_vectors(v: &mut [Complex64], n: usize, real_input: bool, pair: &[bool]) {
    for j in 0..n {
        let col = &mut v[j * n..(j + 1) * n];
        let norm = col.iter().map(|c| c.norm_sqr()).sum::<f64>().sqrt();
        if norm > 0.0 {
            for c in col.iter_mut() {
                *c /= norm;
            }
        }
        if real_input && !pair[j] {
            continue;
        }
        let mut best = 0;
        for i in 1..n {
            if col[i].norm_sqr() > col[best].norm_sqr() {
                best = i;
            }
        }
        let c = col[best];
        let mag = c.norm();
        if mag == 0.0 {
            continue;
        }
        let mut phase = c.conj() / mag;
        if real_input && c.re < 0.0 {
            phase = -phase;
        }
        for x in col.iter_mut() {
            *x *= phase;
        }
        col[best] = Complex64::new(col[best].re, 0.0);
    }
}

/// Eigenvalues and eigenvectors of a real matrix in `f64`-widened complex
/// form (LAPACK's pair layout expanded).
fn eig_real<T: Field + faer::traits::RealField>(
    buf: &[T],
    n: usize,
    vectors: bool,
    par: Par,
) -> EigResult {
    let zero = T::from_c64(Complex64::new(0.0, 0.0));
    let (mut re, mut im) = (vec![zero; n], vec![zero; n]);
    let mut u = vec![zero; if vectors { n * n } else { 0 }];
    let want = if vectors {
        ComputeEigenvectors::Yes
    } else {
        ComputeEigenvectors::No
    };
    let req = evd::evd_scratch::<T>(n, ComputeEigenvectors::No, want, par, Default::default());
    let mut mem = stack_for(req);
    evd::evd_real(
        view(buf, n, n),
        DiagMut::from_slice_mut(&mut re),
        DiagMut::from_slice_mut(&mut im),
        None,
        vectors.then(|| view_mut(&mut u, n, n)),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|_| Error::runtime("[Eig::eval_cpu] Eigenvalue decomposition did not converge."))?;
    let w: Vec<Complex64> = (0..n)
        .map(|i| Complex64::new(re[i].to_c64().re, im[i].to_c64().re))
        .collect();
    let mut v = vec![Complex64::new(0.0, 0.0); if vectors { n * n } else { 0 }];
    let mut pair = vec![false; n];
    if vectors {
        let mut j = 0;
        while j < n {
            if w[j].im == 0.0 || j + 1 == n {
                for i in 0..n {
                    v[j * n + i] = u[j * n + i].to_c64();
                }
                j += 1;
            } else {
                for i in 0..n {
                    let (x, y) = (u[j * n + i].to_c64().re, u[(j + 1) * n + i].to_c64().re);
                    v[j * n + i] = Complex64::new(x, y);
                    v[(j + 1) * n + i] = Complex64::new(x, -y);
                }
                pair[j] = true;
                pair[j + 1] = true;
                j += 2;
            }
        }
        normalize_vectors(&mut v, n, true, &pair);
    }
    Ok((w, v))
}

fn eig_complex(buf: &[Complex32], n: usize, vectors: bool, par: Par) -> EigResult {
    let zero = Complex32::new(0.0, 0.0);
    let mut s = vec![zero; n];
    let mut u = vec![zero; if vectors { n * n } else { 0 }];
    let want = if vectors {
        ComputeEigenvectors::Yes
    } else {
        ComputeEigenvectors::No
    };
    let req =
        evd::evd_scratch::<Complex32>(n, ComputeEigenvectors::No, want, par, Default::default());
    let mut mem = stack_for(req);
    evd::evd_cplx::<f32>(
        view(buf, n, n),
        DiagMut::from_slice_mut(&mut s),
        None,
        vectors.then(|| view_mut(&mut u, n, n)),
        par,
        MemStack::new(&mut mem),
        Default::default(),
    )
    .map_err(|_| Error::runtime("[Eig::eval_cpu] Eigenvalue decomposition did not converge."))?;
    let w = s.iter().map(|c| c.to_c64()).collect();
    let mut v: Vec<Complex64> = u.iter().map(|c| c.to_c64()).collect();
    if vectors {
        normalize_vectors(&mut v, n, false, &vec![false; n]);
    }
    Ok((w, v))
}

fn eig_typed<T: Field>(
    a: &Data,
    shape: &[i64],
    w: &Data,
    v: Option<&Data>,
    solve: fn(&[T], usize, bool, Par) -> EigResult,
) -> Result<()> {
    let g = Mats::of(a, shape);
    let n = g.n;
    let src = SyncPtr(a.ptr::<T>());
    let wp = SyncPtr(w.ptr::<Complex32>());
    let vp = v.map(|v| SyncPtr(v.ptr::<Complex32>()));
    run_batch(g.count(), n, |b, par| {
        let (src, wp, vp) = (src, wp, vp);
        if n == 0 {
            return Ok(());
        }
        // SAFETY: as in `lu_typed`.
        let buf = unsafe { g.load::<T>(src.0, b, false) };
        let (ws, vs) = solve(&buf, n, vp.is_some(), par)?;
        let c32 = |c: Complex64| Complex32::new(c.re as f32, c.im as f32);
        // SAFETY: outputs of matrix b.
        unsafe {
            for (i, x) in ws.iter().enumerate() {
                *wp.0.add(b * n + i) = c32(*x);
            }
            if let Some(vp) = vp {
                store(vp.0.add(b * n * n), &vs, n, n, c32);
            }
        }
        Ok(())
    })
}

/// Eigenvalues and, with `v`, right eigenvectors (unit norm, largest
/// component real) of each square matrix of `a`, as complex64.
pub fn eig(dt: Dtype, a: &Data, shape: &[i64], w: &Data, v: Option<&Data>) -> Result<()> {
    match dt {
        Dtype::Float32 => eig_typed::<f32>(a, shape, w, v, eig_real::<f32>),
        Dtype::Float64 => eig_typed::<f64>(a, shape, w, v, eig_real::<f64>),
        Dtype::Complex64 => eig_typed::<Complex32>(a, shape, w, v, eig_complex),
        _ => Err(unsupported("eig", dt)),
    }
}
