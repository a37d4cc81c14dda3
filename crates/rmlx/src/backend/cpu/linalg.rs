//! CPU kernels of the linalg family, on `faer`. Every kernel maps over the
//! leading (batch) axes: each matrix is copied from its strided view into a
//! column-major scratch buffer, factored there, and written back
//! row-major. Batches run one matrix per thread; a lone large matrix uses
//! faer's own parallelism instead.
//!
//! The LU factorisation is LAPACK's `getrf` (same pivot choice, zero pivots
//! left unscaled and reported by position) so `lu_factor` and the error
//! codes of singular inputs match MLX; the trailing updates run on faer's
//! triangular solve and matrix product. QR, SVD and the eigendecompositions
//! are in `linalg_decomp.rs`.

use std::ops::{Add, Mul, MulAssign, Neg, Sub, SubAssign};

use faer::dyn_stack::{MemBuffer, MemStack};
use faer::linalg::{cholesky, matmul, triangular_solve as ts};
use faer::reborrow::{Reborrow, ReborrowMut};
use faer::{Accum, MatMut, MatRef, Par};
use num_complex::{Complex32, Complex64};
use rayon::prelude::*;

use super::SyncPtr;
use crate::array::Data;
use crate::dtype::Dtype;
use crate::error::{Error, Result};

pub use super::linalg_decomp::{eig, eigh, qr, svd};

/// Element types the kernels run on: `f32`, `f64` and `Complex32`.
pub trait Field:
    faer::traits::ComplexField
    + Copy
    + Send
    + Sync
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + MulAssign
    + SubAssign
    + 'static
{
    /// Whether the value is exactly zero.
    fn is_zero(self) -> bool;
    /// `|re| + |im|`: LAPACK's pivot magnitude.
    fn abs1(self) -> f64;
    /// The value widened to a double-precision complex.
    fn to_c64(self) -> Complex64;
    /// A value from a double-precision complex (real types keep `re`).
    fn from_c64(c: Complex64) -> Self;
    /// Complex conjugate (identity for real types).
    fn conj_(self) -> Self;
    /// `1 / self`.
    fn inv(self) -> Self;
}

macro_rules! real_field {
    ($t:ty) => {
        impl Field for $t {
            fn is_zero(self) -> bool {
                self == 0.0
            }
            fn abs1(self) -> f64 {
                self.abs() as f64
            }
            fn to_c64(self) -> Complex64 {
                Complex64::new(self as f64, 0.0)
            }
            fn from_c64(c: Complex64) -> Self {
                c.re as $t
            }
            fn conj_(self) -> Self {
                self
            }
            fn inv(self) -> Self {
                1.0 / self
            }
        }
    };
}
real_field!(f32);
real_field!(f64);

impl Field for Complex32 {
    fn is_zero(self) -> bool {
        self.re == 0.0 && self.im == 0.0
    }
    fn abs1(self) -> f64 {
        (self.re.abs() + self.im.abs()) as f64
    }
    fn to_c64(self) -> Complex64 {
        Complex64::new(self.re as f64, self.im as f64)
    }
    fn from_c64(c: Complex64) -> Self {
        Complex32::new(c.re as f32, c.im as f32)
    }
    fn conj_(self) -> Self {
        self.conj()
    }
    fn inv(self) -> Self {
        Complex32::new(1.0, 0.0) / self
    }
}

/// A batch of matrices in a strided view: the last two axes are the matrix,
/// the others enumerate it.
#[derive(Clone)]
pub struct Mats {
    /// Element offset of each matrix's origin (relative to the view's).
    offs: Vec<isize>,
    /// Row and column strides of the matrix axes.
    rs: isize,
    cs: isize,
    /// Rows and columns.
    pub m: usize,
    /// Columns.
    pub n: usize,
}

impl Mats {
    /// The matrices of a view of `shape` (at least two axes).
    pub fn of(d: &Data, shape: &[i64]) -> Mats {
        let nd = shape.len();
        let (bshape, bstr) = (&shape[..nd - 2], &d.strides[..nd - 2]);
        let count: usize = bshape.iter().product::<i64>() as usize;
        let mut offs = Vec::with_capacity(count);
        let mut idx = vec![0i64; bshape.len()];
        for _ in 0..count {
            offs.push(idx.iter().zip(bstr).map(|(i, s)| i * s).sum::<i64>() as isize);
            for ax in (0..idx.len()).rev() {
                idx[ax] += 1;
                if idx[ax] < bshape[ax] {
                    break;
                }
                idx[ax] = 0;
            }
        }
        Mats {
            offs,
            rs: d.strides[nd - 2] as isize,
            cs: d.strides[nd - 1] as isize,
            m: shape[nd - 2] as usize,
            n: shape[nd - 1] as usize,
        }
    }

    /// Number of matrices.
    pub fn count(&self) -> usize {
        self.offs.len()
    }

    /// Matrix `b` as a column-major buffer; `adjoint` reads its conjugate
    /// transpose instead.
    ///
    /// # Safety
    /// `base` must point at the view's origin and the view must be valid.
    pub(super) unsafe fn load<T: Field>(&self, base: *const T, b: usize, adjoint: bool) -> Vec<T> {
        let (m, n) = (self.m, self.n);
        let p = base.offset(self.offs[b]);
        let mut out = Vec::with_capacity(m * n);
        if adjoint {
            // Result is n x m: element (i, j) = conj(a[j, i]).
            for j in 0..m {
                for i in 0..n {
                    out.push((*p.offset(j as isize * self.rs + i as isize * self.cs)).conj_());
                }
            }
        } else {
            for j in 0..n {
                for i in 0..m {
                    out.push(*p.offset(i as isize * self.rs + j as isize * self.cs));
                }
            }
        }
        out
    }
}

/// Writes a column-major `m x n` buffer row-major at `dst`, converting
/// each element with `f`.
///
/// # Safety
/// `dst` must hold `m * n` elements.
pub(super) unsafe fn store<T: Copy, U>(
    dst: *mut U,
    src: &[T],
    m: usize,
    n: usize,
    f: impl Fn(T) -> U,
) {
    for i in 0..m {
        for j in 0..n {
            *dst.add(i * n + j) = f(src[j * m + i]);
        }
    }
}

/// Runs `f(b, par)` for every matrix `b` of a batch of `count` matrices of
/// about `n^3` work each, in parallel over the batch when there are several
/// and over the matrix's work otherwise. Returns the error of the lowest
/// failing index (MLX stops at the first failing matrix).
pub(super) fn run_batch(
    count: usize,
    n: usize,
    f: impl Fn(usize, Par) -> Result<()> + Sync,
) -> Result<()> {
    let threads = rayon::current_num_threads();
    let flops = (n as f64).powi(3);
    if count <= 1 || threads <= 1 || (count as f64) * flops < 32768.0 {
        let par = if flops >= 262144.0 && threads > 1 {
            Par::rayon(0)
        } else {
            Par::Seq
        };
        for b in 0..count {
            f(b, par)?;
        }
        return Ok(());
    }
    let first = (0..count)
        .into_par_iter()
        .filter_map(|b| f(b, Par::Seq).err().map(|e| (b, e)))
        .min_by_key(|(b, _)| *b);
    match first {
        Some((_, e)) => Err(e),
        None => Ok(()),
    }
}

pub(super) fn stack_for(req: faer::dyn_stack::StackReq) -> MemBuffer {
    MemBuffer::new(req)
}

pub(super) fn view<T: Field>(buf: &[T], m: usize, n: usize) -> MatRef<'_, T> {
    MatRef::from_column_major_slice(buf, m, n)
}

pub(super) fn view_mut<T: Field>(buf: &mut [T], m: usize, n: usize) -> MatMut<'_, T> {
    MatMut::from_column_major_slice_mut(buf, m, n)
}

// ---------------------------------------------------------------------------
// LU

/// LAPACK's `getrf` on a column-major `m x n` buffer: row pivots `ipiv`
/// (step `j` swapped rows `j` and `ipiv[j]`) and the index of the first
/// exactly-zero pivot, if any (the column is then left unscaled).
fn lu_in_place<T: Field>(
    a: &mut [T],
    m: usize,
    n: usize,
    ipiv: &mut [usize],
    par: Par,
) -> Option<usize> {
    const NB: usize = 32;
    let k = m.min(n);
    let mut info = None;
    let mut j0 = 0;
    while j0 < k {
        let jb = NB.min(k - j0);
        let pend = j0 + jb;
        for j in j0..pend {
            let col = j * m;
            let mut p = j;
            let mut best = a[col + j].abs1();
            for i in j + 1..m {
                let v = a[col + i].abs1();
                if v > best {
                    best = v;
                    p = i;
                }
            }
            ipiv[j] = p;
            let piv = a[col + p];
            if !piv.is_zero() {
                if p != j {
                    for c in j0..pend {
                        a.swap(c * m + j, c * m + p);
                    }
                }
                if best >= f32::MIN_POSITIVE as f64 {
                    let r = piv.inv();
                    for x in &mut a[col + j + 1..col + m] {
                        *x *= r;
                    }
                } else {
                    let p = piv.to_c64();
                    for x in &mut a[col + j + 1..col + m] {
                        *x = T::from_c64(x.to_c64() / p);
                    }
                }
            } else if info.is_none() {
                info = Some(j);
            }
            // Rank-1 update of the rest of the panel.
            for c in j + 1..pend {
                let f = a[c * m + j];
                if f.is_zero() {
                    continue;
                }
                for i in j + 1..m {
                    a[c * m + i] -= a[col + i] * f;
                }
            }
        }
        // The panel's row swaps, applied to the columns outside it.
        for j in j0..pend {
            let p = ipiv[j];
            if p != j {
                for c in (0..j0).chain(pend..n) {
                    a.swap(c * m + j, c * m + p);
                }
            }
        }
        if pend < n {
            let sub = view_mut(a, m, n).submatrix_mut(j0, j0, m - j0, n - j0);
            let (a11, mut a12, a21, a22) = sub.split_at_mut(jb, jb);
            ts::solve_unit_lower_triangular_in_place(a11.rb(), a12.rb_mut(), par);
            let minus_one = T::from_c64(Complex64::new(-1.0, 0.0));
            matmul::matmul(a22, Accum::Add, a21.rb(), a12.rb(), minus_one, par);
        }
        j0 = pend;
    }
    info
}

/// The row permutation of a pivot sequence: row `i` of `L U` is row
/// `perm[i]` of the input.
fn pivots_to_perm(ipiv: &[usize], m: usize) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..m).collect();
    for (j, &p) in ipiv.iter().enumerate() {
        perm.swap(j, p);
    }
    perm
}

fn lu_typed<T: Field>(a: &Data, shape: &[i64], lu: &Data, piv: &Data, rows: &Data) -> Result<()> {
    let g = Mats::of(a, shape);
    let (m, n) = (g.m, g.n);
    let k = m.min(n);
    let (src, lu_p, piv_p, rows_p) = (
        SyncPtr(a.ptr::<T>()),
        SyncPtr(lu.ptr::<T>()),
        SyncPtr(piv.ptr::<u32>()),
        SyncPtr(rows.ptr::<u32>()),
    );
    run_batch(g.count(), k.max(1).min(m.max(n)), |b, par| {
        let (src, lu_p, piv_p, rows_p) = (src, lu_p, piv_p, rows_p);
        // SAFETY: matrix b lies in the view; outputs are disjoint per b.
        unsafe {
            let mut buf = g.load::<T>(src.0, b, false);
            let mut ipiv = vec![0usize; k];
            lu_in_place(&mut buf, m, n, &mut ipiv, par);
            store(lu_p.0.add(b * m * n), &buf, m, n, |x| x);
            for (j, &p) in ipiv.iter().enumerate() {
                *piv_p.0.add(b * k + j) = p as u32;
            }
            // MLX's row indices: the inverse of the permutation.
            let perm = pivots_to_perm(&ipiv, m);
            for (i, &p) in perm.iter().enumerate() {
                *rows_p.0.add(b * m + p) = i as u32;
            }
        }
        Ok(())
    })
}

/// LU factorisation with partial pivoting of each matrix of `a` (float32 or
/// float64): the packed factors, the pivots and MLX's row indices.
pub fn lu(dt: Dtype, a: &Data, shape: &[i64], lu: &Data, piv: &Data, rows: &Data) -> Result<()> {
    match dt {
        Dtype::Float32 => lu_typed::<f32>(a, shape, lu, piv, rows),
        Dtype::Float64 => lu_typed::<f64>(a, shape, lu, piv, rows),
        _ => Err(unsupported("lu_factor", dt)),
    }
}

pub(super) fn unsupported(op: &str, dt: Dtype) -> Error {
    Error::value(format!(
        "[linalg::{op}] Arrays must have type float32 or float64. Received array with type {dt}."
    ))
}

// ---------------------------------------------------------------------------
// Inverses

fn tri_error(k: usize) -> Error {
    Error::runtime(format!(
        "[Inverse::eval_cpu] triangular inversion failed with error code {}",
        k + 1
    ))
}

fn inverse_typed<T: Field>(
    a: &Data,
    shape: &[i64],
    tri: bool,
    upper: bool,
    out: &Data,
) -> Result<()> {
    let g = Mats::of(a, shape);
    let n = g.n;
    let (src, dst) = (SyncPtr(a.ptr::<T>()), SyncPtr(out.ptr::<T>()));
    run_batch(g.count(), n, |b, par| {
        let (src, dst) = (src, dst);
        // SAFETY: as in `lu_typed`.
        let mut buf = unsafe { g.load::<T>(src.0, b, false) };
        let mut x = vec![T::from_c64(Complex64::new(0.0, 0.0)); n * n];
        if tri {
            if let Some(k) = (0..n).find(|&i| buf[i * n + i].is_zero()) {
                return Err(tri_error(k));
            }
            let (s, d) = (view(&buf, n, n), view_mut(&mut x, n, n));
            if upper {
                faer::linalg::triangular_inverse::invert_upper_triangular(d, s, par);
            } else {
                faer::linalg::triangular_inverse::invert_lower_triangular(d, s, par);
            }
        } else {
            let mut ipiv = vec![0usize; n];
            if let Some(k) = lu_in_place(&mut buf, n, n, &mut ipiv, par) {
                return Err(Error::runtime(format!(
                    "[Inverse::eval_cpu] LU factorization failed with error code {}",
                    k + 1
                )));
            }
            // A^-1 = U^-1 L^-1 P: solve L U X = P I.
            let one = T::from_c64(Complex64::new(1.0, 0.0));
            for (i, &p) in pivots_to_perm(&ipiv, n).iter().enumerate() {
                x[p * n + i] = one;
            }
            let f = view(&buf, n, n);
            ts::solve_unit_lower_triangular_in_place(f, view_mut(&mut x, n, n), par);
            ts::solve_upper_triangular_in_place(f, view_mut(&mut x, n, n), par);
        }
        // SAFETY: output matrix b.
        unsafe { store(dst.0.add(b * n * n), &x, n, n, |v| v) };
        Ok(())
    })
}

/// Inverse of each (triangular, when `tri`) square matrix of `a`.
pub fn inverse(
    dt: Dtype,
    a: &Data,
    shape: &[i64],
    tri: bool,
    upper: bool,
    out: &Data,
) -> Result<()> {
    match dt {
        Dtype::Float32 => inverse_typed::<f32>(a, shape, tri, upper, out),
        Dtype::Float64 => inverse_typed::<f64>(a, shape, tri, upper, out),
        _ => Err(unsupported("inv", dt)),
    }
}

// ---------------------------------------------------------------------------
// Cholesky

fn cholesky_typed<T: Field>(a: &Data, shape: &[i64], upper: bool, out: &Data) -> Result<()> {
    let g = Mats::of(a, shape);
    let n = g.n;
    let (src, dst) = (SyncPtr(a.ptr::<T>()), SyncPtr(out.ptr::<T>()));
    run_batch(g.count(), n, |b, par| {
        let (src, dst) = (src, dst);
        // The factor of the upper triangle is the adjoint of that of the
        // lower triangle of the adjoint.
        // SAFETY: as in `lu_typed`.
        let mut buf = unsafe { g.load::<T>(src.0, b, upper) };
        let zero = T::from_c64(Complex64::new(0.0, 0.0));
        let ok = {
            let req =
                cholesky::llt::factor::cholesky_in_place_scratch::<T>(n, par, Default::default());
            let mut mem = stack_for(req);
            cholesky::llt::factor::cholesky_in_place(
                view_mut(&mut buf, n, n),
                Default::default(),
                par,
                MemStack::new(&mut mem),
                Default::default(),
            )
            .is_ok()
        };
        // A matrix that is not positive definite has no factor: NaN (MLX
        // returns LAPACK's partial factorisation).
        let nan = T::from_c64(Complex64::new(f64::NAN, 0.0));
        for j in 0..n {
            for i in 0..n {
                let v = &mut buf[j * n + i];
                *v = if !ok {
                    nan
                } else if i < j {
                    zero
                } else {
                    *v
                };
            }
        }
        // SAFETY: output matrix b.
        unsafe {
            let d = dst.0.add(b * n * n);
            if upper {
                // U = L^H, row-major: U[i][j] = conj(L[j][i]).
                for i in 0..n {
                    for j in 0..n {
                        *d.add(i * n + j) = buf[i * n + j].conj_();
                    }
                }
            } else {
                store(d, &buf, n, n, |v| v);
            }
        }
        Ok(())
    })
}

/// Cholesky factor of each matrix of `a` (its lower triangle, or its upper
/// one when `upper`).
pub fn cholesky(dt: Dtype, a: &Data, shape: &[i64], upper: bool, out: &Data) -> Result<()> {
    match dt {
        Dtype::Float32 => cholesky_typed::<f32>(a, shape, upper, out),
        Dtype::Float64 => cholesky_typed::<f64>(a, shape, upper, out),
        _ => Err(unsupported("cholesky", dt)),
    }
}

// ---------------------------------------------------------------------------
// Linear solves

fn solve_typed<T: Field>(
    a: &Data,
    ashape: &[i64],
    b: &Data,
    bshape: &[i64],
    tri: Option<bool>,
    out: &Data,
) -> Result<()> {
    let ga = Mats::of(a, ashape);
    let gb = Mats::of(b, bshape);
    let (n, k) = (gb.m, gb.n);
    let (ap, bp, dst) = (
        SyncPtr(a.ptr::<T>()),
        SyncPtr(b.ptr::<T>()),
        SyncPtr(out.ptr::<T>()),
    );
    run_batch(ga.count(), n.max(k), |i, par| {
        let (ap, bp, dst) = (ap, bp, dst);
        // SAFETY: as in `lu_typed`.
        let (mut fa, mut x) =
            unsafe { (ga.load::<T>(ap.0, i, false), gb.load::<T>(bp.0, i, false)) };
        match tri {
            Some(upper) => {
                if let Some(z) = (0..n).find(|&d| fa[d * n + d].is_zero()) {
                    return Err(tri_error(z));
                }
                if upper {
                    ts::solve_upper_triangular_in_place(
                        view(&fa, n, n),
                        view_mut(&mut x, n, k),
                        par,
                    );
                } else {
                    ts::solve_lower_triangular_in_place(
                        view(&fa, n, n),
                        view_mut(&mut x, n, k),
                        par,
                    );
                }
            }
            None => {
                let mut ipiv = vec![0usize; n];
                if let Some(z) = lu_in_place(&mut fa, n, n, &mut ipiv, par) {
                    // MLX solves through the inverse of U, which fails here.
                    return Err(tri_error(z));
                }
                for (j, &p) in ipiv.iter().enumerate() {
                    if p != j {
                        for c in 0..k {
                            x.swap(c * n + j, c * n + p);
                        }
                    }
                }
                let f = view(&fa, n, n);
                ts::solve_unit_lower_triangular_in_place(f, view_mut(&mut x, n, k), par);
                ts::solve_upper_triangular_in_place(f, view_mut(&mut x, n, k), par);
            }
        }
        // SAFETY: output matrix i.
        unsafe { store(dst.0.add(i * n * k), &x, n, k, |v| v) };
        Ok(())
    })
}

/// Solves `a x = b` for each pair of matrices (same batch shape): through
/// LU with partial pivoting, or by substitution when `tri` is
/// `Some(upper)` (reading only that triangle of `a`).
pub fn solve(
    dt: Dtype,
    a: &Data,
    ashape: &[i64],
    b: &Data,
    bshape: &[i64],
    tri: Option<bool>,
    out: &Data,
) -> Result<()> {
    match dt {
        Dtype::Float32 => solve_typed::<f32>(a, ashape, b, bshape, tri, out),
        Dtype::Float64 => solve_typed::<f64>(a, ashape, b, bshape, tri, out),
        _ => Err(unsupported("solve", dt)),
    }
}
