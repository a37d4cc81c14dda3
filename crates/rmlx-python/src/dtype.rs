//! `Dtype`, `DtypeCategory`, `finfo`, `iinfo` and the dtype functions of
//! `rmlx.core`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use rmlx::dtype::{self, DtypeCategory, ALL_DTYPES};
use rmlx::Dtype;

/// An array element type (`rmlx.core.float32` ...).
#[pyclass(name = "Dtype", module = "rmlx.core", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyDtype(pub Dtype);

#[pymethods]
impl PyDtype {
    /// Bytes per element.
    #[getter]
    fn size(&self) -> usize {
        self.0.size()
    }
    fn __repr__(&self) -> String {
        format!("rmlx.core.{}", self.0.name())
    }
    fn __str__(&self) -> String {
        self.__repr__()
    }
}

/// An abstract dtype category (`rmlx.core.floating` ...).
#[pyclass(name = "DtypeCategory", module = "rmlx.core", frozen, eq, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct PyDtypeCategory(pub DtypeCategory);

#[pymethods]
impl PyDtypeCategory {
    fn __repr__(&self) -> String {
        format!("DtypeCategory.{}", self.0.name())
    }
}

/// Machine limits of a floating dtype.
#[pyclass(name = "finfo", module = "rmlx.core", frozen)]
pub struct PyFinfo {
    #[pyo3(get)]
    min: f64,
    #[pyo3(get)]
    max: f64,
    #[pyo3(get)]
    eps: f64,
    #[pyo3(get)]
    smallest_normal: f64,
    #[pyo3(get)]
    bits: usize,
    #[pyo3(get)]
    dtype: PyDtype,
}

#[pymethods]
impl PyFinfo {
    #[new]
    fn new(d: &Bound<'_, PyAny>) -> PyResult<Self> {
        let d = dtype_of(d)?;
        let f = dtype::finfo(d)
            .ok_or_else(|| PyValueError::new_err(format!("[finfo] dtype {d} is not inexact.")))?;
        Ok(PyFinfo {
            min: f.min,
            max: f.max,
            eps: f.eps,
            smallest_normal: f.smallest_normal,
            bits: f.bits,
            dtype: PyDtype(f.dtype),
        })
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        // MLX prints the limits with C++ stream defaults (6 significant
        // digits), which Python's "g" format reproduces.
        let g = |v: f64| -> PyResult<String> {
            pyo3::types::PyFloat::new(py, v)
                .call_method1("__format__", ("g",))?
                .extract()
        };
        Ok(format!(
            "finfo(min={}, max={}, dtype={})",
            g(self.min)?,
            g(self.max)?,
            self.dtype.0.name()
        ))
    }
}

/// Limits of an integer dtype.
#[pyclass(name = "iinfo", module = "rmlx.core", frozen)]
pub struct PyIinfo {
    min: i128,
    max: i128,
    #[pyo3(get)]
    dtype: PyDtype,
}

#[pymethods]
impl PyIinfo {
    #[new]
    fn new(d: &Bound<'_, PyAny>) -> PyResult<Self> {
        let d = dtype_of(d)?;
        let f = dtype::iinfo(d)
            .ok_or_else(|| PyValueError::new_err(format!("[iinfo] dtype {d} is not integral.")))?;
        Ok(PyIinfo {
            min: f.min,
            max: f.max,
            dtype: PyDtype(f.dtype),
        })
    }
    #[getter]
    fn min(&self) -> i128 {
        self.min
    }
    #[getter]
    fn max(&self) -> i128 {
        self.max
    }
    fn __repr__(&self) -> String {
        format!(
            "iinfo(min={}, max={}, dtype={})",
            self.min,
            self.max,
            self.dtype.0.name()
        )
    }
}

/// A dtype from a `Dtype` object (or an array's dtype).
pub fn dtype_of(obj: &Bound<'_, PyAny>) -> PyResult<Dtype> {
    if let Ok(d) = obj.cast::<PyDtype>() {
        return Ok(d.get().0);
    }
    if let Ok(a) = obj.cast::<crate::array::PyArray>() {
        return Ok(a.borrow().inner.dtype());
    }
    Err(PyTypeError::new_err(format!(
        "Expected a Dtype, got {}.",
        obj.get_type().name()?
    )))
}

/// `issubdtype(a, b)` for any mix of dtypes and categories.
#[pyfunction]
fn issubdtype(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<bool> {
    let cat = |o: &Bound<'_, PyAny>| o.cast::<PyDtypeCategory>().ok().map(|c| c.get().0);
    Ok(match (cat(a), cat(b)) {
        (Some(ca), Some(cb)) => ca.is_sub(cb),
        (None, Some(cb)) => dtype_of(a)?.is_sub(cb),
        (Some(_), None) => false,
        (None, None) => dtype_of(a)? == dtype_of(b)?,
    })
}

/// The dtype that results from combining the arguments (arrays or dtypes).
#[pyfunction]
#[pyo3(signature = (*arrays_and_dtypes))]
fn result_type(arrays_and_dtypes: Vec<Bound<'_, PyAny>>) -> PyResult<PyDtype> {
    let ds: PyResult<Vec<Dtype>> = arrays_and_dtypes.iter().map(dtype_of).collect();
    Ok(PyDtype(dtype::result_type(&ds?)))
}

/// Whether `from_` converts to `to` without loss under MLX's promotion.
#[pyfunction]
fn can_cast(from_: &Bound<'_, PyAny>, to: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(dtype::can_cast(dtype_of(from_)?, dtype_of(to)?))
}

/// Registers the dtype objects and functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDtype>()?;
    m.add_class::<PyDtypeCategory>()?;
    m.add_class::<PyFinfo>()?;
    m.add_class::<PyIinfo>()?;
    for d in ALL_DTYPES {
        let name = if d == Dtype::Bool { "bool_" } else { d.name() };
        m.add(name, PyDtype(d))?;
    }
    use DtypeCategory as C;
    for c in [
        C::ComplexFloating,
        C::Floating,
        C::Inexact,
        C::SignedInteger,
        C::UnsignedInteger,
        C::Integer,
        C::Number,
        C::Generic,
    ] {
        m.add(c.name(), PyDtypeCategory(c))?;
    }
    m.add_function(wrap_pyfunction!(issubdtype, m)?)?;
    m.add_function(wrap_pyfunction!(result_type, m)?)?;
    m.add_function(wrap_pyfunction!(can_cast, m)?)?;
    Ok(())
}
