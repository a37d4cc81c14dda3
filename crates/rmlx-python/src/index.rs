//! `__getitem__`: NumPy indexing on lazy arrays. Ints, slices (any step;
//! an `mx.array` scalar is accepted as a bound), None, Ellipsis, integer
//! arrays (`mx.array`, NumPy arrays, lists) and boolean masks, mixed with
//! NumPy's rules: advanced indices (arrays, and ints next to them)
//! broadcast together, and their dimensions replace the indexed axes when
//! the advanced indices are adjacent, or go first when a slice, None or
//! Ellipsis separates them.
//!
//! An index becomes an [`IndexPlan`]: a strided window of the array
//! (slices and ints), reshaped to insert the new axes, then one gather
//! over the advanced axes. `__setitem__` and `.at[]` (`index_set.rs`)
//! reuse the plan. Integer indices known on the host are bounds-checked
//! at once (IndexError); array indices are checked by the kernel at
//! evaluation. Boolean masks evaluate to learn how many elements they
//! select.

use pyo3::exceptions::{PyIndexError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyEllipsis, PyList, PyNone, PySlice, PyTuple};
use rmlx::{ops, Array, Dtype};

use crate::array::PyArray;
use crate::errors::PyResultExt;

/// `a[i]` for an integer `i` along axis 0 (no bounds check; the caller
/// iterates in range).
pub fn take_index(a: &Array, i: i64) -> rmlx::Result<Array> {
    let mut start = vec![0i64; a.ndim()];
    let step = vec![1i64; a.ndim()];
    let mut count = a.shape().to_vec();
    start[0] = i;
    count[0] = 1;
    let s = ops::slice_strided(a, &start, &step, &count, None)?;
    ops::reshape(&s, &a.shape()[1..], None)
}

/// Raised for an out-of-range integer index.
pub fn index_error(i: i64, axis: usize, size: i64) -> PyErr {
    PyIndexError::new_err(format!(
        "index {i} is out of bounds for axis {axis} with size {size}"
    ))
}

/// One item of an index tuple.
pub enum Item {
    /// An integer.
    Int(i64),
    /// `start:stop:step`.
    Slice(Option<i64>, Option<i64>, Option<i64>),
    /// `None`.
    NewAxis,
    /// `...`
    Ellipsis,
    /// An integer index array; `host` when its values came from Python or
    /// NumPy (checked at once).
    Array { a: Array, host: bool },
    /// A boolean mask of one or more axes.
    Mask(Array),
    /// `True` / `False` (a new axis indexed by `[0]` or `[]`).
    Bool(bool),
}

fn type_name(o: &Bound<'_, PyAny>) -> String {
    o.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_default()
}

/// An array index item from an array object (dtype decides int or mask).
fn array_item(a: Array, host: bool) -> PyResult<Item> {
    if a.dtype() == Dtype::Bool {
        if a.ndim() == 0 {
            return Ok(Item::Bool(a.item_scalar().py()?.as_bool()));
        }
        return Ok(Item::Mask(a));
    }
    if !a.dtype().is_integer() {
        return Err(PyIndexError::new_err(format!(
            "arrays used as indices must be of integer (or boolean) type, got {}",
            a.dtype()
        )));
    }
    Ok(Item::Array { a, host })
}

fn slice_bound(v: Bound<'_, PyAny>) -> PyResult<Option<i64>> {
    if v.is_none() {
        return Ok(None);
    }
    match v.call_method0("__index__").and_then(|i| i.extract::<i64>()) {
        Ok(i) => Ok(Some(i)),
        Err(_) => Err(PyTypeError::new_err(format!(
            "slice indices must be integers, None or integer arrays of size 1, got {}",
            type_name(&v)
        ))),
    }
}

fn parse_item(it: &Bound<'_, PyAny>) -> PyResult<Item> {
    if it.is_instance_of::<PyNone>() {
        return Ok(Item::NewAxis);
    }
    if it.is_instance_of::<PyEllipsis>() {
        return Ok(Item::Ellipsis);
    }
    if let Ok(s) = it.cast::<PySlice>() {
        return Ok(Item::Slice(
            slice_bound(s.getattr("start")?)?,
            slice_bound(s.getattr("stop")?)?,
            slice_bound(s.getattr("step")?)?,
        ));
    }
    if it.is_instance_of::<PyBool>() {
        return Ok(Item::Bool(it.extract::<bool>()?));
    }
    if let Ok(a) = it.cast::<PyArray>() {
        return array_item(a.borrow().inner.clone(), false);
    }
    if it.is_instance_of::<PyList>() || it.is_instance_of::<PyTuple>() {
        if it.len()? == 0 {
            let a = Array::from_slice::<i32>(&[], &[0]).py()?;
            return Ok(Item::Array { a, host: true });
        }
        return array_item(crate::convert::to_array(it, None)?, true);
    }
    let numpy_like = it.hasattr("__array_interface__")? || it.hasattr("__array__")?;
    if numpy_like {
        // NumPy bool scalars and 0-d arrays come through here too.
        let a = crate::convert::to_array(it, None)?;
        if a.ndim() == 0 && a.dtype().is_integer() {
            return Ok(Item::Int(a.item_scalar().py()?.as_i64()));
        }
        return array_item(a, true);
    }
    if let Ok(i) = it
        .call_method0("__index__")
        .and_then(|v| v.extract::<i64>())
    {
        return Ok(Item::Int(i));
    }
    Err(PyIndexError::new_err(format!(
        "only integers, slices (`:`), ellipsis (`...`), None (`newaxis`) and integer or boolean arrays are valid indices, got {}",
        type_name(it)
    )))
}

/// Splits an index object into items.
pub fn parse_index(idx: &Bound<'_, PyAny>) -> PyResult<Vec<Item>> {
    if let Ok(t) = idx.cast::<PyTuple>() {
        return t.iter().map(|it| parse_item(&it)).collect();
    }
    Ok(vec![parse_item(idx)?])
}

/// Number of elements and normalised start of `start:stop:step` on `n`.
pub fn slice_bounds(
    n: i64,
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> PyResult<(i64, i64, i64)> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(PyValueError::new_err("slice step cannot be zero"));
    }
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let norm = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(v) if v < 0 => clamp(v.saturating_add(n), lo, hi),
        Some(v) => clamp(v, lo, hi),
    };
    let s = norm(start, if step > 0 { 0 } else { n - 1 });
    let e = norm(stop, if step > 0 { n } else { -1 });
    let count = if step > 0 {
        (e - s + step - 1) / step
    } else {
        (s - e + (-step) - 1) / (-step)
    };
    Ok((s, count.max(0), step))
}

/// The integer arrays selecting the true elements of `mask` (one per mask
/// axis), after checking the mask against the axes it indexes.
fn mask_indices(mask: &Array, shape: &[i64], first_axis: usize) -> PyResult<Vec<Array>> {
    for (k, &m) in mask.shape().iter().enumerate() {
        let ax = first_axis + k;
        if ax >= shape.len() || shape[ax] != m {
            return Err(PyIndexError::new_err(format!(
                "boolean index did not match indexed array along axis {ax}; size of axis is {} but size of corresponding boolean axis is {m}",
                shape.get(ax).copied().unwrap_or(0)
            )));
        }
    }
    ops::nonzero(mask, None).py()
}

/// What an index does: a strided window of the array, reshaped to
/// `view_shape` (new axes inserted; advanced axes kept whole), then a
/// gather of the `adv` (view axis, index array) pairs.
pub struct IndexPlan {
    /// Window start per input axis.
    pub start: Vec<i64>,
    /// Window step per input axis.
    pub step: Vec<i64>,
    /// Window extent per input axis.
    pub count: Vec<i64>,
    /// The window with new axes inserted (basic ints dropped).
    pub view_shape: Vec<i64>,
    /// Advanced indices: the view axis each indexes and the index array.
    pub adv: Vec<(usize, Array)>,
    /// Where the broadcast index dimensions go among the other view axes
    /// (`0` when the advanced indices are not adjacent).
    pub adv_pos: usize,
    /// Broadcast shape of the advanced indices.
    pub adv_shape: Vec<i64>,
}

impl IndexPlan {
    /// Whether the window is the whole array.
    pub fn whole(&self, shape: &[i64]) -> bool {
        self.count == shape && self.step.iter().all(|&k| k == 1)
    }

    /// The view axes not indexed by an advanced index, in order.
    pub fn kept_dims(&self) -> Vec<i64> {
        (0..self.view_shape.len())
            .filter(|i| !self.adv.iter().any(|(v, _)| v == i))
            .map(|i| self.view_shape[i])
            .collect()
    }

    /// Shape of `a[index]`.
    pub fn result_shape(&self) -> Vec<i64> {
        if self.adv.is_empty() {
            return self.view_shape.clone();
        }
        let mut kept = self.kept_dims();
        let tail = kept.split_off(self.adv_pos);
        kept.extend_from_slice(&self.adv_shape);
        kept.extend(tail);
        kept
    }

    /// The permutation taking (index dims, kept dims) to the result order.
    pub fn placement(&self) -> Option<Vec<i64>> {
        let b = self.adv_shape.len();
        if self.adv.is_empty() || self.adv_pos == 0 || b == 0 {
            return None;
        }
        let k = self.kept_dims().len();
        let p = self.adv_pos;
        Some(
            (b..b + p)
                .chain(0..b)
                .chain(b + p..b + k)
                .map(|i| i as i64)
                .collect(),
        )
    }

    /// The window of `a` reshaped to the view.
    pub fn view(&self, a: &Array) -> rmlx::Result<Array> {
        let w = ops::slice_strided(a, &self.start, &self.step, &self.count, None)?;
        ops::reshape(&w, &self.view_shape, None)
    }

    /// Slice sizes of the gather / scatter over the view (1 on advanced
    /// axes).
    pub fn slice_sizes(&self) -> Vec<i64> {
        let mut s = self.view_shape.clone();
        for (v, _) in &self.adv {
            s[*v] = 1;
        }
        s
    }

    /// The advanced index arrays and their view axes.
    pub fn adv_arrays(&self) -> (Vec<Array>, Vec<i64>) {
        self.adv.iter().map(|(v, a)| (a.clone(), *v as i64)).unzip()
    }
}

/// Checks host-known index values against the axis extent.
fn check_host(a: &Array, axis: usize, n: i64) -> PyResult<()> {
    if a.size() == 0 {
        return Ok(());
    }
    let lo = ops::min(a, None, false, None)
        .py()?
        .item_scalar()
        .py()?
        .as_i64();
    let hi = ops::max(a, None, false, None)
        .py()?
        .item_scalar()
        .py()?
        .as_i64();
    for v in [lo, hi] {
        if v < -n || v >= n {
            return Err(index_error(v, axis, n));
        }
    }
    Ok(())
}

/// Builds the plan of `items` on an array of `shape`.
pub fn plan(shape: &[i64], items: Vec<Item>) -> PyResult<IndexPlan> {
    let nd = shape.len();
    let has_adv = items
        .iter()
        .any(|i| matches!(i, Item::Array { .. } | Item::Mask(_) | Item::Bool(_)));
    let consumed: usize = items
        .iter()
        .map(|i| match i {
            Item::Int(_) | Item::Slice(..) | Item::Array { .. } => 1,
            Item::Mask(m) => m.ndim(),
            _ => 0,
        })
        .sum();
    if consumed > nd {
        return Err(PyIndexError::new_err(format!(
            "too many indices for array: array is {nd}-dimensional, but {consumed} were indexed"
        )));
    }
    if items.iter().filter(|i| matches!(i, Item::Ellipsis)).count() > 1 {
        return Err(PyIndexError::new_err(
            "an index can only have a single ellipsis ('...')",
        ));
    }
    let (mut start, mut step, mut count) = (vec![0i64; nd], vec![1i64; nd], shape.to_vec());
    let mut view_shape: Vec<i64> = Vec::new();
    let mut adv: Vec<(usize, Array)> = Vec::new();
    // Item position of each advanced index (a mask counts once), and the
    // number of kept view axes before the first one.
    let mut adv_items: Vec<usize> = Vec::new();
    let mut kept_before: Option<usize> = None;
    let mut ax = 0usize;
    let mut kept = 0usize;
    for (pos, it) in items.into_iter().enumerate() {
        let mut add_adv = |view_axis: usize, a: Array, kept: usize| {
            adv.push((view_axis, a));
            adv_items.push(pos);
            kept_before.get_or_insert(kept);
        };
        match it {
            Item::Int(i) => {
                let n = shape[ax];
                let j = if i < 0 { i + n } else { i };
                if j < 0 || j >= n {
                    return Err(index_error(i, ax, n));
                }
                if has_adv {
                    add_adv(view_shape.len(), Array::scalar(j), kept);
                    view_shape.push(n);
                } else {
                    start[ax] = j;
                    count[ax] = 1;
                }
                ax += 1;
            }
            Item::Slice(s, e, k) => {
                let (s0, c, k) = slice_bounds(shape[ax], s, e, k)?;
                start[ax] = if c == 0 { 0 } else { s0 };
                step[ax] = k;
                count[ax] = c;
                view_shape.push(c);
                kept += 1;
                ax += 1;
            }
            Item::NewAxis => {
                view_shape.push(1);
                kept += 1;
            }
            Item::Ellipsis => {
                for _ in 0..nd - consumed {
                    view_shape.push(shape[ax]);
                    kept += 1;
                    ax += 1;
                }
            }
            Item::Array { a, host } => {
                if host {
                    check_host(&a, ax, shape[ax])?;
                }
                add_adv(view_shape.len(), a, kept);
                view_shape.push(shape[ax]);
                ax += 1;
            }
            Item::Mask(m) => {
                for (k, idx) in mask_indices(&m, shape, ax)?.into_iter().enumerate() {
                    add_adv(view_shape.len(), idx, kept);
                    view_shape.push(shape[ax + k]);
                }
                ax += m.ndim();
            }
            Item::Bool(b) => {
                let idx =
                    Array::from_slice::<i32>(if b { &[0] } else { &[] }, &[i64::from(b)]).py()?;
                add_adv(view_shape.len(), idx, kept);
                view_shape.push(1);
            }
        }
    }
    while ax < nd {
        view_shape.push(shape[ax]);
        ax += 1;
    }
    let mut adv_shape: Vec<i64> = Vec::new();
    for (_, a) in &adv {
        adv_shape = ops::broadcast_shapes(&adv_shape, a.shape()).map_err(|_| {
            let shapes: Vec<String> = adv.iter().map(|(_, a)| ops::fmt_shape(a.shape())).collect();
            PyIndexError::new_err(format!(
                "shape mismatch: indexing arrays could not be broadcast together with shapes {}",
                shapes.join(" ")
            ))
        })?;
    }
    adv_items.dedup();
    let adjacent = adv_items.windows(2).all(|w| w[1] == w[0] + 1);
    let adv_pos = if adjacent {
        kept_before.unwrap_or(0)
    } else {
        0
    };
    Ok(IndexPlan {
        start,
        step,
        count,
        view_shape,
        adv,
        adv_pos,
        adv_shape,
    })
}

/// `a[plan]`.
pub fn apply(a: &Array, p: &IndexPlan) -> rmlx::Result<Array> {
    let v = p.view(a)?;
    if p.adv.is_empty() {
        return Ok(v);
    }
    let (idx, axes) = p.adv_arrays();
    let g = ops::gather(&v, &idx, &axes, &p.slice_sizes(), None)?;
    let mut shape = p.adv_shape.clone();
    shape.extend(p.kept_dims());
    let g = ops::reshape(&g, &shape, None)?;
    match p.placement() {
        Some(perm) => ops::transpose(&g, Some(&perm), None),
        None => Ok(g),
    }
}

/// `a[idx]`.
pub fn get_item(a: &Array, idx: &Bound<'_, PyAny>) -> PyResult<Array> {
    let items = parse_index(idx)?;
    let p = plan(a.shape(), items)?;
    apply(a, &p).py()
}
