//! Module functions of the unary family (`abs` ... `stop_gradient`, with
//! MLX's aliases `asin`, `acos`, ...) and the array methods and operators
//! built on them (`a.exp()`, `a.real`, `-a`, `abs(a)`, `~a`).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use rmlx::primitives::unary::UnaryOp;
use rmlx::{ops, Array};

use crate::array::PyArray;
use crate::convert::{scalar_to_array, stream_arg, to_array};
use crate::errors::PyResultExt;

/// The operand of a unary function, converted as MLX's `array` parameter
/// does: arrays, Python scalars and NumPy arrays; lists and other objects
/// raise ValueError, `None` TypeError.
fn operand(a: &Bound<'_, PyAny>, fname: &str) -> PyResult<Array> {
    if let Ok(x) = a.cast::<PyArray>() {
        return Ok(x.borrow().inner.clone());
    }
    if a.is_none() {
        return Err(PyTypeError::new_err(format!(
            "{fname}(): incompatible function arguments. The following argument types are supported:\n    1. {fname}(a: array, /, *, stream: StreamOrDevice = None) -> array\n\nInvoked with types: NoneType"
        )));
    }
    if let Some(x) = scalar_to_array(a, None)? {
        return Ok(x);
    }
    let listlike = a.is_instance_of::<PyList>()
        || a.is_instance_of::<PyTuple>()
        || a.is_instance_of::<PyString>();
    if !listlike && (a.hasattr("__array_interface__")? || a.hasattr("__array__")?) {
        return to_array(a, None);
    }
    let ty = a.get_type();
    let module = ty.module().map(|m| m.to_string()).unwrap_or_default();
    let name = ty.qualname()?.to_string();
    let full = if module.is_empty() || module == "builtins" {
        name
    } else {
        format!("{module}.{name}")
    };
    Err(PyValueError::new_err(format!(
        "Invalid type {full} received in array initialization."
    )))
}

fn run(op: UnaryOp, a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    let x = operand(a, op.name())?;
    Ok(PyArray::new(
        ops::unary_op(op, &x, stream_arg(stream)?).py()?,
    ))
}

macro_rules! unary_pyfns {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, /, *, stream = None))]
        fn $name(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
            run(UnaryOp::$op, a, stream)
        }
    )*};
}

unary_pyfns! {
    abs => Abs, negative => Negative, sign => Sign, sqrt => Sqrt, rsqrt => Rsqrt,
    square => Square, reciprocal => Reciprocal, exp => Exp, expm1 => Expm1, log => Log,
    log1p => Log1p, log2 => Log2, log10 => Log10, sin => Sin, cos => Cos, tan => Tan,
    arcsin => ArcSin, arccos => ArcCos, arctan => ArcTan, sinh => Sinh, cosh => Cosh,
    tanh => Tanh, arcsinh => ArcSinh, arccosh => ArcCosh, arctanh => ArcTanh,
    floor => Floor, ceil => Ceil, logical_not => LogicalNot, erf => Erf, erfinv => ErfInv,
    sigmoid => Sigmoid, real => Real, imag => Imag,
}

// MLX declares these without the positional-only marker.
macro_rules! unary_pyfns_kw {
    ($($name:ident => $op:ident),* $(,)?) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, stream = None))]
        fn $name(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
            run(UnaryOp::$op, a, stream)
        }
    )*};
}

unary_pyfns_kw! {
    isnan => IsNan, isinf => IsInf, isposinf => IsPosInf, isneginf => IsNegInf,
    isfinite => IsFinite, bitwise_invert => BitwiseInvert,
}

#[pyfunction]
#[pyo3(signature = (a, *, stream = None))]
fn conjugate(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    run(UnaryOp::Conjugate, a, stream)
}

#[pyfunction]
#[pyo3(signature = (a, *, stream = None))]
fn conj(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    run(UnaryOp::Conjugate, a, stream)
}

#[pyfunction]
#[pyo3(signature = (a, /, decimals = 0, stream = None))]
fn round(
    a: &Bound<'_, PyAny>,
    decimals: i32,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<PyArray> {
    run(UnaryOp::Round(decimals), a, stream)
}

#[pyfunction]
#[pyo3(signature = (a, /, *, stream = None))]
fn degrees(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    let x = operand(a, "degrees")?;
    Ok(PyArray::new(ops::degrees(&x, stream_arg(stream)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (a, /, *, stream = None))]
fn radians(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    let x = operand(a, "radians")?;
    Ok(PyArray::new(ops::radians(&x, stream_arg(stream)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (a, /, *, stream = None))]
fn stop_gradient(a: &Bound<'_, PyAny>, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    let Ok(x) = a.cast::<PyArray>() else {
        return Err(PyTypeError::new_err(format!(
            "stop_gradient(): incompatible function arguments. The following argument types are supported:\n    1. stop_gradient(a: array, /, *, stream: StreamOrDevice = None) -> array\n\nInvoked with types: {}",
            a.get_type().qualname()?
        )));
    };
    let x = x.borrow().inner.clone();
    Ok(PyArray::new(
        ops::stop_gradient(&x, stream_arg(stream)?).py()?,
    ))
}

/// Registers the unary functions (and MLX's aliases of the inverse
/// trigonometric ones).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    macro_rules! add {
        ($($f:ident),*) => { $( m.add_function(wrap_pyfunction!($f, m)?)?; )* };
    }
    add!(abs, negative, sign, sqrt, rsqrt, square, reciprocal, exp, expm1, log, log1p, log2, log10);
    add!(sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh, arctanh);
    add!(
        floor,
        ceil,
        round,
        logical_not,
        bitwise_invert,
        isnan,
        isinf,
        isposinf,
        isneginf,
        isfinite
    );
    add!(
        erf,
        erfinv,
        sigmoid,
        degrees,
        radians,
        conjugate,
        conj,
        real,
        imag,
        stop_gradient
    );
    for (alias, name) in [
        ("asin", "arcsin"),
        ("acos", "arccos"),
        ("atan", "arctan"),
        ("asinh", "arcsinh"),
        ("acosh", "arccosh"),
        ("atanh", "arctanh"),
    ] {
        m.add(alias, m.getattr(name)?)?;
    }
    Ok(())
}

fn method(op: UnaryOp, a: &Array, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
    Ok(PyArray::new(
        ops::unary_op(op, a, stream_arg(stream)?).py()?,
    ))
}

macro_rules! unary_methods {
    ($($name:ident => $op:ident),* $(,)?) => {
        #[pymethods]
        impl PyArray {
            $(
                #[pyo3(signature = (*, stream = None))]
                fn $name(&self, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
                    method(UnaryOp::$op, &self.inner, stream)
                }
            )*
        }
    };
}

unary_methods! {
    abs => Abs, conj => Conjugate, cos => Cos, exp => Exp, log => Log, log10 => Log10,
    log1p => Log1p, log2 => Log2, reciprocal => Reciprocal, rsqrt => Rsqrt, sin => Sin,
    sqrt => Sqrt, square => Square,
}

#[pymethods]
impl PyArray {
    /// Rounds to `decimals` decimal digits (half to even).
    #[pyo3(signature = (decimals = 0, *, stream = None))]
    fn round(&self, decimals: i32, stream: Option<&Bound<'_, PyAny>>) -> PyResult<PyArray> {
        method(UnaryOp::Round(decimals), &self.inner, stream)
    }

    /// The real part.
    #[getter]
    fn real(&self) -> PyResult<PyArray> {
        method(UnaryOp::Real, &self.inner, None)
    }

    /// The imaginary part.
    #[getter]
    fn imag(&self) -> PyResult<PyArray> {
        method(UnaryOp::Imag, &self.inner, None)
    }

    /// `+a`: the same array (a new handle), as in MLX, for every dtype.
    fn __pos__(&self) -> PyArray {
        PyArray::new(self.inner.clone())
    }

    fn __neg__(&self) -> PyResult<PyArray> {
        method(UnaryOp::Negative, &self.inner, None)
    }

    fn __abs__(&self) -> PyResult<PyArray> {
        method(UnaryOp::Abs, &self.inner, None)
    }

    fn __invert__(&self) -> PyResult<PyArray> {
        Ok(PyArray::new(ops::invert(&self.inner, None).py()?))
    }
}
