//! Module functions (and array methods) of the reduce family.

use pyo3::prelude::*;

/// Registers the reduce functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let _ = m;
    Ok(())
}
