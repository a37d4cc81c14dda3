//! Module functions (and array methods) of the unary family.

use pyo3::prelude::*;

/// Registers the unary functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let _ = m;
    Ok(())
}
