//! Module functions of the creation family: `zeros`, `ones`, `full`,
//! `empty` and their `_like` forms, `arange`, `linspace`, `eye`,
//! `identity`, `tri`, `tril`, `triu`, `meshgrid` and `asarray`, with
//! MLX's signatures, defaults and dtype rules (`array` itself lives in
//! `array.rs`).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyTuple};
use rmlx::{ops, Array, Dtype};

use crate::array::PyArray;
use crate::convert::{dtype_arg, scalar_to_array, shape_arg, stream_arg, to_array};
use crate::dtype::PyDtype;
use crate::errors::PyResultExt;

/// An argument MLX types as `array` (no scalars, lists or NumPy arrays).
fn array_only(obj: &Bound<'_, PyAny>, op: &str) -> PyResult<Array> {
    match obj.cast::<PyArray>() {
        Ok(a) => Ok(a.borrow().inner.clone()),
        Err(_) => Err(PyTypeError::new_err(format!(
            "{op}(): incompatible function arguments: expected an array, got {}.",
            obj.get_type().name()?
        ))),
    }
}

/// MLX's `to_array(vals, dtype)`: an array stays as it is; a Python scalar
/// takes `hint` weakly; anything else is converted to `hint`.
fn fill_value(vals: &Bound<'_, PyAny>, hint: Option<Dtype>) -> PyResult<Array> {
    if let Ok(a) = vals.cast::<PyArray>() {
        return Ok(a.borrow().inner.clone());
    }
    match scalar_to_array(vals, hint)? {
        Some(a) => Ok(a),
        None => to_array(vals, hint),
    }
}

/// `zeros`/`ones(shape, dtype=float32, *, stream=None)`, calling `ops::<name>`.
macro_rules! filled_pyfns {
    ($($name:ident),*) => {$(
        #[pyfunction]
        #[pyo3(signature = (shape, dtype = None, *, stream = None))]
        fn $name(
            shape: &Bound<'_, PyAny>,
            dtype: Option<&Bound<'_, PyAny>>,
            stream: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyArray> {
            let d = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
            Ok(PyArray::new(
                ops::$name(&shape_arg(shape)?, d, stream_arg(stream)?).py()?,
            ))
        }
    )*};
}

filled_pyfns!(zeros, ones);

/// `full(shape, vals, dtype=None)`: as in MLX, `dtype` only guides the
/// conversion of a non-array `vals`; an array `vals` keeps its dtype.
#[pyfunction]
#[pyo3(signature = (shape, vals, dtype = None, *, stream = None))]
fn full(
    shape: &Bound<'_, PyAny>,
    vals: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let v = fill_value(vals, dtype_arg(dtype)?)?;
    Ok(PyArray::new(
        ops::full(&shape_arg(shape)?, &v, None, stream_arg(stream)?).py()?,
    ))
}

/// `zeros_like`/`ones_like(a, /, dtype=None, *, stream=None)`, calling
/// `ops::<name>`.
macro_rules! filled_like_pyfns {
    ($($name:ident),*) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, /, dtype = None, *, stream = None))]
        fn $name(
            a: &Bound<'_, PyAny>,
            dtype: Option<&Bound<'_, PyAny>>,
            stream: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyArray> {
            let a = array_only(a, stringify!($name))?;
            Ok(PyArray::new(
                ops::$name(&a, dtype_arg(dtype)?, stream_arg(stream)?).py()?,
            ))
        }
    )*};
}

filled_like_pyfns!(zeros_like, ones_like);

#[pyfunction]
#[pyo3(signature = (a, vals, dtype = None, *, stream = None))]
fn full_like(
    a: &Bound<'_, PyAny>,
    vals: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let a = array_only(a, "full_like")?;
    let d = dtype_arg(dtype)?;
    let v = fill_value(vals, Some(d.unwrap_or(a.dtype())))?;
    Ok(PyArray::new(
        ops::full_like(&a, &v, d, stream_arg(stream)?).py()?,
    ))
}

/// A number argument of `arange`: Python bool, int (int64 range) or float.
#[derive(Clone, Copy)]
enum Num {
    Bool(bool),
    Int(i64),
    Float(f64),
}

impl Num {
    fn parse(o: &Bound<'_, PyAny>) -> Option<Num> {
        if o.is_instance_of::<PyBool>() {
            o.extract().ok().map(Num::Bool)
        } else if o.is_instance_of::<PyInt>() {
            o.extract().ok().map(Num::Int)
        } else if o.is_instance_of::<PyFloat>() {
            o.extract().ok().map(Num::Float)
        } else {
            None
        }
    }
    fn value(self) -> f64 {
        match self {
            Num::Bool(b) => f64::from(u8::from(b)),
            Num::Int(i) => i as f64,
            Num::Float(f) => f,
        }
    }
}

/// The dtype MLX infers for integer-valued `arange` arguments.
fn arange_dtype(nums: &[Num]) -> Dtype {
    if nums.iter().any(|n| matches!(n, Num::Float(_))) {
        Dtype::Float32
    } else if nums
        .iter()
        .any(|n| matches!(n, Num::Int(i) if *i < i32::MIN as i64 || *i > i32::MAX as i64))
    {
        Dtype::Int64
    } else {
        Dtype::Int32
    }
}

/// Binds positional and keyword arguments to `params` (names, required)
/// like one overload of an extension function; `None` when they do not fit.
fn bind<'py>(
    params: &[(&str, bool)],
    args: &[Bound<'py, PyAny>],
    kwargs: &[(String, Bound<'py, PyAny>)],
) -> Option<Vec<Option<Bound<'py, PyAny>>>> {
    if args.len() > params.len() {
        return None;
    }
    let mut out: Vec<Option<Bound<'py, PyAny>>> = params.iter().map(|_| None).collect();
    for (i, a) in args.iter().enumerate() {
        out[i] = Some(a.clone());
    }
    for (k, v) in kwargs {
        let i = params.iter().position(|(n, _)| n == k)?;
        if out[i].is_some() {
            return None;
        }
        out[i] = Some(v.clone());
    }
    for (i, (_, required)) in params.iter().enumerate() {
        if *required && out[i].is_none() {
            return None;
        }
    }
    Some(out)
}

/// A number or `None` (as `Some(None)`); `None` when neither.
fn opt_num(o: &Option<Bound<'_, PyAny>>) -> Option<Option<Num>> {
    match o {
        None => Some(None),
        Some(v) if v.is_none() => Some(None),
        Some(v) => Num::parse(v).map(Some),
    }
}

/// A dtype or `None` (as `Some(None)`); `None` when neither.
fn opt_dtype(o: &Option<Bound<'_, PyAny>>) -> Option<Option<Dtype>> {
    match o {
        None => Some(None),
        Some(v) if v.is_none() => Some(None),
        Some(v) => v.cast::<PyDtype>().ok().map(|d| Some(d.get().0)),
    }
}

/// Start, stop, step and dtype of an `arange` call, following MLX's two
/// overloads: `arange(start, stop, step=None, dtype=None)` (a `None` stop
/// makes `start` the stop) and `arange(stop, step=None, dtype=None)`.
fn arange_args(
    args: &[Bound<'_, PyAny>],
    kwargs: &[(String, Bound<'_, PyAny>)],
) -> Option<(f64, f64, f64, Dtype)> {
    let first = [
        ("start", true),
        ("stop", true),
        ("step", false),
        ("dtype", false),
    ];
    if let Some(b) = bind(&first, args, kwargs) {
        if let (Some(Some(start)), Some(stop), Some(step), Some(dtype)) = (
            opt_num(&b[0]),
            opt_num(&b[1]),
            opt_num(&b[2]),
            opt_dtype(&b[3]),
        ) {
            let (start, stop) = match stop {
                Some(stop) => (start, stop),
                None => (Num::Int(0), start),
            };
            let mut nums = vec![start, stop];
            nums.extend(step);
            let d = dtype.unwrap_or_else(|| arange_dtype(&nums));
            return Some((start.value(), stop.value(), step.map_or(1.0, Num::value), d));
        }
    }
    let second = [("stop", true), ("step", false), ("dtype", false)];
    let b = bind(&second, args, kwargs)?;
    let (Some(Some(stop)), Some(step), Some(dtype)) =
        (opt_num(&b[0]), opt_num(&b[1]), opt_dtype(&b[2]))
    else {
        return None;
    };
    let mut nums = vec![stop];
    nums.extend(step);
    let inferred = match (stop, step) {
        (Num::Bool(_), None | Some(Num::Bool(_))) => Dtype::Bool,
        _ => arange_dtype(&nums),
    };
    Some((
        0.0,
        stop.value(),
        step.map_or(1.0, Num::value),
        dtype.unwrap_or(inferred),
    ))
}

/// `arange(stop)`, `arange(start, stop[, step][, dtype])` with MLX's
/// argument forms and dtype inference (any float: float32; integers beyond
/// int32: int64; else int32).
#[pyfunction]
#[pyo3(signature = (*args, stream = None, **kwargs))]
fn arange(
    args: &Bound<'_, PyTuple>,
    stream: Option<&Bound<'_, PyAny>>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<PyArray> {
    let pos: Vec<Bound<'_, PyAny>> = args.iter().collect();
    let mut kw: Vec<(String, Bound<'_, PyAny>)> = Vec::new();
    if let Some(d) = kwargs {
        for (k, v) in d.iter() {
            kw.push((k.extract()?, v));
        }
    }
    let Some((start, stop, step, dtype)) = arange_args(&pos, &kw) else {
        let types: Vec<String> = pos
            .iter()
            .map(|a| {
                a.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            })
            .collect();
        return Err(PyTypeError::new_err(format!(
            "arange(): incompatible function arguments. The following argument types are supported:\n    \
             1. arange(start : int | float, stop : None | int | float, step : None | int | float, dtype: Dtype | None = None, *, stream: StreamOrDevice = None) -> array\n    \
             2. arange(stop : int | float, step : None | int | float = None, dtype: Dtype | None = None, *, stream: StreamOrDevice = None) -> array\n\n\
             Invoked with types: {}",
            types.join(", ")
        )));
    };
    Ok(PyArray::new(
        ops::arange(start, stop, step, dtype, stream_arg(stream)?).py()?,
    ))
}

/// A real scalar argument (`linspace` bounds): Python numbers or anything
/// with `__float__`, but not complex numbers.
fn real_arg(o: &Bound<'_, PyAny>, op: &str) -> PyResult<f64> {
    if o.is_instance_of::<pyo3::types::PyComplex>() {
        return Err(PyTypeError::new_err(format!(
            "{op}(): incompatible function arguments: complex bounds are not supported."
        )));
    }
    o.extract::<f64>()
}

#[pyfunction]
#[pyo3(signature = (start, stop, num = 50, endpoint = true, dtype = None, stream = None))]
fn linspace(
    start: &Bound<'_, PyAny>,
    stop: &Bound<'_, PyAny>,
    num: i64,
    endpoint: bool,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let (a, b) = (real_arg(start, "linspace")?, real_arg(stop, "linspace")?);
    let d = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    Ok(PyArray::new(
        ops::linspace(a, b, num, endpoint, d, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (n, m = None, k = 0, dtype = None, *, stream = None))]
fn eye(
    n: i64,
    m: Option<i64>,
    k: i64,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let d = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    Ok(PyArray::new(
        ops::eye(n, m, k, d, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (n, dtype = None, *, stream = None))]
fn identity(
    n: i64,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let d = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    Ok(PyArray::new(ops::identity(n, d, stream_arg(stream)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (n, m = None, k = 0, dtype = None, *, stream = None))]
fn tri(
    n: i64,
    m: Option<i64>,
    k: i64,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let d = dtype_arg(dtype)?.unwrap_or(Dtype::Float32);
    Ok(PyArray::new(
        ops::tri(n, m, k, d, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (x, k = 0, *, stream = None))]
fn tril(x: &Bound<'_, PyAny>, k: i64, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    let x = array_only(x, "tril")?;
    Ok(PyArray::new(ops::tril(&x, k, stream_arg(stream)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (x, k = 0, *, stream = None))]
fn triu(x: &Bound<'_, PyAny>, k: i64, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    let x = array_only(x, "triu")?;
    Ok(PyArray::new(ops::triu(&x, k, stream_arg(stream)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (*arrays, sparse = false, indexing = "xy", stream = None))]
fn meshgrid<'py>(
    py: Python<'py>,
    arrays: &Bound<'py, PyTuple>,
    sparse: bool,
    indexing: &str,
    stream: Option<&Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyTuple>> {
    let xs: Vec<Array> = arrays
        .iter()
        .map(|a| to_array(&a, None))
        .collect::<PyResult<_>>()?;
    let out = ops::meshgrid(&xs, sparse, indexing, stream_arg(stream)?).py()?;
    PyTuple::new(py, out.into_iter().map(PyArray::new))
}

/// `asarray(a, dtype=None, *, copy=None)`. Arrays are values, so an rmlx
/// array of the requested dtype is shared even with `copy=False`; any
/// other input needs a conversion, which `copy=False` refuses.
#[pyfunction]
#[pyo3(signature = (a, /, dtype = None, *, copy = None))]
fn asarray(
    a: &Bound<'_, PyAny>,
    dtype: Option<&Bound<'_, PyAny>>,
    copy: Option<bool>,
) -> PyResult<PyArray> {
    if a.is_none() {
        return Err(PyTypeError::new_err(
            "asarray(): incompatible function arguments: a must not be None.",
        ));
    }
    let d = dtype_arg(dtype)?;
    if copy == Some(false) {
        let shared = a.cast::<PyArray>().ok().map(|x| x.borrow().inner.clone());
        return match shared {
            Some(x) if d.is_none_or(|d| d == x.dtype()) => Ok(PyArray::new(x)),
            _ => Err(PyValueError::new_err(
                "Unable to avoid copy while creating an array as requested.",
            )),
        };
    }
    Ok(PyArray::new(to_array(a, d)?))
}

/// Registers the creation functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(zeros, m)?)?;
    m.add_function(wrap_pyfunction!(ones, m)?)?;
    m.add_function(wrap_pyfunction!(full, m)?)?;
    m.add_function(wrap_pyfunction!(zeros_like, m)?)?;
    m.add_function(wrap_pyfunction!(ones_like, m)?)?;
    m.add_function(wrap_pyfunction!(full_like, m)?)?;
    m.add_function(wrap_pyfunction!(arange, m)?)?;
    m.add_function(wrap_pyfunction!(linspace, m)?)?;
    m.add_function(wrap_pyfunction!(eye, m)?)?;
    m.add_function(wrap_pyfunction!(identity, m)?)?;
    m.add_function(wrap_pyfunction!(tri, m)?)?;
    m.add_function(wrap_pyfunction!(tril, m)?)?;
    m.add_function(wrap_pyfunction!(triu, m)?)?;
    m.add_function(wrap_pyfunction!(meshgrid, m)?)?;
    m.add_function(wrap_pyfunction!(asarray, m)?)?;
    // MLX's `empty` and `empty_like` are `zeros` and `zeros_like`.
    m.add("empty", m.getattr("zeros")?)?;
    m.add("empty_like", m.getattr("zeros_like")?)?;
    Ok(())
}
