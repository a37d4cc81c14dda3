//! Module functions of the ternary family and its elementwise composites:
//! `where`, `clip`, `isclose`, `allclose`, `array_equal`, `nan_to_num`.
//! Python scalars next to an array take its dtype weakly, as in MLX.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use rmlx::{ops, Array, Dtype};

use crate::array::PyArray;
use crate::convert::{binary_operands, scalar_to_array, stream_arg, to_array};
use crate::errors::PyResultExt;

/// A scalar-or-array argument with no dtype to lean on.
fn any_array(obj: &Bound<'_, PyAny>) -> PyResult<Array> {
    match scalar_to_array(obj, None)? {
        Some(a) => Ok(a),
        None => to_array(obj, None),
    }
}

/// An argument MLX types as `array` (no scalars, lists or NumPy arrays).
fn array_only(obj: &Bound<'_, PyAny>, op: &str, name: &str) -> PyResult<Array> {
    match obj.cast::<PyArray>() {
        Ok(a) => Ok(a.borrow().inner.clone()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{op}(): incompatible function arguments: {name} must be an array, got {}.",
            obj.get_type().name()?
        ))),
    }
}

/// A bound of `clip`: `None`, an array (kept), or anything else converted
/// to `like` as MLX does (Python scalars weakly, NumPy data by casting).
fn bound(obj: Option<&Bound<'_, PyAny>>, like: Dtype) -> PyResult<Option<Array>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none() {
        return Ok(None);
    }
    if let Ok(a) = obj.cast::<PyArray>() {
        return Ok(Some(a.borrow().inner.clone()));
    }
    match scalar_to_array(obj, Some(like))? {
        Some(a) => Ok(Some(a)),
        None => Ok(Some(to_array(obj, Some(like))?)),
    }
}

#[pyfunction]
#[pyo3(name = "where", signature = (condition, x, y, /, *, stream = None))]
fn where_(
    condition: &Bound<'_, PyAny>,
    x: &Bound<'_, PyAny>,
    y: &Bound<'_, PyAny>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let (xa, ya) = binary_operands(x, y)?;
    let c = any_array(condition)?;
    Ok(PyArray::new(
        ops::where_(&c, &xa, &ya, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, a_min, a_max, *, stream = None))]
fn clip(
    a: &Bound<'_, PyAny>,
    a_min: Option<&Bound<'_, PyAny>>,
    a_max: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let a = array_only(a, "clip", "a")?;
    let lo = bound(a_min, a.dtype())?;
    let hi = bound(a_max, a.dtype())?;
    Ok(PyArray::new(
        ops::clip(&a, lo.as_ref(), hi.as_ref(), stream_arg(stream)?).py()?,
    ))
}

/// `isclose`/`allclose(a, b, /, rtol=1e-05, atol=1e-08, *, equal_nan=False,
/// stream=None)`, calling `ops::<name>`.
macro_rules! close_pyfns {
    ($($name:ident),*) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, b, /, rtol = 1e-05, atol = 1e-08, *, equal_nan = false, stream = None))]
        fn $name(
            a: &Bound<'_, PyAny>,
            b: &Bound<'_, PyAny>,
            rtol: f64,
            atol: f64,
            equal_nan: bool,
            stream: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyArray> {
            let name = stringify!($name);
            let (a, b) = (array_only(a, name, "a")?, array_only(b, name, "b")?);
            Ok(PyArray::new(
                ops::$name(&a, &b, rtol, atol, equal_nan, stream_arg(stream)?).py()?,
            ))
        }
    )*};
}

close_pyfns!(isclose, allclose);

#[pyfunction]
#[pyo3(signature = (a, b, /, *, equal_nan = false, stream = None))]
fn array_equal(
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
    equal_nan: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let (x, y) = binary_operands(a, b)?;
    Ok(PyArray::new(
        ops::array_equal(&x, &y, equal_nan, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, nan = 0.0, posinf = None, neginf = None, *, stream = None))]
fn nan_to_num(
    a: &Bound<'_, PyAny>,
    nan: f64,
    posinf: Option<f64>,
    neginf: Option<f64>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let a = any_array(a)?;
    Ok(PyArray::new(
        ops::nan_to_num(&a, nan, posinf, neginf, stream_arg(stream)?).py()?,
    ))
}

/// Registers the ternary functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(where_, m)?)?;
    m.add_function(wrap_pyfunction!(clip, m)?)?;
    m.add_function(wrap_pyfunction!(isclose, m)?)?;
    m.add_function(wrap_pyfunction!(allclose, m)?)?;
    m.add_function(wrap_pyfunction!(array_equal, m)?)?;
    m.add_function(wrap_pyfunction!(nan_to_num, m)?)?;
    Ok(())
}
