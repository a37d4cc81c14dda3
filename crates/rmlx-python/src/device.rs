//! `Device`, `DeviceType`, `Stream`, the `stream(...)` context manager and
//! the device / stream functions of `rmlx.core`.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rmlx::device::{self, Device, DeviceType};
use rmlx::Stream;

use crate::errors::PyResultExt;

/// Kind of device: `rmlx.core.cpu` or `rmlx.core.gpu`.
#[pyclass(name = "DeviceType", module = "rmlx.core", eq, eq_int, frozen, hash)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
#[allow(non_camel_case_types)]
pub enum PyDeviceType {
    /// The CPU.
    cpu,
    /// The GPU.
    gpu,
}

impl PyDeviceType {
    /// The device of this type with index 0.
    pub fn device(self) -> Device {
        match self {
            PyDeviceType::cpu => Device::CPU,
            PyDeviceType::gpu => Device::GPU,
        }
    }
}

/// A device: type and index.
#[pyclass(name = "Device", module = "rmlx.core", frozen)]
#[derive(Clone, Copy)]
pub struct PyDevice(pub Device);

fn device_from(obj: &Bound<'_, PyAny>) -> PyResult<Device> {
    if let Ok(d) = obj.cast::<PyDevice>() {
        return Ok(d.get().0);
    }
    if let Ok(t) = obj.cast::<PyDeviceType>() {
        return Ok(t.get().device());
    }
    Err(PyValueError::new_err("Expected a Device or DeviceType."))
}

#[pymethods]
impl PyDevice {
    #[new]
    #[pyo3(signature = (r#type, index = 0))]
    fn new(r#type: &Bound<'_, PyAny>, index: usize) -> PyResult<Self> {
        Ok(PyDevice(Device {
            kind: device_from(r#type)?.kind,
            index,
        }))
    }
    #[getter]
    fn r#type(&self) -> PyDeviceType {
        match self.0.kind {
            DeviceType::Cpu => PyDeviceType::cpu,
            DeviceType::Gpu => PyDeviceType::gpu,
        }
    }
    fn __repr__(&self) -> String {
        self.0.to_string()
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        device_from(other).map(|d| d == self.0).unwrap_or(false)
    }
    fn __hash__(&self) -> u64 {
        (self.0.kind == DeviceType::Gpu) as u64 * 1000 + self.0.index as u64
    }
}

/// A stream of work on a device.
#[pyclass(name = "Stream", module = "rmlx.core", frozen)]
#[derive(Clone, Copy)]
pub struct PyStream(pub Stream);

#[pymethods]
impl PyStream {
    #[getter]
    fn device(&self) -> PyDevice {
        PyDevice(self.0.device)
    }
    fn __repr__(&self) -> String {
        self.0.to_string()
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<PyStream>()
            .map(|s| s.get().0 == self.0)
            .unwrap_or(false)
    }
    fn __hash__(&self) -> u64 {
        self.0.index as u64
    }
}

/// Context manager that makes a stream (or a device's default stream) the
/// default within a `with` block.
#[pyclass(name = "StreamContext", module = "rmlx.core")]
pub struct StreamContext {
    target: Stream,
    saved: Option<(Device, Stream)>,
}

#[pymethods]
impl StreamContext {
    fn __enter__(&mut self) -> PyResult<()> {
        let prev_dev = device::default_device();
        let prev_stream = device::default_stream(self.target.device);
        device::set_default_device(self.target.device).py()?;
        device::set_default_stream(self.target);
        self.saved = Some((prev_dev, prev_stream));
        Ok(())
    }
    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> PyResult<bool> {
        if let Some((d, s)) = self.saved.take() {
            device::set_default_stream(s);
            device::set_default_device(d).py()?;
        }
        Ok(false)
    }
}

#[pyfunction]
fn stream(s: &Bound<'_, PyAny>) -> PyResult<StreamContext> {
    let target = crate::convert::stream_arg(Some(s))?.unwrap_or_else(device::current_stream);
    device::resolve_stream(Some(target), "stream").py()?;
    Ok(StreamContext {
        target,
        saved: None,
    })
}

#[pyfunction]
fn default_device() -> PyDevice {
    PyDevice(device::default_device())
}

#[pyfunction]
fn set_default_device(d: &Bound<'_, PyAny>) -> PyResult<()> {
    device::set_default_device(device_from(d)?).py()
}

#[pyfunction]
fn default_stream(d: &Bound<'_, PyAny>) -> PyResult<PyStream> {
    let d = device_from(d)?;
    device::resolve_stream(Some(device::default_stream(d)), "default_stream").py()?;
    Ok(PyStream(device::default_stream(d)))
}

#[pyfunction]
fn set_default_stream(s: &Bound<'_, PyStream>) -> PyResult<()> {
    let s = s.get().0;
    device::resolve_stream(Some(s), "set_default_stream").py()?;
    device::set_default_stream(s);
    Ok(())
}

#[pyfunction]
fn new_stream(d: &Bound<'_, PyAny>) -> PyResult<PyStream> {
    Ok(PyStream(device::new_stream(device_from(d)?).py()?))
}

#[pyfunction]
#[pyo3(signature = (stream = None))]
fn synchronize(stream: Option<&Bound<'_, PyAny>>) -> PyResult<()> {
    let _ = crate::convert::stream_arg(stream)?;
    rmlx::eval::synchronize();
    Ok(())
}

#[pyfunction]
fn is_available(d: &Bound<'_, PyAny>) -> PyResult<bool> {
    Ok(device::is_available(device_from(d)?.kind))
}

#[pyfunction]
fn device_count(d: &Bound<'_, PyAny>) -> PyResult<usize> {
    Ok(device::device_count(device_from(d)?.kind))
}

#[pyfunction]
fn backend_is_available() -> bool {
    false
}

/// Registers device classes, functions and the `metal` / `cuda` submodules.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyDeviceType>()?;
    m.add_class::<PyDevice>()?;
    m.add_class::<PyStream>()?;
    m.add_class::<StreamContext>()?;
    m.add("cpu", PyDeviceType::cpu)?;
    m.add("gpu", PyDeviceType::gpu)?;
    m.add_function(wrap_pyfunction!(stream, m)?)?;
    m.add_function(wrap_pyfunction!(default_device, m)?)?;
    m.add_function(wrap_pyfunction!(set_default_device, m)?)?;
    m.add_function(wrap_pyfunction!(default_stream, m)?)?;
    m.add_function(wrap_pyfunction!(set_default_stream, m)?)?;
    m.add_function(wrap_pyfunction!(new_stream, m)?)?;
    m.add_function(wrap_pyfunction!(synchronize, m)?)?;
    m.add_function(wrap_pyfunction!(is_available, m)?)?;
    m.add_function(wrap_pyfunction!(device_count, m)?)?;
    let py = m.py();
    for name in ["metal", "cuda"] {
        let sub = PyModule::new(py, name)?;
        sub.add_function(wrap_pyfunction!(backend_is_available, &sub)?)?;
        sub.setattr("is_available", sub.getattr("backend_is_available")?)?;
        m.add_submodule(&sub)?;
    }
    Ok(())
}
