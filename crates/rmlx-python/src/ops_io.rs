//! File I/O of `rmlx.core`: `load`, `save`, `savez`, `savez_compressed`,
//! `save_safetensors` and `save_gguf`, with MLX's signatures and rules
//! (format from the extension or `format=`, the extension appended to
//! saved paths that lack it, `return_metadata=` for safetensors / gguf).
//!
//! Files are given as `str`, any `os.PathLike` (pathlib) or a binary
//! file-like object. Paths are read and written by the engine without the
//! GIL; file-like objects are read whole with `.read()` and written through
//! `.write()` in 1 MiB pieces. Beyond MLX, every format (gguf included)
//! accepts file-like objects.

use std::io::Write;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyString, PyTuple};
use rmlx::io::{self, Format, GgufMeta, Named};
use rmlx::Array;

use crate::array::PyArray;
use crate::convert::stream_arg;
use crate::errors::PyResultExt;

/// A `file` argument: a path, or a Python file-like object.
enum Target<'py> {
    Path(String),
    Stream(Bound<'py, PyAny>),
}

fn target<'py>(file: &Bound<'py, PyAny>, op: &str, method: &str) -> PyResult<Target<'py>> {
    if file.is_instance_of::<PyString>() {
        return Ok(Target::Path(file.extract()?));
    }
    if file.hasattr("__fspath__")? {
        let os = file.py().import("os")?;
        return Ok(Target::Path(
            os.call_method1("fsdecode", (file,))?.extract()?,
        ));
    }
    if file.hasattr(method)? {
        return Ok(Target::Stream(file.clone()));
    }
    Err(PyValueError::new_err(format!(
        "[{op}] Input must be a file-like object opened in binary mode, a path or a string, got {}",
        file.get_type().name()?
    )))
}

/// How errors name a file-like object: its `name` when it has one.
fn stream_label(f: &Bound<'_, PyAny>) -> String {
    f.getattr("name")
        .ok()
        .and_then(|n| n.extract::<String>().ok())
        .unwrap_or_else(|| "python file object".to_string())
}

/// The whole remaining content of a binary file-like object.
fn read_all<'py>(f: &Bound<'py, PyAny>, op: &str) -> PyResult<Bound<'py, PyBytes>> {
    let data = f.call_method0("read")?;
    data.cast_into::<PyBytes>().map_err(|_| {
        PyTypeError::new_err(format!(
            "[{op}] The file object must be opened in binary mode (its read() did not return bytes)"
        ))
    })
}

/// `std::io::Write` over a Python file-like object's `write`.
struct PyWriter<'py>(Bound<'py, PyAny>);

impl Write for PyWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let b = PyBytes::new(self.0.py(), buf);
        let n = self
            .0
            .call_method1("write", (b,))
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        // Raw streams may write less than asked; None means "all of it".
        Ok(if n.is_none() {
            buf.len()
        } else {
            n.extract::<usize>().unwrap_or(buf.len())
        })
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Runs `write` into the Python stream `f` through a 1 MiB buffer.
fn write_stream(
    f: &Bound<'_, PyAny>,
    write: impl FnOnce(&mut dyn Write) -> rmlx::Result<()>,
) -> PyResult<()> {
    let mut w = std::io::BufWriter::with_capacity(1 << 20, PyWriter(f.clone()));
    write(&mut w).py()?;
    w.flush().map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("Failed to write to python stream: {e}"))
    })
}

fn named_dict<'py>(py: Python<'py>, arrays: Vec<Named>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, a) in arrays {
        d.set_item(k, PyArray::new(a))?;
    }
    Ok(d)
}

/// Loads arrays from a `.npy`, `.npz`, `.safetensors` or `.gguf` file.
#[pyfunction]
#[pyo3(signature = (file, /, format = None, return_metadata = false, *, stream = None))]
fn load(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    format: Option<String>,
    return_metadata: bool,
    stream: Option<&Bound<'_, PyAny>>,
) -> PyResult<Py<PyAny>> {
    // Loaded data lives in host memory; the stream is validated only.
    stream_arg(stream)?;
    let t = target(file, "load", "read")?;
    let name = match format {
        Some(f) => f,
        None => {
            let fname = match &t {
                Target::Path(p) => p.clone(),
                Target::Stream(f) => f
                    .getattr("name")
                    .ok()
                    .and_then(|n| n.extract::<String>().ok())
                    .ok_or_else(|| {
                        PyValueError::new_err(
                            "[load] Could not infer file format: the file object has no name; pass format=",
                        )
                    })?,
            };
            io::extension_of(&fname)
                .ok_or_else(|| {
                    PyValueError::new_err("[load] Could not infer file format from extension")
                })?
                .to_string()
        }
    };
    let fmt = Format::from_name(&name)
        .ok_or_else(|| PyValueError::new_err(format!("[load] Unknown file format {name}")))?;
    if return_metadata && matches!(fmt, Format::Npy | Format::Npz) {
        return Err(PyValueError::new_err(format!(
            "[load] metadata not supported for format {name}"
        )));
    }
    // File contents: a path is read by the engine without the GIL; a
    // stream's bytes are fetched first.
    let (path, bytes, label) = match &t {
        Target::Path(p) => (Some(p.clone()), None, p.clone()),
        Target::Stream(f) => (None, Some(read_all(f, "load")?), stream_label(f)),
    };
    let raw: Option<&[u8]> = bytes.as_ref().map(|b| b.as_bytes());
    match fmt {
        Format::Npy => {
            let a = match (&path, raw) {
                (Some(p), _) => py.detach(|| io::load_npy(p)),
                (_, b) => io::load_npy_bytes(b.unwrap_or_default(), &label),
            }
            .py()?;
            Ok(Bound::new(py, PyArray::new(a))?.into_any().unbind())
        }
        Format::Npz => {
            let v = match (&path, raw) {
                (Some(p), _) => py.detach(|| io::load_npz(p)),
                (_, b) => io::load_npz_bytes(b.unwrap_or_default(), &label),
            }
            .py()?;
            Ok(named_dict(py, v)?.into_any().unbind())
        }
        Format::Safetensors => {
            let (v, meta) = match (&path, raw) {
                (Some(p), _) => py.detach(|| io::load_safetensors(p)),
                (_, b) => io::load_safetensors_bytes(b.unwrap_or_default(), &label),
            }
            .py()?;
            let d = named_dict(py, v)?;
            if !return_metadata {
                return Ok(d.into_any().unbind());
            }
            let m = PyDict::new(py);
            for (k, v) in meta {
                m.set_item(k, v)?;
            }
            Ok(PyTuple::new(py, [d.into_any(), m.into_any()])?
                .into_any()
                .unbind())
        }
        Format::Gguf => {
            let (v, meta) = match (&path, raw) {
                (Some(p), _) => py.detach(|| io::load_gguf(p)),
                (_, b) => io::load_gguf_bytes(b.unwrap_or_default(), &label),
            }
            .py()?;
            let d = named_dict(py, v)?;
            if !return_metadata {
                return Ok(d.into_any().unbind());
            }
            let m = PyDict::new(py);
            for (k, v) in meta {
                match v {
                    GgufMeta::Array(a) => m.set_item(k, PyArray::new(a))?,
                    GgufMeta::String(s) => m.set_item(k, s)?,
                    GgufMeta::Strings(s) => m.set_item(k, PyList::new(py, s)?)?,
                }
            }
            Ok(PyTuple::new(py, [d.into_any(), m.into_any()])?
                .into_any()
                .unbind())
        }
    }
}

/// Saves an array to a `.npy` file (`.npy` is appended to paths without it).
#[pyfunction]
#[pyo3(signature = (file, arr))]
fn save(py: Python<'_>, file: &Bound<'_, PyAny>, arr: PyRef<'_, PyArray>) -> PyResult<()> {
    let a = arr.inner.clone();
    match target(file, "save", "write")? {
        Target::Path(p) => {
            let p = io::with_extension(&p, "npy");
            py.detach(|| io::save_npy(&p, &a)).py()
        }
        Target::Stream(f) => write_stream(&f, |w| io::write_npy(w, &a)),
    }
}

/// An array argument of the dict-taking save functions.
fn array_of(v: &Bound<'_, PyAny>, op: &str, key: &str) -> PyResult<Array> {
    v.cast::<PyArray>()
        .map(|a| a.borrow().inner.clone())
        .map_err(|_| {
            PyTypeError::new_err(format!(
                "[{op}] Expected an array for '{key}', got {}",
                v.get_type()
                    .name()
                    .map(|n| n.to_string())
                    .unwrap_or_default()
            ))
        })
}

/// The `arrays` dict of `save_safetensors` / `save_gguf`.
fn arrays_dict(d: &Bound<'_, PyAny>, op: &str) -> PyResult<Vec<Named>> {
    let d = d.cast::<PyDict>().map_err(|_| {
        PyTypeError::new_err(format!("[{op}] arrays must be a dict of names to arrays"))
    })?;
    let mut out = Vec::with_capacity(d.len());
    for (k, v) in d.iter() {
        let k: String = k
            .extract()
            .map_err(|_| PyTypeError::new_err(format!("[{op}] array names must be strings")))?;
        let a = array_of(&v, op, &k)?;
        out.push((k, a));
    }
    Ok(out)
}

fn savez_impl(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
    compressed: bool,
) -> PyResult<()> {
    let op = if compressed {
        "savez_compressed"
    } else {
        "savez"
    };
    let mut arrays: Vec<Named> = Vec::new();
    if let Some(kw) = kwargs {
        for (k, v) in kw.iter() {
            let k: String = k.extract()?;
            let a = array_of(&v, op, &k)?;
            arrays.push((k, a));
        }
    }
    for (i, v) in args.iter().enumerate() {
        let name = format!("arr_{i}");
        if arrays.iter().any(|(k, _)| *k == name) {
            return Err(PyValueError::new_err(format!(
                "[{op}] Cannot use un-named variables and keyword {name}"
            )));
        }
        let a = array_of(&v, op, &name)?;
        arrays.push((name, a));
    }
    match target(file, op, "write")? {
        Target::Path(p) => {
            let p = io::with_extension(&p, "npz");
            py.detach(|| io::save_npz(&p, &arrays, compressed)).py()
        }
        Target::Stream(f) => write_stream(&f, |w| io::write_npz(w, &arrays, compressed)),
    }
}

/// Saves arrays to an uncompressed `.npz` file (positional arrays are
/// named `arr_0`, `arr_1`, ...).
#[pyfunction]
#[pyo3(signature = (file, *args, **kwargs))]
fn savez(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    savez_impl(py, file, args, kwargs, false)
}

/// Saves arrays to a deflate-compressed `.npz` file.
#[pyfunction]
#[pyo3(signature = (file, *args, **kwargs))]
fn savez_compressed(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    args: &Bound<'_, PyTuple>,
    kwargs: Option<&Bound<'_, PyDict>>,
) -> PyResult<()> {
    savez_impl(py, file, args, kwargs, true)
}

/// Saves a dict of arrays (and string metadata) to a `.safetensors` file.
#[pyfunction]
#[pyo3(signature = (file, arrays, metadata = None))]
fn save_safetensors(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    arrays: &Bound<'_, PyAny>,
    metadata: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let mut meta = Vec::new();
    if let Some(m) = metadata.filter(|m| !m.is_none()) {
        let bad = || {
            PyValueError::new_err(
                "[save_safetensors] Metadata must be a dictionary with string keys and values",
            )
        };
        let m = m.cast::<PyDict>().map_err(|_| bad())?;
        for (k, v) in m.iter() {
            if !k.is_instance_of::<PyString>() || !v.is_instance_of::<PyString>() {
                return Err(bad());
            }
            meta.push((k.extract::<String>()?, v.extract::<String>()?));
        }
    }
    let arrays = arrays_dict(arrays, "save_safetensors")?;
    match target(file, "save_safetensors", "write")? {
        Target::Path(p) => {
            let p = io::with_extension(&p, "safetensors");
            py.detach(|| io::save_safetensors(&p, &arrays, &meta)).py()
        }
        Target::Stream(f) => write_stream(&f, |w| io::write_safetensors(w, &arrays, &meta)),
    }
}

/// Saves a dict of arrays and typed metadata to a `.gguf` file.
#[pyfunction]
#[pyo3(signature = (file, arrays, metadata = None))]
fn save_gguf(
    py: Python<'_>,
    file: &Bound<'_, PyAny>,
    arrays: &Bound<'_, PyAny>,
    metadata: Option<&Bound<'_, PyAny>>,
) -> PyResult<()> {
    let mut meta = Vec::new();
    if let Some(m) = metadata.filter(|m| !m.is_none()) {
        let m = m
            .cast::<PyDict>()
            .map_err(|_| PyTypeError::new_err("[save_gguf] metadata must be a dict"))?;
        for (k, v) in m.iter() {
            let k: String = k
                .extract()
                .map_err(|_| PyTypeError::new_err("[save_gguf] metadata keys must be strings"))?;
            let value = if let Ok(a) = v.cast::<PyArray>() {
                GgufMeta::Array(a.borrow().inner.clone())
            } else if v.is_instance_of::<PyString>() {
                GgufMeta::String(v.extract()?)
            } else if let Some(strs) = v
                .is_instance_of::<PyList>()
                .then(|| v.extract::<Vec<String>>().ok())
                .flatten()
            {
                GgufMeta::Strings(strs)
            } else {
                return Err(PyTypeError::new_err(format!(
                    "[save_gguf] Received unexpected type {} in metadata for key '{k}' \
                     (expected an array, a str or a list of str)",
                    v.get_type().name()?
                )));
            };
            meta.push((k, value));
        }
    }
    let arrays = arrays_dict(arrays, "save_gguf")?;
    match target(file, "save_gguf", "write")? {
        Target::Path(p) => {
            let p = io::with_extension(&p, "gguf");
            py.detach(|| io::save_gguf(&p, &arrays, &meta)).py()
        }
        Target::Stream(f) => write_stream(&f, |w| io::write_gguf(w, &arrays, &meta)),
    }
}

/// Adds the I/O functions to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(load, m)?)?;
    m.add_function(wrap_pyfunction!(save, m)?)?;
    m.add_function(wrap_pyfunction!(savez, m)?)?;
    m.add_function(wrap_pyfunction!(savez_compressed, m)?)?;
    m.add_function(wrap_pyfunction!(save_safetensors, m)?)?;
    m.add_function(wrap_pyfunction!(save_gguf, m)?)?;
    Ok(())
}
