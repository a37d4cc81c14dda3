//! Conversions from Python values: scalars (with MLX's weak-type rules),
//! nested lists, NumPy arrays (through `__array_interface__`), streams,
//! shapes and axes.

use num_complex::Complex32;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyComplex, PyDict, PyFloat, PyInt, PyList, PyTuple};
use rmlx::dtype::iinfo;
use rmlx::element::write_scalar;
use rmlx::{Array, Data, Dtype, Scalar, Stream};

use crate::array::PyArray;
use crate::device::{PyDevice, PyDeviceType, PyStream};
use crate::dtype::PyDtype;
use crate::errors::PyResultExt;

/// A Python int as i64/u64, or an OverflowError-free error text.
fn int_scalar(obj: &Bound<'_, PyAny>) -> PyResult<Scalar> {
    if let Ok(v) = obj.extract::<i64>() {
        return Ok(Scalar::Int(v));
    }
    if let Ok(v) = obj.extract::<u64>() {
        return Ok(Scalar::UInt(v));
    }
    Err(PyValueError::new_err(format!(
        "Integer {obj} is out of the range of int64 and uint64."
    )))
}

/// The array MLX makes of a Python scalar next to an array of dtype `hint`
/// (MLX's weak typing: `int8_array + 1` stays int8, `float16_array * 2.0`
/// stays float16, `int_array * 2.0` is float32).
pub fn scalar_to_array(obj: &Bound<'_, PyAny>, hint: Option<Dtype>) -> PyResult<Option<Array>> {
    if obj.is_instance_of::<PyBool>() {
        let v: bool = obj.extract()?;
        return Ok(Some(
            Array::from_scalar(Scalar::Bool(v), hint.unwrap_or(Dtype::Bool)).py()?,
        ));
    }
    if obj.is_instance_of::<PyInt>() {
        let v = int_scalar(obj)?;
        let fits32 = matches!(v, Scalar::Int(i) if i >= i32::MIN as i64 && i <= i32::MAX as i64);
        let default = if fits32 {
            Dtype::Int32
        } else if matches!(v, Scalar::UInt(_)) {
            Dtype::Uint64
        } else {
            Dtype::Int64
        };
        let dt = match hint {
            Some(h) if h.is_integer() => {
                let info = iinfo(h).expect("integer dtype");
                let val: i128 = match v {
                    Scalar::Int(i) => i as i128,
                    Scalar::UInt(u) => u as i128,
                    _ => 0,
                };
                if val < info.min || val > info.max {
                    return Err(PyValueError::new_err(format!(
                        "Converting {val} to {h} would result in overflow."
                    )));
                }
                h
            }
            Some(h) if h.is_inexact() => h,
            _ => default,
        };
        return Ok(Some(Array::from_scalar(v, dt).py()?));
    }
    if obj.is_instance_of::<PyFloat>() {
        let v: f64 = obj.extract()?;
        let dt = match hint {
            Some(h) if h.is_inexact() => h,
            _ => Dtype::Float32,
        };
        return Ok(Some(Array::from_scalar(Scalar::Float(v), dt).py()?));
    }
    if obj.is_instance_of::<PyComplex>() {
        let c = obj.cast::<PyComplex>()?;
        let v = Complex32::new(c.real() as f32, c.imag() as f32);
        return Ok(Some(
            Array::from_scalar(Scalar::Complex(v), Dtype::Complex64).py()?,
        ));
    }
    Ok(None)
}

/// Converts any array-like to an array, as `mx.array(obj, dtype)` does.
pub fn to_array(obj: &Bound<'_, PyAny>, dtype: Option<Dtype>) -> PyResult<Array> {
    let a = to_array_raw(obj, dtype)?;
    match dtype {
        Some(d) if d != a.dtype() => rmlx::ops::astype(&a, d, None).py(),
        _ => Ok(a),
    }
}

fn to_array_raw(obj: &Bound<'_, PyAny>, dtype: Option<Dtype>) -> PyResult<Array> {
    if let Ok(a) = obj.cast::<PyArray>() {
        return Ok(a.borrow().inner.clone());
    }
    if let Some(a) = scalar_to_array(obj, None)? {
        return Ok(a);
    }
    if obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>() {
        return from_nested(obj, dtype);
    }
    if obj.hasattr("__array_interface__")? {
        return from_array_interface(obj);
    }
    if obj.hasattr("__array__")? {
        return from_array_interface(&obj.call_method0("__array__")?);
    }
    Err(PyValueError::new_err(format!(
        "Invalid type {} received in array initialization.",
        obj.get_type().name()?
    )))
}

/// Walks a nested list: shape, element kind and flattened values.
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
    let mut vals: Vec<Scalar> = Vec::new();
    let mut kind = Dtype::Bool;
    let mut any = false;
    collect(obj, &shape, 0, &mut vals, &mut kind, &mut any)?;
    if !any {
        kind = Dtype::Float32;
    }
    let dt = dtype.unwrap_or(kind);
    let data = Data::alloc(&shape, dt).py()?;
    let p = data.byte_ptr(dt);
    for (i, v) in vals.into_iter().enumerate() {
        // SAFETY: the buffer holds one element per collected value.
        unsafe { write_scalar(p, dt, i, v) };
    }
    Ok(Array::from_data(
        &shape,
        dt,
        data,
        rmlx::device::current_stream(),
    ))
}

fn collect(
    obj: &Bound<'_, PyAny>,
    shape: &[i64],
    depth: usize,
    vals: &mut Vec<Scalar>,
    kind: &mut Dtype,
    any: &mut bool,
) -> PyResult<()> {
    let nonuniform = || PyValueError::new_err("Initialization encountered non-uniform length.");
    if depth == shape.len() {
        let s = if obj.is_instance_of::<PyBool>() {
            Scalar::Bool(obj.extract()?)
        } else if obj.is_instance_of::<PyInt>() {
            let v = int_scalar(obj)?;
            let big = !matches!(v, Scalar::Int(i) if i >= i32::MIN as i64 && i <= i32::MAX as i64);
            *kind =
                rmlx::dtype::promote_types(*kind, if big { Dtype::Int64 } else { Dtype::Int32 });
            v
        } else if obj.is_instance_of::<PyFloat>() {
            *kind = rmlx::dtype::promote_types(*kind, Dtype::Float32);
            Scalar::Float(obj.extract()?)
        } else if obj.is_instance_of::<PyComplex>() {
            *kind = Dtype::Complex64;
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
        *any = true;
        vals.push(s);
        return Ok(());
    }
    if let Ok(a) = obj.cast::<PyArray>() {
        let a = a.borrow().inner.clone();
        if a.shape() != &shape[depth..] {
            return Err(nonuniform());
        }
        *kind = if *any {
            rmlx::dtype::promote_types(*kind, a.dtype())
        } else {
            a.dtype()
        };
        *any = true;
        for i in 0..a.size() {
            vals.push(a.scalar_at(i).py()?);
        }
        return Ok(());
    }
    if !(obj.is_instance_of::<PyList>() || obj.is_instance_of::<PyTuple>())
        || obj.len()? != shape[depth] as usize
    {
        return Err(nonuniform());
    }
    for item in obj.try_iter()? {
        collect(&item?, shape, depth + 1, vals, kind, any)?;
    }
    Ok(())
}

/// The rmlx dtype of a NumPy typestr (`<f4` ...). MLX turns float64 NumPy
/// arrays into float32 arrays; so do we.
fn dtype_of_typestr(ts: &str, descr_name: Option<String>) -> PyResult<Dtype> {
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
        "c8" => Dtype::Complex64,
        "c16" => Dtype::Complex64,
        "V2" if descr_name.as_deref() == Some("bfloat16") => Dtype::Bfloat16,
        _ => {
            return Err(PyTypeError::new_err(format!(
                "Cannot convert NumPy dtype {ts} to an rmlx array."
            )))
        }
    })
}

fn from_array_interface(obj: &Bound<'_, PyAny>) -> PyResult<Array> {
    let py = obj.py();
    let np = py.import("numpy")?;
    // A C-contiguous NumPy copy makes the byte layout simple.
    let arr = np.call_method1("ascontiguousarray", (obj,))?;
    let name: Option<String> = arr.getattr("dtype")?.getattr("name")?.extract().ok();
    let iface = arr.getattr("__array_interface__")?;
    let iface = iface.cast::<PyDict>()?;
    let ts: String = iface
        .get_item("typestr")?
        .ok_or_else(|| PyValueError::new_err("bad __array_interface__"))?
        .extract()?;
    let shape: Vec<i64> = iface
        .get_item("shape")?
        .ok_or_else(|| PyValueError::new_err("bad __array_interface__"))?
        .extract()?;
    let mut dt = dtype_of_typestr(&ts, name)?;
    let arr = if &ts[1..] == "c16" {
        arr.call_method1("astype", ("complex64",))?
    } else {
        arr
    };
    let arr = if dt == Dtype::Float64 {
        dt = Dtype::Float32;
        arr.call_method1("astype", ("float32",))?
    } else {
        arr
    };
    let arr = np.call_method1("ascontiguousarray", (arr,))?;
    let iface = arr.getattr("__array_interface__")?;
    let iface = iface.cast::<PyDict>()?;
    let (ptr, _ro): (usize, bool) = iface
        .get_item("data")?
        .ok_or_else(|| PyValueError::new_err("bad __array_interface__"))?
        .extract()?;
    let n: usize = shape.iter().product::<i64>() as usize * dt.size();
    // SAFETY: NumPy guarantees `ptr` addresses n bytes of a C-contiguous
    // array that `arr` keeps alive for this call.
    let bytes = unsafe { std::slice::from_raw_parts(ptr as *const u8, n) };
    Array::from_bytes(if n == 0 { &[] } else { bytes }, &shape, dt).py()
}

/// The two operands of a binary op, following MLX: an array keeps its dtype
/// and a Python scalar on the other side takes it (weakly).
pub fn binary_operands(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> PyResult<(Array, Array)> {
    let aa = a.cast::<PyArray>().ok().map(|x| x.borrow().inner.clone());
    let ba = b.cast::<PyArray>().ok().map(|x| x.borrow().inner.clone());
    match (aa, ba) {
        (Some(x), Some(y)) => Ok((x, y)),
        (Some(x), None) => {
            let y = match scalar_to_array(b, Some(x.dtype()))? {
                Some(y) => y,
                None => to_array(b, None)?,
            };
            Ok((x, y))
        }
        (None, Some(y)) => {
            let x = match scalar_to_array(a, Some(y.dtype()))? {
                Some(x) => x,
                None => to_array(a, None)?,
            };
            Ok((x, y))
        }
        (None, None) => Ok((to_array(a, None)?, to_array(b, None)?)),
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
