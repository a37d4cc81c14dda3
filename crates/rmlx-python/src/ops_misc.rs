//! The smaller names of mlx.core that belong to no binding file of their
//! own: MLX's aliases (`atan2`, `pow`, `cumulative_sum` ...), the constants
//! (`pi`, `e`, `inf`, `nan`, `euler_gamma`, `newaxis`), window functions,
//! `trunc`, `positive`, `logical_xor`, `diff`, `minmax`, the module forms of
//! `astype`/`view`, `isdtype` and `get_printoptions`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyString, PyTuple};
use rmlx::{ops, Dtype};

use crate::array::PyArray;
use crate::convert::{axes_arg, binary_operands, operand_array, stream_arg};
use crate::dtype::PyDtype;
use crate::errors::PyResultExt;

fn arr(a: &Bound<'_, PyAny>) -> PyResult<rmlx::Array> {
    operand_array(a, None)
}

#[pyfunction]
#[pyo3(signature = (a, /, *, stream = None))]
fn trunc(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    Ok(PyArray::new(
        ops::trunc(&arr(a)?, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, *, stream = None))]
fn positive(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    Ok(PyArray::new(
        ops::positive(&arr(a)?, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, b, /, *, stream = None))]
fn logical_xor(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let (x, y) = binary_operands(a, b)?;
    Ok(PyArray::new(
        ops::logical_xor(&x, &y, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, n = 1, axis = -1, *, stream = None))]
fn diff(
    a: &Bound<'_, PyAny>,
    n: i64,
    axis: i64,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    Ok(PyArray::new(
        ops::diff(&arr(a)?, n, axis, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
fn minmax(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<(PyArray, PyArray)> {
    let axes = axes_arg(axis)?;
    let (lo, hi) = ops::minmax(&arr(a)?, axes.as_deref(), keepdims, stream_arg(stream)?).py()?;
    Ok((PyArray::new(lo), PyArray::new(hi)))
}

#[pyfunction]
#[pyo3(signature = (a, dtype, /, *, stream = None))]
fn astype(
    a: &Bound<'_, PyAny>,
    dtype: PyRef<'_, PyDtype>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    Ok(PyArray::new(
        ops::astype(&arr(a)?, dtype.0, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, dtype, stream = None))]
fn view(
    a: &Bound<'_, PyAny>,
    dtype: PyRef<'_, PyDtype>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    Ok(PyArray::new(
        ops::view(&arr(a)?, dtype.0, stream_arg(stream)?).py()?,
    ))
}

macro_rules! windows {
    ($($name:ident),*) => {$(
        #[pyfunction]
        #[pyo3(signature = (M, *, stream = None))]
        #[allow(non_snake_case)]
        fn $name(M: i64, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
            Ok(PyArray::new(ops::$name(M, stream_arg(stream)?).py()?))
        }
    )*};
}
windows!(hanning, hamming, blackman, bartlett);

fn kind_matches(dt: Dtype, kind: &Bound<'_, PyAny>) -> PyResult<bool> {
    if let Ok(d) = kind.cast::<PyDtype>() {
        return Ok(d.borrow().0 == dt);
    }
    if let Ok(s) = kind.cast::<PyString>() {
        let s = s.to_str()?;
        let int = dt.is_integer();
        return Ok(match s {
            "bool" => dt == Dtype::Bool,
            "signed integer" => dt.is_signed_integer(),
            "unsigned integer" => int && !dt.is_signed_integer(),
            "integral" => int,
            "real floating" => dt.is_inexact() && dt != Dtype::Complex64,
            "complex floating" => dt == Dtype::Complex64,
            "numeric" => dt != Dtype::Bool,
            _ => {
                return Err(PyValueError::new_err(format!(
                    "[isdtype] Unknown data type kind: '{s}'."
                )))
            }
        });
    }
    Err(PyValueError::new_err(
        "[isdtype] `kind` must be a dtype, a string, or a tuple of dtypes and strings.",
    ))
}

#[pyfunction]
fn isdtype(dtype: PyRef<'_, PyDtype>, kind: &Bound<'_, PyAny>) -> PyResult<bool> {
    if let Ok(t) = kind.cast::<PyTuple>() {
        for k in t.iter() {
            if kind_matches(dtype.0, &k)? {
                return Ok(true);
            }
        }
        return Ok(false);
    }
    kind_matches(dtype.0, kind)
}

/// MLX's `PrintOptions`: the current print settings.
#[pyclass(name = "PrintOptions", module = "rmlx.core")]
struct PyPrintOptions {
    #[pyo3(get, set)]
    precision: i32,
}

#[pymethods]
impl PyPrintOptions {
    #[new]
    #[pyo3(signature = (precision = -1))]
    fn new(precision: i32) -> Self {
        PyPrintOptions { precision }
    }
}

#[pyfunction]
fn get_printoptions() -> PyPrintOptions {
    PyPrintOptions {
        precision: rmlx::print::print_options().precision,
    }
}

/// Registers this file's functions, aliases and constants. Runs after the
/// op families, whose functions the aliases name.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(trunc, m)?)?;
    m.add_function(wrap_pyfunction!(positive, m)?)?;
    m.add_function(wrap_pyfunction!(logical_xor, m)?)?;
    m.add_function(wrap_pyfunction!(diff, m)?)?;
    m.add_function(wrap_pyfunction!(minmax, m)?)?;
    m.add_function(wrap_pyfunction!(astype, m)?)?;
    m.add_function(wrap_pyfunction!(view, m)?)?;
    m.add_function(wrap_pyfunction!(hanning, m)?)?;
    m.add_function(wrap_pyfunction!(hamming, m)?)?;
    m.add_function(wrap_pyfunction!(blackman, m)?)?;
    m.add_function(wrap_pyfunction!(bartlett, m)?)?;
    m.add_function(wrap_pyfunction!(isdtype, m)?)?;
    m.add_function(wrap_pyfunction!(get_printoptions, m)?)?;
    m.add_class::<PyPrintOptions>()?;
    for (alias, name) in [
        ("atan2", "arctan2"),
        ("pow", "power"),
        ("bitwise_left_shift", "left_shift"),
        ("bitwise_right_shift", "right_shift"),
        ("cumulative_sum", "cumsum"),
        ("cumulative_prod", "cumprod"),
    ] {
        m.add(alias, m.getattr(name)?)?;
    }
    m.add("pi", std::f64::consts::PI)?;
    m.add("e", std::f64::consts::E)?;
    m.add("euler_gamma", 0.577_215_664_901_532_9_f64)?;
    m.add("inf", f64::INFINITY)?;
    m.add("nan", f64::NAN)?;
    m.add("newaxis", m.py().None())?;
    Ok(())
}
