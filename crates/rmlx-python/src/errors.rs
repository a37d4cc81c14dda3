//! Maps rmlx errors onto the Python exception types MLX raises.

use pyo3::exceptions::{PyIndexError, PyMemoryError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::PyErr;
use rmlx::{Error, ErrorKind};

/// The Python exception for an rmlx error.
pub fn to_pyerr(e: Error) -> PyErr {
    match e.kind {
        ErrorKind::Value => PyValueError::new_err(e.message),
        ErrorKind::Type => PyTypeError::new_err(e.message),
        ErrorKind::Index => PyIndexError::new_err(e.message),
        ErrorKind::Runtime => PyRuntimeError::new_err(e.message),
        ErrorKind::Memory => PyMemoryError::new_err(e.message),
    }
}

/// `?`-friendly conversion of rmlx results.
pub trait PyResultExt<T> {
    /// Converts the error into the matching Python exception.
    fn py(self) -> pyo3::PyResult<T>;
}

impl<T> PyResultExt<T> for rmlx::Result<T> {
    fn py(self) -> pyo3::PyResult<T> {
        self.map_err(to_pyerr)
    }
}
