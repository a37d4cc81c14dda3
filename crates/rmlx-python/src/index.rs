//! Basic indexing for `__getitem__`: ints, slices (any step), None and
//! Ellipsis, turned into one strided slice plus a reshape. Integer indices
//! are bounds-checked (IndexError), unlike MLX.

use pyo3::prelude::*;
use rmlx::{ops, Array};

use crate::array::{index_error, parse_index, BasicIndex};
use crate::errors::PyResultExt;

/// `a[i]` for an integer `i` along axis 0.
pub fn take_index(a: &Array, i: i64) -> rmlx::Result<Array> {
    let mut start = vec![0i64; a.ndim()];
    let step = vec![1i64; a.ndim()];
    let mut count = a.shape().to_vec();
    start[0] = i;
    count[0] = 1;
    let s = ops::slice_strided(a, &start, &step, &count, None)?;
    ops::reshape(&s, &a.shape()[1..], None)
}

/// Number of elements and normalised start of `start:stop:step` on `n`.
fn slice_bounds(
    n: i64,
    start: Option<i64>,
    stop: Option<i64>,
    step: Option<i64>,
) -> PyResult<(i64, i64, i64)> {
    let step = step.unwrap_or(1);
    if step == 0 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "slice step cannot be zero",
        ));
    }
    let clamp = |v: i64, lo: i64, hi: i64| v.max(lo).min(hi);
    let (lo, hi) = if step > 0 { (0, n) } else { (-1, n - 1) };
    let norm = |v: Option<i64>, default: i64| match v {
        None => default,
        Some(v) if v < 0 => clamp(v + n, lo, hi),
        Some(v) => clamp(v, lo, hi),
    };
    let s = norm(start, if step > 0 { 0 } else { n - 1 });
    let e = norm(stop, if step > 0 { n } else { -1 });
    let count = if step > 0 {
        ((e - s) + step - 1) / step
    } else {
        ((s - e) + (-step) - 1) / (-step)
    };
    Ok((s, count.max(0), step))
}

/// `a[idx]` for a basic index.
pub fn get_item(a: &Array, idx: &Bound<'_, PyAny>) -> PyResult<Array> {
    let items = parse_index(idx)?;
    let consumed = items
        .iter()
        .filter(|i| matches!(i, BasicIndex::Int(_) | BasicIndex::Slice(..)))
        .count();
    if consumed > a.ndim() {
        return Err(pyo3::exceptions::PyIndexError::new_err(format!(
            "Too many indices for array with {} dimensions.",
            a.ndim()
        )));
    }
    if items
        .iter()
        .filter(|i| matches!(i, BasicIndex::Ellipsis))
        .count()
        > 1
    {
        return Err(pyo3::exceptions::PyIndexError::new_err(
            "An index can only have a single ellipsis ('...')",
        ));
    }
    let nd = a.ndim();
    let (mut start, mut step, mut count) = (vec![0i64; nd], vec![1i64; nd], a.shape().to_vec());
    let mut out_shape: Vec<i64> = Vec::new();
    let mut ax = 0usize;
    for it in &items {
        match *it {
            BasicIndex::Int(i) => {
                let n = a.shape()[ax];
                let j = if i < 0 { i + n } else { i };
                if j < 0 || j >= n {
                    return Err(index_error(i, ax, n));
                }
                start[ax] = j;
                count[ax] = 1;
                ax += 1;
            }
            BasicIndex::Slice(s, e, k) => {
                let (s0, c, k) = slice_bounds(a.shape()[ax], s, e, k)?;
                start[ax] = if c == 0 { 0 } else { s0 };
                step[ax] = k;
                count[ax] = c;
                out_shape.push(c);
                ax += 1;
            }
            BasicIndex::NewAxis => out_shape.push(1),
            BasicIndex::Ellipsis => {
                let rest = nd - consumed;
                for _ in 0..rest {
                    out_shape.push(a.shape()[ax]);
                    ax += 1;
                }
            }
        }
    }
    while ax < nd {
        out_shape.push(a.shape()[ax]);
        ax += 1;
    }
    let sl = ops::slice_strided(a, &start, &step, &count, None).py()?;
    ops::reshape(&sl, &out_shape, None).py()
}
