//! The engine side of the function transformations for Python. These
//! private functions (`_vjp`, `_jvp`, `_vmap`, `_custom_function`,
//! `_checkpoint`) take a Python callable of a list of arrays returning a list
//! of arrays; `python/rmlx/_transforms.py` builds MLX's public API (pytrees,
//! argnums, decorators) on top of them.
//!
//! A Python exception raised inside a traced function crosses the engine as
//! an rmlx error; the original exception is parked in a thread-local and
//! re-raised unchanged when the transformation returns.

use std::cell::RefCell;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use rmlx::transforms::{self, CustomRules};
use rmlx::Array;

use crate::array::PyArray;
use crate::errors::to_pyerr;

thread_local! {
    static PENDING: RefCell<Option<PyErr>> = const { RefCell::new(None) };
}

/// Parks a Python exception and returns the engine error that carries it out.
fn park(e: PyErr) -> rmlx::Error {
    PENDING.with(|p| *p.borrow_mut() = Some(e));
    rmlx::Error::runtime("[transforms] The transformed Python function raised an exception.")
}

/// The Python exception for a failed transformation: the parked one if the
/// failure came from Python code.
fn raise(e: rmlx::Error) -> PyErr {
    PENDING
        .with(|p| p.borrow_mut().take())
        .unwrap_or_else(|| to_pyerr(e))
}

fn to_list<'py>(py: Python<'py>, arrays: &[Array]) -> PyResult<Bound<'py, PyList>> {
    PyList::new(py, arrays.iter().map(|a| PyArray::new(a.clone())))
}

fn from_seq(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<Array>> {
    let mut out = Vec::new();
    for item in obj.try_iter()? {
        let item = item?;
        match item.cast::<PyArray>() {
            Ok(a) => out.push(a.borrow().inner.clone()),
            Err(_) => {
                return Err(pyo3::exceptions::PyValueError::new_err(format!(
                    "[{what}] The function must return arrays; got {}.",
                    item.get_type().name()?
                )))
            }
        }
    }
    Ok(out)
}

fn arrays(v: &[PyRef<'_, PyArray>]) -> Vec<Array> {
    v.iter().map(|a| a.inner.clone()).collect()
}

/// Calls `fun(list_of_arrays) -> sequence of arrays`.
fn call(what: &'static str, fun: &Py<PyAny>, args: &[Array]) -> rmlx::Result<Vec<Array>> {
    Python::attach(|py| {
        let out = fun.call1(py, (to_list(py, args)?,))?;
        from_seq(what, out.bind(py))
    })
    .map_err(park)
}

#[pyfunction]
fn _vjp<'py>(
    py: Python<'py>,
    fun: Py<PyAny>,
    primals: Vec<PyRef<'py, PyArray>>,
    cotangents: Vec<PyRef<'py, PyArray>>,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    let (p, c) = (arrays(&primals), arrays(&cotangents));
    let (outs, grads) = transforms::vjp(|x| call("vjp", &fun, x), &p, &c).map_err(raise)?;
    Ok((to_list(py, &outs)?, to_list(py, &grads)?))
}

#[pyfunction]
fn _jvp<'py>(
    py: Python<'py>,
    fun: Py<PyAny>,
    primals: Vec<PyRef<'py, PyArray>>,
    tangents: Vec<PyRef<'py, PyArray>>,
) -> PyResult<(Bound<'py, PyList>, Bound<'py, PyList>)> {
    let (p, t) = (arrays(&primals), arrays(&tangents));
    let (outs, jvps) = transforms::jvp(|x| call("jvp", &fun, x), &p, &t).map_err(raise)?;
    Ok((to_list(py, &outs)?, to_list(py, &jvps)?))
}

#[pyfunction]
fn _vmap<'py>(
    py: Python<'py>,
    fun: Py<PyAny>,
    inputs: Vec<PyRef<'py, PyArray>>,
    in_axes: Vec<Option<i64>>,
    out_axes: Vec<Option<i64>>,
) -> PyResult<Bound<'py, PyList>> {
    let x = arrays(&inputs);
    let outs =
        transforms::vmap(|a| call("vmap", &fun, a), &x, &in_axes, &out_axes).map_err(raise)?;
    to_list(py, &outs)
}

fn shared(fun: Py<PyAny>, what: &'static str) -> transforms::CustomVjpFn {
    Arc::new(move |x: &[Array]| call(what, &fun, x))
}

#[pyfunction]
#[pyo3(signature = (fun, inputs, vjp=None, jvp=None, vmap=None))]
fn _custom_function<'py>(
    py: Python<'py>,
    fun: Py<PyAny>,
    inputs: Vec<PyRef<'py, PyArray>>,
    vjp: Option<Py<PyAny>>,
    jvp: Option<Py<PyAny>>,
    vmap: Option<Py<PyAny>>,
) -> PyResult<Bound<'py, PyList>> {
    let mut rules = CustomRules::default();
    if let Some(g) = vjp {
        rules.vjp = Some(Arc::new(move |p: &[Array], c: &[Array], o: &[Array]| {
            Python::attach(|py| {
                let r = g.call1(py, (to_list(py, p)?, to_list(py, c)?, to_list(py, o)?))?;
                from_seq("custom_function.vjp", r.bind(py))
            })
            .map_err(park)
        }));
    }
    if let Some(g) = jvp {
        rules.jvp = Some(Arc::new(move |p: &[Array], t: &[Array]| {
            Python::attach(|py| {
                let r = g.call1(py, (to_list(py, p)?, to_list(py, t)?))?;
                from_seq("custom_function.jvp", r.bind(py))
            })
            .map_err(park)
        }));
    }
    if let Some(g) = vmap {
        rules.vmap = Some(Arc::new(move |x: &[Array], axes: &[Option<usize>]| {
            Python::attach(|py| {
                let r = g.call1(py, (to_list(py, x)?, axes.to_vec()))?;
                let r = r.bind(py);
                let pair = r.cast::<PyTuple>().map_err(|_| {
                    pyo3::exceptions::PyValueError::new_err(
                        "[custom_function.vmap] The vmap rule must return a tuple (outputs, out_axes).",
                    )
                })?;
                let outs = from_seq("custom_function.vmap", &pair.get_item(0)?)?;
                let axes: Vec<Option<usize>> = pair.get_item(1)?.extract()?;
                Ok((outs, axes))
            })
            .map_err(park)
        }));
    }
    let x = arrays(&inputs);
    let outs = transforms::custom_vjp(shared(fun, "custom_function"), rules, &x).map_err(raise)?;
    to_list(py, &outs)
}

#[pyfunction]
fn _checkpoint<'py>(
    py: Python<'py>,
    fun: Py<PyAny>,
    inputs: Vec<PyRef<'py, PyArray>>,
) -> PyResult<Bound<'py, PyList>> {
    let x = arrays(&inputs);
    let outs = transforms::checkpoint(shared(fun, "checkpoint"), &x).map_err(raise)?;
    to_list(py, &outs)
}

/// Adds the transformation entry points to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(_vjp, m)?)?;
    m.add_function(wrap_pyfunction!(_jvp, m)?)?;
    m.add_function(wrap_pyfunction!(_vmap, m)?)?;
    m.add_function(wrap_pyfunction!(_custom_function, m)?)?;
    m.add_function(wrap_pyfunction!(_checkpoint, m)?)?;
    Ok(())
}
