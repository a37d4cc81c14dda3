//! `rmlx.core.linalg`: MLX's linear-algebra module with its signatures and
//! argument checking, plus NumPy's `lstsq` and `matrix_norm`, which MLX
//! lacks. As in MLX, array arguments must be arrays (no implicit
//! conversion of lists or NumPy data).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyFloat, PyInt, PyString, PyTuple};
use rmlx::ops::linalg::{self as la, NormOrd};
use rmlx::Array;

use crate::array::PyArray;
use crate::convert::stream_arg;
use crate::errors::PyResultExt;

type Obj<'py> = Bound<'py, PyAny>;

fn type_name(o: &Obj<'_>) -> String {
    o.get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// An array argument; anything else is refused with MLX's message.
fn operand(a: &Obj<'_>, fname: &str, sig: &str) -> PyResult<Array> {
    match a.cast::<PyArray>() {
        Ok(x) => Ok(x.borrow().inner.clone()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{fname}(): incompatible function arguments. The following argument types are supported:\n    1. {fname}({sig}) -> array\n\nInvoked with types: {}",
            type_name(a)
        ))),
    }
}

fn wrap(a: Array) -> PyArray {
    PyArray::new(a)
}

fn tuple<'py>(py: Python<'py>, arrays: Vec<Array>) -> PyResult<Bound<'py, PyTuple>> {
    PyTuple::new(py, arrays.into_iter().map(wrap))
}

/// The tuples of arrays the linalg functions return.
trait IntoArrays {
    fn into_arrays(self) -> Vec<Array>;
}

impl IntoArrays for (Array, Array) {
    fn into_arrays(self) -> Vec<Array> {
        vec![self.0, self.1]
    }
}

impl IntoArrays for (Array, Array, Array) {
    fn into_arrays(self) -> Vec<Array> {
        vec![self.0, self.1, self.2]
    }
}

const SIG_NORM: &str = "a: array, /, ord: None | int | float | str = None, axis: None | int | list[int] = None, keepdims: bool = False, *, stream: StreamOrDevice = None";

/// `ord`: None, a number (bools count as ints) or a string.
fn ord_arg(ord: Option<&Obj<'_>>) -> PyResult<Option<NormOrd>> {
    let Some(o) = ord else { return Ok(None) };
    if o.is_none() {
        return Ok(None);
    }
    if o.is_instance_of::<PyString>() {
        return Ok(Some(NormOrd::Named(o.extract()?)));
    }
    if o.is_instance_of::<PyBool>() || o.is_instance_of::<PyInt>() || o.is_instance_of::<PyFloat>()
    {
        return Ok(Some(NormOrd::P(o.extract::<f64>()?)));
    }
    Err(PyTypeError::new_err(format!(
        "norm(): incompatible function arguments. The following argument types are supported:\n    1. norm({SIG_NORM}) -> array\n\nInvoked with types: array, {}",
        type_name(o)
    )))
}

/// `axis`: None, an int or a sequence of ints.
fn axis_arg(axis: Option<&Obj<'_>>) -> PyResult<Option<Vec<i64>>> {
    let Some(o) = axis else { return Ok(None) };
    if o.is_none() {
        return Ok(None);
    }
    if let Ok(i) = o.extract::<i64>() {
        return Ok(Some(vec![i]));
    }
    o.extract::<Vec<i64>>().map(Some).map_err(|_| {
        PyTypeError::new_err(format!(
            "norm(): incompatible function arguments. The following argument types are supported:\n    1. norm({SIG_NORM}) -> array\n\nInvoked with types: array, kwargs = {{ axis: {} }}",
            type_name(o)
        ))
    })
}

/// Matrix or vector norm.
#[pyfunction]
#[pyo3(signature = (a, /, ord = None, axis = None, keepdims = false, *, stream = None))]
fn norm(
    a: &Obj<'_>,
    ord: Option<&Obj<'_>>,
    axis: Option<&Obj<'_>>,
    keepdims: bool,
    stream: Option<&Obj<'_>>,
) -> PyResult<PyArray> {
    let a = operand(a, "norm", SIG_NORM)?;
    let ord = ord_arg(ord)?;
    let axis = axis_arg(axis)?;
    let r = la::norm(
        &a,
        ord.as_ref(),
        axis.as_deref(),
        keepdims,
        stream_arg(stream)?,
    );
    Ok(wrap(r.py()?))
}

/// Norm of the matrices in the last two axes (NumPy's `matrix_norm`).
#[pyfunction]
#[pyo3(signature = (x, /, *, keepdims = false, ord = None, stream = None))]
fn matrix_norm(
    x: &Obj<'_>,
    keepdims: bool,
    ord: Option<&Obj<'_>>,
    stream: Option<&Obj<'_>>,
) -> PyResult<PyArray> {
    let sig = "x: array, /, *, keepdims: bool = False, ord: int | float | str = 'fro', stream: StreamOrDevice = None";
    let a = operand(x, "matrix_norm", sig)?;
    let ord = ord_arg(ord)?;
    Ok(wrap(
        la::matrix_norm(&a, ord.as_ref(), keepdims, stream_arg(stream)?).py()?,
    ))
}

/// The QR factorization of the input matrix.
#[pyfunction]
#[pyo3(signature = (a, *, stream = None))]
fn qr<'py>(
    py: Python<'py>,
    a: &Obj<'py>,
    stream: Option<&Obj<'py>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let a = operand(a, "qr", "a: array, *, stream: StreamOrDevice = None")?;
    let (q, r) = la::qr(&a, stream_arg(stream)?).py()?;
    tuple(py, vec![q, r])
}

/// The Singular Value Decomposition of the input matrix.
#[pyfunction]
#[pyo3(signature = (a, compute_uv = true, *, stream = None))]
fn svd<'py>(
    py: Python<'py>,
    a: &Obj<'py>,
    compute_uv: bool,
    stream: Option<&Obj<'py>>,
) -> PyResult<Bound<'py, PyAny>> {
    let a = operand(
        a,
        "svd",
        "a: array, compute_uv: bool = True, *, stream: StreamOrDevice = None",
    )?;
    let mut outs = la::svd(&a, compute_uv, stream_arg(stream)?).py()?;
    if compute_uv {
        Ok(tuple(py, outs)?.into_any())
    } else {
        Ok(Bound::new(py, wrap(outs.remove(0)))?.into_any())
    }
}

macro_rules! one_array {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (a, *, stream = None))]
        fn $name(a: &Obj<'_>, stream: Option<&Obj<'_>>) -> PyResult<PyArray> {
            let a = operand(a, stringify!($name), "a: array, *, stream: StreamOrDevice = None")?;
            Ok(wrap(la::$name(&a, stream_arg(stream)?).py()?))
        }
    };
}

one_array!(
    /// Compute the inverse of a square matrix.
    inv
);
one_array!(
    /// Compute the (Moore-Penrose) pseudo-inverse of a matrix.
    pinv
);
one_array!(
    /// Compute the determinant of a square matrix.
    det
);
one_array!(
    /// Compute the eigenvalues of a square matrix.
    eigvals
);

macro_rules! with_upper {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (a, upper = false, *, stream = None))]
        fn $name(a: &Obj<'_>, upper: bool, stream: Option<&Obj<'_>>) -> PyResult<PyArray> {
            let a = operand(
                a,
                stringify!($name),
                "a: array, upper: bool = False, *, stream: StreamOrDevice = None",
            )?;
            Ok(wrap(la::$name(&a, upper, stream_arg(stream)?).py()?))
        }
    };
}

with_upper!(
    /// Compute the inverse of a triangular square matrix.
    tri_inv
);
with_upper!(
    /// Compute the Cholesky decomposition of a real symmetric positive
    /// semi-definite matrix.
    cholesky
);
with_upper!(
    /// Compute the inverse of a real symmetric positive semi-definite matrix
    /// using its Cholesky decomposition.
    cholesky_inv
);

/// Compute the cross product of two arrays along a specified axis.
#[pyfunction]
#[pyo3(signature = (a, b, axis = -1, *, stream = None))]
fn cross(a: &Obj<'_>, b: &Obj<'_>, axis: i64, stream: Option<&Obj<'_>>) -> PyResult<PyArray> {
    let sig = "a: array, b: array, axis: int = -1, *, stream: StreamOrDevice = None";
    let (a, b) = (operand(a, "cross", sig)?, operand(b, "cross", sig)?);
    Ok(wrap(la::cross(&a, &b, axis, stream_arg(stream)?).py()?))
}

const SIG_EIGH: &str = "a: array, UPLO: str = 'L', *, stream: StreamOrDevice = None";

/// Compute the eigenvalues of a complex Hermitian or real symmetric matrix.
#[pyfunction]
#[pyo3(signature = (a, UPLO = "L", *, stream = None))]
#[allow(non_snake_case)]
fn eigvalsh(a: &Obj<'_>, UPLO: &str, stream: Option<&Obj<'_>>) -> PyResult<PyArray> {
    let a = operand(a, "eigvalsh", SIG_EIGH)?;
    Ok(wrap(la::eigvalsh(&a, UPLO, stream_arg(stream)?).py()?))
}

/// Compute the eigenvalues and eigenvectors of a complex Hermitian or real
/// symmetric matrix.
#[pyfunction]
#[pyo3(signature = (a, UPLO = "L", *, stream = None))]
#[allow(non_snake_case)]
fn eigh<'py>(
    py: Python<'py>,
    a: &Obj<'py>,
    UPLO: &str,
    stream: Option<&Obj<'py>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let a = operand(a, "eigh", SIG_EIGH)?;
    let (w, v) = la::eigh(&a, UPLO, stream_arg(stream)?).py()?;
    tuple(py, vec![w, v])
}

macro_rules! tuple_out {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[pyfunction]
        #[pyo3(signature = (a, *, stream = None))]
        fn $name<'py>(py: Python<'py>, a: &Obj<'py>, stream: Option<&Obj<'py>>) -> PyResult<Bound<'py, PyTuple>> {
            let a = operand(a, stringify!($name), "a: array, *, stream: StreamOrDevice = None")?;
            let outs = la::$name(&a, stream_arg(stream)?).py()?;
            tuple(py, outs.into_arrays())
        }
    };
}

tuple_out!(
    /// Compute the eigenvalues and eigenvectors of a square matrix.
    eig
);
tuple_out!(
    /// Compute the LU factorization of the given matrix `A`.
    lu
);
tuple_out!(
    /// Computes a compact representation of the LU factorization.
    lu_factor
);
tuple_out!(
    /// Compute the sign and natural log of the absolute value of the
    /// determinant of a square matrix.
    slogdet
);

/// Compute the solution to a system of linear equations `AX = B`.
#[pyfunction]
#[pyo3(signature = (a, b, *, stream = None))]
fn solve(a: &Obj<'_>, b: &Obj<'_>, stream: Option<&Obj<'_>>) -> PyResult<PyArray> {
    let sig = "a: array, b: array, *, stream: StreamOrDevice = None";
    let (a, b) = (operand(a, "solve", sig)?, operand(b, "solve", sig)?);
    Ok(wrap(la::solve(&a, &b, stream_arg(stream)?).py()?))
}

/// Computes the solution of a triangular system of linear equations `AX = B`.
#[pyfunction]
#[pyo3(signature = (a, b, *, upper = false, stream = None))]
fn solve_triangular(
    a: &Obj<'_>,
    b: &Obj<'_>,
    upper: bool,
    stream: Option<&Obj<'_>>,
) -> PyResult<PyArray> {
    let sig = "a: array, b: array, *, upper: bool = False, stream: StreamOrDevice = None";
    let (a, b) = (
        operand(a, "solve_triangular", sig)?,
        operand(b, "solve_triangular", sig)?,
    );
    Ok(wrap(
        la::solve_triangular(&a, &b, upper, stream_arg(stream)?).py()?,
    ))
}

/// Least-squares solution of `a @ x = b`, as `numpy.linalg.lstsq` (not in
/// MLX): `(x, residuals, rank, s)`, `rank` a Python int for a single matrix.
#[pyfunction]
#[pyo3(signature = (a, b, rcond = None, *, stream = None))]
fn lstsq<'py>(
    py: Python<'py>,
    a: &Obj<'py>,
    b: &Obj<'py>,
    rcond: Option<f64>,
    stream: Option<&Obj<'py>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let sig = "a: array, b: array, rcond: float | None = None, *, stream: StreamOrDevice = None";
    let (a, b) = (operand(a, "lstsq", sig)?, operand(b, "lstsq", sig)?);
    let (x, res, rank, s) = la::lstsq(&a, &b, rcond, stream_arg(stream)?).py()?;
    let rank: Bound<'py, PyAny> = if rank.ndim() == 0 {
        rank.item::<i32>().py()?.into_pyobject(py)?.into_any()
    } else {
        Bound::new(py, wrap(rank))?.into_any()
    };
    PyTuple::new(
        py,
        [
            Bound::new(py, wrap(x))?.into_any(),
            Bound::new(py, wrap(res))?.into_any(),
            rank,
            Bound::new(py, wrap(s))?.into_any(),
        ],
    )
}

/// Registers the `linalg` submodule (also as `rmlx.core.linalg` in
/// `sys.modules`, so it can be imported by name).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // MLX names its submodules in full (`mlx.core.linalg`).
    let sub = PyModule::new(py, "rmlx.core.linalg")?;
    sub.setattr("__doc__", "rmlx.core.linalg: linear algebra routines.")?;
    macro_rules! add {
        ($($f:ident),*) => { $( sub.add_function(wrap_pyfunction!($f, &sub)?)?; )* };
    }
    add!(
        norm,
        matrix_norm,
        qr,
        svd,
        inv,
        tri_inv,
        cholesky,
        cholesky_inv,
        pinv
    );
    add!(
        cross,
        eigvalsh,
        eigh,
        eigvals,
        eig,
        lu,
        lu_factor,
        solve,
        solve_triangular
    );
    add!(det, slogdet, lstsq);
    m.add("linalg", &sub)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("rmlx.core.linalg", &sub)?;
    Ok(())
}
