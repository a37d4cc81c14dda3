//! Module functions of the indexing family (`take`, `take_along_axis`,
//! `put_along_axis`, `slice`, `slice_update`, `unique`, and beyond MLX
//! `nonzero`, `argwhere`, `bincount`) and the `ArrayAt` object behind
//! `a.at[idx].add(v)`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyTuple};
use pyo3::IntoPyObjectExt;
use rmlx::{ops, Array};

use crate::array::PyArray;
use crate::convert::{operand_array, stream_arg, to_array};
use crate::errors::PyResultExt;
use crate::index_set::{set_item, UpdateOp};

type Any<'py> = Bound<'py, PyAny>;
type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

fn arr(obj: &Any<'_>) -> PyResult<Array> {
    to_array(obj, None)
}

fn wrap(r: rmlx::Result<Array>) -> PyResult<PyArray> {
    Ok(PyArray::new(r.py()?))
}

/// A plain Python int (bools and integer arrays are not ints here).
fn py_int(o: &Any<'_>) -> Option<i64> {
    if o.is_instance_of::<PyBool>() || o.cast::<PyArray>().is_ok() {
        return None;
    }
    o.extract::<i64>().ok()
}

fn int_list(o: &Any<'_>, what: &str) -> PyResult<Vec<i64>> {
    if let Some(i) = py_int(o) {
        return Ok(vec![i]);
    }
    o.extract::<Vec<i64>>()
        .map_err(|_| PyTypeError::new_err(format!("{what} must be a sequence of ints.")))
}

/// `take(a, /, indices, axis=None, *, stream=None)`
#[pyfunction]
#[pyo3(signature = (a, /, indices, axis = None, *, stream = None))]
fn take(
    a: &Any<'_>,
    indices: &Any<'_>,
    axis: Option<i64>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let a = arr(a)?;
    let s = stream_arg(stream)?;
    if let Some(i) = py_int(indices) {
        return wrap(ops::take_index(&a, i, axis, s));
    }
    wrap(ops::take(&a, &arr(indices)?, axis, s))
}

/// `take_along_axis(a, /, indices, axis=-1, *, stream=None)`
#[pyfunction]
#[pyo3(signature = (a, /, indices, axis = Some(-1), *, stream = None))]
fn take_along_axis(
    a: &Any<'_>,
    indices: &Any<'_>,
    axis: Option<i64>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    wrap(ops::take_along_axis(
        &arr(a)?,
        &arr(indices)?,
        axis,
        stream_arg(stream)?,
    ))
}

/// `put_along_axis(a, /, indices, values, axis=None, *, stream=None)`
#[pyfunction]
#[pyo3(signature = (a, /, indices, values, axis = None, *, stream = None))]
fn put_along_axis(
    a: &Any<'_>,
    indices: &Any<'_>,
    values: &Any<'_>,
    axis: Option<i64>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let a = arr(a)?;
    let v = operand_array(values, Some(a.dtype()))?;
    wrap(ops::put_along_axis(
        &a,
        &arr(indices)?,
        &v,
        axis,
        stream_arg(stream)?,
    ))
}

/// `slice(a, start_indices, axes, slice_size, *, stream=None)`
#[pyfunction]
#[pyo3(signature = (a, start_indices, axes, slice_size, *, stream = None))]
fn slice(
    a: &Any<'_>,
    start_indices: &Any<'_>,
    axes: &Any<'_>,
    slice_size: &Any<'_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    wrap(ops::slice(
        &arr(a)?,
        &arr(start_indices)?,
        &int_list(axes, "axes")?,
        &int_list(slice_size, "slice_size")?,
        stream_arg(stream)?,
    ))
}

/// `slice_update(a, update, start_indices, axes, *, stream=None)`
#[pyfunction]
#[pyo3(signature = (a, update, start_indices, axes, *, stream = None))]
fn slice_update(
    a: &Any<'_>,
    update: &Any<'_>,
    start_indices: &Any<'_>,
    axes: &Any<'_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let a = arr(a)?;
    let u = operand_array(update, Some(a.dtype()))?;
    wrap(ops::slice_update(
        &a,
        &u,
        &arr(start_indices)?,
        &int_list(axes, "axes")?,
        stream_arg(stream)?,
    ))
}

/// `unique(a, /, size=None, return_index=False, return_inverse=False,
/// return_counts=False, fill_value=None, *, stream=None)`; `size=None`
/// (beyond MLX) evaluates `a` to count the unique elements.
#[pyfunction]
#[pyo3(signature = (a, /, size = None, return_index = false, return_inverse = false, return_counts = false, fill_value = None, *, stream = None))]
#[allow(clippy::too_many_arguments)]
fn unique(
    py: Python<'_>,
    a: &Any<'_>,
    size: Option<i64>,
    return_index: bool,
    return_inverse: bool,
    return_counts: bool,
    fill_value: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<Py<PyAny>> {
    let a = arr(a)?;
    let fill = match fill_value {
        Some(f) if !f.is_none() => Some(operand_array(f, Some(a.dtype()))?),
        _ => None,
    };
    let u = ops::unique(&a, size, fill.as_ref(), stream_arg(stream)?).py()?;
    if !(return_index || return_inverse || return_counts) {
        return PyArray::new(u.values).into_py_any(py);
    }
    let mut out = vec![PyArray::new(u.values).into_py_any(py)?];
    for (want, x) in [
        (return_index, u.index),
        (return_inverse, u.inverse),
        (return_counts, u.counts),
    ] {
        if want {
            out.push(PyArray::new(x).into_py_any(py)?);
        }
    }
    Ok(PyTuple::new(py, out)?.into_any().unbind())
}

fn fill_int(fill_value: Opt<'_, '_>) -> PyResult<Option<i64>> {
    match fill_value {
        Some(f) if !f.is_none() => f
            .call_method0("__index__")
            .and_then(|v| v.extract::<i64>())
            .map(Some)
            .map_err(|_| PyTypeError::new_err("fill_value must be an integer.")),
        _ => Ok(None),
    }
}

/// `nonzero(a, /, *, size=None, fill_value=None, stream=None)` (beyond
/// MLX): a tuple of int32 index arrays, one per axis.
#[pyfunction]
#[pyo3(signature = (a, /, *, size = None, fill_value = None, stream = None))]
fn nonzero(
    py: Python<'_>,
    a: &Any<'_>,
    size: Option<i64>,
    fill_value: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<Py<PyAny>> {
    let out =
        ops::nonzero_sized(&arr(a)?, size, fill_int(fill_value)?, stream_arg(stream)?).py()?;
    let items = out
        .into_iter()
        .map(|x| PyArray::new(x).into_py_any(py))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(PyTuple::new(py, items)?.into_any().unbind())
}

/// `argwhere(a, /, *, size=None, fill_value=None, stream=None)` (beyond
/// MLX): the indices of the non-zero elements as rows.
#[pyfunction]
#[pyo3(signature = (a, /, *, size = None, fill_value = None, stream = None))]
fn argwhere(
    a: &Any<'_>,
    size: Option<i64>,
    fill_value: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    wrap(ops::argwhere(
        &arr(a)?,
        size,
        fill_int(fill_value)?,
        stream_arg(stream)?,
    ))
}

/// `bincount(x, /, weights=None, minlength=0, *, length=None, stream=None)`
/// (beyond MLX).
#[pyfunction]
#[pyo3(signature = (x, /, weights = None, minlength = 0, *, length = None, stream = None))]
fn bincount(
    x: &Any<'_>,
    weights: Opt<'_, '_>,
    minlength: i64,
    length: Option<i64>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let w = match weights {
        Some(w) if !w.is_none() => Some(arr(w)?),
        _ => None,
    };
    wrap(ops::bincount(
        &arr(x)?,
        w.as_ref(),
        minlength,
        length,
        stream_arg(stream)?,
    ))
}

/// `a.at`: indexed updates that return a new array (`a.at[idx].add(v)`);
/// duplicate indices accumulate.
#[pyclass(name = "ArrayAt", module = "rmlx.core")]
pub struct PyArrayAt {
    array: Array,
    index: Option<Py<PyAny>>,
}

impl PyArrayAt {
    /// `.at` of `a`, not yet indexed.
    pub fn new(array: Array) -> Self {
        PyArrayAt { array, index: None }
    }

    fn run(&self, py: Python<'_>, value: &Any<'_>, op: UpdateOp) -> PyResult<PyArray> {
        let Some(idx) = &self.index else {
            return Err(PyValueError::new_err(
                "Cannot call an update method of ArrayAt before indexing it: use a.at[idx].add(v).",
            ));
        };
        let v = operand_array(value, Some(self.array.dtype()))?;
        Ok(PyArray::new(set_item(&self.array, idx.bind(py), &v, op)?))
    }
}

#[pymethods]
impl PyArrayAt {
    fn __getitem__(&self, py: Python<'_>, indices: &Any<'_>) -> PyArrayAt {
        let _ = py;
        PyArrayAt {
            array: self.array.clone(),
            index: Some(indices.clone().unbind()),
        }
    }
    /// `a[idx] += value`, accumulating duplicates.
    fn add(&self, py: Python<'_>, value: &Any<'_>) -> PyResult<PyArray> {
        self.run(py, value, UpdateOp::Add)
    }
    /// `a[idx] -= value`, accumulating duplicates.
    fn subtract(&self, py: Python<'_>, value: &Any<'_>) -> PyResult<PyArray> {
        self.run(py, value, UpdateOp::Subtract)
    }
    /// `a[idx] *= value`, accumulating duplicates.
    fn multiply(&self, py: Python<'_>, value: &Any<'_>) -> PyResult<PyArray> {
        self.run(py, value, UpdateOp::Multiply)
    }
    /// `a[idx] /= value`, accumulating duplicates.
    fn divide(&self, py: Python<'_>, value: &Any<'_>) -> PyResult<PyArray> {
        self.run(py, value, UpdateOp::Divide)
    }
    /// `a[idx] = maximum(a[idx], value)` over all duplicates.
    fn maximum(&self, py: Python<'_>, value: &Any<'_>) -> PyResult<PyArray> {
        self.run(py, value, UpdateOp::Maximum)
    }
    /// `a[idx] = minimum(a[idx], value)` over all duplicates.
    fn minimum(&self, py: Python<'_>, value: &Any<'_>) -> PyResult<PyArray> {
        self.run(py, value, UpdateOp::Minimum)
    }
}

/// Adds the indexing functions and `ArrayAt` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyArrayAt>()?;
    m.add_function(wrap_pyfunction!(take, m)?)?;
    m.add_function(wrap_pyfunction!(take_along_axis, m)?)?;
    m.add_function(wrap_pyfunction!(put_along_axis, m)?)?;
    m.add_function(wrap_pyfunction!(slice, m)?)?;
    m.add_function(wrap_pyfunction!(slice_update, m)?)?;
    m.add_function(wrap_pyfunction!(unique, m)?)?;
    m.add_function(wrap_pyfunction!(nonzero, m)?)?;
    m.add_function(wrap_pyfunction!(argwhere, m)?)?;
    m.add_function(wrap_pyfunction!(bincount, m)?)?;
    Ok(())
}
