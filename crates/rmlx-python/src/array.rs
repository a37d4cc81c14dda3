//! The Python `array` class: construction, properties, implicit evaluation
//! (`item`, `tolist`, `repr`, `bool`, `len`, iteration), the arithmetic
//! operators and basic indexing. Op-family methods (`sum`, `reshape`, ...)
//! are added beside their ops in other files; NumPy, DLPack and pickle
//! exchange is in interop.rs.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyComplex, PyList, PyTuple};
use pyo3::IntoPyObjectExt;
use rmlx::primitives::binary::BinaryOp;
use rmlx::print::{format_repr, PrintValue};
use rmlx::{ops, Array, Dtype, Scalar};

use crate::convert::{binary_operands, dtype_arg, stream_arg, to_array};
use crate::dtype::PyDtype;
use crate::errors::PyResultExt;

/// An n-dimensional lazy array (`rmlx.core.array`).
#[pyclass(name = "array", module = "rmlx.core", weakref)]
pub struct PyArray {
    /// The engine array.
    pub inner: Array,
}

impl PyArray {
    /// Wraps an engine array.
    pub fn new(inner: Array) -> Self {
        PyArray { inner }
    }
}

/// Converts a scalar to the matching Python object.
pub fn scalar_to_py(py: Python<'_>, s: Scalar) -> PyResult<Py<PyAny>> {
    match s {
        Scalar::Bool(b) => b.into_py_any(py),
        Scalar::Int(i) => i.into_py_any(py),
        Scalar::UInt(u) => u.into_py_any(py),
        Scalar::Float(f) => f.into_py_any(py),
        Scalar::Complex(c) => Ok(PyComplex::from_doubles(py, c.re as f64, c.im as f64)
            .into_any()
            .unbind()),
    }
}

fn print_value(s: Scalar) -> PrintValue {
    match s {
        Scalar::Bool(b) => PrintValue::Bool(b),
        Scalar::Int(i) => PrintValue::Int(i),
        Scalar::UInt(u) => PrintValue::UInt(u),
        Scalar::Float(f) => PrintValue::Float(f),
        Scalar::Complex(c) => PrintValue::Complex(c.re as f64, c.im as f64),
    }
}

/// Text of `repr(a)` (evaluates).
pub fn repr_of(a: &Array) -> PyResult<String> {
    a.eval().py()?;
    let get = |i: usize| print_value(a.scalar_at(i).unwrap_or(Scalar::Float(f64::NAN)));
    Ok(format_repr(a.shape(), a.dtype(), &get))
}

fn build_list(
    py: Python<'_>,
    bytes: &[u8],
    shape: &[i64],
    dtype: Dtype,
    start: &mut usize,
) -> PyResult<Py<PyAny>> {
    if shape.is_empty() {
        // SAFETY: `start` indexes an element of the row-major bytes.
        let s = unsafe { rmlx::element::read_scalar(bytes.as_ptr(), dtype, *start) };
        *start += 1;
        return scalar_to_py(py, s);
    }
    let mut items = Vec::with_capacity(shape[0] as usize);
    for _ in 0..shape[0] {
        items.push(build_list(py, bytes, &shape[1..], dtype, start)?);
    }
    Ok(PyList::new(py, items)?.into_any().unbind())
}

fn binop(
    py: Python<'_>,
    op: BinaryOp,
    a: &Bound<'_, PyAny>,
    b: &Bound<'_, PyAny>,
) -> PyResult<Py<PyAny>> {
    let (x, y) = match binary_operands(a, b) {
        Ok(v) => v,
        Err(e) if e.is_instance_of::<PyValueError>(py) && !is_arraylike(a) || !is_arraylike(b) => {
            let _ = e;
            return Ok(py.NotImplemented());
        }
        Err(e) => return Err(e),
    };
    let out = ops::binary_op(op, &x, &y, None).py()?;
    PyArray::new(out).into_py_any(py)
}

fn is_arraylike(o: &Bound<'_, PyAny>) -> bool {
    o.cast::<PyArray>().is_ok()
        || o.is_instance_of::<pyo3::types::PyInt>()
        || o.is_instance_of::<pyo3::types::PyFloat>()
        || o.is_instance_of::<PyComplex>()
        || o.is_instance_of::<PyList>()
        || o.is_instance_of::<PyTuple>()
        || o.hasattr("__array_interface__").unwrap_or(false)
}

macro_rules! operators {
    ($($fwd:ident, $rev:ident, $inplace:ident => $op:ident;)*) => {
        #[pymethods]
        impl PyArray {
            $(
                fn $fwd(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    binop(slf.py(), BinaryOp::$op, slf.as_any(), other)
                }
                fn $rev(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
                    binop(slf.py(), BinaryOp::$op, other, slf.as_any())
                }
                fn $inplace(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
                    let (x, y) = binary_operands(slf.as_any(), other)?;
                    let out = ops::binary_op(BinaryOp::$op, &x, &y, None).py()?;
                    slf.borrow_mut().inner = out;
                    Ok(())
                }
            )*
        }
    };
}

operators! {
    __add__, __radd__, __iadd__ => Add;
    __sub__, __rsub__, __isub__ => Subtract;
    __mul__, __rmul__, __imul__ => Multiply;
    __truediv__, __rtruediv__, __itruediv__ => Divide;
    __floordiv__, __rfloordiv__, __ifloordiv__ => FloorDivide;
    __mod__, __rmod__, __imod__ => Remainder;
    __and__, __rand__, __iand__ => BitwiseAnd;
    __or__, __ror__, __ior__ => BitwiseOr;
    __xor__, __rxor__, __ixor__ => BitwiseXor;
    __lshift__, __rlshift__, __ilshift__ => LeftShift;
    __rshift__, __rrshift__, __irshift__ => RightShift;
}

#[pymethods]
impl PyArray {
    #[new]
    #[pyo3(signature = (val, dtype = None))]
    fn py_new(val: &Bound<'_, PyAny>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Self> {
        Ok(PyArray::new(to_array(val, dtype_arg(dtype)?)?))
    }

    /// The shape as a tuple.
    #[getter]
    fn shape<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.inner.shape())
    }
    /// The element type.
    #[getter]
    fn dtype(&self) -> PyDtype {
        PyDtype(self.inner.dtype())
    }
    /// Number of axes.
    #[getter]
    fn ndim(&self) -> usize {
        self.inner.ndim()
    }
    /// Number of elements.
    #[getter]
    fn size(&self) -> usize {
        self.inner.size()
    }
    /// Bytes of all elements.
    #[getter]
    fn nbytes(&self) -> usize {
        self.inner.nbytes()
    }
    /// Bytes per element.
    #[getter]
    fn itemsize(&self) -> usize {
        self.inner.itemsize()
    }

    /// The single element as a Python scalar (evaluates).
    fn item(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let s = self.inner.item_scalar().py()?;
        scalar_to_py(py, s)
    }

    /// Nested lists of Python scalars (evaluates).
    fn tolist(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let bytes = self.inner.to_bytes().py()?;
        let mut i = 0;
        build_list(py, &bytes, self.inner.shape(), self.inner.dtype(), &mut i)
    }

    fn __repr__(&self) -> PyResult<String> {
        repr_of(&self.inner)
    }
    fn __str__(&self) -> PyResult<String> {
        repr_of(&self.inner)
    }

    fn __len__(&self) -> PyResult<usize> {
        if self.inner.ndim() == 0 {
            return Err(PyTypeError::new_err("len() 0-dimensional array."));
        }
        Ok(self.inner.shape()[0] as usize)
    }

    fn __bool__(&self) -> PyResult<bool> {
        if self.inner.size() != 1 {
            return Err(PyValueError::new_err(
                "The truth value of an array with more than one element is ambiguous.",
            ));
        }
        Ok(self.inner.item_scalar().py()?.as_bool())
    }

    fn __int__(&self) -> PyResult<i64> {
        Ok(self.inner.item_scalar().py()?.as_i64())
    }
    fn __float__(&self) -> PyResult<f64> {
        Ok(self.inner.item_scalar().py()?.as_f64())
    }
    fn __index__(&self) -> PyResult<i64> {
        if !self.inner.dtype().is_integer() {
            return Err(PyTypeError::new_err(
                "Only integer arrays can be used as an index.",
            ));
        }
        self.__int__()
    }

    fn __iter__(&self) -> PyResult<PyArrayIterator> {
        if self.inner.ndim() == 0 {
            return Err(PyTypeError::new_err("iter() 0-dimensional array."));
        }
        Ok(PyArrayIterator {
            array: self.inner.clone(),
            next: std::sync::atomic::AtomicI64::new(0),
        })
    }

    fn __hash__(&self) -> usize {
        self.inner.id()
    }

    /// Converts to `dtype`.
    #[pyo3(signature = (dtype, stream = None))]
    fn astype(
        &self,
        dtype: &Bound<'_, PyAny>,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        let d =
            dtype_arg(Some(dtype))?.ok_or_else(|| PyTypeError::new_err("astype needs a dtype"))?;
        Ok(PyArray::new(
            ops::astype(&self.inner, d, stream_arg(stream)?).py()?,
        ))
    }

    /// Reinterprets the bytes as `dtype`.
    #[pyo3(signature = (dtype, stream = None))]
    fn view(
        &self,
        dtype: &Bound<'_, PyAny>,
        stream: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PyArray> {
        let d =
            dtype_arg(Some(dtype))?.ok_or_else(|| PyTypeError::new_err("view needs a dtype"))?;
        Ok(PyArray::new(
            ops::view(&self.inner, d, stream_arg(stream)?).py()?,
        ))
    }

    fn __eq__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if other.is_none() {
            return false.into_py_any(slf.py());
        }
        binop(slf.py(), BinaryOp::Equal, slf.as_any(), other)
    }
    fn __ne__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        if other.is_none() {
            return true.into_py_any(slf.py());
        }
        binop(slf.py(), BinaryOp::NotEqual, slf.as_any(), other)
    }
    fn __lt__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(slf.py(), BinaryOp::Less, slf.as_any(), other)
    }
    fn __le__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(slf.py(), BinaryOp::LessEqual, slf.as_any(), other)
    }
    fn __gt__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(slf.py(), BinaryOp::Greater, slf.as_any(), other)
    }
    fn __ge__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        binop(slf.py(), BinaryOp::GreaterEqual, slf.as_any(), other)
    }

    fn __matmul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyArray> {
        Ok(PyArray::new(crate::ops_products::matmul_operator(
            slf.as_any(),
            other,
        )?))
    }
    fn __rmatmul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<PyArray> {
        Ok(PyArray::new(crate::ops_products::rmatmul_operator(
            slf.as_any(),
            other,
        )?))
    }
    fn __imatmul__(slf: &Bound<'_, Self>, other: &Bound<'_, PyAny>) -> PyResult<()> {
        let out = crate::ops_products::matmul_operator(slf.as_any(), other)?;
        slf.borrow_mut().inner = out;
        Ok(())
    }

    fn __pow__(
        slf: &Bound<'_, Self>,
        other: &Bound<'_, PyAny>,
        _modulo: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        binop(slf.py(), BinaryOp::Power, slf.as_any(), other)
    }
    fn __rpow__(
        slf: &Bound<'_, Self>,
        other: &Bound<'_, PyAny>,
        _modulo: &Bound<'_, PyAny>,
    ) -> PyResult<Py<PyAny>> {
        binop(slf.py(), BinaryOp::Power, other, slf.as_any())
    }
    fn __ipow__(
        slf: &Bound<'_, Self>,
        other: &Bound<'_, PyAny>,
        _modulo: &Bound<'_, PyAny>,
    ) -> PyResult<()> {
        let (x, y) = binary_operands(slf.as_any(), other)?;
        slf.borrow_mut().inner = ops::binary_op(BinaryOp::Power, &x, &y, None).py()?;
        Ok(())
    }

    fn __getitem__(&self, idx: &Bound<'_, PyAny>) -> PyResult<PyArray> {
        Ok(PyArray::new(crate::index::get_item(&self.inner, idx)?))
    }

    /// `a[idx] = v`: rebinds `a` to the updated value (other references
    /// to the old value are unchanged).
    fn __setitem__(&mut self, idx: &Bound<'_, PyAny>, v: &Bound<'_, PyAny>) -> PyResult<()> {
        let v = crate::convert::operand_array(v, Some(self.inner.dtype()))?;
        self.inner =
            crate::index_set::set_item(&self.inner, idx, &v, crate::index_set::UpdateOp::Set)?;
        Ok(())
    }

    /// Indexed updates that accumulate duplicates: `a.at[idx].add(v)`.
    #[getter]
    fn at(&self) -> crate::ops_indexing::PyArrayAt {
        crate::ops_indexing::PyArrayAt::new(self.inner.clone())
    }
}

/// The iterator over an array's first axis (`iter(array)`): each step
/// builds the lazy slice `a[i]`.
#[pyclass(name = "ArrayIterator", module = "rmlx.core", frozen)]
pub struct PyArrayIterator {
    array: Array,
    next: std::sync::atomic::AtomicI64,
}

#[pymethods]
impl PyArrayIterator {
    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }
    fn __next__(&self) -> PyResult<Option<PyArray>> {
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if i >= self.array.shape()[0] {
            return Ok(None);
        }
        Ok(Some(PyArray::new(
            crate::index::take_index(&self.array, i).py()?,
        )))
    }
}
