//! `rmlx.core.fast`: MLX's fused ops (`rms_norm`, `layer_norm`, `rope`,
//! `scaled_dot_product_attention`, `cross_entropy`) with MLX 0.32.4's
//! signatures. The custom-kernel entry points (`metal_kernel`,
//! `cuda_kernel`, `precompiled_cuda_kernel`) exist for API parity and
//! raise `RuntimeError`: rmlx has no Metal back-end and no CUDA kernel
//! compiler.

use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyInt, PyString};
use rmlx::dtype::Dtype;
use rmlx::element::Scalar;
use rmlx::ops::fast::{self as fast, SdpaMask};
use rmlx::Array;

use crate::array::PyArray;
use crate::convert::{operand_array, stream_arg};
use crate::errors::PyResultExt;

type Obj<'py> = Bound<'py, PyAny>;

fn opt_array(o: Option<&Obj<'_>>) -> PyResult<Option<Array>> {
    match o {
        Some(o) if !o.is_none() => Ok(Some(operand_array(o, None)?)),
        _ => Ok(None),
    }
}

#[pyfunction]
#[pyo3(signature = (x, weight, eps, *, stream = None))]
fn rms_norm(
    x: &Obj<'_>,
    weight: Option<&Obj<'_>>,
    eps: f32,
    stream: Option<&Obj<'_>>,
) -> PyResult<PyArray> {
    let x = operand_array(x, None)?;
    let w = opt_array(weight)?;
    let out = fast::rms_norm(&x, w.as_ref(), eps, stream_arg(stream)?).py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (x, weight, bias, eps, *, stream = None))]
fn layer_norm(
    x: &Obj<'_>,
    weight: Option<&Obj<'_>>,
    bias: Option<&Obj<'_>>,
    eps: f32,
    stream: Option<&Obj<'_>>,
) -> PyResult<PyArray> {
    let x = operand_array(x, None)?;
    let (w, b) = (opt_array(weight)?, opt_array(bias)?);
    let out = fast::layer_norm(&x, w.as_ref(), b.as_ref(), eps, stream_arg(stream)?).py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (a, dims, *, traditional, base, scale, offset, freqs = None, stream = None))]
#[allow(clippy::too_many_arguments)]
fn rope(
    a: &Obj<'_>,
    dims: i64,
    traditional: bool,
    base: Option<f32>,
    scale: f32,
    offset: &Obj<'_>,
    freqs: Option<&Obj<'_>>,
    stream: Option<&Obj<'_>>,
) -> PyResult<PyArray> {
    let x = operand_array(a, None)?;
    let offset = if offset.is_instance_of::<PyInt>() && !offset.is_instance_of::<PyBool>() {
        Array::from_scalar(Scalar::Int(offset.extract::<i64>()?), Dtype::Int32).py()?
    } else if let Ok(o) = offset.cast::<PyArray>() {
        o.borrow().inner.clone()
    } else {
        return Err(PyTypeError::new_err(format!(
            "rope(): offset must be an int or an array, got {}.",
            offset.get_type().name()?
        )));
    };
    let freqs = opt_array(freqs)?;
    let out = fast::rope(
        &x,
        dims,
        traditional,
        base,
        scale,
        &offset,
        freqs.as_ref(),
        stream_arg(stream)?,
    )
    .py()?;
    Ok(PyArray::new(out))
}

const SDPA_SIG: &str = "scaled_dot_product_attention(q: array, k: array, v: array, *, scale: float,  mask: None | str | array = None, sinks: array | None = None, force_fused: bool = False, stream: StreamOrDevice = None) -> array";

#[pyfunction]
#[pyo3(signature = (q, k, v, *, scale, mask = None, sinks = None, force_fused = false, stream = None))]
#[allow(clippy::too_many_arguments)]
fn scaled_dot_product_attention(
    q: &Obj<'_>,
    k: &Obj<'_>,
    v: &Obj<'_>,
    scale: f32,
    mask: Option<&Obj<'_>>,
    sinks: Option<&Obj<'_>>,
    force_fused: bool,
    stream: Option<&Obj<'_>>,
) -> PyResult<PyArray> {
    // The CPU kernel is always the fused one.
    let _ = force_fused;
    let (q, k, v) = (
        operand_array(q, None)?,
        operand_array(k, None)?,
        operand_array(v, None)?,
    );
    let mask = match mask {
        None => SdpaMask::None,
        Some(m) if m.is_none() => SdpaMask::None,
        Some(m) if m.is_instance_of::<PyString>() => {
            let s: String = m.extract()?;
            if s != "causal" {
                return Err(PyValueError::new_err(format!(
                    "[scaled_dot_product_attention] invalid mask option '{s}'. Must be 'causal', or an array."
                )));
            }
            SdpaMask::Causal
        }
        Some(m) => match m.cast::<PyArray>() {
            Ok(a) => SdpaMask::Array(a.borrow().inner.clone()),
            Err(_) => {
                return Err(PyTypeError::new_err(format!(
                    "scaled_dot_product_attention(): incompatible function arguments. The following argument types are supported:\n    1. {SDPA_SIG}\n\nInvoked with types: mask: {}",
                    m.get_type().name()?
                )))
            }
        },
    };
    let sinks = opt_array(sinks)?;
    let out = fast::scaled_dot_product_attention(
        &q,
        &k,
        &v,
        scale,
        &mask,
        sinks.as_ref(),
        stream_arg(stream)?,
    )
    .py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (logits, targets, *, stream = None))]
fn cross_entropy(
    logits: &Obj<'_>,
    targets: &Obj<'_>,
    stream: Option<&Obj<'_>>,
) -> PyResult<PyArray> {
    let l = operand_array(logits, None)?;
    let t = operand_array(targets, None)?;
    let out = fast::cross_entropy(&l, &t, stream_arg(stream)?).py()?;
    Ok(PyArray::new(out))
}

#[pyfunction]
#[pyo3(signature = (name, input_names, output_names, source, header = String::new(), ensure_row_contiguous = true, atomic_outputs = false, compile_options = None))]
#[allow(clippy::too_many_arguments)]
fn metal_kernel(
    name: &str,
    input_names: &Obj<'_>,
    output_names: &Obj<'_>,
    source: &str,
    header: String,
    ensure_row_contiguous: bool,
    atomic_outputs: bool,
    compile_options: Option<&Obj<'_>>,
) -> PyResult<Py<PyAny>> {
    let _ = (
        name,
        input_names,
        output_names,
        source,
        header,
        ensure_row_contiguous,
        atomic_outputs,
        compile_options,
    );
    Err(PyRuntimeError::new_err(
        "[metal_kernel] Custom Metal kernels are not implemented in rmlx (no Metal back-end).",
    ))
}

#[pyfunction]
#[pyo3(signature = (name, input_names, output_names, source, header = String::new(), ensure_row_contiguous = true, shared_memory = 0))]
#[allow(clippy::too_many_arguments)]
fn cuda_kernel(
    name: &str,
    input_names: &Obj<'_>,
    output_names: &Obj<'_>,
    source: &str,
    header: String,
    ensure_row_contiguous: bool,
    shared_memory: i64,
) -> PyResult<Py<PyAny>> {
    let _ = (
        name,
        input_names,
        output_names,
        source,
        header,
        ensure_row_contiguous,
        shared_memory,
    );
    Err(PyRuntimeError::new_err(
        "[cuda_kernel] Custom CUDA kernels are not implemented in rmlx.",
    ))
}

#[pyfunction]
#[pyo3(signature = (*, name, compiled_source, inputs, output_shapes, output_dtypes, scalars, grid, threadgroup, shared_memory = 0, init_value = None, ensure_row_contiguous = false, stream = None))]
#[allow(clippy::too_many_arguments)]
fn precompiled_cuda_kernel(
    name: &Obj<'_>,
    compiled_source: &Obj<'_>,
    inputs: &Obj<'_>,
    output_shapes: &Obj<'_>,
    output_dtypes: &Obj<'_>,
    scalars: &Obj<'_>,
    grid: &Obj<'_>,
    threadgroup: &Obj<'_>,
    shared_memory: i64,
    init_value: Option<f64>,
    ensure_row_contiguous: bool,
    stream: Option<&Obj<'_>>,
) -> PyResult<Py<PyAny>> {
    let _ = (
        name,
        compiled_source,
        inputs,
        output_shapes,
        output_dtypes,
        scalars,
        grid,
        threadgroup,
        shared_memory,
        init_value,
        ensure_row_contiguous,
        stream,
    );
    Err(PyRuntimeError::new_err(
        "[precompiled_cuda_kernel] Custom CUDA kernels are not implemented in rmlx.",
    ))
}

/// Adds the `fast` submodule to `rmlx.core`.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // MLX names its submodules in full (`mlx.core.fast`).
    let sub = PyModule::new(py, "rmlx.core.fast")?;
    sub.setattr("__doc__", "rmlx.core.fast: fused operations.")?;
    macro_rules! add {
        ($($f:ident),*) => { $( sub.add_function(wrap_pyfunction!($f, &sub)?)?; )* };
    }
    add!(
        rms_norm,
        layer_norm,
        rope,
        scaled_dot_product_attention,
        cross_entropy
    );
    add!(metal_kernel, cuda_kernel, precompiled_cuda_kernel);
    m.add("fast", &sub)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("rmlx.core.fast", &sub)?;
    Ok(())
}
