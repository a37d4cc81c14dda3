//! `rmlx.core.random`: MLX's random module with its signatures, defaults
//! and parameter conversions, plus `bits` (MLX's C++ `random::bits`).
//!
//! As in MLX's Python module, each thread has its own key state (a list
//! holding one key, `mx.random.state`, seeded from the clock), and a call
//! with `key=None` takes its key from that state *before* checking its
//! other arguments, so the sequence advances exactly as MLX's does.

use pyo3::exceptions::{PyAttributeError, PyTypeError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyInt, PyList};
use rmlx::ops::random as rnd;
use rmlx::{Array, Dtype};

use crate::array::PyArray;
use crate::convert::{dtype_arg, operand_array, shape_arg, stream_arg};
use crate::errors::PyResultExt;

type Obj<'py> = Bound<'py, PyAny>;
type Opt<'a, 'py> = Option<&'a Obj<'py>>;

/// The `threading.local` that holds each thread's `state` list.
static LOCAL: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

fn clock_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// This thread's `[key]` list, created (clock-seeded) on first use.
fn state(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let local = LOCAL.get_or_try_init(py, || -> PyResult<Py<PyAny>> {
        Ok(py.import("threading")?.getattr("local")?.call0()?.unbind())
    })?;
    let local = local.bind(py);
    if let Ok(s) = local.getattr("state") {
        return Ok(s.cast_into::<PyList>()?);
    }
    let list = PyList::new(py, [PyArray::new(rnd::key(clock_ms()).py()?)])?;
    local.setattr("state", &list)?;
    Ok(list)
}

/// MLX's `KeySequence::next`: split the state, keep the first half, hand
/// out the second.
fn next_key(py: Python<'_>) -> PyResult<Array> {
    let st = state(py)?;
    let current = st.get_item(0)?;
    let current = current
        .cast::<PyArray>()
        .map_err(|_| PyTypeError::new_err("random state must hold an array key."))?
        .borrow()
        .inner
        .clone();
    let (next, out) = rnd::split_pair(&current, None).py()?;
    st.set_item(0, PyArray::new(next))?;
    Ok(out)
}

/// The `key=` argument, or the next key of the state.
fn key_arg(py: Python<'_>, key: Option<&Obj<'_>>) -> PyResult<Array> {
    match key {
        Some(k) if !k.is_none() => match k.cast::<PyArray>() {
            Ok(a) => Ok(a.borrow().inner.clone()),
            Err(_) => Err(PyTypeError::new_err(format!(
                "key must be an array or None, got {}.",
                k.get_type().name()?
            ))),
        },
        _ => next_key(py),
    }
}

/// A shape argument, which MLX types `Sequence[int]` (a bare int is refused).
fn seq_shape(obj: &Obj<'_>, op: &str) -> PyResult<Vec<i64>> {
    if obj.is_instance_of::<PyInt>() {
        return Err(PyTypeError::new_err(format!(
            "{op}(): shape must be a sequence of ints, got int."
        )));
    }
    shape_arg(obj)
}

fn opt_shape(obj: Option<&Obj<'_>>, op: &str) -> PyResult<Option<Vec<i64>>> {
    match obj {
        Some(o) if !o.is_none() => Ok(Some(seq_shape(o, op)?)),
        _ => Ok(None),
    }
}

fn shape_or_empty(obj: Option<&Obj<'_>>, op: &str) -> PyResult<Vec<i64>> {
    Ok(opt_shape(obj, op)?.unwrap_or_default())
}

/// A `scalar | array` parameter: arrays as they are, Python scalars as MLX's
/// `to_array(value, hint)` makes them.
fn param(obj: &Obj<'_>, hint: Option<Dtype>) -> PyResult<Array> {
    operand_array(obj, hint)
}

fn opt_param(obj: Option<&Obj<'_>>, hint: Option<Dtype>) -> PyResult<Option<Array>> {
    match obj {
        Some(o) if !o.is_none() => Ok(Some(param(o, hint)?)),
        _ => Ok(None),
    }
}

/// A Python int in C's `uint64_t` (MLX's seed type); anything else is the
/// TypeError of MLX's argument check.
fn seed_arg(obj: &Obj<'_>, op: &str) -> PyResult<u64> {
    if obj.is_instance_of::<PyInt>() && !obj.is_instance_of::<PyBool>() {
        if let Ok(v) = obj.extract::<u64>() {
            return Ok(v);
        }
    }
    Err(PyTypeError::new_err(format!(
        "{op}(): incompatible function arguments. The following argument types are supported:\n    1. {op}(seed: int)\n\nInvoked with types: {}",
        obj.get_type().name()?
    )))
}

#[pyfunction]
#[pyo3(signature = (seed))]
fn key(seed: &Obj<'_>) -> PyResult<PyArray> {
    Ok(PyArray::new(rnd::key(seed_arg(seed, "key")?).py()?))
}

#[pyfunction]
#[pyo3(signature = (seed))]
fn seed(py: Python<'_>, seed: &Obj<'_>) -> PyResult<()> {
    let k = rnd::key(seed_arg(seed, "seed")?).py()?;
    state(py)?.set_item(0, PyArray::new(k))
}

#[pyfunction]
#[pyo3(signature = (key, num = 2, stream = None))]
fn split(key: PyRef<'_, PyArray>, num: i64, stream: Option<&Obj<'_>>) -> PyResult<PyArray> {
    let out = rnd::split(&key.inner, num, stream_arg(stream)?).py()?;
    Ok(PyArray::new(out))
}

/// A sampler `name(<params>, key=None, stream=None)`: the key is taken
/// (advancing the state) before any other argument is checked, as in MLX,
/// and `$body` gives the sampled array.
macro_rules! sampler {
    ($name:ident($($sig:tt)*) { $($arg:ident: $ty:ty),* $(,)? } |$k:ident, $stream:ident| $body:block) => {
        #[pyfunction]
        #[pyo3(signature = ($($sig)*, key = None, stream = None))]
        #[allow(clippy::too_many_arguments)]
        fn $name(
            py: Python<'_>,
            $($arg: $ty,)*
            key: Opt<'_, '_>,
            $stream: Opt<'_, '_>,
        ) -> PyResult<PyArray> {
            let $k = key_arg(py, key)?;
            let out: rmlx::Result<Array> = $body;
            Ok(PyArray::new(out.py()?))
        }
    };
}

sampler!(bits(shape = None, width = 4) { shape: Opt<'_, '_>, width: usize } |k, stream| {
    let shape = shape_or_empty(shape, "bits")?;
    rnd::bits(&shape, width, Some(&k), stream_arg(stream)?)
});

sampler!(uniform(low = None, high = None, shape = None, dtype = None) {
    low: Opt<'_, '_>, high: Opt<'_, '_>, shape: Opt<'_, '_>, dtype: Opt<'_, '_>,
} |k, stream| {
    let low = opt_param(low, None)?.unwrap_or(Array::scalar(0i32));
    let high = opt_param(high, None)?.unwrap_or(Array::scalar(1i32));
    let shape = shape_or_empty(shape, "uniform")?;
    let dt = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    rnd::uniform(&low, &high, &shape, dt, Some(&k), stream_arg(stream)?)
});

sampler!(normal(shape = None, dtype = None, loc = None, scale = None) {
    shape: Opt<'_, '_>, dtype: Opt<'_, '_>, loc: Opt<'_, '_>, scale: Opt<'_, '_>,
} |k, stream| {
    let shape = shape_or_empty(shape, "normal")?;
    let dt = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    let loc = opt_param(loc, Some(dt))?;
    let scale = opt_param(scale, Some(dt))?;
    let s = stream_arg(stream)?;
    rnd::normal(&shape, dt, loc.as_ref(), scale.as_ref(), Some(&k), s)
});

sampler!(randint(low, high, shape = None, dtype = None) {
    low: &Obj<'_>, high: &Obj<'_>, shape: Opt<'_, '_>, dtype: Opt<'_, '_>,
} |k, stream| {
    let (low, high) = (param(low, None)?, param(high, None)?);
    let shape = shape_or_empty(shape, "randint")?;
    let dt = dtype_arg(dtype)?.unwrap_or(Dtype::Int32);
    rnd::randint(&low, &high, &shape, dt, Some(&k), stream_arg(stream)?)
});

sampler!(bernoulli(p = None, shape = None) { p: Opt<'_, '_>, shape: Opt<'_, '_> } |k, stream| {
    let p = opt_param(p, None)?.unwrap_or(Array::scalar(0.5f32));
    let shape = opt_shape(shape, "bernoulli")?;
    rnd::bernoulli(&p, shape.as_deref(), Some(&k), stream_arg(stream)?)
});

sampler!(truncated_normal(lower, upper, shape = None, dtype = None) {
    lower: &Obj<'_>, upper: &Obj<'_>, shape: Opt<'_, '_>, dtype: Opt<'_, '_>,
} |k, stream| {
    let (lower, upper) = (param(lower, None)?, param(upper, None)?);
    let shape = opt_shape(shape, "truncated_normal")?;
    let dt = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    let s = stream_arg(stream)?;
    rnd::truncated_normal(&lower, &upper, shape.as_deref(), dt, Some(&k), s)
});

sampler!(gumbel(shape = None, dtype = None) { shape: Opt<'_, '_>, dtype: Opt<'_, '_> } |k, stream| {
    let shape = shape_or_empty(shape, "gumbel")?;
    let dt = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    rnd::gumbel(&shape, dt, Some(&k), stream_arg(stream)?)
});

sampler!(categorical(logits, axis = -1, shape = None, num_samples = None) {
    logits: PyRef<'_, PyArray>, axis: i64, shape: Opt<'_, '_>, num_samples: Option<i64>,
} |k, stream| {
    let shape = opt_shape(shape, "categorical")?;
    let s = stream_arg(stream)?;
    rnd::categorical(&logits.inner, axis, shape.as_deref(), num_samples, Some(&k), s)
});

/// A `float` parameter (MLX's C++ `float`): Python numbers, not arrays.
fn float_arg(obj: Option<&Obj<'_>>, default: f32, op: &str, name: &str) -> PyResult<f32> {
    let Some(o) = obj else { return Ok(default) };
    if o.cast::<PyArray>().is_err() && !o.is_none() {
        if let Ok(v) = o.extract::<f64>() {
            return Ok(v as f32);
        }
    }
    Err(PyTypeError::new_err(format!(
        "{op}(): {name} must be a float, got {}.",
        o.get_type().name()?
    )))
}

sampler!(laplace(shape = None, dtype = None, loc = None, scale = None) {
    shape: Opt<'_, '_>, dtype: Opt<'_, '_>, loc: Opt<'_, '_>, scale: Opt<'_, '_>,
} |k, stream| {
    let shape = shape_or_empty(shape, "laplace")?;
    let dt = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    let loc = float_arg(loc, 0.0, "laplace", "loc")?;
    let scale = float_arg(scale, 1.0, "laplace", "scale")?;
    rnd::laplace(&shape, dt, loc, scale, Some(&k), stream_arg(stream)?)
});

sampler!(permutation(x, axis = 0) { x: &Obj<'_>, axis: i64 } |k, stream| {
    let s = stream_arg(stream)?;
    if let Ok(a) = x.cast::<PyArray>() {
        rnd::permute(&a.borrow().inner, axis, Some(&k), s)
    } else if x.is_instance_of::<PyInt>() {
        rnd::permutation(x.extract()?, Some(&k), s)
    } else {
        return Err(PyTypeError::new_err(format!(
            "permutation(): x must be an int or an array, got {}.",
            x.get_type().name()?
        )));
    }
});

sampler!(multivariate_normal(mean, cov, shape = None, dtype = None) {
    mean: PyRef<'_, PyArray>, cov: PyRef<'_, PyArray>, shape: Opt<'_, '_>, dtype: Opt<'_, '_>,
} |k, stream| {
    let shape = shape_or_empty(shape, "multivariate_normal")?;
    let dt = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    let s = stream_arg(stream)?;
    rnd::multivariate_normal(&mean.inner, &cov.inner, &shape, dt, Some(&k), s)
});

/// Module attribute hook: `state` is the calling thread's key list.
#[pyfunction]
#[pyo3(name = "__getattr__")]
fn module_getattr<'py>(py: Python<'py>, name: &str) -> PyResult<Bound<'py, PyAny>> {
    if name == "state" {
        return Ok(state(py)?.into_any());
    }
    Err(PyAttributeError::new_err(format!(
        "Module 'random' has no attribute '{name}'"
    )))
}

/// Registers the `random` submodule (also as `rmlx.core.random` in
/// `sys.modules`, so it can be imported by name).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let sub = PyModule::new(py, "rmlx.core.random")?;
    sub.setattr(
        "__doc__",
        "rmlx.core.random: functionality related to random number generation",
    )?;
    macro_rules! add {
        ($($f:ident),*) => { $( sub.add_function(wrap_pyfunction!($f, &sub)?)?; )* };
    }
    add!(key, seed, split, bits, uniform, normal, randint, bernoulli);
    add!(truncated_normal, gumbel, categorical, laplace, permutation);
    add!(multivariate_normal, module_getattr);
    m.add_submodule(&sub)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("rmlx.core.random", &sub)?;
    Ok(())
}
