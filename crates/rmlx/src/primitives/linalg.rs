//! The linalg family: factorisations and solves of the matrices in the last
//! two axes, mapped over the leading (batch) axes. Shape rules live with
//! the ops (`ops/linalg.rs`), kernels in `backend/cpu/linalg.rs`,
//! transformation rules in `linalg_grad.rs`.
//!
//! MLX 0.32 has no derivatives for any of these primitives; rmlx gives the
//! differentiable ones (everything but `eig` and the integer outputs of
//! `lu_factor`) their vjp and jvp, and every one of them a vmap rule.

use std::any::Any;

use super::linalg_grad as grad;
use super::Primitive;
use crate::array::{Array, Data};
use crate::backend::cpu::linalg as k;
use crate::error::{Error, Result};
use crate::eval::EvalCtx;

/// Implements the parts of [`Primitive`] every linalg primitive shares.
macro_rules! common {
    () => {
        fn is_equivalent(&self, other: &dyn Primitive) -> bool {
            other
                .as_any()
                .downcast_ref::<Self>()
                .is_some_and(|o| o == self)
        }

        fn as_any(&self) -> &dyn Any {
            self
        }

        fn vmap(
            &self,
            inputs: &[Array],
            axes: &[Option<usize>],
        ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
            grad::vmap(self, inputs, axes)
        }
    };
}

/// Inverse of a square matrix, or of a triangular one (`tri`: only the
/// `upper` or lower triangle is read, the other is zero in the result).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inverse {
    /// Triangular inverse.
    pub tri: bool,
    /// Which triangle a triangular inverse reads.
    pub upper: bool,
}

impl Primitive for Inverse {
    fn name(&self) -> &'static str {
        if self.tri {
            "tri_inv"
        } else {
            "inv"
        }
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        k::inverse(a.dtype(), a.data(), a.shape(), self.tri, self.upper, &out)?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cots: &[Array],
        _: &[usize],
        outs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::inverse_vjp(self, &primals[0], &cots[0], &outs[0])
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::inverse_jvp(self, &primals[0], &tangents[0])
    }

    common!();
}

/// Cholesky factor of a symmetric positive definite matrix, read from its
/// lower (or `upper`) triangle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cholesky {
    /// Return (and read) the upper factor.
    pub upper: bool,
}

impl Primitive for Cholesky {
    fn name(&self) -> &'static str {
        "cholesky"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        k::cholesky(a.dtype(), a.data(), a.shape(), self.upper, &out)?;
        Ok(vec![out])
    }

    fn vjp(&self, _: &[Array], cots: &[Array], _: &[usize], outs: &[Array]) -> Result<Vec<Array>> {
        grad::cholesky_vjp(self, &cots[0], &outs[0])
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::cholesky_jvp(self, &primals[0], &tangents[0])
    }

    common!();
}

/// Reduced QR factorisation: `Q` (`m x k`, orthonormal columns) and `R`
/// (`k x n`, upper trapezoidal), `k = min(m, n)`, with LAPACK's signs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Qr;

impl Primitive for Qr {
    fn name(&self) -> &'static str {
        "qr"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let (q, r) = (ctx.alloc(0)?, ctx.alloc(1)?);
        k::qr(a.dtype(), a.data(), a.shape(), &q, &r)?;
        Ok(vec![q, r])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cots: &[Array],
        _: &[usize],
        outs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::qr_vjp(&primals[0], cots, outs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::qr_jvp(&primals[0], &tangents[0])
    }

    common!();
}

/// Singular value decomposition: `S` (decreasing), and with `compute_uv`
/// the full `U` (`m x m`) and `Vt` (`n x n`), outputs `[U, S, Vt]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Svd {
    /// Whether `U` and `Vt` are outputs.
    pub compute_uv: bool,
}

impl Primitive for Svd {
    fn name(&self) -> &'static str {
        "svd"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        if self.compute_uv {
            let (u, s, vt) = (ctx.alloc(0)?, ctx.alloc(1)?, ctx.alloc(2)?);
            k::svd(a.dtype(), a.data(), a.shape(), &s, Some((&u, &vt)))?;
            Ok(vec![u, s, vt])
        } else {
            let s = ctx.alloc(0)?;
            k::svd(a.dtype(), a.data(), a.shape(), &s, None)?;
            Ok(vec![s])
        }
    }

    fn vjp(
        &self,
        primals: &[Array],
        cots: &[Array],
        _: &[usize],
        outs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::svd_vjp(self, &primals[0], cots, outs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::svd_jvp(self, &primals[0], &tangents[0])
    }

    common!();
}

/// The outputs of an eigendecomposition: the eigenvalues, then with
/// `vectors` the eigenvectors, both filled by `kernel(values, vectors)`.
fn values_vectors(
    ctx: &EvalCtx,
    vectors: bool,
    kernel: impl FnOnce(&Data, Option<&Data>) -> Result<()>,
) -> Result<Vec<Data>> {
    let w = ctx.alloc(0)?;
    if vectors {
        let v = ctx.alloc(1)?;
        kernel(&w, Some(&v))?;
        Ok(vec![w, v])
    } else {
        kernel(&w, None)?;
        Ok(vec![w])
    }
}

/// Eigendecomposition of a Hermitian matrix read from its lower (`upper`:
/// upper) triangle: ascending real eigenvalues and, with `vectors`, the
/// eigenvectors as columns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eigh {
    /// Read the upper triangle (`UPLO='U'`).
    pub upper: bool,
    /// Whether the eigenvectors are an output.
    pub vectors: bool,
}

impl Primitive for Eigh {
    fn name(&self) -> &'static str {
        if self.vectors {
            "eigh"
        } else {
            "eigvalsh"
        }
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        values_vectors(ctx, self.vectors, |w, v| {
            k::eigh(a.dtype(), a.data(), a.shape(), self.upper, w, v)
        })
    }

    fn vjp(
        &self,
        primals: &[Array],
        cots: &[Array],
        _: &[usize],
        outs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::eigh_vjp(self, &primals[0], cots, outs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::eigh_jvp(self, &primals[0], &tangents[0])
    }

    common!();
}

/// Eigendecomposition of a general square matrix: complex64 eigenvalues
/// and, with `vectors`, right eigenvectors (unit norm, largest component
/// real, as LAPACK's `geev`). Not differentiable (as in MLX).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eig {
    /// Whether the eigenvectors are an output.
    pub vectors: bool,
}

impl Primitive for Eig {
    fn name(&self) -> &'static str {
        if self.vectors {
            "eig"
        } else {
            "eigvals"
        }
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        values_vectors(ctx, self.vectors, |w, v| {
            k::eig(a.dtype(), a.data(), a.shape(), w, v)
        })
    }

    fn vjp(&self, _: &[Array], _: &[Array], _: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        Err(Error::value(format!(
            "[{}] The vjp is not implemented (as in MLX).",
            self.name()
        )))
    }

    fn jvp(&self, _: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Err(Error::value(format!(
            "[{}] The jvp is not implemented (as in MLX).",
            self.name()
        )))
    }

    common!();
}

/// LU factorisation with partial pivoting, as LAPACK's `getrf`: the packed
/// factors (`L` unit lower below the diagonal, `U` on and above it), the
/// pivots (`uint32`, step `j` swapped rows `j` and `pivots[j]`) and MLX's
/// row indices (`uint32`: `a[i] = (L @ U)[rows[i]]`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LuFactor;

impl Primitive for LuFactor {
    fn name(&self) -> &'static str {
        "lu_factor"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let (lu, piv, rows) = (ctx.alloc(0)?, ctx.alloc(1)?, ctx.alloc(2)?);
        k::lu(a.dtype(), a.data(), a.shape(), &lu, &piv, &rows)?;
        Ok(vec![lu, piv, rows])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cots: &[Array],
        _: &[usize],
        outs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::lu_vjp(&primals[0], &cots[0], outs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        grad::lu_jvp(&primals[0], &tangents[0])
    }

    common!();
}

/// Solution `x` of `a @ x = b` for square `a` (`..., n, n`) and `b`
/// (`..., n, k`) of the same batch shape: through LU with partial pivoting,
/// or by substitution in the `Some(upper)` triangle of `a`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Solve {
    /// `None`: general; `Some(upper)`: triangular.
    pub tri: Option<bool>,
}

impl Primitive for Solve {
    fn name(&self) -> &'static str {
        if self.tri.is_some() {
            "solve_triangular"
        } else {
            "solve"
        }
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let (a, b) = (&ctx.inputs[0], &ctx.inputs[1]);
        let out = ctx.alloc(0)?;
        k::solve(
            a.dtype(),
            a.data(),
            a.shape(),
            b.data(),
            b.shape(),
            self.tri,
            &out,
        )?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cots: &[Array],
        argnums: &[usize],
        outs: &[Array],
    ) -> Result<Vec<Array>> {
        grad::solve_vjp(self, primals, &cots[0], argnums, &outs[0])
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        grad::solve_jvp(self, primals, tangents, argnums)
    }

    common!();
}
