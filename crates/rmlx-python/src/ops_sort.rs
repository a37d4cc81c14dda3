//! Module functions of the sort family: `sort`, `argsort`, `partition`,
//! `argpartition`, `topk`, `searchsorted` and `median`, with MLX's
//! signatures and defaults (`axis=-1`; `axis=None` flattens). As in MLX,
//! the operands must be arrays.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};
use rmlx::{ops, Array};

use crate::array::PyArray;
use crate::convert::stream_arg;
use crate::errors::PyResultExt;

const SIG_SORT: &str = "a: array, /, axis: None | int = -1, *, stream: StreamOrDevice = None";
const SIG_PART: &str =
    "a: array, /, kth: int, axis: None | int = -1, *, stream: StreamOrDevice = None";
const SIG_TOPK: &str =
    "a: array, /, k: int, axis: None | int = -1, *, stream: StreamOrDevice = None";
const SIG_SEARCH: &str = "sorted_sequence: array, values: array, /, side: str = 'left', *, stream: StreamOrDevice = None";
const SIG_MEDIAN: &str = "a: array, /, axis: None | int | Sequence[int] = None, keepdims: bool = False, *, stream: StreamOrDevice = None";

fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// MLX's message for arguments of the wrong type.
fn bad_args(fname: &str, sig: &str, what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{fname}(): incompatible function arguments. The following argument types are supported:\n    1. {fname}({sig}) -> array\n\nInvoked with types: {what}"
    ))
}

/// An array operand (MLX takes arrays only here).
fn arr(a: &Bound<'_, PyAny>, fname: &str, sig: &str) -> PyResult<Array> {
    match a.cast::<PyArray>() {
        Ok(x) => Ok(x.borrow().inner.clone()),
        Err(_) => Err(bad_args(fname, sig, &type_name(a))),
    }
}

/// An integer: ints, bools and objects with `__index__`; not floats or
/// strings.
fn index_of(o: &Bound<'_, PyAny>) -> Option<i64> {
    if o.is_instance_of::<PyString>() {
        return None;
    }
    if o.is_instance_of::<PyBool>() {
        return o.extract::<bool>().ok().map(i64::from);
    }
    o.call_method0("__index__").ok()?.extract::<i64>().ok()
}

/// The raw `axis` argument: `None` when omitted (MLX's default is -1 while
/// an explicit `None` flattens, so omission must be told apart).
struct AxisArg<'py>(Option<Bound<'py, PyAny>>);

impl<'a, 'py> FromPyObject<'a, 'py> for AxisArg<'py> {
    type Error = PyErr;
    fn extract(obj: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        Ok(AxisArg(Some(obj.to_owned())))
    }
}

/// `axis`: None (flatten) or an int; omitted means -1.
fn axis_param(axis: AxisArg<'_>, fname: &str, sig: &str) -> PyResult<Option<i64>> {
    let Some(o) = axis.0 else { return Ok(Some(-1)) };
    if o.is_none() {
        return Ok(None);
    }
    index_of(&o).map(Some).ok_or_else(|| {
        bad_args(
            fname,
            sig,
            &format!("array, kwargs = {{ axis: {} }}", type_name(&o)),
        )
    })
}

/// An int argument named `name`.
fn int_param(o: &Bound<'_, PyAny>, name: &str, fname: &str, sig: &str) -> PyResult<i64> {
    index_of(o).ok_or_else(|| {
        bad_args(
            fname,
            sig,
            &format!("array, kwargs = {{ {name}: {} }}", type_name(o)),
        )
    })
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = AxisArg(None), *, stream = None))]
fn sort(
    a: &Bound<'_, PyAny>,
    axis: AxisArg<'_>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = arr(a, "sort", SIG_SORT)?;
    let axis = axis_param(axis, "sort", SIG_SORT)?;
    Ok(PyArray::new(ops::sort(&x, axis, stream_arg(stream)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = AxisArg(None), *, stream = None))]
fn argsort(
    a: &Bound<'_, PyAny>,
    axis: AxisArg<'_>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = arr(a, "argsort", SIG_SORT)?;
    let axis = axis_param(axis, "argsort", SIG_SORT)?;
    Ok(PyArray::new(
        ops::argsort(&x, axis, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, kth, axis = AxisArg(None), *, stream = None))]
fn partition(
    a: &Bound<'_, PyAny>,
    kth: &Bound<'_, PyAny>,
    axis: AxisArg<'_>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = arr(a, "partition", SIG_PART)?;
    let kth = int_param(kth, "kth", "partition", SIG_PART)?;
    let axis = axis_param(axis, "partition", SIG_PART)?;
    Ok(PyArray::new(
        ops::partition(&x, kth, axis, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, kth, axis = AxisArg(None), *, stream = None))]
fn argpartition(
    a: &Bound<'_, PyAny>,
    kth: &Bound<'_, PyAny>,
    axis: AxisArg<'_>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = arr(a, "argpartition", SIG_PART)?;
    let kth = int_param(kth, "kth", "argpartition", SIG_PART)?;
    let axis = axis_param(axis, "argpartition", SIG_PART)?;
    Ok(PyArray::new(
        ops::argpartition(&x, kth, axis, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, k, axis = AxisArg(None), *, stream = None))]
fn topk(
    a: &Bound<'_, PyAny>,
    k: &Bound<'_, PyAny>,
    axis: AxisArg<'_>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = arr(a, "topk", SIG_TOPK)?;
    let k = int_param(k, "k", "topk", SIG_TOPK)?;
    let axis = axis_param(axis, "topk", SIG_TOPK)?;
    Ok(PyArray::new(
        ops::topk(&x, k, axis, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (sorted_sequence, values, /, side = None, *, stream = None))]
fn searchsorted(
    sorted_sequence: &Bound<'_, PyAny>,
    values: &Bound<'_, PyAny>,
    side: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let seq = arr(sorted_sequence, "searchsorted", SIG_SEARCH)?;
    let v = match values.cast::<PyArray>() {
        Ok(x) => x.borrow().inner.clone(),
        Err(_) => {
            return Err(bad_args(
                "searchsorted",
                SIG_SEARCH,
                &format!("mlx.core.array, {}", type_name(values)),
            ))
        }
    };
    let side: String = match side {
        None => Ok("left".to_string()),
        Some(side) => side.extract(),
    }
    .map_err(|_| {
        bad_args(
            "searchsorted",
            SIG_SEARCH,
            &format!(
                "mlx.core.array, mlx.core.array, kwargs = {{ side: {} }}",
                side.map(type_name).unwrap_or_default()
            ),
        )
    })?;
    Ok(PyArray::new(
        ops::searchsorted(&seq, &v, &side, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
fn median(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = arr(a, "median", SIG_MEDIAN)?;
    let axes = match axis {
        None => None,
        Some(o) if o.is_none() => None,
        Some(o) => {
            let bad = || {
                bad_args(
                    "median",
                    SIG_MEDIAN,
                    &format!("array, kwargs = {{ axis: {} }}", type_name(o)),
                )
            };
            if let Some(i) = index_of(o) {
                Some(vec![i])
            } else if o.is_instance_of::<PyString>() {
                return Err(bad());
            } else {
                let it = o.try_iter().map_err(|_| bad())?;
                let mut v = Vec::new();
                for item in it {
                    v.push(index_of(&item?).ok_or_else(bad)?);
                }
                Some(v)
            }
        }
    };
    Ok(PyArray::new(
        ops::median(&x, axes.as_deref(), keepdims, stream_arg(stream)?).py()?,
    ))
}

/// Adds the sort family's functions to `m`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sort, m)?)?;
    m.add_function(wrap_pyfunction!(argsort, m)?)?;
    m.add_function(wrap_pyfunction!(partition, m)?)?;
    m.add_function(wrap_pyfunction!(argpartition, m)?)?;
    m.add_function(wrap_pyfunction!(topk, m)?)?;
    m.add_function(wrap_pyfunction!(searchsorted, m)?)?;
    m.add_function(wrap_pyfunction!(median, m)?)?;
    Ok(())
}
