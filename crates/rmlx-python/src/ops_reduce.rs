//! Module functions (and array methods) of the reduce and scan families:
//! `sum` ... `count_nonzero`, `softmax`, and `cumsum` ... `logcumsumexp`,
//! with MLX's signatures, defaults and argument checking.
//!
//! Each op is bound twice, as `rmlx.core.<op>(a, ...)` and as the method
//! `a.<op>(...)`; the macros below write both from one line per op, so that
//! the two always parse their arguments the same way.

use pyo3::prelude::*;
use rmlx::primitives::scan::ScanOp;
use rmlx::{ops, Array, Stream};

use crate::array::PyArray;
use crate::convert::{array_only, axes_kwarg, dtype_arg, int_kwarg, stream_arg};
use crate::errors::PyResultExt;

/// `axis`: None or an int.
fn axis_param(axis: Option<&Bound<'_, PyAny>>, fname: &str, sig: &str) -> PyResult<Option<i64>> {
    match axis {
        Some(o) if !o.is_none() => int_kwarg(o, "axis", fname, sig).map(Some),
        _ => Ok(None),
    }
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

/// An op over a list of axes (`sum`, `mean`, ...).
type AxesOp = fn(&Array, Option<&[i64]>, bool, Option<Stream>) -> rmlx::Result<Array>;
/// An op along one axis (`argmax`, `argmin`).
type AxisOp = fn(&Array, Option<i64>, bool, Option<Stream>) -> rmlx::Result<Array>;
/// `var` and `std`.
type MomentOp = fn(&Array, Option<&[i64]>, bool, i64, Option<Stream>) -> rmlx::Result<Array>;

fn reduce(
    name: &str,
    op: AxesOp,
    a: &Array,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let axes = axes_kwarg(axis, name, SIG_RED)?;
    Ok(PyArray::new(
        op(a, axes.as_deref(), keepdims, stream_arg(stream)?).py()?,
    ))
}

fn arg(
    name: &str,
    op: AxisOp,
    a: &Array,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let axis = axis_param(axis, name, SIG_ARG)?;
    Ok(PyArray::new(
        op(a, axis, keepdims, stream_arg(stream)?).py()?,
    ))
}

fn moments(
    name: &str,
    op: MomentOp,
    a: &Array,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    ddof: i64,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let axes = axes_kwarg(axis, name, SIG_VAR)?;
    Ok(PyArray::new(
        op(a, axes.as_deref(), keepdims, ddof, stream_arg(stream)?).py()?,
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

/// `name(a, /, axis=None, keepdims=False, *, stream=None)` and its method,
/// run by `helper` (`reduce` or `arg`) with the op and `sig` for errors.
macro_rules! keepdims_pyfns {
    ($helper:ident, $sig:ident: $($name:ident => $op:path),* $(,)?) => {
        $(
            #[pyfunction]
            #[pyo3(signature = (a, /, axis = None, keepdims = false, *, stream = None))]
            fn $name(
                a: &Bound<'_, PyAny>,
                axis: Option<&Bound<'_, PyAny>>,
                keepdims: bool,
                stream: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<PyArray> {
                let name = stringify!($name);
                $helper(name, $op, &array_only(a, name, $sig)?, axis, keepdims, stream)
            }
        )*
        #[pymethods]
        impl PyArray {$(
            #[pyo3(signature = (axis = None, keepdims = false, *, stream = None))]
            fn $name(
                &self,
                axis: Option<&Bound<'_, PyAny>>,
                keepdims: bool,
                stream: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<PyArray> {
                $helper(stringify!($name), $op, &self.inner, axis, keepdims, stream)
            }
        )*}
    };
}

keepdims_pyfns! { reduce, SIG_RED:
    sum => ops::sum, prod => ops::prod, max => ops::max, min => ops::min,
    all => ops::all, any => ops::any, mean => ops::mean, logsumexp => ops::logsumexp,
}
keepdims_pyfns! { arg, SIG_ARG: argmax => ops::argmax, argmin => ops::argmin }

/// `var` and `std`: the module function (Rust name `$fname`, as `std`
/// would shadow the crate) and the method, which also takes MLX's
/// keyword-only `correction` (overriding `ddof`).
macro_rules! moment_pyfns {
    ($($fname:ident $pyname:tt $name:ident => $op:path),* $(,)?) => {
        $(
            #[pyfunction(name = $pyname)]
            #[pyo3(signature = (a, /, axis = None, keepdims = false, ddof = 0, *, stream = None))]
            fn $fname(
                a: &Bound<'_, PyAny>,
                axis: Option<&Bound<'_, PyAny>>,
                keepdims: bool,
                ddof: i64,
                stream: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<PyArray> {
                let x = array_only(a, $pyname, SIG_VAR)?;
                moments($pyname, $op, &x, axis, keepdims, ddof, stream)
            }
        )*
        #[pymethods]
        impl PyArray {$(
            #[pyo3(signature = (axis = None, keepdims = false, ddof = 0, *, correction = None, stream = None))]
            fn $name(
                &self,
                axis: Option<&Bound<'_, PyAny>>,
                keepdims: bool,
                ddof: i64,
                correction: Option<i64>,
                stream: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<PyArray> {
                let ddof = correction.unwrap_or(ddof);
                moments($pyname, $op, &self.inner, axis, keepdims, ddof, stream)
            }
        )*}
    };
}

moment_pyfns! { var_fn "var" var => ops::var, std_fn "std" std => ops::std }

#[pyfunction]
#[pyo3(signature = (a, /, axis = None, *, keepdims = false, stream = None))]
fn count_nonzero(
    a: &Bound<'_, PyAny>,
    axis: Option<&Bound<'_, PyAny>>,
    keepdims: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    let x = array_only(a, "count_nonzero", SIG_COUNT)?;
    let axes = axes_kwarg(axis, "count_nonzero", SIG_COUNT)?;
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
    let x = array_only(a, "softmax", SIG_SOFTMAX)?;
    let axes = axes_kwarg(axis, "softmax", SIG_SOFTMAX)?;
    Ok(PyArray::new(
        ops::softmax(&x, axes.as_deref(), precise, stream_arg(stream)?).py()?,
    ))
}

/// The scans' module functions, `name(a, /, axis=None, *, reverse=False,
/// inclusive=True, stream=None)`; those marked `dtype` (`cumsum`,
/// `cumprod`) also take a keyword-only `dtype` to cast the input to first.
macro_rules! scan_pyfn {
    ($name:ident => $op:ident) => {
        #[pyfunction]
        #[pyo3(signature = (a, /, axis = None, *, reverse = false, inclusive = true, stream = None))]
        fn $name(
            a: &Bound<'_, PyAny>,
            axis: Option<&Bound<'_, PyAny>>,
            reverse: bool,
            inclusive: bool,
            stream: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyArray> {
            let x = array_only(a, stringify!($name), SIG_SCAN)?;
            scan(ScanOp::$op, &x, axis, reverse, inclusive, stream)
        }
    };
    ($name:ident => $op:ident, dtype) => {
        #[pyfunction]
        #[pyo3(signature = (a, /, axis = None, *, reverse = false, inclusive = true, dtype = None, stream = None))]
        fn $name(
            a: &Bound<'_, PyAny>,
            axis: Option<&Bound<'_, PyAny>>,
            reverse: bool,
            inclusive: bool,
            dtype: Option<&Bound<'_, PyAny>>,
            stream: Option<&Bound<'_, PyAny>>,
        ) -> PyResult<PyArray> {
            let mut x = array_only(a, stringify!($name), SIG_SCAN)?;
            if let Some(d) = dtype_arg(dtype)? {
                x = ops::astype(&x, d, stream_arg(stream)?).py()?;
            }
            scan(ScanOp::$op, &x, axis, reverse, inclusive, stream)
        }
    };
}

scan_pyfn!(cumsum => Sum, dtype);
scan_pyfn!(cumprod => Prod, dtype);
scan_pyfn!(cummax => Max);
scan_pyfn!(cummin => Min);
scan_pyfn!(logcumsumexp => LogAddExp);

/// The scans' array methods (which take no `dtype`, as in MLX).
macro_rules! scan_methods {
    ($($name:ident => $op:ident),* $(,)?) => {
        #[pymethods]
        impl PyArray {$(
            #[pyo3(signature = (axis = None, *, reverse = false, inclusive = true, stream = None))]
            fn $name(
                &self,
                axis: Option<&Bound<'_, PyAny>>,
                reverse: bool,
                inclusive: bool,
                stream: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<PyArray> {
                scan(ScanOp::$op, &self.inner, axis, reverse, inclusive, stream)
            }
        )*}
    };
}

scan_methods! { cumsum => Sum, cumprod => Prod, cummax => Max, cummin => Min, logcumsumexp => LogAddExp }

/// Registers the reduce and scan functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(sum, m)?)?;
    m.add_function(wrap_pyfunction!(prod, m)?)?;
    m.add_function(wrap_pyfunction!(max, m)?)?;
    m.add_function(wrap_pyfunction!(min, m)?)?;
    m.add_function(wrap_pyfunction!(all, m)?)?;
    m.add_function(wrap_pyfunction!(any, m)?)?;
    m.add_function(wrap_pyfunction!(mean, m)?)?;
    m.add_function(wrap_pyfunction!(var_fn, m)?)?;
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
