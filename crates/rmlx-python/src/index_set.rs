//! `__setitem__` and `a.at[idx].add/subtract/multiply/divide/maximum/
//! minimum(v)`: the index plan of `index.rs` turned into a slice update
//! (basic indices) or a scatter over the window (advanced ones), whose
//! result is rebound to the Python array (arrays are values: other
//! references to the old value are unchanged).
//!
//! `a[idx] = v` writes once per position (with duplicate indices the last
//! write wins, as in MLX) and `a[idx] += v` is a read, an add and a write,
//! so duplicates do not accumulate; `.at[idx].add(v)` accumulates them.
//! A lone boolean mask with a value that broadcasts against the masked
//! axes' remainder becomes `where(mask, v, a)`, which needs no evaluation.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use rmlx::primitives::indexing::ScatterReduce;
use rmlx::{ops, Array};

use crate::errors::PyResultExt;
use crate::index::{parse_index, plan, IndexPlan, Item};

/// The update operation of `.at[]` (or plain assignment).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpdateOp {
    /// `a[idx] = v`
    Set,
    /// `.add`
    Add,
    /// `.subtract`
    Subtract,
    /// `.multiply`
    Multiply,
    /// `.divide`
    Divide,
    /// `.maximum`
    Maximum,
    /// `.minimum`
    Minimum,
}

impl UpdateOp {
    /// The scatter reduction and the value it scatters (MLX: subtract adds
    /// `-v`, divide multiplies by `1 / v`).
    fn scatter_form(self, v: &Array, dt: rmlx::Dtype) -> rmlx::Result<(ScatterReduce, Array)> {
        let cast = |x: &Array| ops::astype(x, dt, None);
        Ok(match self {
            UpdateOp::Set => (ScatterReduce::None, cast(v)?),
            UpdateOp::Add => (ScatterReduce::Sum, cast(v)?),
            UpdateOp::Subtract => (ScatterReduce::Sum, cast(&ops::negative(&cast(v)?, None)?)?),
            UpdateOp::Multiply => (ScatterReduce::Prod, cast(v)?),
            UpdateOp::Divide => (
                ScatterReduce::Prod,
                cast(&ops::reciprocal(&cast(v)?, None)?)?,
            ),
            UpdateOp::Maximum => (ScatterReduce::Max, cast(v)?),
            UpdateOp::Minimum => (ScatterReduce::Min, cast(v)?),
        })
    }

    /// The elementwise form on values already in place.
    fn apply(self, old: &Array, v: &Array) -> rmlx::Result<Array> {
        let out = match self {
            UpdateOp::Set => return ops::astype(v, old.dtype(), None),
            UpdateOp::Add => ops::add(old, v, None)?,
            UpdateOp::Subtract => ops::subtract(old, v, None)?,
            UpdateOp::Multiply => ops::multiply(old, v, None)?,
            UpdateOp::Divide => ops::multiply(
                old,
                &ops::reciprocal(&ops::astype(v, old.dtype(), None)?, None)?,
                None,
            )?,
            UpdateOp::Maximum => ops::maximum(old, v, None)?,
            UpdateOp::Minimum => ops::minimum(old, v, None)?,
        };
        ops::astype(&out, old.dtype(), None)
    }
}

/// `v` with leading size-1 axes dropped until it has at most `ndim` axes
/// (NumPy lets `a[0] = [[1, 2, 3]]` fill a row).
fn strip_leading(v: &Array, ndim: usize) -> rmlx::Result<Array> {
    let mut shape = v.shape().to_vec();
    while shape.len() > ndim && shape[0] == 1 {
        shape.remove(0);
    }
    ops::reshape(v, &shape, None)
}

/// `v` broadcast to the indexed shape, as NumPy assignment does.
fn fit(v: &Array, shape: &[i64]) -> PyResult<Array> {
    let v = strip_leading(v, shape.len()).py()?;
    ops::broadcast_to(&v, shape, None).map_err(|_| {
        PyValueError::new_err(format!(
            "could not broadcast input array from shape {} into shape {}",
            ops::fmt_shape(v.shape()),
            ops::fmt_shape(shape)
        ))
    })
}

/// `where(mask, op(a, v), a)` for a lone mask over the leading axes when
/// `v` does not carry the selected-elements axis; `None` otherwise.
fn mask_update(a: &Array, items: &[Item], v: &Array, op: UpdateOp) -> PyResult<Option<Array>> {
    let mask = match items {
        [Item::Mask(m)] | [Item::Mask(m), Item::Ellipsis] => m,
        _ => return Ok(None),
    };
    let (nd, k) = (a.ndim(), mask.ndim());
    if k > nd || mask.shape() != &a.shape()[..k] {
        return Ok(None);
    }
    let v2 = strip_leading(v, nd - k).py()?;
    if v2.ndim() > nd - k
        || ops::broadcast_shapes(v2.shape(), &a.shape()[k..])
            .ok()
            .as_deref()
            != Some(&a.shape()[k..])
    {
        return Ok(None);
    }
    let mut mshape = mask.shape().to_vec();
    mshape.resize(nd, 1);
    let m = ops::reshape(mask, &mshape, None).py()?;
    let new = op.apply(a, &v2).py()?;
    let out = ops::where_(&m, &new, a, None).py()?;
    Ok(Some(ops::astype(&out, a.dtype(), None).py()?))
}

/// `a` after `a[p] (op)= v`.
pub fn update(a: &Array, p: &IndexPlan, v: &Array, op: UpdateOp) -> PyResult<Array> {
    let v = fit(v, &p.result_shape())?;
    if p.adv.is_empty() {
        let upd = ops::reshape(&v, &p.count, None).py()?;
        let upd = if op == UpdateOp::Set {
            upd
        } else {
            let old = ops::slice_strided(a, &p.start, &p.step, &p.count, None).py()?;
            op.apply(&old, &upd).py()?
        };
        return ops::slice_update_strided(a, &upd, &p.start, &p.step, &p.count, None).py();
    }
    // Back to the gather layout: index dims first, then the view with
    // size-1 advanced axes.
    let mut v = v;
    if let Some(perm) = p.placement() {
        let mut inv = vec![0i64; perm.len()];
        for (i, &q) in perm.iter().enumerate() {
            inv[q as usize] = i as i64;
        }
        v = ops::transpose(&v, Some(&inv), None).py()?;
    }
    let mut ushape = p.adv_shape.clone();
    ushape.extend(p.slice_sizes());
    let upd = ops::reshape(&v, &ushape, None).py()?;
    let view = p.view(a).py()?;
    let (red, upd) = op.scatter_form(&upd, a.dtype()).py()?;
    let (idx, axes) = p.adv_arrays();
    let s = ops::scatter_op(red, &view, &idx, &upd, &axes, None).py()?;
    if p.whole(a.shape()) {
        return ops::reshape(&s, a.shape(), None).py();
    }
    let s = ops::reshape(&s, &p.count, None).py()?;
    ops::slice_update_strided(a, &s, &p.start, &p.step, &p.count, None).py()
}

/// `a` after `a[idx] (op)= v` with a Python index object.
pub fn set_item(a: &Array, idx: &Bound<'_, PyAny>, v: &Array, op: UpdateOp) -> PyResult<Array> {
    let items = parse_index(idx)?;
    if let Some(out) = mask_update(a, &items, v, op)? {
        return Ok(out);
    }
    let p = plan(a.shape(), items)?;
    update(a, &p, v, op)
}
