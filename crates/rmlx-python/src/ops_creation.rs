//! Module functions of the creation family (`zeros`, `ones`, `full`, `arange`).

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use rmlx::{ops, Dtype};

use crate::array::PyArray;
use crate::convert::{dtype_arg, scalar_to_array, shape_arg, stream_arg, to_array};
use crate::errors::PyResultExt;

#[pyfunction]
#[pyo3(signature = (shape, dtype = None, *, stream = None))]
fn zeros(shape: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    let d = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    Ok(PyArray::new(ops::zeros(&shape_arg(shape)?, d, stream_arg(stream)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (shape, dtype = None, *, stream = None))]
fn ones(shape: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    let d = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    Ok(PyArray::new(ops::ones(&shape_arg(shape)?, d, stream_arg(stream)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (shape, vals, dtype = None, *, stream = None))]
fn full(
    shape: &Bound<'_, PyAny>,
    vals: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let d = dtype_arg(dtype)?;
    let v = match scalar_to_array(vals, None)? {
        Some(v) => v,
        None => to_array(vals, None)?,
    };
    Ok(PyArray::new(ops::full(&shape_arg(shape)?, &v, d, stream_arg(stream)?).py()?))
}

fn num(o: &Bound<'_, PyAny>) -> PyResult<(f64, bool)> {
    if o.is_instance_of::<pyo3::types::PyFloat>() {
        return Ok((o.extract()?, true));
    }
    if let Ok(i) = o.extract::<i64>() {
        return Ok((i as f64, false));
    }
    Err(PyTypeError::new_err(format!("arange expects numbers, got {}.", o.get_type().name()?)))
}

/// `arange(stop)`, `arange(start, stop[, step])`, with MLX's dtype inference.
#[pyfunction]
#[pyo3(signature = (*args, dtype = None, stream = None, **kwargs))]
fn arange(
    args: &Bound<'_, pyo3::types::PyTuple>,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, pyo3::types::PyDict>>,
) -> PyResult<PyArray> {
    let mut vals: Vec<Bound<'_, PyAny>> = args.iter().collect();
    if let Some(kw) = kwargs {
        for key in ["start", "stop", "step"] {
            if let Some(v) = kw.get_item(key)? {
                vals.push(v);
            }
        }
    }
    let nums: Vec<(f64, bool)> = vals.iter().map(num).collect::<PyResult<_>>()?;
    let any_float = nums.iter().any(|n| n.1);
    let (start, stop, step) = match nums.len() {
        1 => (0.0, nums[0].0, 1.0),
        2 => (nums[0].0, nums[1].0, 1.0),
        3 => (nums[0].0, nums[1].0, nums[2].0),
        n => return Err(PyTypeError::new_err(format!("arange takes 1 to 3 positional arguments, got {n}."))),
    };
    let d = dtype_arg(dtype)?.unwrap_or(if any_float { Dtype::Float32 } else { Dtype::Int32 });
    Ok(PyArray::new(ops::arange(start, stop, step, d, stream_arg(stream)?).py()?))
}

/// Registers the creation functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(ones, m)?)?;
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(arange, m)?)?;
    Ok(())
}
