//! The array: a cheap handle to a graph node. A node knows its shape, dtype
//! and stream, and either its data (a strided view of a buffer) or the
//! operation that computes it (primitive, inputs, sibling outputs).

use std::fmt;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use crate::device::Stream;
use crate::dtype::Dtype;
use crate::element::{read_scalar, Element, Scalar};
use crate::error::{Error, Result};
use crate::memory::Buffer;
use crate::primitives::Primitive;

/// Array extents: 64-bit, as MLX's `Shape` of int64 would be.
pub type Shape = Vec<i64>;

/// Computed contents of an array: a strided view into a shared buffer.
/// Offsets and strides count elements, not bytes.
#[derive(Clone)]
pub struct Data {
    /// The buffer (shared by views of the same data).
    pub buf: Arc<Buffer>,
    /// Element offset of index (0, 0, ...).
    pub offset: usize,
    /// Element strides per axis (0 for broadcast axes; may be negative).
    pub strides: Box<[i64]>,
}

impl Data {
    /// A fresh row-contiguous buffer for `shape` of `dtype` (uninitialised).
    pub fn alloc(shape: &[i64], dtype: Dtype) -> Result<Data> {
        let n = shape_size(shape);
        Ok(Data {
            buf: Arc::new(Buffer::new(n * dtype.size())?),
            offset: 0,
            strides: row_strides(shape),
        })
    }

    /// Pointer to the element at the view's origin.
    pub fn ptr<T>(&self) -> *mut T {
        // SAFETY: offset is within the buffer by construction of views.
        unsafe { (self.buf.as_ptr() as *mut T).add(self.offset) }
    }

    /// Byte pointer to the view's origin for elements of `dtype`.
    pub fn byte_ptr(&self, dtype: Dtype) -> *mut u8 {
        // SAFETY: as above.
        unsafe { self.buf.as_ptr().add(self.offset * dtype.size()) }
    }

    /// Whether the view is dense in row-major order for `shape`.
    pub fn is_row_contiguous(&self, shape: &[i64]) -> bool {
        let mut expect = 1i64;
        for (&d, &s) in shape.iter().zip(self.strides.iter()).rev() {
            if d != 1 && s != expect {
                return false;
            }
            expect *= d;
        }
        true
    }
}

/// Row-major (C order) strides of a shape.
pub fn row_strides(shape: &[i64]) -> Box<[i64]> {
    let mut s = vec![0i64; shape.len()].into_boxed_slice();
    let mut acc = 1i64;
    for i in (0..shape.len()).rev() {
        s[i] = acc;
        acc *= shape[i].max(1);
    }
    s
}

/// Number of elements of a shape.
pub fn shape_size(shape: &[i64]) -> usize {
    shape.iter().product::<i64>() as usize
}

/// A recorded operation: one primitive applied to inputs, producing one or
/// more outputs (the siblings).
pub struct Op {
    /// What computes the outputs.
    pub prim: Arc<dyn Primitive>,
    /// The operands.
    pub inputs: Vec<Array>,
    /// Every output of the op in order, for multi-output primitives (empty
    /// for single-output ones). Weak: outputs own the op, not the reverse.
    pub siblings: Vec<Weak<Node>>,
    /// Shape and dtype of each output, for multi-output primitives.
    pub outputs: Vec<(Shape, Dtype)>,
}

/// A graph node. Shape, dtype and stream are fixed at creation.
pub struct Node {
    shape: Box<[i64]>,
    dtype: Dtype,
    stream: Stream,
    data: OnceLock<Data>,
    pub(crate) op: Mutex<Option<(Arc<Op>, usize)>>,
    /// Set while the node is part of a transformation's trace: evaluation
    /// then keeps its op so the transformation can still walk the graph.
    pub(crate) keep_graph: std::sync::atomic::AtomicBool,
    pub(crate) visit: std::sync::atomic::AtomicU64,
}

/// A lazy n-dimensional array. Cloning is cheap (a reference count).
#[derive(Clone)]
pub struct Array(pub(crate) Arc<Node>);

impl Array {
    /// An array that is already computed.
    pub fn from_data(shape: &[i64], dtype: Dtype, data: Data, stream: Stream) -> Array {
        let node = Node {
            shape: shape.into(),
            dtype,
            stream,
            data: OnceLock::from(data),
            op: Mutex::new(None),
            keep_graph: Default::default(),
            visit: Default::default(),
        };
        Array(Arc::new(node))
    }

    /// A node computed by `prim` from `inputs` (not evaluated).
    pub fn from_op(
        shape: Shape,
        dtype: Dtype,
        stream: Stream,
        prim: Arc<dyn Primitive>,
        inputs: Vec<Array>,
    ) -> Array {
        let op = Arc::new(Op {
            prim,
            inputs,
            siblings: Vec::new(),
            outputs: Vec::new(),
        });
        let node = Node {
            shape: shape.into_boxed_slice(),
            dtype,
            stream,
            data: OnceLock::new(),
            op: Mutex::new(Some((op, 0))),
            keep_graph: crate::transforms::tracing().into(),
            visit: Default::default(),
        };
        Array(Arc::new(node))
    }

    /// The outputs of a multi-output primitive (not evaluated).
    pub fn from_multi_op(
        outputs: Vec<(Shape, Dtype)>,
        stream: Stream,
        prim: Arc<dyn Primitive>,
        inputs: Vec<Array>,
    ) -> Vec<Array> {
        let n = outputs.len();
        let mut arcs: Vec<Arc<Node>> = Vec::with_capacity(n);
        // Nodes first, then the op that refers to them weakly.
        for (shape, dtype) in &outputs {
            arcs.push(Arc::new(Node {
                shape: shape.clone().into_boxed_slice(),
                dtype: *dtype,
                stream,
                data: OnceLock::new(),
                op: Mutex::new(None),
                keep_graph: crate::transforms::tracing().into(),
                visit: Default::default(),
            }));
        }
        let siblings = arcs.iter().map(Arc::downgrade).collect();
        let op = Arc::new(Op {
            prim,
            inputs,
            siblings,
            outputs,
        });
        for (i, a) in arcs.iter().enumerate() {
            *a.op.lock().unwrap_or_else(|e| e.into_inner()) = Some((op.clone(), i));
        }
        arcs.into_iter().map(Array).collect()
    }

    /// A 0-d array holding one value.
    pub fn scalar<T: Element>(v: T) -> Array {
        Array::from_slice(&[v], &[]).expect("one-element buffer")
    }

    /// A 0-d array of `dtype` holding `v` converted with `static_cast` semantics.
    pub fn from_scalar(v: Scalar, dtype: Dtype) -> Result<Array> {
        let data = Data::alloc(&[], dtype)?;
        // SAFETY: one element allocated.
        unsafe { crate::element::write_scalar(data.byte_ptr(dtype), dtype, 0, v) };
        Ok(Array::from_data(
            &[],
            dtype,
            data,
            crate::device::current_stream(),
        ))
    }

    /// An array holding a copy of `values` with `shape`.
    pub fn from_slice<T: Element>(values: &[T], shape: &[i64]) -> Result<Array> {
        if let Some(&d) = shape.iter().find(|&&d| d < 0) {
            bail_value!("[array] Negative dimension {d} in shape {shape:?}.");
        }
        if shape_size(shape) != values.len() {
            bail_value!(
                "[array] Shape {shape:?} needs {} elements but {} were given.",
                shape_size(shape),
                values.len()
            );
        }
        let data = Data::alloc(shape, T::DTYPE)?;
        // SAFETY: the buffer holds values.len() elements of T.
        unsafe { std::ptr::copy_nonoverlapping(values.as_ptr(), data.ptr::<T>(), values.len()) };
        Ok(Array::from_data(
            shape,
            T::DTYPE,
            data,
            crate::device::current_stream(),
        ))
    }

    /// An array from raw bytes in row-major order.
    pub fn from_bytes(bytes: &[u8], shape: &[i64], dtype: Dtype) -> Result<Array> {
        if shape_size(shape) * dtype.size() != bytes.len() {
            bail_value!(
                "[array] {} bytes do not fill shape {shape:?} of {dtype}.",
                bytes.len()
            );
        }
        let data = Data::alloc(shape, dtype)?;
        // SAFETY: sizes checked above.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), data.byte_ptr(dtype), bytes.len()) };
        Ok(Array::from_data(
            shape,
            dtype,
            data,
            crate::device::current_stream(),
        ))
    }

    /// The shape.
    pub fn shape(&self) -> &[i64] {
        &self.0.shape
    }
    /// Extent of axis `ax` (negative counts from the end); panics if out of range.
    pub fn dim(&self, ax: isize) -> i64 {
        let n = self.ndim() as isize;
        self.0.shape[if ax < 0 {
            (ax + n) as usize
        } else {
            ax as usize
        }]
    }
    /// The dtype.
    pub fn dtype(&self) -> Dtype {
        self.0.dtype
    }
    /// The stream this array is computed on.
    pub fn stream(&self) -> Stream {
        self.0.stream
    }
    /// Number of axes.
    pub fn ndim(&self) -> usize {
        self.0.shape.len()
    }
    /// Number of elements.
    pub fn size(&self) -> usize {
        shape_size(&self.0.shape)
    }
    /// Bytes of one element.
    pub fn itemsize(&self) -> usize {
        self.0.dtype.size()
    }
    /// Bytes of all elements.
    pub fn nbytes(&self) -> usize {
        self.size() * self.itemsize()
    }

    /// Whether the data has been computed.
    pub fn is_available(&self) -> bool {
        self.0.data.get().is_some()
    }

    /// The computed data. Panics if not evaluated; kernels receive evaluated
    /// inputs only.
    pub fn data(&self) -> &Data {
        self.0
            .data
            .get()
            .expect("rmlx internal error: array read before evaluation")
    }

    /// The data, evaluating first if needed.
    pub fn evaluated(&self) -> Result<&Data> {
        if !self.is_available() {
            crate::eval::eval(std::slice::from_ref(self))?;
        }
        Ok(self.data())
    }

    pub(crate) fn set_data(&self, d: Data) {
        let _ = self.0.data.set(d);
    }

    /// The op that computes this array and this array's output index in it,
    /// if it has one (not yet evaluated, or kept for a transformation).
    pub fn op(&self) -> Option<(Arc<Op>, usize)> {
        self.0.op.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The primitive's name, if the array has an op.
    pub fn primitive_name(&self) -> Option<String> {
        self.op().map(|(op, _)| op.prim.name().to_string())
    }

    /// The op's inputs (empty for a leaf).
    pub fn inputs(&self) -> Vec<Array> {
        self.op()
            .map(|(op, _)| op.inputs.clone())
            .unwrap_or_default()
    }

    /// Identity of the node (equal for clones of the same array).
    pub fn id(&self) -> usize {
        Arc::as_ptr(&self.0) as usize
    }

    /// Evaluates this array.
    pub fn eval(&self) -> Result<()> {
        crate::eval::eval(std::slice::from_ref(self))
    }

    /// The element at flat row-major index `i` as a [`Scalar`] (evaluates).
    pub fn scalar_at(&self, i: usize) -> Result<Scalar> {
        let d = self.evaluated()?;
        let shape = self.shape();
        if i >= self.size() {
            return Err(Error::index(format!(
                "[item] index {i} out of range for size {}",
                self.size()
            )));
        }
        let mut off = 0i64;
        let mut rem = i as i64;
        for ax in (0..shape.len()).rev() {
            let ext = shape[ax];
            off += (rem % ext) * d.strides[ax];
            rem /= ext;
        }
        // SAFETY: off is a valid element offset of the view.
        Ok(unsafe {
            read_scalar(
                d.byte_ptr(self.dtype())
                    .offset(off as isize * self.itemsize() as isize),
                self.dtype(),
                0,
            )
        })
    }

    /// The single element of a one-element array (MLX `item`).
    pub fn item_scalar(&self) -> Result<Scalar> {
        if self.size() != 1 {
            bail_value!(
                "[item] item can only be called on arrays of size 1 (got shape {:?}).",
                self.shape()
            );
        }
        self.scalar_at(0)
    }

    /// The single element as `T` (must be this array's element type).
    pub fn item<T: Element>(&self) -> Result<T> {
        Ok(T::from_scalar(self.item_scalar()?))
    }

    /// All elements in row-major order, as `T` (which must match the dtype).
    pub fn to_vec<T: Element>(&self) -> Result<Vec<T>> {
        if T::DTYPE != self.dtype() {
            bail_type!(
                "[to_vec] array has dtype {} but {} was requested.",
                self.dtype(),
                T::DTYPE
            );
        }
        let n = self.size();
        if n == 0 {
            // An empty byte vector's pointer need not be aligned for T.
            return Ok(Vec::new());
        }
        let bytes = self.to_bytes()?;
        let mut out = Vec::<T>::with_capacity(n);
        // SAFETY: bytes holds n elements of T in row-major order.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr() as *const T, out.as_mut_ptr(), n);
            out.set_len(n);
        }
        Ok(out)
    }

    /// The elements as row-major bytes (evaluates; copies strided views).
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        let d = self.evaluated()?.clone();
        let mut out = vec![0u8; self.nbytes()];
        crate::backend::cpu::copy::copy_to_contiguous(
            &d,
            self.shape(),
            self.itemsize(),
            out.as_mut_ptr(),
        );
        Ok(out)
    }
}

impl fmt::Debug for Array {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Array(shape={:?}, dtype={})", self.shape(), self.dtype())
    }
}

impl Drop for Node {
    /// Drops the graph behind this node iteratively: a chain of a million
    /// pending nodes must not overflow the stack.
    fn drop(&mut self) {
        let Some((op, _)) = self.op.get_mut().unwrap_or_else(|e| e.into_inner()).take() else {
            return;
        };
        let mut stack: Vec<Array> = Vec::new();
        if let Ok(op) = Arc::try_unwrap(op) {
            stack.extend(op.inputs);
        }
        while let Some(a) = stack.pop() {
            if let Ok(mut node) = Arc::try_unwrap(a.0) {
                if let Some((op, _)) = node.op.get_mut().unwrap_or_else(|e| e.into_inner()).take() {
                    if let Ok(op) = Arc::try_unwrap(op) {
                        stack.extend(op.inputs);
                    }
                }
            }
        }
    }
}
