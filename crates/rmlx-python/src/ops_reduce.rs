//! Module functions (and array methods) of the reduce and scan families:
//! `sum` ... `count_nonzero`, `softmax`, and `cumsum` ... `logcumsumexp`,
//! with MLX's signatures, defaults and argument checking.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyString};
use rmlx::primitives::reduce::{ArgReduceOp, ReduceOp};
use rmlx::primitives::scan::ScanOp;
use rmlx::{ops, Array};

use crate::array::PyArray;
use crate::convert::{dtype_arg, stream_arg};
use crate::errors::PyResultExt;

/// MLX's message for arguments of the wrong type.
fn bad_args(fname: &str, sig: &str, what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{fname}(): incompatible function arguments. The following argument types are supported:\n    1. {fname}({sig}) -> array\n\nInvoked with types: {what}"
    ))
}

fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// The array operand: reductions take arrays only, as MLX's do.
fn operand(a: &Bound<'_, PyAny>, fname: &str, sig: &str) -> PyResult<Array> {
    match a.cast::<PyArray>() {
        Ok(x) => Ok(x.borrow().inner.clone()),
        Err(_) => Err(bad_args(fname, sig, &type_name(a))),
    }
}

/// An integer argument: ints, bools and objects with `__index__` (such as
/// a one-element integer array); floats and strings are refused.
fn index_of(o: &Bound<'_, PyAny>) -> Option<i64> {
    if o.is_instance_of::<PyString>() {
        return None;
    }
    if o.is_instance_of::<PyBool>() {
        return o.extract::<bool>().ok().map(i64::from);
    }
    o.call_method0("__index__").ok()?.extract::<i64>().ok()
}

/// `axis`: None, an int, or a sequence of ints.
fn axes_param(
    axis: Option<&Bound<'_, PyAny>>,
    fname: &str,
    sig: &str,
) -> PyResult<Option<Vec<i64>>> {
    let Some(o) = axis else { return Ok(None) };
    if o.is_none() {
        return Ok(None);
    }
    let bad = || {
        bad_args(
            fname,
            sig,
            &format!("array, kwargs = {{ axis: {} }}", type_name(o)),
        )
    };
    if let Some(i) = index_of(o) {
        return Ok(Some(vec![i]));
    }
    if o.is_instance_of::<PyString>() {
        return Err(bad());
    }
    let Ok(it) = o.try_iter() else {
        return Err(bad());
    };
    let mut out = Vec::new();
    for item in it {
        out.push(index_of(&item?).ok_or_else(bad)?);
    }
    Ok(Some(out))
}

/// `axis`: None or an int.
fn axis_param(axis: Option<&Bound<'_, PyAny>>, fname: &str, sig: &str) -> PyResult<Option<i64>> {
    let Some(o) = axis else { return Ok(None) };
    if o.is_none() {
        return Ok(None);
    }
    index_of(o).map(Some).ok_or_else(|| {
        bad_args(
            fname,
            sig,
            &format!("array, kwargs = {{ axis: {} }}", type_name(o)),
        )
    })
}

const SIG_RED: &str = "a: array, /, axis: None | int | Sequence[int] = None, keepdims: bool = False, *, stream: StreamOrDevice = None";
const SIG_VAR: &str =
    "a: array, /, axis: None | int | Sequence[int] = None, keepdims: bool = False, ddof: int = 0, *, stream: StreamOrDevice = None";
const SIG_ARG: &str = "a: array, /, axis: None | int = None, keepdims: bool = False, *, stream: StreamOrDevice = None";
const SIG_SCAN: &str =
    "a: array, /, axis: int | None = None, *, reverse: bool = False, inclusive: bool = True, stream: StreamOrDevice = None";
const SIG_SOFTMAX: &str = "a: array, /, axis: None | int | Sequence[int] = None, *, precise: bool = False, stream: StreamOrDevice = None";
const SIG_COUNT: &str =
    "a: array, /, *, axis: None | int | Sequence[int] = None, keepdims: bool = False, stream: StreamOrDevice = None";

fn reduce(
    op: ReduceOp,
    a: &Array,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let axes = axes_param(axis, op.name(), SIG_RED)?;
    Ok(PyArray::new(
        ops::reduce_op(op, a, axes.as_deref(), keepdims, stream_arg(stream)?).py()?,
    ))
}

/// `mean` and `logsumexp`, which share the reduction signature.
fn reduce_other(
    name: &str,
    a: &Array,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let axes = axes_param(axis, name, SIG_RED)?;
    let s = stream_arg(stream)?;
    let out = match name {
        "mean" => ops::mean(a, axes.as_deref(), keepdims, s),
        _ => ops::logsumexp(a, axes.as_deref(), keepdims, s),
    };
    Ok(PyArray::new(out.py()?))
}

fn moments(
    std: bool,
    a: &Array,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    ddof: i64,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let name = if std { "std" } else { "var" };
    let axes = axes_param(axis, name, SIG_VAR)?;
    let s = stream_arg(stream)?;
    let out = if std {
        ops::std(a, axes.as_deref(), keepdims, ddof, s)
    } else {
        ops::var(a, axes.as_deref(), keepdims, ddof, s)
    };
    Ok(PyArray::new(out.py()?))
}

fn arg(
    op: ArgReduceOp,
    a: &Array,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let axis = axis_param(axis, op.name(), SIG_ARG)?;
    Ok(PyArray::new(
        ops::arg_reduce_op(op, a, axis, keepdims, stream_arg(stream)?).py()?,
    ))
}

fn scan(
    op: ScanOp,
    a: &Array,
    axis: Option<&Bound<'_, PyAny>>,
    reverse: bool,
    inclusive: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let axis = axis_param(axis, op.name(), SIG_SCAN)?;
    Ok(PyArray::new(
        ops::scan_op(op, a, axis, reverse, inclusive, stream_arg(stream)?).py()?,
    ))
}

macro_rules! reduce_pyfns {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
        fn $name(a: &Bound<'_, PyAny>, axis: Option<&Bound<'_, PyAny>>, keepdims: bool, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
            reduce(ReduceOp::$op, &operand(a, stringify!($name), SIG_RED)?, axis, keepdims, stream)
        }
    )*};
}

reduce_pyfns! { sum => Sum, prod => Prod, max => Max, min => Min, all => And, any => Or }

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
fn mean(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    reduce_other(
        "mean",
        &operand(a, "mean", SIG_RED)?,
        axis,
        keepdims,
        stream,
    )
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
fn logsumexp(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    reduce_other(
        "logsumexp",
        &operand(a, "logsumexp", SIG_RED)?,
        axis,
        keepdims,
        stream,
    )
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, keepdims = false, ddof = 0, *, stream = None))]
fn var(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    ddof: i64,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    moments(
        false,
        &operand(a, "var", SIG_VAR)?,
        axis,
        keepdims,
        ddof,
        stream,
    )
}

#[pyfunction(name = "std")]
#[pyo3(signature = (a, /, axis = None, keepdims = false, ddof = 0, *, stream = None))]
fn std_fn(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    ddof: i64,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    moments(
        true,
        &operand(a, "std", SIG_VAR)?,
        axis,
        keepdims,
        ddof,
        stream,
    )
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
fn argmax(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    arg(
        ArgReduceOp::ArgMax,
        &operand(a, "argmax", SIG_ARG)?,
        axis,
        keepdims,
        stream,
    )
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
fn argmin(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    arg(
        ArgReduceOp::ArgMin,
        &operand(a, "argmin", SIG_ARG)?,
        axis,
        keepdims,
        stream,
    )
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, *, keepdims = false, stream = None))]
fn count_nonzero(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = operand(a, "count_nonzero", SIG_COUNT)?;
    let axes = axes_param(axis, "count_nonzero", SIG_COUNT)?;
    Ok(PyArray::new(
        ops::count_nonzero(&x, axes.as_deref(), keepdims, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, *, precise = false, stream = None))]
fn softmax(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    precise: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = operand(a, "softmax", SIG_SOFTMAX)?;
    let axes = axes_param(axis, "softmax", SIG_SOFTMAX)?;
    Ok(PyArray::new(
        ops::softmax(&x, axes.as_deref(), precise, stream_arg(stream)?).py()?,
    ))
}

/// `cumsum`/`cumprod` take a `dtype` to cast the input to first.
fn cast_first(
    a: &Bound<'_, PyAny>,
    fname: &str,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<Array> {
    let x = operand(a, fname, SIG_SCAN)?;
    match dtype_arg(dtype)? {
        Some(d) => ops::astype(&x, d, stream_arg(stream)?).py(),
        None => Ok(x),
    }
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, *, reverse = false, inclusive = true, dtype = None, stream = None))]
fn cumsum(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    reverse: bool,
    inclusive: bool,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    scan(
        ScanOp::Sum,
        &cast_first(a, "cumsum", dtype, stream)?,
        axis,
        reverse,
        inclusive,
        stream,
    )
}

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, *, reverse = false, inclusive = true, dtype = None, stream = None))]
fn cumprod(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    reverse: bool,
    inclusive: bool,
    dtype: Option<&Bound<'_, PyAny>>,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    scan(
        ScanOp::Prod,
        &cast_first(a, "cumprod", dtype, stream)?,
        axis,
        reverse,
        inclusive,
        stream,
    )
}

macro_rules! scan_pyfns {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, /, axis = None, *, reverse = false, inclusive = true, stream = None))]
        fn $name(a: &Bound<'_, PyAny>, axis: Option<&Bound<'_, PyAny>>, reverse: bool, inclusive: bool, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
            scan(ScanOp::$op, &operand(a, stringify!($name), SIG_SCAN)?, axis, reverse, inclusive, stream)
        }
    )*};
}

scan_pyfns! { cummax => Max, cummin => Min, logcumsumexp => LogAddExp }

/// Registers the reduce and scan functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sum, m)?)?;
    m.add_function(wrap_pyfunction!(prod, m)?)?;
    m.add_function(wrap_pyfunction!(max, m)?)?;
    m.add_function(wrap_pyfunction!(min, m)?)?;
    m.add_function(wrap_pyfunction!(all, m)?)?;
    m.add_function(wrap_pyfunction!(any, m)?)?;
    m.add_function(wrap_pyfunction!(mean, m)?)?;
    m.add_function(wrap_pyfunction!(var, m)?)?;
    m.add_function(wrap_pyfunction!(std_fn, m)?)?;
    m.add_function(wrap_pyfunction!(argmax, m)?)?;
    m.add_function(wrap_pyfunction!(argmin, m)?)?;
    m.add_function(wrap_pyfunction!(logsumexp, m)?)?;
    m.add_function(wrap_pyfunction!(count_nonzero, m)?)?;
    m.add_function(wrap_pyfunction!(softmax, m)?)?;
    m.add_function(wrap_pyfunction!(cumsum, m)?)?;
    m.add_function(wrap_pyfunction!(cumprod, m)?)?;
    m.add_function(wrap_pyfunction!(cummax, m)?)?;
    m.add_function(wrap_pyfunction!(cummin, m)?)?;
    m.add_function(wrap_pyfunction!(logcumsumexp, m)?)?;
    Ok(())
}

// The array methods.
#[pymethods]
impl PyArray {
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn sum(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        reduce(ReduceOp::Sum, &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn prod(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        reduce(ReduceOp::Prod, &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn max(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        reduce(ReduceOp::Max, &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn min(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        reduce(ReduceOp::Min, &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn all(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        reduce(ReduceOp::And, &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn any(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        reduce(ReduceOp::Or, &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn mean(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        reduce_other("mean", &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn logsumexp(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        reduce_other("logsumexp", &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, ddof = 0, *, correction = None, stream = None))]
    fn var(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        ddof: i64,
        correction: Option<i64>,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        moments(
            false,
            &self.inner,
            axis,
            keepdims,
            correction.unwrap_or(ddof),
            stream,
        )
    }
    #[pyo3(signature = (axis = None, keepdims = false, ddof = 0, *, correction = None, stream = None))]
    fn std(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        ddof: i64,
        correction: Option<i64>,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        moments(
            true,
            &self.inner,
            axis,
            keepdims,
            correction.unwrap_or(ddof),
            stream,
        )
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn argmax(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        arg(ArgReduceOp::ArgMax, &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
    fn argmin(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        keepdims: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        arg(ArgReduceOp::ArgMin, &self.inner, axis, keepdims, stream)
    }
    #[pyo3(signature = (axis = None, *, reverse = false, inclusive = true, stream = None))]
    fn cumsum(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        reverse: bool,
        inclusive: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        scan(ScanOp::Sum, &self.inner, axis, reverse, inclusive, stream)
    }
    #[pyo3(signature = (axis = None, *, reverse = false, inclusive = true, stream = None))]
    fn cumprod(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        reverse: bool,
        inclusive: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        scan(ScanOp::Prod, &self.inner, axis, reverse, inclusive, stream)
    }
    #[pyo3(signature = (axis = None, *, reverse = false, inclusive = true, stream = None))]
    fn cummax(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        reverse: bool,
        inclusive: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        scan(ScanOp::Max, &self.inner, axis, reverse, inclusive, stream)
    }
    #[pyo3(signature = (axis = None, *, reverse = false, inclusive = true, stream = None))]
    fn cummin(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        reverse: bool,
        inclusive: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        scan(ScanOp::Min, &self.inner, axis, reverse, inclusive, stream)
    }
    #[pyo3(signature = (axis = None, *, reverse = false, inclusive = true, stream = None))]
    fn logcumsumexp(
        &self,
        axis: Option<&Bound<'_, PyAny>>,
        reverse: bool,
        inclusive: bool,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        scan(
            ScanOp::LogAddExp,
            &self.inner,
            axis,
            reverse,
            inclusive,
            stream,
        )
    }
}
