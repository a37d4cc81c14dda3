//! Module functions (and array methods) of the ternary family.

use pyo3::prelude::*;

/// Registers the ternary functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let _ = m;
    Ok(())
}
