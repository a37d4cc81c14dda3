//! Graph and runtime utilities of mlx.core that are not array math:
//! `depends`, `get_array_buffer_size`, `device_info`, the thread-local and
//! thread-unsafe streams (`ThreadLocalStream`, `clear_streams`),
//! `ArrayLike`, `export_to_dot`, the top-level `matrix_norm` alias and the
//! function export entry points (not implemented yet: they raise).

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use pyo3::exceptions::{PyNotImplementedError, PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString, PyTuple};
use rmlx::device::{self, Device, DeviceType};
use rmlx::{ops, Array, Stream};

use crate::array::PyArray;
use crate::device::{PyDevice, PyDeviceType, PyStream};
use crate::errors::PyResultExt;

type Any<'py> = Bound<'py, PyAny>;

fn device_of(obj: &Any<'_>) -> PyResult<Device> {
    if let Ok(d) = obj.cast::<PyDevice>() {
        return Ok(d.get().0);
    }
    if let Ok(t) = obj.cast::<PyDeviceType>() {
        return Ok(t.get().device());
    }
    Err(PyTypeError::new_err(format!(
        "Expected a Device or DeviceType, got {}.",
        obj.get_type().name()?
    )))
}

// ------------------------------------------------------------- depends

/// An array or a list/tuple of arrays; `None` when `obj` is a single array.
fn array_or_seq(obj: &Any<'_>) -> PyResult<(Vec<Array>, bool)> {
    if let Ok(a) = obj.cast::<PyArray>() {
        return Ok((vec![a.borrow().inner.clone()], false));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut v = Vec::new();
        for x in obj.try_iter()? {
            let x = x?;
            match x.cast::<PyArray>() {
                Ok(a) => v.push(a.borrow().inner.clone()),
                Err(_) => {
                    return Err(PyRuntimeError::new_err(format!(
                        "[depends] Expected arrays, got {}.",
                        x.get_type().name()?
                    )))
                }
            }
        }
        return Ok((v, true));
    }
    Err(PyRuntimeError::new_err(format!(
        "[depends] Expected an array or a sequence of arrays, got {}.",
        obj.get_type().name()?
    )))
}

#[pyfunction]
fn depends(py: Python<'_>, inputs: &Any<'_>, dependencies: &Any<'_>) -> PyResult<Py<PyAny>> {
    let (xs, seq) = array_or_seq(inputs)?;
    let (deps, _) = array_or_seq(dependencies)?;
    let outs = ops::depends(&xs, &deps, None).py()?;
    if seq {
        let items: Vec<PyArray> = outs.into_iter().map(PyArray::new).collect();
        Ok(PyList::new(py, items)?.into_any().unbind())
    } else {
        Ok(Py::new(
            py,
            PyArray::new(outs.into_iter().next().expect("one output")),
        )?
        .into_any())
    }
}

// ---------------------------------------------------- buffer accounting

fn collect_buffers(obj: &Any<'_>, seen: &mut HashSet<usize>, total: &mut usize) -> PyResult<()> {
    if let Ok(a) = obj.cast::<PyArray>() {
        let a = a.borrow();
        if !a.inner.is_available() {
            return Err(PyValueError::new_err(
                "[get_array_buffer_size] Arrays must be evaluated before querying buffer size.",
            ));
        }
        // An empty array reads no buffer (rmlx may still view a shared
        // one); MLX counts 0 for it.
        if a.inner.size() == 0 {
            return Ok(());
        }
        let buf = &a.inner.data().buf;
        if seen.insert(Arc::as_ptr(buf) as usize) {
            *total += buf.capacity();
        }
    } else if let Ok(d) = obj.cast::<PyDict>() {
        for v in d.values() {
            collect_buffers(&v, seen, total)?;
        }
    } else if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        for v in obj.try_iter()? {
            collect_buffers(&v?, seen, total)?;
        }
    }
    Ok(())
}

/// Bytes of the unique buffers behind the arrays in `args` (trees of
/// arrays; other leaves are ignored). Each buffer counts its allocator
/// size class, which can exceed its arrays' `nbytes`.
#[pyfunction]
#[pyo3(signature = (*args))]
fn get_array_buffer_size(args: &Bound<'_, PyTuple>) -> PyResult<usize> {
    let (mut seen, mut total) = (HashSet::new(), 0usize);
    for a in args.iter() {
        collect_buffers(&a, &mut seen, &mut total)?;
    }
    Ok(total)
}

// ---------------------------------------------------------- device_info

fn cpu_model_name() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default()
}

#[pyfunction]
#[pyo3(signature = (d = None))]
fn device_info<'py>(py: Python<'py>, d: Option<&Any<'py>>) -> PyResult<Bound<'py, PyDict>> {
    let dev = match d {
        Some(d) if !d.is_none() => device_of(d)?,
        _ => device::default_device(),
    };
    let out = PyDict::new(py);
    // MLX answers an empty dict for a device it has no backend for.
    if dev.kind == DeviceType::Cpu {
        out.set_item("architecture", std::env::consts::ARCH)?;
        out.set_item("device_name", cpu_model_name())?;
    }
    Ok(out)
}

// -------------------------------------------------------------- streams

static NEXT_THREAD_LOCAL: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    // This thread's stream for each thread-local stream handle.
    static RESOLVED: RefCell<HashMap<usize, Stream>> = RefCell::new(HashMap::new());
}

/// A stream handle that stands for a different stream on each thread (the
/// thread's first use creates it); usable wherever a stream is.
#[pyclass(name = "ThreadLocalStream", module = "rmlx.core", frozen)]
pub struct PyThreadLocalStream {
    index: usize,
    device: Device,
}

impl PyThreadLocalStream {
    /// The calling thread's stream for this handle.
    pub fn resolve(&self) -> PyResult<Stream> {
        if let Some(s) = RESOLVED.with(|m| m.borrow().get(&self.index).copied()) {
            return Ok(s);
        }
        let s = device::new_stream(self.device).py()?;
        RESOLVED.with(|m| m.borrow_mut().insert(self.index, s));
        Ok(s)
    }
}

#[pymethods]
impl PyThreadLocalStream {
    #[getter]
    fn device(&self) -> PyDevice {
        PyDevice(self.device)
    }
    fn __repr__(&self) -> String {
        format!("ThreadLocalStream({}, {})", self.device, self.index)
    }
}

/// The stream a `ThreadLocalStream` stands for on this thread, if `obj` is
/// one (for `stream=` arguments and `rmlx.core.stream`).
pub fn thread_local_stream(obj: &Any<'_>) -> PyResult<Option<Stream>> {
    match obj.cast::<PyThreadLocalStream>() {
        Ok(t) => t.get().resolve().map(Some),
        Err(_) => Ok(None),
    }
}

#[pyfunction]
fn new_thread_local_stream(device: &Any<'_>) -> PyResult<PyThreadLocalStream> {
    Ok(PyThreadLocalStream {
        index: NEXT_THREAD_LOCAL.fetch_add(1, Ordering::Relaxed),
        device: device_of(device)?,
    })
}

#[pyfunction]
fn new_thread_unsafe_stream(device: &Any<'_>) -> PyResult<PyStream> {
    let d = device_of(device)?;
    if !device::is_available(d.kind) {
        return Err(PyValueError::new_err(
            "[new_thread_unsafe_stream] Cannot make gpu stream without gpu backend.",
        ));
    }
    Ok(PyStream(device::new_stream(d).py()?))
}

/// Forgets this thread's streams of the thread-local handles (a later use
/// on this thread makes fresh ones).
#[pyfunction]
fn clear_streams() {
    RESOLVED.with(|m| m.borrow_mut().clear());
}

// ------------------------------------------------------------ ArrayLike

/// MLX's `ArrayLike`: wraps an object meant to be converted to an array
/// (anything with `__mlx_array__`). As in MLX it is only a holder: ops do
/// not accept it.
#[pyclass(name = "ArrayLike", module = "rmlx.core", frozen)]
pub struct PyArrayLike {
    #[allow(dead_code)]
    obj: Py<PyAny>,
}

#[pymethods]
impl PyArrayLike {
    #[new]
    fn new(arg: &Any<'_>) -> PyResult<Self> {
        if arg.is_none() {
            return Err(PyTypeError::new_err(
                "__init__(): incompatible function arguments. The following argument types are \
                 supported:\n    1. __init__(self, arg: object, /) -> None",
            ));
        }
        Ok(PyArrayLike {
            obj: arg.clone().unbind(),
        })
    }
}

// -------------------------------------------------------- export_to_dot

/// MLX's printed primitive name for an rmlx primitive name.
fn mlx_label(name: &str) -> String {
    let fixed = match name {
        "broadcast_to" => "Broadcast",
        "astype" => "AsType",
        "logaddexp" => "LogAddExp",
        "logsumexp" => "LogSumExp",
        "argsort" => "ArgSort",
        "argpartition" => "ArgPartition",
        "argmin" | "argmax" => "ArgReduce",
        "all" => "And",
        "any" => "Or",
        "cumsum" => "CumSum",
        "cumprod" => "CumProd",
        "cummax" => "CumMax",
        "cummin" => "CumMin",
        "logcumsumexp" => "CumLogAddExp",
        "divmod" => "DivMod",
        "inv" => "Inverse",
        "erfinv" => "ErfInv",
        "take_along_axis" => "GatherAxis",
        "put_along_axis" | "scatter_add_axis" => "ScatterAxis",
        "lu_factor" => "LUF",
        "qr" => "QRF",
        "svd" => "SVD",
        "as_strided" => "AsStrided",
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return name.to_string();
    }
    let cap = |w: &str| {
        let mut c = w.chars();
        c.next()
            .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
            .unwrap_or_default()
    };
    let mut out = String::new();
    for w in name.split('_') {
        match w.strip_prefix("arc") {
            Some(rest) if !rest.is_empty() => {
                out.push_str("Arc");
                out.push_str(&cap(rest));
            }
            _ => out.push_str(&cap(w)),
        }
    }
    out
}

/// Names arrays A, B, ..., Z, AA, AB ... in first-use order, after any
/// user-given names (which count towards the sequence, as in MLX).
struct Namer(HashMap<usize, String>);

impl Namer {
    fn get(&mut self, id: usize) -> String {
        let n = self.0.len() + 1;
        self.0
            .entry(id)
            .or_insert_with(|| {
                let (mut letters, mut k) = (Vec::new(), n);
                while k > 0 {
                    letters.push(b'A' + ((k - 1) % 26) as u8);
                    k = (k - 1) / 26;
                }
                letters.reverse();
                String::from_utf8(letters).expect("ascii")
            })
            .clone()
    }
}

/// Node ids of the outputs of `x`'s op in order (just `x` for a
/// single-output op); siblings already dropped are left out.
fn op_output_ids(x: &Array) -> Vec<usize> {
    match x.op() {
        Some((op, _)) if !op.siblings.is_empty() => op
            .siblings
            .iter()
            .filter(|w| w.strong_count() > 0)
            .map(|w| w.as_ptr() as usize)
            .collect(),
        _ => vec![x.id()],
    }
}

fn flatten_arrays(obj: &Any<'_>, out: &mut Vec<Array>) -> PyResult<()> {
    if let Ok(a) = obj.cast::<PyArray>() {
        out.push(a.borrow().inner.clone());
    } else if let Ok(d) = obj.cast::<PyDict>() {
        for v in d.values() {
            flatten_arrays(&v, out)?;
        }
    } else if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        for v in obj.try_iter()? {
            flatten_arrays(&v?, out)?;
        }
    } else {
        return Err(PyValueError::new_err(
            "[tree_flatten] The argument should contain only arrays",
        ));
    }
    Ok(())
}

/// The DOT text of the graph behind `outputs` (MLX's layout: inputs at
/// rank source, a rectangle per primitive, outputs nobody consumes at rank
/// sink). Iterative post-order walk, so deep graphs do not recurse.
fn dot_graph(outputs: &[Array], namer: &mut Namer) -> String {
    let mut order: Vec<Array> = Vec::new();
    let mut seen: HashSet<usize> = HashSet::new();
    for o in outputs {
        let mut stack: Vec<(Array, bool)> = vec![(o.clone(), false)];
        while let Some((x, expanded)) = stack.pop() {
            if expanded {
                order.push(x);
                continue;
            }
            if !seen.insert(x.id()) {
                continue;
            }
            for s in op_output_ids(&x) {
                seen.insert(s);
            }
            stack.push((x.clone(), true));
            for i in x.inputs().into_iter().rev() {
                if !seen.contains(&i.id()) {
                    stack.push((i, false));
                }
            }
        }
    }
    let consumed: HashSet<usize> = order
        .iter()
        .flat_map(|x| x.inputs().into_iter().map(|i| i.id()))
        .collect();
    let sinks: HashSet<usize> = outputs
        .iter()
        .map(|o| o.id())
        .filter(|id| !consumed.contains(id))
        .collect();
    let mut os = String::from("digraph {\n");
    for x in &order {
        let Some((op, _)) = x.op() else {
            let _ = writeln!(os, "{{ rank=source; \"{}\"; }}", namer.get(x.id()));
            continue;
        };
        let pid = Arc::as_ptr(&op) as *const u8 as usize;
        let _ = writeln!(
            os,
            "{{ {pid} [label =\"{}\", shape=rectangle]; }}",
            mlx_label(op.prim.name())
        );
        for i in &op.inputs {
            let _ = writeln!(os, "\"{}\" -> {pid}", namer.get(i.id()));
        }
        for a in op_output_ids(x) {
            let sink = if sinks.contains(&a) {
                "rank=sink; "
            } else {
                ""
            };
            let _ = writeln!(os, "{{ {sink}\"{}\"; }}", namer.get(a));
            let _ = writeln!(os, "{pid} -> \"{}\"", namer.get(a));
        }
    }
    os.push('}');
    os
}

#[pyfunction]
#[pyo3(signature = (file, *args, **kwargs))]
fn export_to_dot(
    file: &Any<'_>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    let mut outputs = Vec::new();
    for a in args.iter() {
        flatten_arrays(&a, &mut outputs)?;
    }
    let mut namer = Namer(HashMap::new());
    if let Some(kw) = kwargs {
        for (k, v) in kw.iter() {
            let a = v.cast::<PyArray>().map_err(|_| {
                PyValueError::new_err("[tree_flatten] The argument should contain only arrays")
            })?;
            namer
                .0
                .insert(a.borrow().inner.id(), k.extract::<String>()?);
        }
    }
    let text = dot_graph(&outputs, &mut namer);
    if let Ok(path) = file.cast::<PyString>() {
        std::fs::write(path.to_str()?, text).map_err(|e| {
            PyValueError::new_err(format!("[export_to_dot] Cannot write {path}: {e}"))
        })?;
    } else if file.hasattr("write")? {
        file.call_method1("write", (text,))?;
    } else {
        return Err(PyValueError::new_err(
            "[export_to_dot] Accepts file-like objects or strings to be used as filenames.",
        ));
    }
    Ok(())
}

// ------------------------------------------------------ function export

fn not_implemented(name: &str) -> PyErr {
    PyNotImplementedError::new_err(format!("[{name}] not implemented in rmlx yet."))
}

#[pyfunction]
#[pyo3(signature = (file_or_callback, fun, *args, shapeless = false, metadata = None, **kwargs))]
#[allow(unused_variables)]
fn export_function(
    file_or_callback: &Any<'_>,
    fun: &Any<'_>,
    args: &Bound<'_, PyTuple>,
    shapeless: bool,
    metadata: Option<String>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    Err(not_implemented("export_function"))
}

#[pyfunction]
#[pyo3(signature = (file, return_metadata = false))]
#[allow(unused_variables)]
fn import_function(file: &str, return_metadata: bool) -> PyResult<Py<PyAny>> {
    Err(not_implemented("import_function"))
}

/// MLX's `FunctionExporter` (returned by `exporter`); function export is
/// not implemented in rmlx yet, so it cannot be obtained.
#[pyclass(name = "FunctionExporter", module = "rmlx.core")]
pub struct PyFunctionExporter;

#[pymethods]
impl PyFunctionExporter {
    #[pyo3(signature = (*args, **kwargs))]
    #[allow(unused_variables)]
    fn __call__(
        &self,
        args: &Bound<'_, PyTuple>,
        kwargs: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<()> {
        Err(not_implemented("FunctionExporter"))
    }
    fn close(&self) -> PyResult<()> {
        Err(not_implemented("FunctionExporter"))
    }
    fn __enter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
    #[pyo3(signature = (*_args))]
    fn __exit__(&self, _args: &Bound<'_, PyTuple>) -> bool {
        false
    }
}

#[pyfunction]
#[pyo3(signature = (file, fun, *, shapeless = false, metadata = None))]
#[allow(unused_variables)]
fn exporter(
    file: &str,
    fun: &Any<'_>,
    shapeless: bool,
    metadata: Option<String>,
) -> PyResult<PyFunctionExporter> {
    Err(not_implemented("exporter"))
}

/// Registers this file's functions and classes. Runs after the linalg
/// submodule exists (`matrix_norm` is MLX's top-level alias of
/// `linalg.norm`).
// `wrap_pyfunction!` imports `new_thread_unsafe_stream` under another name.
#[allow(clippy::unsafe_removed_from_name)]
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(depends, m)?)?;
    m.add_function(wrap_pyfunction!(get_array_buffer_size, m)?)?;
    m.add_function(wrap_pyfunction!(device_info, m)?)?;
    m.add_function(wrap_pyfunction!(new_thread_local_stream, m)?)?;
    m.add_function(wrap_pyfunction!(new_thread_unsafe_stream, m)?)?;
    m.add_function(wrap_pyfunction!(clear_streams, m)?)?;
    m.add_function(wrap_pyfunction!(export_to_dot, m)?)?;
    m.add_function(wrap_pyfunction!(export_function, m)?)?;
    m.add_function(wrap_pyfunction!(import_function, m)?)?;
    m.add_function(wrap_pyfunction!(exporter, m)?)?;
    m.add_class::<PyThreadLocalStream>()?;
    m.add_class::<PyArrayLike>()?;
    m.add_class::<PyFunctionExporter>()?;
    m.add_class::<crate::array::PyArrayIterator>()?;
    m.add("matrix_norm", m.getattr("linalg")?.getattr("norm")?)?;
    Ok(())
}
