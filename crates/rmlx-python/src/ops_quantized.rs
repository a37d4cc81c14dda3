//! Module functions of the quantization family: `quantize`, `dequantize`,
//! `quantized_matmul`, `gather_qmm`, `qqmm`, `gather_qqmm`, `to_fp8` and
//! `from_fp8`, with MLX 0.32.4's signatures.

use pyo3::prelude::*;
use pyo3::types::PyList;
use rmlx::{ops, Array, Dtype};

use crate::array::PyArray;
use crate::convert::{dtype_arg, stream_arg, to_array};
use crate::errors::PyResultExt;

type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

fn arr(o: &Bound<'_, PyAny>) -> PyResult<Array> {
    to_array(o, None)
}

fn opt_arr(o: Opt<'_, '_>) -> PyResult<Option<Array>> {
    match o {
        None => Ok(None),
        Some(x) if x.is_none() => Ok(None),
        Some(x) => Ok(Some(arr(x)?)),
    }
}

#[pyfunction]
#[pyo3(signature = (w, /, group_size = None, bits = None, mode = "affine", *, global_scale = None, stream = None))]
fn quantize<'py>(
    py: Python<'py>,
    w: &Bound<'py, PyAny>,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    global_scale: Opt<'_, 'py>,
    stream: Opt<'_, 'py>,
) -> PyResult<Bound<'py, PyList>> {
    let g = opt_arr(global_scale)?;
    let outs = ops::quantized::quantize(
        &arr(w)?,
        group_size,
        bits,
        mode,
        g.as_ref(),
        stream_arg(stream)?,
    )
    .py()?;
    PyList::new(py, outs.into_iter().map(PyArray::new))
}

#[pyfunction]
#[pyo3(signature = (w, /, scales, biases = None, group_size = None, bits = None, mode = "affine", global_scale = None, dtype = None, *, stream = None))]
#[allow(clippy::too_many_arguments)]
fn dequantize(
    w: &Bound<'_, PyAny>,
    scales: &Bound<'_, PyAny>,
    biases: Opt<'_, '_>,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    global_scale: Opt<'_, '_>,
    dtype: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let b = opt_arr(biases)?;
    let g = opt_arr(global_scale)?;
    let out = ops::quantized::dequantize(
        &arr(w)?,
        &arr(scales)?,
        b.as_ref(),
        group_size,
        bits,
        mode,
        g.as_ref(),
        dtype_arg(dtype)?,
        stream_arg(stream)?,
    )
    .py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (x, w, /, scales, biases = None, transpose = true, group_size = None, bits = None, mode = "affine", *, stream = None))]
#[allow(clippy::too_many_arguments)]
fn quantized_matmul(
    x: &Bound<'_, PyAny>,
    w: &Bound<'_, PyAny>,
    scales: &Bound<'_, PyAny>,
    biases: Opt<'_, '_>,
    transpose: bool,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let b = opt_arr(biases)?;
    let out = ops::quantized::quantized_matmul(
        &arr(x)?,
        &arr(w)?,
        &arr(scales)?,
        b.as_ref(),
        transpose,
        group_size,
        bits,
        mode,
        stream_arg(stream)?,
    )
    .py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (x, w, /, scales, biases = None, lhs_indices = None, rhs_indices = None, transpose = true, group_size = None, bits = None, mode = "affine", global_scale = None, *, sorted_indices = false, stream = None))]
#[allow(clippy::too_many_arguments)]
fn gather_qmm(
    x: &Bound<'_, PyAny>,
    w: &Bound<'_, PyAny>,
    scales: &Bound<'_, PyAny>,
    biases: Opt<'_, '_>,
    lhs_indices: Opt<'_, '_>,
    rhs_indices: Opt<'_, '_>,
    transpose: bool,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    global_scale: Opt<'_, '_>,
    sorted_indices: bool,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let b = opt_arr(biases)?;
    let li = opt_arr(lhs_indices)?;
    let ri = opt_arr(rhs_indices)?;
    let g = opt_arr(global_scale)?;
    let out = ops::quantized::gather_qmm(
        &arr(x)?,
        &arr(w)?,
        &arr(scales)?,
        b.as_ref(),
        li.as_ref(),
        ri.as_ref(),
        transpose,
        group_size,
        bits,
        mode,
        g.as_ref(),
        sorted_indices,
        stream_arg(stream)?,
    )
    .py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (x, w, scales = None, group_size = None, bits = None, mode = "nvfp4", global_scale_x = None, global_scale_w = None, *, stream = None))]
#[allow(clippy::too_many_arguments)]
fn qqmm(
    x: &Bound<'_, PyAny>,
    w: &Bound<'_, PyAny>,
    scales: Opt<'_, '_>,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    global_scale_x: Opt<'_, '_>,
    global_scale_w: Opt<'_, '_>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let _ = (
        x,
        w,
        scales,
        group_size,
        bits,
        mode,
        global_scale_x,
        global_scale_w,
    );
    let out = ops::quantized::qqmm(stream_arg(stream)?).py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (x, w, /, scales = None, lhs_indices = None, rhs_indices = None, group_size = None, bits = None, mode = "nvfp4", global_scale_x = None, global_scale_w = None, *, sorted_indices = false, stream = None))]
#[allow(clippy::too_many_arguments)]
fn gather_qqmm(
    x: &Bound<'_, PyAny>,
    w: &Bound<'_, PyAny>,
    scales: Opt<'_, '_>,
    lhs_indices: Opt<'_, '_>,
    rhs_indices: Opt<'_, '_>,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    global_scale_x: Opt<'_, '_>,
    global_scale_w: Opt<'_, '_>,
    sorted_indices: bool,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let _ = (
        x,
        w,
        scales,
        lhs_indices,
        rhs_indices,
        group_size,
        bits,
        mode,
    );
    let _ = (global_scale_x, global_scale_w, sorted_indices);
    let out = ops::quantized::gather_qqmm(stream_arg(stream)?).py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (x, *, stream = None))]
fn to_fp8(x: &Bound<'_, PyAny>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    Ok(PyArray::new(
        ops::quantized::to_fp8(&arr(x)?, stream_arg(stream)?).py()?,
    ))
}

#[pyfunction]
#[pyo3(signature = (x, dtype = None, *, stream = None))]
fn from_fp8(x: &Bound<'_, PyAny>, dtype: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let dt = dtype_arg(dtype)?.unwrap_or(Dtype::Bfloat16);
    Ok(PyArray::new(
        ops::quantized::from_fp8(&arr(x)?, dt, stream_arg(stream)?).py()?,
    ))
}

/// Registers the quantization functions.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(quantize, m)?)?;
    m.add_function(wrap_pyfunction!(dequantize, m)?)?;
    m.add_function(wrap_pyfunction!(quantized_matmul, m)?)?;
    m.add_function(wrap_pyfunction!(gather_qmm, m)?)?;
    m.add_function(wrap_pyfunction!(qqmm, m)?)?;
    m.add_function(wrap_pyfunction!(gather_qqmm, m)?)?;
    m.add_function(wrap_pyfunction!(to_fp8, m)?)?;
    m.add_function(wrap_pyfunction!(from_fp8, m)?)?;
    Ok(())
}
