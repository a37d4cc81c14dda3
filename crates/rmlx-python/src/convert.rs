//! Conversions from Python values: scalars (with MLX's weak-type rules),
//! nested lists, NumPy arrays (through `__array_interface__`), streams,
//! shapes and axes.
//!
//! Two scalar conversions mirror MLX's two C++ paths: `mx.array(v, dtype)`
//! creates the value directly in the requested dtype, while an operand next
//! to an array (`to_array(v, hint)` in MLX) follows the weak-typing rules.
//! Values are never routed through float32 unless MLX does so.

use num_complex::Complex32;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use rmlx::dtype::iinfo;
use rmlx::element::write_scalar;
use rmlx::{Array, Data, Dtype, Scalar, Stream};

use crate::array::PyArray;
use crate::device::{PyDevice, PyDeviceType, PyStream};
use crate::dtype::PyDtype;
use crate::errors::PyResultExt;

/// A Python scalar, classified in the order of MLX's argument dispatch.
#[derive(Clone, Copy)]
enum PyScalar {
    Bool(bool),
    Int(i64),
    Float(f64),
    Complex(Complex32),
}

/// Classifies `obj` as a Python scalar. `float` subclasses (`np.float64`)
/// count as floats, as in MLX; NumPy's complex128 (a `complex` subclass)
/// does not: MLX converts it as NumPy data, so only exact `complex` here.
fn py_scalar(obj: &Bound<'_, PyAny>) -> PyResult<Option<PyScalar>> {
    Ok(Some(if obj.is_instance_of::<PyBool>() {
        PyScalar::Bool(obj.extract()?)
    } else if obj.is_instance_of::<PyInt>() {
        PyScalar::Int(int_value(obj)?)
    } else if obj.is_instance_of::<PyFloat>() {
        PyScalar::Float(obj.extract()?)
    } else if obj.is_exact_instance_of::<PyComplex>() {
        let c = obj.cast::<PyComplex>()?;
        PyScalar::Complex(Complex32::new(c.real() as f32, c.imag() as f32))
    } else {
        return Ok(None);
    }))
}

/// A Python int as i64. MLX reads Python ints as C++ int64 and fails (with
/// RuntimeError) beyond its range, 2**63 included.
fn int_value(obj: &Bound<'_, PyAny>) -> PyResult<i64> {
    obj.extract::<i64>().map_err(|_| {
        PyRuntimeError::new_err(format!(
            "[array] Python integer {obj} is out of the range of int64."
        ))
    })
}

/// MLX's default dtype of a Python int: int32 when it fits, else int64.
fn int_default(v: i64) -> Dtype {
    if i32::try_from(v).is_ok() {
        Dtype::Int32
    } else {
        Dtype::Int64
    }
}

/// A Python float (a C++ double in MLX) ready to be stored in `dtype`. MLX
/// converts the double straight to the target type, except that its
/// float16 / bfloat16 types are built from a float: those see the value
/// rounded to float32 first (double rounding included), every other dtype
/// gets it directly, so float64 keeps every bit.
fn float_for(v: f64, dtype: Dtype) -> Scalar {
    Scalar::Float(if matches!(dtype, Dtype::Float16 | Dtype::Bfloat16) {
        v as f32 as f64
    } else {
        v
    })
}

/// `v` as MLX's array constructor stores it in `dtype`: a complex value
/// becomes a bool through its real part only (C++ `static_cast<bool>` of
/// MLX's complex type), unlike `astype`, which tests both parts.
fn created(v: Scalar, dtype: Dtype) -> Scalar {
    match v {
        Scalar::Complex(c) if dtype == Dtype::Bool => Scalar::Float(c.re as f64),
        v => v,
    }
}

/// The array MLX makes of a Python scalar next to an array of dtype `hint`
/// (MLX's weak typing: `int8_array + 1` stays int8, `float16_array * 2.0`
/// stays float16, `int_array * 2.0` is float32). `None` if `obj` is not a
/// Python scalar.
pub fn scalar_to_array(obj: &Bound<'_, PyAny>, hint: Option<Dtype>) -> PyResult<Option<Array>> {
    let Some(v) = py_scalar(obj)? else {
        return Ok(None);
    };
    let (value, dt) = match v {
        PyScalar::Bool(b) => (Scalar::Bool(b), hint.unwrap_or(Dtype::Bool)),
        PyScalar::Int(i) => {
            let out = hint.unwrap_or(int_default(i));
            // MLX checks the range only for integer dtypes narrower than 8
            // bytes: `uint64_array + -1` wraps.
            if out.is_integer() && out.size() < 8 {
                let info = iinfo(out).expect("integer dtype");
                if (i as i128) < info.min || (i as i128) > info.max {
                    return Err(PyValueError::new_err(format!(
                        "Converting {i} to {out} would result in overflow."
                    )));
                }
            }
            // A bool hint never holds an int: MLX makes it int32 (wrapping
            // values beyond int32).
            let dt = if out == Dtype::Bool {
                Dtype::Int32
            } else {
                out
            };
            (Scalar::Int(i), dt)
        }
        PyScalar::Float(f) => {
            // Only a floating hint is taken; integer, bool and complex
            // hints give float32 (promotion does the rest).
            let dt = match hint {
                Some(h) if h.is_floating() => h,
                _ => Dtype::Float32,
            };
            (float_for(f, dt), dt)
        }
        PyScalar::Complex(c) => (Scalar::Complex(c), Dtype::Complex64),
    };
    Ok(Some(Array::from_scalar(value, dt).py()?))
}

/// `mx.array(scalar, dtype)`: the value created directly in `dtype` (or
/// its default dtype), with no weak-typing rules and no range check.
fn scalar_array(v: PyScalar, dtype: Option<Dtype>) -> PyResult<Array> {
    let (value, dt) = match v {
        PyScalar::Bool(b) => (Scalar::Bool(b), dtype.unwrap_or(Dtype::Bool)),
        PyScalar::Int(i) => (Scalar::Int(i), dtype.unwrap_or(int_default(i))),
        PyScalar::Float(f) => {
            let dt = dtype.unwrap_or(Dtype::Float32);
            (float_for(f, dt), dt)
        }
        PyScalar::Complex(c) => (Scalar::Complex(c), dtype.unwrap_or(Dtype::Complex64)),
    };
    Array::from_scalar(created(value, dt), dt).py()
}

/// An operand next to an array of dtype `hint` (None: no array beside it),
/// converted as MLX's `to_array(obj, hint)`: Python scalars weakly, NumPy
/// data (NumPy scalars included) straight to `hint`. Lists, which MLX
/// refuses here, are converted as by `mx.array`.
pub fn operand_array(obj: &Bound<'_, PyAny>, hint: Option<Dtype>) -> PyResult<Array> {
    if let Ok(a) = obj.cast::<PyArray>() {
        return Ok(a.borrow().inner.clone());
    }
    if let Some(a) = scalar_to_array(obj, hint)? {
        return Ok(a);
    }
    if is_numpy_like(obj)? {
        return from_numpy(obj, hint);
    }
    to_array(obj, None)
}

/// Converts any array-like to an array, as `mx.array(obj, dtype)` does.
pub fn to_array(obj: &Bound<'_, PyAny>, dtype: Option<Dtype>) -> PyResult<Array> {
    if let Ok(a) = obj.cast::<PyArray>() {
        let a = a.borrow().inner.clone();
        return match dtype {
            Some(d) if d != a.dtype() => rmlx::ops::astype(&a, d, None).py(),
            _ => Ok(a),
        };
    }
    if let Some(v) = py_scalar(obj)? {
        return scalar_array(v, dtype);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return from_nested(obj, dtype);
    }
    if is_numpy_like(obj)? {
        return from_numpy(obj, dtype);
    }
    if obj.hasattr("__dlpack__")? {
        let a = crate::interop::from_dlpack_obj(obj, None)?;
        return match dtype {
            Some(d) if d != a.dtype() => rmlx::ops::astype(&a, d, None).py(),
            _ => Ok(a),
        };
    }
    Err(PyValueError::new_err(format!(
        "Invalid type {} received in array initialization.",
        obj.get_type().name()?
    )))
}

fn is_numpy_like(obj: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(obj.hasattr("__array_interface__")? || obj.hasattr("__array__")?)
}

/// Walks a nested list: shape, element kind and flattened values. A list
/// holding rmlx arrays is built as MLX does: each item converted on its own
/// (with `dtype`) and the results stacked, which promotes their dtypes.
fn from_nested(obj: &Bound<'_, PyAny>, dtype: Option<Dtype>) -> PyResult<Array> {
    let mut shape: Vec<i64> = Vec::new();
    let mut cur = obj.clone();
    loop {
        if cur.is_instance_of::<PyList>() || cur.is_instance_of::<PyTuple>() {
            let n = cur.len()?;
            shape.push(n as i64);
            if n == 0 {
                break;
            }
            cur = cur.get_item(0)?;
        } else if let Ok(a) = cur.cast::<PyArray>() {
            shape.extend_from_slice(a.borrow().inner.shape());
            break;
        } else {
            break;
        }
    }
    let mut walk = Walk {
        shape: &shape,
        dtype,
        vals: Vec::new(),
        kind: Dtype::Bool,
        any: false,
        has_array: false,
    };
    walk.collect(obj, 0)?;
    if walk.has_array {
        let parts = obj
            .try_iter()?
            .map(|item| to_array(&item?, dtype))
            .collect::<PyResult<Vec<_>>>()?;
        return rmlx::ops::stack(&parts, 0, None).py();
    }
    let kind = if walk.any { walk.kind } else { Dtype::Float32 };
    let dt = dtype.unwrap_or(kind);
    let data = Data::alloc(&shape, dt).py()?;
    let p = data.byte_ptr(dt);
    for (i, v) in walk.vals.into_iter().enumerate() {
        // SAFETY: the buffer holds one element per collected value.
        unsafe { write_scalar(p, dt, i, created(v, dt)) };
    }
    Ok(Array::from_data(
        &shape,
        dt,
        data,
        rmlx::device::current_stream(),
    ))
}

/// State of the validating walk over a nested list.
struct Walk<'s> {
    shape: &'s [i64],
    /// The requested dtype, which decides how Python floats are rounded.
    dtype: Option<Dtype>,
    vals: Vec<Scalar>,
    kind: Dtype,
    any: bool,
    has_array: bool,
}

impl Walk<'_> {
    fn collect(&mut self, obj: &Bound<'_, PyAny>, depth: usize) -> PyResult<()> {
        let nonuniform = || PyValueError::new_err("Initialization encountered non-uniform length.");
        let shape = self.shape;
        if let Ok(a) = obj.cast::<PyArray>() {
            // Arrays (0-d ones at the leaves too) must fill the remaining
            // axes exactly; their values are converted when stacking.
            if a.borrow().inner.shape() != &shape[depth..] {
                return Err(nonuniform());
            }
            self.has_array = true;
            return Ok(());
        }
        if depth == shape.len() {
            let s = if obj.is_instance_of::<PyBool>() {
                Scalar::Bool(obj.extract()?)
            } else if obj.is_instance_of::<PyInt>() {
                let v = int_value(obj)?;
                self.kind = rmlx::dtype::promote_types(self.kind, int_default(v));
                Scalar::Int(v)
            } else if obj.is_instance_of::<PyFloat>() {
                self.kind = rmlx::dtype::promote_types(self.kind, Dtype::Float32);
                // Without a dtype the list is float32 or complex64, both
                // rounded from the double directly.
                float_for(obj.extract()?, self.dtype.unwrap_or(Dtype::Float32))
            } else if obj.is_instance_of::<PyComplex>() {
                self.kind = Dtype::Complex64;
                let c = obj.cast::<PyComplex>()?;
                Scalar::Complex(Complex32::new(c.real() as f32, c.imag() as f32))
            } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
                return Err(nonuniform());
            } else {
                return Err(PyValueError::new_err(format!(
                    "Invalid type {} received in array initialization.",
                    obj.get_type().name()?
                )));
            };
            self.any = true;
            self.vals.push(s);
            return Ok(());
        }
        if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>())
            || obj.len()? != shape[depth] as usize
        {
            return Err(nonuniform());
        }
        for item in obj.try_iter()? {
            self.collect(&item?, depth + 1)?;
        }
        Ok(())
    }
}

/// The rmlx dtype holding NumPy data of typestr `ts` (`<f4` ...) without
/// loss; complex128 is narrowed to complex64 by NumPy first.
fn dtype_of_typestr(ts: &str, descr_name: Option<&str>) -> PyResult<Dtype> {
    let code = &ts[1..];
    Ok(match code {
        "b1" => Dtype::Bool,
        "u1" => Dtype::Uint8,
        "u2" => Dtype::Uint16,
        "u4" => Dtype::Uint32,
        "u8" => Dtype::Uint64,
        "i1" => Dtype::Int8,
        "i2" => Dtype::Int16,
        "i4" => Dtype::Int32,
        "i8" => Dtype::Int64,
        "f2" => Dtype::Float16,
        "f4" => Dtype::Float32,
        "f8" => Dtype::Float64,
        "c8" | "c16" => Dtype::Complex64,
        "V2" if descr_name == Some("bfloat16") => Dtype::Bfloat16,
        _ => {
            return Err(PyTypeError::new_err(format!(
                "[array] Cannot convert NumPy dtype {ts} to an rmlx array."
            )))
        }
    })
}

/// Converts NumPy data (anything with `__array_interface__` or
/// `__array__`, NumPy scalars included) keeping its shape (0-d stays 0-d).
/// With `dtype` the values are converted from their own type to `dtype`;
/// without, float64 data becomes float32 as in MLX.
fn from_numpy(obj: &Bound<'_, PyAny>, dtype: Option<Dtype>) -> PyResult<Array> {
    let py = obj.py();
    let np = py.import("numpy")?;
    let obj = if obj.hasattr("__array_interface__")? {
        obj.clone()
    } else {
        obj.call_method0("__array__")?
    };
    // A C-contiguous view or copy makes the byte layout simple; unlike
    // `ascontiguousarray`, `asarray(order="C")` keeps 0-d data 0-d.
    let kwargs = PyDict::new(py);
    kwargs.set_item("order", "C")?;
    let mut arr = np.call_method("asarray", (obj,), Some(&kwargs))?;
    let name: Option<String> = arr.getattr("dtype")?.getattr("name")?.extract().ok();
    let ts: String = arr
        .getattr("__array_interface__")?
        .get_item("typestr")?
        .extract()?;
    let mut native = dtype_of_typestr(&ts, name.as_deref())?;
    if &ts[1..] == "c16" {
        arr = arr.call_method1("astype", ("complex64",))?;
    }
    if native == Dtype::Complex64 && dtype == Some(Dtype::Bool) {
        // As for Python complex values, MLX makes bools of the real part
        // (of complex128 data too, rounded to float32 first).
        arr = arr.getattr("real")?;
        native = Dtype::Float32;
    }
    let arr = np.call_method("asarray", (arr,), Some(&kwargs))?;
    let iface = arr.getattr("__array_interface__")?;
    let iface = iface.cast::<PyDict>()?;
    let shape: Vec<i64> = iface
        .get_item("shape")?
        .ok_or_else(|| PyValueError::new_err("[array] NumPy data without a shape."))?
        .extract()?;
    let (ptr, _ro): (usize, bool) = iface
        .get_item("data")?
        .ok_or_else(|| PyValueError::new_err("[array] NumPy data without a buffer."))?
        .extract()?;
    let n: usize = shape.iter().product::<i64>() as usize * native.size();
    // SAFETY: NumPy guarantees `ptr` addresses n bytes of a C-contiguous
    // array that `arr` keeps alive for this call.
    let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, n) };
    let a = Array::from_bytes(if n == 0 { &[] } else { bytes }, &shape, native).py()?;
    let target = dtype.unwrap_or(if native == Dtype::Float64 {
        Dtype::Float32
    } else {
        native
    });
    if target == native {
        Ok(a)
    } else {
        rmlx::ops::astype(&a, target, None).py()
    }
}

/// The two operands of a binary op, following MLX: an array keeps its dtype
/// and the other operand takes it (Python scalars weakly, NumPy data by
/// conversion); two non-arrays are converted on their own.
pub fn binary_operands(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<(Array, Array)> {
    let aa = a.cast::<PyArray>().ok().map(|x| x.borrow().inner.clone());
    let ba = b.cast::<PyArray>().ok().map(|x| x.borrow().inner.clone());
    match (aa, ba) {
        (Some(x), Some(y)) => Ok((x, y)),
        (Some(x), None) => {
            let y = operand_array(b, Some(x.dtype()))?;
            Ok((x, y))
        }
        (None, Some(y)) => Ok((operand_array(a, Some(y.dtype()))?, y)),
        (None, None) => Ok((operand_array(a, None)?, operand_array(b, None)?)),
    }
}

/// The `stream=` argument: None, a Stream, a Device or a DeviceType.
pub fn stream_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Stream>> {
    let Some(obj) = obj else { return Ok(None) };
    if obj.is_none() {
        return Ok(None);
    }
    if let Ok(s) = obj.cast::<PyStream>() {
        return Ok(Some(s.get().0));
    }
    if let Ok(d) = obj.cast::<PyDevice>() {
        return Ok(Some(rmlx::device::default_stream(d.get().0)));
    }
    if let Ok(t) = obj.cast::<PyDeviceType>() {
        return Ok(Some(rmlx::device::default_stream(t.get().device())));
    }
    if let Some(s) = crate::ops_meta::thread_local_stream(obj)? {
        return Ok(Some(s));
    }
    Err(PyTypeError::new_err(format!(
        "stream must be a Stream, Device or None, got {}.",
        obj.get_type().name()?
    )))
}

/// The `dtype=` argument.
pub fn dtype_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Dtype>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => {
            if let Ok(d) = o.cast::<PyDtype>() {
                Ok(Some(d.get().0))
            } else {
                Err(PyTypeError::new_err(format!(
                    "dtype must be an rmlx Dtype, got {}.",
                    o.get_type().name()?
                )))
            }
        }
    }
}

/// A shape argument: an int or a sequence of ints.
pub fn shape_arg(obj: &Bound<'_, PyAny>) -> PyResult<Vec<i64>> {
    if let Ok(v) = obj.extract::<i64>() {
        return Ok(vec![v]);
    }
    obj.extract::<Vec<i64>>().map_err(|_| {
        PyTypeError::new_err(format!(
            "Expected a shape (int or sequence of ints), got {}.",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_default()
        ))
    })
}

/// An axis argument: None, an int, or a sequence of ints.
pub fn axes_arg(obj: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Vec<i64>>> {
    match obj {
        None => Ok(None),
        Some(o) if o.is_none() => Ok(None),
        Some(o) => Ok(Some(shape_arg(o)?)),
    }
}

/// The arrays in a pytree (list / tuple / dict nesting) for `eval`.
pub fn tree_arrays(obj: &Bound<'_, PyAny>, out: &mut Vec<Array>) -> PyResult<()> {
    if let Ok(a) = obj.cast::<PyArray>() {
        out.push(a.borrow().inner.clone());
    } else if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        for item in obj.try_iter()? {
            tree_arrays(&item?, out)?;
        }
    } else if let Ok(d) = obj.cast::<PyDict>() {
        for (_, v) in d.iter() {
            tree_arrays(&v, out)?;
        }
    }
    Ok(())
}

// Strict argument checking for the functions MLX binds with nanobind and no
// implicit conversion (conv, reduce, sort): a wrong type is nanobind's
// "incompatible function arguments" TypeError, not a conversion attempt.

/// The qualified name of `o`'s type, as nanobind's messages spell it.
pub fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type()
        .qualname()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// The TypeError MLX (nanobind) raises when `fname`'s one signature `sig`
/// does not take the argument types `what`.
pub fn bad_args(fname: &str, sig: &str, what: &str) -> PyErr {
    PyTypeError::new_err(format!(
        "{fname}(): incompatible function arguments. The following argument types are supported:\n    1. {fname}({sig}) -> array\n\nInvoked with types: {what}"
    ))
}

/// An operand that must already be an array (no conversion, as in MLX).
pub fn array_only(o: &Bound<'_, PyAny>, fname: &str, sig: &str) -> PyResult<Array> {
    match o.cast::<PyArray>() {
        Ok(x) => Ok(x.borrow().inner.clone()),
        Err(_) => Err(bad_args(fname, sig, &type_name(o))),
    }
}

/// An integer: ints, bools and objects with `__index__` (such as a
/// one-element integer array); floats and strings are refused.
pub fn index_of(o: &Bound<'_, PyAny>) -> Option<i64> {
    if o.is_instance_of::<PyString>() {
        return None;
    }
    if o.is_instance_of::<PyBool>() {
        return o.extract::<bool>().ok().map(i64::from);
    }
    o.call_method0("__index__").ok()?.extract::<i64>().ok()
}

/// The int argument `name` of `fname(a: array, ...)`.
pub fn int_kwarg(o: &Bound<'_, PyAny>, name: &str, fname: &str, sig: &str) -> PyResult<i64> {
    index_of(o).ok_or_else(|| {
        bad_args(
            fname,
            sig,
            &format!("array, kwargs = {{ {name}: {} }}", type_name(o)),
        )
    })
}

/// The `axis` argument of `fname(a: array, ...)`: None, an int, or a
/// sequence of ints.
pub fn axes_kwarg(
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
