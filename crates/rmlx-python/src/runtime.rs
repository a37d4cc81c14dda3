//! Evaluation, memory and printing controls: `eval`, `async_eval`, the
//! memory statistics and limits, `set_printoptions` / `printoptions`.

use pyo3::prelude::*;
use pyo3::types::PyTuple;
use rmlx::memory;
use rmlx::Array;

use crate::convert::tree_arrays;
use crate::errors::PyResultExt;

fn collect(args: &Bound<'_, PyTuple>) -> PyResult<Vec<Array>> {
    let mut out = Vec::new();
    for a in args.iter() {
        tree_arrays(&a, &mut out)?;
    }
    Ok(out)
}

// Below this many pending arrays the GIL is kept: releasing and re-taking it
// costs more than a small graph takes to evaluate.
const DETACH_MIN_ARRAYS: usize = 1;

/// Evaluates the arrays in the arguments (pytrees of arrays).
#[pyfunction]
#[pyo3(signature = (*args))]
fn eval(py: Python<'_>, args: &Bound<'_, PyTuple>) -> PyResult<()> {
    let arrays = collect(args)?;
    let big = arrays
        .iter()
        .any(|a| !a.is_available() && a.size() > 1 << 14);
    if big && arrays.len() >= DETACH_MIN_ARRAYS {
        py.detach(|| rmlx::eval(&arrays)).py()
    } else {
        rmlx::eval(&arrays).py()
    }
}

/// Starts evaluating the arrays in the arguments and returns at once.
#[pyfunction]
#[pyo3(signature = (*args))]
fn async_eval(args: &Bound<'_, PyTuple>) -> PyResult<()> {
    rmlx::async_eval(&collect(args)?).py()
}

#[pyfunction]
fn get_active_memory() -> usize {
    memory::active_memory()
}
#[pyfunction]
fn get_peak_memory() -> usize {
    memory::peak_memory()
}
#[pyfunction]
fn reset_peak_memory() {
    memory::reset_peak_memory()
}
#[pyfunction]
fn get_cache_memory() -> usize {
    memory::cache_memory()
}
#[pyfunction]
fn clear_cache() {
    memory::clear_cache()
}
#[pyfunction]
fn set_memory_limit(limit: usize) -> usize {
    memory::set_memory_limit(limit)
}
#[pyfunction]
fn get_memory_limit() -> usize {
    memory::memory_limit()
}
#[pyfunction]
fn set_cache_limit(limit: usize) -> usize {
    memory::set_cache_limit(limit)
}
/// Accepted for compatibility; wiring memory is a macOS concept (no-op on Linux).
#[pyfunction]
fn set_wired_limit(limit: usize) -> usize {
    memory::set_wired_limit(limit)
}

/// Sets global print options (MLX 0.32.4 accepts `precision`).
#[pyfunction]
#[pyo3(signature = (precision = None))]
fn set_printoptions(precision: Option<i32>) {
    let mut o = rmlx::print::print_options();
    if let Some(p) = precision {
        o.precision = p;
    }
    rmlx::print::set_print_options(o);
}

/// Context manager that sets print options inside a `with` block.
#[pyclass(module = "rmlx.core")]
struct PrintOptionsContext {
    precision: Option<i32>,
    saved: Option<rmlx::print::PrintOptions>,
}

#[pymethods]
impl PrintOptionsContext {
    fn __enter__(&mut self) {
        self.saved = Some(rmlx::print::print_options());
        set_printoptions(self.precision);
    }
    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, PyTuple>) -> bool {
        if let Some(o) = self.saved.take() {
            rmlx::print::set_print_options(o);
        }
        false
    }
}

#[pyfunction]
#[pyo3(signature = (precision = None))]
fn printoptions(precision: Option<i32>) -> PrintOptionsContext {
    PrintOptionsContext {
        precision,
        saved: None,
    }
}

/// Registers the functions of this file.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(eval, m)?)?;
    m.add_function(wrap_pyfunction!(async_eval, m)?)?;
    m.add_function(wrap_pyfunction!(get_active_memory, m)?)?;
    m.add_function(wrap_pyfunction!(get_peak_memory, m)?)?;
    m.add_function(wrap_pyfunction!(reset_peak_memory, m)?)?;
    m.add_function(wrap_pyfunction!(get_cache_memory, m)?)?;
    m.add_function(wrap_pyfunction!(clear_cache, m)?)?;
    m.add_function(wrap_pyfunction!(set_memory_limit, m)?)?;
    m.add_function(wrap_pyfunction!(get_memory_limit, m)?)?;
    m.add_function(wrap_pyfunction!(set_cache_limit, m)?)?;
    m.add_function(wrap_pyfunction!(set_wired_limit, m)?)?;
    m.add_function(wrap_pyfunction!(set_printoptions, m)?)?;
    m.add_function(wrap_pyfunction!(printoptions, m)?)?;
    m.add_class::<PrintOptionsContext>()?;
    Ok(())
}
