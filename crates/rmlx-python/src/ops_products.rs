//! Module functions of the product family: `matmul`, `addmm`, `inner`,
//! `outer`, `tensordot`, `vecdot`, `kron`, `einsum`, `einsum_path`,
//! `block_masked_mm`, `gather_mm`, `segmented_mm` and
//! `hadamard_transform`, with MLX's signatures. Like MLX, the operands
//! must be arrays (anything else is a TypeError naming the signature);
//! `einsum` also converts array-likes.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use rmlx::{ops, Array};

use crate::array::PyArray;
use crate::convert::{stream_arg, to_array};
use crate::errors::PyResultExt;

type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type()
        .qualname()
        .map(|n| {
            let n = n.to_string();
            if n == "array" {
                "mlx.core.array".to_string()
            } else {
                n
            }
        })
        .unwrap_or_default()
}

/// MLX's message for arguments of the wrong type.
fn bad_args(fname: &str, sig: &str, args: &[&Bound<'_, PyAny>]) -> PyErr {
    let types: Vec<String> = args.iter().map(|a| type_name(a)).collect();
    PyTypeError::new_err(format!(
        "{fname}(): incompatible function arguments. The following argument types are supported:\n    1. {fname}({sig}) -> array\n\nInvoked with types: {}",
        types.join(", ")
    ))
}

/// The array operands of `fname` (TypeError unless all are arrays).
fn arrays<const N: usize>(
    fname: &str,
    sig: &str,
    args: [&Bound<'_, PyAny>; N],
) -> PyResult<[Array; N]> {
    let mut out: Vec<Array> = Vec::with_capacity(N);
    for a in args.iter() {
        match a.cast::<PyArray>() {
            Ok(x) => out.push(x.borrow().inner.clone()),
            Err(_) => return Err(bad_args(fname, sig, &args)),
        }
    }
    Ok(out.try_into().unwrap_or_else(|_| unreachable!()))
}

/// An optional array argument (None or an array).
fn opt_array(
    o: Opt<'_, '_>,
    fname: &str,
    sig: &str,
    all: &[&Bound<'_, PyAny>],
) -> PyResult<Option<Array>> {
    match o {
        None => Ok(None),
        Some(x) if x.is_none() => Ok(None),
        Some(x) => match x.cast::<PyArray>() {
            Ok(a) => Ok(Some(a.borrow().inner.clone())),
            Err(_) => Err(bad_args(fname, sig, all)),
        },
    }
}

fn wrap(r: rmlx::Result<Array>) -> PyResult<PyArray> {
    Ok(PyArray::new(r.py()?))
}

const SIG_MATMUL: &str = "a: array, b: array, /, *, stream: StreamOrDevice = None";
const SIG_ADDMM: &str =
    "c: array, a: array, b: array, /, alpha: float = 1.0, beta: float = 1.0,  *, stream: StreamOrDevice = None";
const SIG_TENSORDOT: &str =
    "a: array, b: array, /, axes: int | list[Sequence[int]] = 2, *, stream: StreamOrDevice = None";
const SIG_VECDOT: &str = "a: array, b: array, /, *, axis: int = -1, stream: StreamOrDevice = None";
const SIG_KRON: &str = "a: array, b: array, *, stream: StreamOrDevice = None";
const SIG_BMM: &str = "a: array, b: array, /, block_size: int = 64, mask_out: array | None = None, mask_lhs: array | None = None, mask_rhs: array | None = None, *, stream: StreamOrDevice = None";
const SIG_GMM: &str = "a: array, b: array, /, lhs_indices: array | None = None, rhs_indices: array | None = None, *, sorted_indices: bool = False, stream: StreamOrDevice = None";
const SIG_SMM: &str = "a: array, b: array, /, segments: array, *, stream: StreamOrDevice = None";
const SIG_HAD: &str = "a: array, scale: float | None = None, stream: StreamOrDevice = None";

#[pyfunction]
#[pyo3(signature = (a, b, /, *, stream = None))]
fn matmul(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let [a, b] = arrays("matmul", SIG_MATMUL, [a, b])?;
    wrap(ops::matmul(&a, &b, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (c, a, b, /, alpha = 1.0, beta = 1.0, *, stream = None))]
fn addmm(
    c: &Bound<'_, PyAny>,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    alpha: f64,
    beta: f64,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let [c, a, b] = arrays("addmm", SIG_ADDMM, [c, a, b])?;
    wrap(ops::addmm(&c, &a, &b, alpha, beta, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, b, /, *, stream = None))]
fn inner(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let [a, b] = arrays("inner", SIG_MATMUL, [a, b])?;
    wrap(ops::inner(&a, &b, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, b, /, *, stream = None))]
fn outer(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let [a, b] = arrays("outer", SIG_MATMUL, [a, b])?;
    wrap(ops::outer(&a, &b, stream_arg(stream)?))
}

/// One axis list of `tensordot`'s `axes`: an int or a sequence of ints.
fn axis_list(o: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
    if let Ok(i) = o.extract::<i64>() {
        return Ok(vec![i]);
    }
    if o.is_instance_of::<PyString>() {
        return Err(PyTypeError::new_err("[tensordot] axes must be integers."));
    }
    o.extract::<Vec<i64>>()
        .map_err(|_| PyTypeError::new_err("[tensordot] axes must be integers."))
}

#[pyfunction]
#[pyo3(signature = (a, b, /, axes = None, *, stream = None))]
fn tensordot(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    axes: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let [x, y] = arrays("tensordot", SIG_TENSORDOT, [a, b])?;
    let s = stream_arg(stream)?;
    let Some(axes) = axes.filter(|o| !o.is_none()) else {
        return wrap(ops::tensordot_n(&x, &y, 2, s));
    };
    if let Ok(n) = axes.extract::<i64>() {
        return wrap(ops::tensordot_n(&x, &y, n, s));
    }
    if !(axes.is_instance_of::<PyList>() || axes.is_instance_of::<PyTuple>()) {
        return Err(bad_args("tensordot", SIG_TENSORDOT, &[a, b]));
    }
    let parts: Vec<Bound<'_, PyAny>> = axes.try_iter()?.collect::<PyResult<_>>()?;
    if parts.len() != 2 {
        return Err(PyValueError::new_err(
            "[tensordot] axes must be a list of two lists.",
        ));
    }
    let (aa, bb) = (axis_list(&parts[0])?, axis_list(&parts[1])?);
    wrap(ops::tensordot(&x, &y, &aa, &bb, s))
}

#[pyfunction]
#[pyo3(signature = (a, b, /, *, axis = -1, stream = None))]
fn vecdot(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    axis: i64,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let [a, b] = arrays("vecdot", SIG_VECDOT, [a, b])?;
    wrap(ops::vecdot(&a, &b, axis, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, b, *, stream = None))]
fn kron(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let [a, b] = arrays("kron", SIG_KRON, [a, b])?;
    wrap(ops::kron(&a, &b, stream_arg(stream)?))
}

fn einsum_operands(operands: &Bound<'_, PyTuple>) -> PyResult<Vec<Array>> {
    operands.iter().map(|o| to_array(&o, None)).collect()
}

#[pyfunction]
#[pyo3(signature = (subscripts, *operands, stream = None))]
fn einsum(
    subscripts: &str,
    operands: &Bound<'_, PyTuple>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let ops_ = einsum_operands(operands)?;
    wrap(ops::einsum(subscripts, &ops_, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (subscripts, *operands))]
fn einsum_path<'py>(
    py: Python<'py>,
    subscripts: &str,
    operands: &Bound<'py, PyTuple>,
) -> PyResult<(Bound<'py, PyList>, String)> {
    let ops_ = einsum_operands(operands)?;
    let (path, text) = ops::einsum_path(subscripts, &ops_).py()?;
    let items = path
        .into_iter()
        .map(|p| PyTuple::new(py, p))
        .collect::<PyResult<Vec<_>>>()?;
    Ok((PyList::new(py, items)?, text))
}

#[pyfunction]
#[pyo3(signature = (a, b, /, block_size = 64, mask_out = None, mask_lhs = None, mask_rhs = None, *, stream = None))]
#[allow(clippy::too_many_arguments)]
fn block_masked_mm(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    block_size: i64,
    mask_out: Opt<'_, '_>,
    mask_lhs: Opt<'_, '_>,
    mask_rhs: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let [x, y] = arrays("block_masked_mm", SIG_BMM, [a, b])?;
    let all = [a, b];
    let mo = opt_array(mask_out, "block_masked_mm", SIG_BMM, &all)?;
    let ml = opt_array(mask_lhs, "block_masked_mm", SIG_BMM, &all)?;
    let mr = opt_array(mask_rhs, "block_masked_mm", SIG_BMM, &all)?;
    wrap(ops::block_masked_mm(
        &x,
        &y,
        block_size,
        mo.as_ref(),
        ml.as_ref(),
        mr.as_ref(),
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, b, /, lhs_indices = None, rhs_indices = None, *, sorted_indices = false, stream = None))]
fn gather_mm(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    lhs_indices: Opt<'_, '_>,
    rhs_indices: Opt<'_, '_>,
    sorted_indices: bool,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let [x, y] = arrays("gather_mm", SIG_GMM, [a, b])?;
    let all = [a, b];
    let li = opt_array(lhs_indices, "gather_mm", SIG_GMM, &all)?;
    let ri = opt_array(rhs_indices, "gather_mm", SIG_GMM, &all)?;
    wrap(ops::gather_mm(
        &x,
        &y,
        li.as_ref(),
        ri.as_ref(),
        sorted_indices,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, b, /, segments, *, stream = None))]
fn segmented_mm(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    segments: &Bound<'_, PyAny>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let [a, b, seg] = arrays("segmented_mm", SIG_SMM, [a, b, segments])?;
    wrap(ops::segmented_mm(&a, &b, &seg, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, scale = None, stream = None))]
fn hadamard_transform(
    a: &Bound<'_, PyAny>,
    scale: Option<f64>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let [a] = arrays("hadamard_transform", SIG_HAD, [a])?;
    wrap(ops::hadamard_transform(&a, scale, stream_arg(stream)?))
}

/// `a @ b` for the array operators (both operands arrays, as MLX's
/// `__matmul__` requires).
pub fn matmul_operator(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<Array> {
    let y = match b.cast::<PyArray>() {
        Ok(y) => y.borrow().inner.clone(),
        Err(_) => {
            return Err(PyTypeError::new_err(format!(
                "__matmul__(): incompatible function arguments. The following argument types are supported:\n    1. __matmul__(self, other: mlx.core.array) -> mlx.core.array\n\nInvoked with types: mlx.core.array, {}",
                type_name(b)
            )))
        }
    };
    let x = a.cast::<PyArray>()?.borrow().inner.clone();
    ops::matmul(&x, &y, None).py()
}

/// `other @ a` for a non-array left operand (array-likes are converted;
/// MLX has no `__rmatmul__`).
pub fn rmatmul_operator(a: &Bound<'_, PyAny>, other: &Bound<'_, PyAny>) -> PyResult<Array> {
    let x = to_array(other, None)?;
    let y = a.cast::<PyArray>()?.borrow().inner.clone();
    ops::matmul(&x, &y, None).py()
}

/// Registers the product functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(matmul, m)?)?;
    m.add_function(wrap_pyfunction!(addmm, m)?)?;
    m.add_function(wrap_pyfunction!(inner, m)?)?;
    m.add_function(wrap_pyfunction!(outer, m)?)?;
    m.add_function(wrap_pyfunction!(tensordot, m)?)?;
    m.add_function(wrap_pyfunction!(vecdot, m)?)?;
    m.add_function(wrap_pyfunction!(kron, m)?)?;
    m.add_function(wrap_pyfunction!(einsum, m)?)?;
    m.add_function(wrap_pyfunction!(einsum_path, m)?)?;
    m.add_function(wrap_pyfunction!(block_masked_mm, m)?)?;
    m.add_function(wrap_pyfunction!(gather_mm, m)?)?;
    m.add_function(wrap_pyfunction!(segmented_mm, m)?)?;
    m.add_function(wrap_pyfunction!(hadamard_transform, m)?)?;
    Ok(())
}
