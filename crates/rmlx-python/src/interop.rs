//! Exchange with other array libraries: the buffer protocol, `__array__`,
//! DLPack (`__dlpack__`, `__dlpack_device__`, `mx.from_dlpack`), pickling
//! (`__reduce__` / `__getstate__` / `__setstate__`), `copy` / `deepcopy`,
//! `__bytes__` and `__array_namespace__`.
//!
//! Exports share memory and are read-only: an rmlx array is a value, so a
//! NumPy view of it (`np.asarray(a)`, `memoryview(a)`, `np.from_dlpack(a)`)
//! may not write into it. The export holds a reference to the buffer, which
//! also keeps the engine from donating that buffer to a later op. Strided
//! views (transposes, reversed slices, broadcasts) are exported with their
//! strides, without a copy; a consumer that demands contiguous memory gets
//! a contiguous copy. Imports (`mx.from_dlpack`) always copy: rmlx buffers
//! come from its own allocator.

use std::ffi::{c_char, c_int, c_void, CStr, CString};

use pyo3::exceptions::{PyBufferError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyCapsule, PyDict, PyMemoryView, PyTuple};
use pyo3::{ffi, IntoPyObjectExt};
use rmlx::{ops, Array, Data, Dtype};

use crate::array::PyArray;
use crate::errors::PyResultExt;

/// The evaluated data of `a`, made row-contiguous when `contiguous`.
fn export_data(a: &Array, contiguous: bool) -> PyResult<(Array, Data)> {
    let d = a.evaluated().py()?.clone();
    if !contiguous || d.is_row_contiguous(a.shape()) {
        return Ok((a.clone(), d));
    }
    let c = Array::from_bytes(&a.to_bytes().py()?, a.shape(), a.dtype()).py()?;
    let d = c.evaluated().py()?.clone();
    Ok((c, d))
}

// ---------------------------------------------------------------------------
// Buffer protocol

/// Memory an exported `Py_buffer` points into, freed on release.
struct BufferExport {
    _data: Data,
    shape: Vec<ffi::Py_ssize_t>,
    strides: Vec<ffi::Py_ssize_t>,
    _format: Option<CString>,
}

/// The struct-module format character of `dtype` (None: bfloat16, which
/// has none).
fn format_of(dtype: Dtype) -> Option<&'static str> {
    Some(match dtype {
        Dtype::Bool => "?",
        Dtype::Uint8 => "B",
        Dtype::Uint16 => "H",
        Dtype::Uint32 => "I",
        Dtype::Uint64 => "Q",
        Dtype::Int8 => "b",
        Dtype::Int16 => "h",
        Dtype::Int32 => "i",
        Dtype::Int64 => "q",
        Dtype::Float16 => "e",
        Dtype::Float32 => "f",
        Dtype::Float64 => "d",
        Dtype::Complex64 => "Zf",
        Dtype::Bfloat16 => return None,
    })
}

#[pymethods]
impl PyArray {
    unsafe fn __getbuffer__(
        slf: Bound<'_, Self>,
        view: *mut ffi::Py_buffer,
        flags: c_int,
    ) -> PyResult<()> {
        if view.is_null() {
            return Err(PyBufferError::new_err("View is null"));
        }
        if flags & ffi::PyBUF_WRITABLE != 0 {
            return Err(PyBufferError::new_err(
                "rmlx arrays are read-only through the buffer protocol (arrays are values); \
                 copy with np.array(a) to get writable memory",
            ));
        }
        let a = slf.borrow().inner.clone();
        let esize = a.itemsize();
        let want_format = flags & ffi::PyBUF_FORMAT != 0;
        let format = match format_of(a.dtype()) {
            Some(f) => Some(f),
            None if want_format => {
                return Err(PyBufferError::new_err(
                    "bfloat16 has no buffer-protocol format; use np.array(a) (with ml_dtypes \
                     installed) or a.view(mx.uint16)",
                ))
            }
            None => None,
        };
        let strided = flags & ffi::PyBUF_STRIDES == ffi::PyBUF_STRIDES;
        let need_c = !strided
            || flags & ffi::PyBUF_C_CONTIGUOUS == ffi::PyBUF_C_CONTIGUOUS
            || flags & ffi::PyBUF_ANY_CONTIGUOUS == ffi::PyBUF_ANY_CONTIGUOUS;
        if flags & ffi::PyBUF_F_CONTIGUOUS == ffi::PyBUF_F_CONTIGUOUS && a.ndim() > 1 {
            return Err(PyBufferError::new_err(
                "rmlx arrays export row-major (C) memory only",
            ));
        }
        let (a, d) = export_data(&a, need_c)?;
        let shape: Vec<ffi::Py_ssize_t> = a.shape().iter().map(|&s| s as ffi::Py_ssize_t).collect();
        let strides: Vec<ffi::Py_ssize_t> = if d.is_row_contiguous(a.shape()) {
            rmlx::array::row_strides(a.shape())
                .iter()
                .map(|&s| (s as usize * esize) as ffi::Py_ssize_t)
                .collect()
        } else {
            d.strides
                .iter()
                .map(|&s| (s * esize as i64) as ffi::Py_ssize_t)
                .collect()
        };
        let fmt = if want_format {
            format.map(|f| CString::new(f).unwrap_or_default())
        } else {
            None
        };
        let mut export = Box::new(BufferExport {
            _data: d.clone(),
            shape,
            strides,
            _format: fmt,
        });
        // SAFETY: `view` is a valid, writable Py_buffer supplied by Python;
        // every pointer stored in it lives in `export` (or the buffer it
        // keeps alive) until `__releasebuffer__` frees it.
        unsafe {
            (*view).buf = d.byte_ptr(a.dtype()) as *mut c_void;
            (*view).len = a.nbytes() as ffi::Py_ssize_t;
            (*view).readonly = 1;
            (*view).itemsize = esize as ffi::Py_ssize_t;
            (*view).format = match &export._format {
                Some(f) => f.as_ptr() as *mut c_char,
                None => std::ptr::null_mut(),
            };
            if flags & ffi::PyBUF_ND == ffi::PyBUF_ND {
                (*view).ndim = a.ndim() as c_int;
                (*view).shape = export.shape.as_mut_ptr();
            } else {
                (*view).ndim = 1;
                (*view).shape = std::ptr::null_mut();
            }
            (*view).strides = if strided {
                export.strides.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            };
            (*view).suboffsets = std::ptr::null_mut();
            (*view).internal = Box::into_raw(export) as *mut c_void;
            (*view).obj = slf.into_any().into_ptr();
        }
        Ok(())
    }

    unsafe fn __releasebuffer__(&self, view: *mut ffi::Py_buffer) {
        // SAFETY: `internal` was set by `__getbuffer__` from a leaked box.
        unsafe {
            let p = (*view).internal as *mut BufferExport;
            if !p.is_null() {
                drop(Box::from_raw(p));
                (*view).internal = std::ptr::null_mut();
            }
        }
    }

    /// The elements as row-major bytes.
    fn __bytes__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.inner.to_bytes().py()?))
    }

    /// Converts to a NumPy array: a read-only view of the array's memory
    /// unless `dtype` or `copy=True` asks for a copy. bfloat16 becomes
    /// `ml_dtypes.bfloat16` when ml_dtypes is installed, else float32.
    #[pyo3(signature = (dtype = None, copy = None))]
    fn __array__(
        slf: &Bound<'_, Self>,
        dtype: Option<&Bound<'_, PyAny>>,
        copy: Option<bool>,
    ) -> PyResult<Py<PyAny>> {
        let py = slf.py();
        let np = py.import("numpy")?;
        let a = slf.borrow().inner.clone();
        let arr = if a.dtype() == Dtype::Bfloat16 {
            match py.import("ml_dtypes") {
                Ok(ml) => {
                    let bits =
                        Bound::new(py, PyArray::new(ops::view(&a, Dtype::Uint16, None).py()?))?;
                    let base = np.call_method1("asarray", (PyMemoryView::from(bits.as_any())?,))?;
                    base.call_method1("view", (ml.getattr("bfloat16")?,))?
                }
                Err(_) => {
                    if copy == Some(false) {
                        return Err(PyValueError::new_err(
                            "Unable to avoid a copy: bfloat16 converts to float32 without ml_dtypes",
                        ));
                    }
                    let f = Bound::new(
                        py,
                        PyArray::new(ops::astype(&a, Dtype::Float32, None).py()?),
                    )?;
                    np.call_method1("asarray", (PyMemoryView::from(f.as_any())?,))?
                }
            }
        } else {
            np.call_method1("asarray", (PyMemoryView::from(slf.as_any())?,))?
        };
        let arr = match dtype {
            Some(d) if !d.is_none() => {
                let kw = PyDict::new(py);
                kw.set_item("copy", copy.unwrap_or(false))?;
                arr.call_method("astype", (d,), Some(&kw))?
            }
            _ if copy == Some(true) => arr.call_method0("copy")?,
            _ => arr,
        };
        Ok(arr.unbind())
    }

    /// `copy.copy`: arrays are values, so the copy shares the node.
    fn __copy__(&self) -> PyArray {
        PyArray::new(self.inner.clone())
    }

    /// `copy.deepcopy`: as `__copy__` (nothing mutable is shared).
    #[pyo3(signature = (_memo = None))]
    fn __deepcopy__(&self, _memo: Option<&Bound<'_, PyAny>>) -> PyArray {
        PyArray::new(self.inner.clone())
    }

    /// The state pickled: (row-major bytes, shape, dtype name).
    fn __getstate__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let bytes = PyBytes::new(py, &self.inner.to_bytes().py()?);
        let shape = PyTuple::new(py, self.inner.shape())?;
        PyTuple::new(
            py,
            [
                bytes.into_any(),
                shape.into_any(),
                self.inner.dtype().name().into_bound_py_any(py)?,
            ],
        )
    }

    /// Restores `__getstate__`'s state (or MLX's `(ndarray, dtype index)`).
    fn __setstate__(&mut self, state: &Bound<'_, PyTuple>) -> PyResult<()> {
        let first = state.get_item(0)?;
        if let Ok(b) = first.cast::<PyBytes>() {
            let shape: Vec<i64> = state.get_item(1)?.extract()?;
            let name: String = state.get_item(2)?.extract()?;
            let dtype = Dtype::from_name(&name).ok_or_else(|| {
                PyValueError::new_err(format!("[array] Unknown dtype {name} in pickled state"))
            })?;
            self.inner = Array::from_bytes(b.as_bytes(), &shape, dtype).py()?;
            return Ok(());
        }
        let idx: usize = state.get_item(1)?.extract()?;
        let dtype = rmlx::dtype::ALL_DTYPES.get(idx).copied().ok_or_else(|| {
            PyValueError::new_err(format!(
                "[array] Unknown dtype index {idx} in pickled state"
            ))
        })?;
        self.inner = crate::convert::to_array(&first, Some(dtype))?;
        Ok(())
    }

    /// Pickles as `array(0)` restored by `__setstate__`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let state = slf.borrow().__getstate__(py)?;
        let args = PyTuple::new(py, [0])?;
        PyTuple::new(
            py,
            [slf.get_type().into_any(), args.into_any(), state.into_any()],
        )
    }

    /// The module implementing the array API: `rmlx.core`.
    #[pyo3(signature = (*, api_version = None))]
    fn __array_namespace__<'py>(
        &self,
        py: Python<'py>,
        api_version: Option<&Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyModule>> {
        let _ = api_version;
        py.import("rmlx.core")
    }

    /// The DLPack device: the CPU.
    fn __dlpack_device__(&self) -> (i32, i32) {
        (K_DL_CPU, 0)
    }

    /// A DLPack capsule sharing the array's memory (read-only when the
    /// consumer speaks DLPack 1.0; `copy=True` exports a private copy).
    #[pyo3(signature = (*, stream = None, max_version = None, dl_device = None, copy = None))]
    fn __dlpack__<'py>(
        &self,
        py: Python<'py>,
        stream: Option<&Bound<'py, PyAny>>,
        max_version: Option<(u32, u32)>,
        dl_device: Option<(i32, i32)>,
        copy: Option<bool>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let _ = stream;
        if let Some(dev) = dl_device {
            if dev.0 != K_DL_CPU {
                return Err(PyBufferError::new_err(format!(
                    "[__dlpack__] rmlx arrays live on the CPU; cannot export to DLPack device {dev:?}"
                )));
            }
        }
        let copied = copy == Some(true);
        let a = &self.inner;
        let (a, d) = if copied {
            let c = Array::from_bytes(&a.to_bytes().py()?, a.shape(), a.dtype()).py()?;
            let d = c.evaluated().py()?.clone();
            (c, d)
        } else {
            export_data(a, false)?
        };
        let versioned = max_version.is_some_and(|v| v.0 >= 1);
        dlpack_capsule(py, &a, d, versioned, copied)
    }
}

// ---------------------------------------------------------------------------
// DLPack

const K_DL_CPU: i32 = 1;
const K_DL_CUDA_HOST: i32 = 3;
const FLAG_READ_ONLY: u64 = 1;
const FLAG_IS_COPIED: u64 = 2;
const NAME: &CStr = c"dltensor";
const NAME_USED: &CStr = c"used_dltensor";
const NAME_V: &CStr = c"dltensor_versioned";
const NAME_V_USED: &CStr = c"used_dltensor_versioned";

#[repr(C)]
#[derive(Clone, Copy)]
struct DlDevice {
    device_type: i32,
    device_id: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
struct DlDataType {
    code: u8,
    bits: u8,
    lanes: u16,
}

#[repr(C)]
struct DlTensor {
    data: *mut c_void,
    device: DlDevice,
    ndim: i32,
    dtype: DlDataType,
    shape: *mut i64,
    strides: *mut i64,
    byte_offset: u64,
}

#[repr(C)]
struct DlManagedTensor {
    dl_tensor: DlTensor,
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DlManagedTensor)>,
}

#[repr(C)]
struct DlManagedTensorVersioned {
    version: (u32, u32),
    manager_ctx: *mut c_void,
    deleter: Option<unsafe extern "C" fn(*mut DlManagedTensorVersioned)>,
    flags: u64,
    dl_tensor: DlTensor,
}

/// The exported tensor and what keeps its memory alive. `T` comes first so
/// a pointer to it is a pointer to the holder.
#[repr(C)]
struct Holder<T> {
    managed: T,
    _data: Data,
    shape: Vec<i64>,
    strides: Vec<i64>,
}

unsafe extern "C" fn delete_legacy(p: *mut DlManagedTensor) {
    // SAFETY: `p` is the first field of a leaked `Holder`.
    unsafe { drop(Box::from_raw(p as *mut Holder<DlManagedTensor>)) }
}

unsafe extern "C" fn delete_versioned(p: *mut DlManagedTensorVersioned) {
    // SAFETY: as above.
    unsafe { drop(Box::from_raw(p as *mut Holder<DlManagedTensorVersioned>)) }
}

/// Frees a capsule's tensor unless a consumer took it (renamed it "used").
unsafe extern "C" fn capsule_destructor(cap: *mut ffi::PyObject) {
    // SAFETY: CPython calls this with the capsule being destroyed; the
    // pending exception, if any, is preserved around the calls.
    unsafe {
        let versioned = ffi::PyCapsule_IsValid(cap, NAME_V.as_ptr()) == 1;
        if !versioned && ffi::PyCapsule_IsValid(cap, NAME.as_ptr()) != 1 {
            return; // consumed
        }
        let (mut t, mut v, mut tb) = (
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            std::ptr::null_mut(),
        );
        #[allow(deprecated)]
        ffi::PyErr_Fetch(&mut t, &mut v, &mut tb);
        if versioned {
            let p =
                ffi::PyCapsule_GetPointer(cap, NAME_V.as_ptr()) as *mut DlManagedTensorVersioned;
            if let Some(del) = p.as_ref().and_then(|m| m.deleter) {
                del(p);
            }
        } else {
            let p = ffi::PyCapsule_GetPointer(cap, NAME.as_ptr()) as *mut DlManagedTensor;
            if let Some(del) = p.as_ref().and_then(|m| m.deleter) {
                del(p);
            }
        }
        #[allow(deprecated)]
        ffi::PyErr_Restore(t, v, tb);
    }
}

fn dl_dtype(d: Dtype) -> DlDataType {
    let (code, bits) = match d {
        Dtype::Bool => (6, 8),
        Dtype::Uint8 | Dtype::Uint16 | Dtype::Uint32 | Dtype::Uint64 => (1, d.size() * 8),
        Dtype::Int8 | Dtype::Int16 | Dtype::Int32 | Dtype::Int64 => (0, d.size() * 8),
        Dtype::Float16 | Dtype::Float32 | Dtype::Float64 => (2, d.size() * 8),
        Dtype::Bfloat16 => (4, 16),
        Dtype::Complex64 => (5, 64),
    };
    DlDataType {
        code,
        bits: bits as u8,
        lanes: 1,
    }
}

fn dlpack_capsule<'py>(
    py: Python<'py>,
    a: &Array,
    d: Data,
    versioned: bool,
    copied: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let shape: Vec<i64> = a.shape().to_vec();
    let strides: Vec<i64> = d.strides.to_vec();
    let tensor = |shape: &mut Vec<i64>, strides: &mut Vec<i64>| DlTensor {
        data: d.buf.as_ptr() as *mut c_void,
        device: DlDevice {
            device_type: K_DL_CPU,
            device_id: 0,
        },
        ndim: a.ndim() as i32,
        dtype: dl_dtype(a.dtype()),
        shape: shape.as_mut_ptr(),
        strides: strides.as_mut_ptr(),
        byte_offset: (d.offset * a.itemsize()) as u64,
    };
    let (ptr, name): (*mut c_void, &CStr) = if versioned {
        let mut h = Box::new(Holder {
            managed: DlManagedTensorVersioned {
                version: (1, 0),
                manager_ctx: std::ptr::null_mut(),
                deleter: Some(delete_versioned),
                flags: FLAG_READ_ONLY | if copied { FLAG_IS_COPIED } else { 0 },
                dl_tensor: DlTensor {
                    data: std::ptr::null_mut(),
                    device: DlDevice {
                        device_type: K_DL_CPU,
                        device_id: 0,
                    },
                    ndim: 0,
                    dtype: dl_dtype(a.dtype()),
                    shape: std::ptr::null_mut(),
                    strides: std::ptr::null_mut(),
                    byte_offset: 0,
                },
            },
            _data: d.clone(),
            shape,
            strides,
        });
        let hp: *mut Holder<DlManagedTensorVersioned> = &mut *h;
        h.managed.dl_tensor = tensor(&mut h.shape, &mut h.strides);
        h.managed.manager_ctx = hp as *mut c_void;
        (Box::into_raw(h) as *mut c_void, NAME_V)
    } else {
        let mut h = Box::new(Holder {
            managed: DlManagedTensor {
                dl_tensor: DlTensor {
                    data: std::ptr::null_mut(),
                    device: DlDevice {
                        device_type: K_DL_CPU,
                        device_id: 0,
                    },
                    ndim: 0,
                    dtype: dl_dtype(a.dtype()),
                    shape: std::ptr::null_mut(),
                    strides: std::ptr::null_mut(),
                    byte_offset: 0,
                },
                manager_ctx: std::ptr::null_mut(),
                deleter: Some(delete_legacy),
            },
            _data: d.clone(),
            shape,
            strides,
        });
        let hp: *mut Holder<DlManagedTensor> = &mut *h;
        h.managed.dl_tensor = tensor(&mut h.shape, &mut h.strides);
        h.managed.manager_ctx = hp as *mut c_void;
        (Box::into_raw(h) as *mut c_void, NAME)
    };
    // SAFETY: `ptr` is a leaked holder freed by the destructor (or by the
    // consumer through its deleter); `name` is a static C string.
    unsafe {
        let cap = ffi::PyCapsule_New(ptr, name.as_ptr(), Some(capsule_destructor));
        if cap.is_null() {
            if name == NAME_V {
                delete_versioned(ptr as *mut DlManagedTensorVersioned);
            } else {
                delete_legacy(ptr as *mut DlManagedTensor);
            }
            return Err(PyErr::fetch(py));
        }
        Ok(Bound::from_owned_ptr(py, cap))
    }
}

/// The rmlx dtype of a DLPack element type, with whether it is complex128
/// (narrowed to complex64, as `mx.array` does with NumPy data).
fn dtype_of_dl(t: DlDataType) -> PyResult<(Dtype, bool)> {
    let bad = || {
        PyTypeError::new_err(format!(
            "[from_dlpack] Unsupported DLPack dtype (code {}, bits {}, lanes {})",
            t.code, t.bits, t.lanes
        ))
    };
    if t.lanes != 1 {
        return Err(bad());
    }
    Ok(match (t.code, t.bits) {
        (6, 8) => (Dtype::Bool, false),
        (0, 8) => (Dtype::Int8, false),
        (0, 16) => (Dtype::Int16, false),
        (0, 32) => (Dtype::Int32, false),
        (0, 64) => (Dtype::Int64, false),
        (1, 8) => (Dtype::Uint8, false),
        (1, 16) => (Dtype::Uint16, false),
        (1, 32) => (Dtype::Uint32, false),
        (1, 64) => (Dtype::Uint64, false),
        (2, 16) => (Dtype::Float16, false),
        (2, 32) => (Dtype::Float32, false),
        (2, 64) => (Dtype::Float64, false),
        (4, 16) => (Dtype::Bfloat16, false),
        (5, 64) => (Dtype::Complex64, false),
        (5, 128) => (Dtype::Complex64, true),
        _ => return Err(bad()),
    })
}

/// Copies a DLTensor's elements (any strides) into a new array.
///
/// # Safety
/// `t` must describe valid memory, as the DLPack producer guarantees.
unsafe fn copy_tensor(t: &DlTensor) -> PyResult<Array> {
    let (dtype, c128) = dtype_of_dl(t.dtype)?;
    if t.ndim < 0 || (t.ndim > 0 && t.shape.is_null()) {
        return Err(PyValueError::new_err(
            "[from_dlpack] Invalid DLTensor shape",
        ));
    }
    let nd = t.ndim as usize;
    // SAFETY: the producer guarantees `ndim` entries in shape / strides.
    let shape: Vec<i64> = if nd == 0 {
        vec![]
    } else {
        unsafe { std::slice::from_raw_parts(t.shape, nd) }.to_vec()
    };
    let esize = t.dtype.bits as usize / 8;
    let strides: Vec<i64> = if t.strides.is_null() || nd == 0 {
        rmlx::array::row_strides(&shape).to_vec()
    } else {
        unsafe { std::slice::from_raw_parts(t.strides, nd) }.to_vec()
    };
    let n: usize = shape.iter().product::<i64>().max(0) as usize;
    let mut out = vec![0u8; n * esize];
    if n > 0 {
        // SAFETY: data + byte_offset addresses element (0, ..., 0).
        let base = unsafe { (t.data as *const u8).add(t.byte_offset as usize) };
        let mut idx = vec![0i64; nd];
        let mut k = 0usize;
        loop {
            let off: i64 = idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
            // SAFETY: `off` is an element of the producer's tensor.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    base.offset(off as isize * esize as isize),
                    out.as_mut_ptr().add(k * esize),
                    esize,
                )
            };
            k += 1;
            let mut ax = nd;
            loop {
                if ax == 0 {
                    break;
                }
                ax -= 1;
                idx[ax] += 1;
                if idx[ax] < shape[ax] {
                    break;
                }
                idx[ax] = 0;
            }
            if k == n {
                break;
            }
        }
    }
    if c128 {
        out = out
            .chunks_exact(8)
            .flat_map(|c| {
                (f64::from_le_bytes(c.try_into().unwrap_or_default()) as f32).to_le_bytes()
            })
            .collect();
    }
    if dtype == Dtype::Bool {
        for b in out.iter_mut() {
            *b = (*b != 0) as u8;
        }
    }
    Array::from_bytes(&out, &shape, dtype).py()
}

/// Imports any object with `__dlpack__` (a copy of its data). float64
/// becomes float32, as MLX's conversions of foreign data do.
pub fn from_dlpack_obj(x: &Bound<'_, PyAny>, copy: Option<bool>) -> PyResult<Array> {
    let py = x.py();
    if let Ok(a) = x.cast::<PyArray>() {
        return Ok(a.borrow().inner.clone());
    }
    if copy == Some(false) {
        return Err(PyValueError::new_err(
            "[from_dlpack] rmlx cannot share foreign memory: use copy=None or copy=True",
        ));
    }
    if x.hasattr("__dlpack_device__")? {
        let (dev, _): (i32, i32) = x.call_method0("__dlpack_device__")?.extract()?;
        if dev != K_DL_CPU && dev != K_DL_CUDA_HOST {
            return Err(PyValueError::new_err(format!(
                "[from_dlpack] Only CPU tensors can be imported (DLPack device type {dev})"
            )));
        }
    }
    let kw = PyDict::new(py);
    kw.set_item("max_version", (1, 0))?;
    let cap = match x.call_method("__dlpack__", (), Some(&kw)) {
        Ok(c) => c,
        Err(e) if e.is_instance_of::<PyTypeError>(py) => x.call_method0("__dlpack__")?,
        Err(e) => return Err(e),
    };
    let cap = cap
        .cast_into::<PyCapsule>()
        .map_err(|_| PyTypeError::new_err("[from_dlpack] __dlpack__ did not return a capsule"))?;
    let raw = cap.as_ptr();
    // SAFETY: the capsule's pointer is a DLManagedTensor(Versioned) per its
    // name; after copying, the capsule is marked used and the producer's
    // deleter called, as the DLPack protocol asks of consumers.
    let a = unsafe {
        if ffi::PyCapsule_IsValid(raw, NAME_V.as_ptr()) == 1 {
            let p =
                ffi::PyCapsule_GetPointer(raw, NAME_V.as_ptr()) as *mut DlManagedTensorVersioned;
            if (*p).version.0 != 1 {
                return Err(PyValueError::new_err(format!(
                    "[from_dlpack] Unsupported DLPack version {}.{}",
                    (*p).version.0,
                    (*p).version.1
                )));
            }
            let r = copy_tensor(&(*p).dl_tensor);
            ffi::PyCapsule_SetName(raw, NAME_V_USED.as_ptr());
            if let Some(del) = (*p).deleter {
                del(p);
            }
            r?
        } else if ffi::PyCapsule_IsValid(raw, NAME.as_ptr()) == 1 {
            let p = ffi::PyCapsule_GetPointer(raw, NAME.as_ptr()) as *mut DlManagedTensor;
            let r = copy_tensor(&(*p).dl_tensor);
            ffi::PyCapsule_SetName(raw, NAME_USED.as_ptr());
            if let Some(del) = (*p).deleter {
                del(p);
            }
            r?
        } else {
            return Err(PyValueError::new_err(
                "[from_dlpack] Expected a 'dltensor' capsule (it may have been consumed already)",
            ));
        }
    };
    if a.dtype() == Dtype::Float64 {
        return ops::astype(&a, Dtype::Float32, None).py();
    }
    Ok(a)
}

/// `mx.from_dlpack(x, /, *, copy=None)`.
#[pyfunction]
#[pyo3(signature = (x, /, *, copy = None))]
fn from_dlpack(x: &Bound<'_, PyAny>, copy: Option<bool>) -> PyResult<PyArray> {
    Ok(PyArray::new(from_dlpack_obj(x, copy)?))
}

/// Adds `from_dlpack` to the module.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(from_dlpack, m)?)?;
    Ok(())
}
