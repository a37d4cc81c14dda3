//! Module functions (and array methods) of the shape family.

use pyo3::prelude::*;

/// Registers the shape functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let _ = m;
    Ok(())
}
