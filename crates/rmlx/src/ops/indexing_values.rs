//! Indexing ops whose natural output size depends on the input's values:
//! `nonzero`, `argwhere`, `unique` and `bincount` (beyond MLX, which has
//! only the fixed-size `unique`).
//!
//! Each has a fixed-size form (`size` / `length` given), built from lazy
//! ops (sort, cumulative sums and scatters into a buffer with one spill
//! slot), which works inside vmap and compile; without a size the op
//! evaluates what it needs to learn the size (a count or a maximum) and
//! then builds the fixed-size form. Inside a transformation that cannot
//! evaluate, that fails with an error naming the op and pointing at the
//! fixed-size form.

use super::{
    argsort, astype, broadcast_to, cumsum, floor_divide, full_scalar, greater_equal, less,
    less_equal, logical_and, max, min, minimum, not_equal, ones, remainder, reshape, scatter,
    scatter_add, slice_strided, stack, subtract, sum, take, where_, zeros,
};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};

/// Evaluates `x` for `op`, turning the failure of an array that cannot be
/// evaluated (inside vmap or compile) into an error that says what to do.
fn concrete(op: &str, x: &Array, hint: &str) -> Result<()> {
    x.eval().map_err(|e| {
        if e.message.contains("during function transformations") {
            Error::value(format!(
                "[{op}] The output shape depends on the values of the input, which are not known inside vmap or compile. {hint}"
            ))
        } else {
            e
        }
    })
}

fn int32(v: i64) -> Result<Array> {
    Array::from_scalar(Scalar::Int(v), Dtype::Int32)
}

fn arange_i32(n: i64, s: Stream) -> Result<Array> {
    super::arange(0.0, n as f64, 1.0, Dtype::Int32, Some(s))
}

/// The first `n` elements of 1-d `x`.
fn head(x: &Array, n: i64, s: Stream) -> Result<Array> {
    slice_strided(x, &[0], &[1], &[n], Some(s))
}

/// Writes `values[i]` (1-d) to slot `slot[i]` of a buffer of `size + 1`
/// elements filled with `fill` (slot `size` collects the rest) and
/// returns the first `size` slots.
fn scatter_slots(
    slot: &Array,
    values: &Array,
    size: i64,
    fill: &Array,
    s: Stream,
) -> Result<Array> {
    let buf = broadcast_to(fill, &[size + 1], Some(s))?;
    let n = values.size() as i64;
    let upd = reshape(values, &[n, 1], Some(s))?;
    let out = scatter(&buf, std::slice::from_ref(slot), &upd, &[0], Some(s))?;
    head(&out, size, s)
}

/// `slot` where `keep` holds and the spill slot `size` elsewhere.
fn slot_or_spill(keep: &Array, slot: &Array, size: i64, s: Stream) -> Result<Array> {
    where_(keep, slot, &int32(size)?, Some(s))
}

fn check_size(op: &str, size: i64) -> Result<()> {
    if size < 0 {
        return Err(Error::value(format!(
            "[{op}] size must be non-negative, got {size}."
        )));
    }
    Ok(())
}

/// The int32 indices of the non-zero elements of `a`, one array per axis
/// (NumPy `nonzero`; a 0-d input counts as 1-d). With `size`, exactly that
/// many: the first `size` non-zeros, padded with `fill_value` (default 0);
/// without it, `a` is evaluated to count them.
pub fn nonzero_sized(
    a: &Array,
    size: Option<i64>,
    fill_value: Option<i64>,
    s: Option<Stream>,
) -> Result<Vec<Array>> {
    let s = resolve_stream(s, "nonzero")?;
    let shape: Vec<i64> = if a.ndim() == 0 {
        vec![1]
    } else {
        a.shape().to_vec()
    };
    let n = a.size() as i64;
    let zero = Array::from_scalar(Scalar::Int(0), a.dtype())?;
    let mask = reshape(&not_equal(a, &zero, Some(s))?, &[n], Some(s))?;
    let size = match size {
        Some(z) => {
            check_size("nonzero", z)?;
            z
        }
        None => {
            let count = sum(&mask, None, false, Some(s))?;
            concrete(
                "nonzero",
                &count,
                "Pass size= for a fixed-size result, or use mx.where.",
            )?;
            count.item_scalar()?.as_i64()
        }
    };
    let rank = cumsum(
        &astype(&mask, Dtype::Int32, Some(s))?,
        Some(0),
        false,
        true,
        Some(s),
    )?;
    let keep = logical_and(&mask, &less_equal(&rank, &int32(size)?, Some(s))?, Some(s))?;
    let slot = slot_or_spill(&keep, &subtract(&rank, &int32(1)?, Some(s))?, size, s)?;
    let pos = scatter_slots(&slot, &arange_i32(n, s)?, size, &int32(-1)?, s)?;
    let padded = less(&pos, &int32(0)?, Some(s))?;
    let fill = int32(fill_value.unwrap_or(0))?;
    let mut stride = 1i64;
    let mut out = vec![Array::scalar(0i32); shape.len()];
    for d in (0..shape.len()).rev() {
        let q = floor_divide(&pos, &int32(stride)?, Some(s))?;
        let c = remainder(&q, &int32(shape[d].max(1))?, Some(s))?;
        out[d] = where_(&padded, &fill, &c, Some(s))?;
        stride *= shape[d];
    }
    Ok(out)
}

/// [`nonzero_sized`] without a size: evaluates `a` to count the non-zeros.
pub fn nonzero(a: &Array, s: Option<Stream>) -> Result<Vec<Array>> {
    nonzero_sized(a, None, None, s)
}

/// The indices of the non-zero elements as rows of an `(n, ndim)` int32
/// array (NumPy `argwhere`); `size` and `fill_value` as for `nonzero`.
pub fn argwhere(
    a: &Array,
    size: Option<i64>,
    fill_value: Option<i64>,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "argwhere")?;
    if a.ndim() == 0 {
        let cols = nonzero_sized(a, size, fill_value, Some(s))?;
        let n = cols[0].size() as i64;
        return zeros(&[n, 0], Dtype::Int32, Some(s));
    }
    let cols = nonzero_sized(a, size, fill_value, Some(s)).map_err(|e| rename(e, "argwhere"))?;
    stack(&cols, 1, Some(s))
}

fn rename(mut e: Error, op: &str) -> Error {
    e.message = e.message.replacen("[nonzero]", &format!("[{op}]"), 1);
    e
}

/// What [`unique`] returns: the sorted unique values, and on request the
/// index of each one's first occurrence (uint32), the inverse indices
/// rebuilding `a` (uint32, of `a`'s shape) and the counts (int32).
pub struct Unique {
    /// The sorted unique values (padded with the fill value).
    pub values: Array,
    /// First occurrence of each unique value in the flattened input.
    pub index: Array,
    /// Position in `values` of each element of the input.
    pub inverse: Array,
    /// Occurrences of each unique value (0 for padding).
    pub counts: Array,
}

/// The sorted unique elements of the flattened `a` (MLX `unique`): with
/// `size`, exactly that many (truncated, or padded with `fill_value`,
/// default the smallest unique element; counts of padding are 0 and their
/// index is the first unique element's; inverse indices past a truncation
/// are clamped to the last entry). Without `size` (beyond MLX), `a` is
/// evaluated to count the unique elements. NaNs are each unique, as in
/// MLX.
pub fn unique(
    a: &Array,
    size: Option<i64>,
    fill_value: Option<&Array>,
    s: Option<Stream>,
) -> Result<Unique> {
    let s = resolve_stream(s, "unique")?;
    let n = a.size() as i64;
    let x = reshape(a, &[n], Some(s))?;
    let order = astype(&argsort(&x, Some(0), Some(s))?, Dtype::Int32, Some(s))?;
    let xs = take(&x, &order, Some(0), Some(s))?;
    // First element of each run of equal sorted values.
    let first = if n == 0 {
        zeros(&[0], Dtype::Bool, Some(s))?
    } else {
        let prev = slice_strided(&xs, &[0], &[1], &[n - 1], Some(s))?;
        let next = slice_strided(&xs, &[1], &[1], &[n - 1], Some(s))?;
        let head = full_scalar(&[1], Scalar::Bool(true), Dtype::Bool, Some(s))?;
        super::concatenate(&[head, not_equal(&next, &prev, Some(s))?], Some(0), Some(s))?
    };
    let group = subtract(
        &cumsum(
            &astype(&first, Dtype::Int32, Some(s))?,
            Some(0),
            false,
            true,
            Some(s),
        )?,
        &int32(1)?,
        Some(s),
    )?;
    let size = match size {
        Some(z) => {
            check_size("unique", z)?;
            z
        }
        None => {
            let count = sum(&first, None, false, Some(s))?;
            concrete("unique", &count, "Pass size= for a fixed-size result.")?;
            count.item_scalar()?.as_i64()
        }
    };
    let in_range = less(&group, &int32(size)?, Some(s))?;
    let slot = slot_or_spill(&in_range, &group, size, s)?;
    let fill = match fill_value {
        Some(f) => astype(f, a.dtype(), Some(s))?,
        None if n > 0 => reshape(&head(&xs, 1, s)?, &[], Some(s))?,
        None => zeros(&[], a.dtype(), Some(s))?,
    };
    let values = scatter_slots(&slot, &xs, size, &fill, s)?;
    let first_slot = slot_or_spill(&logical_and(&first, &in_range, Some(s))?, &group, size, s)?;
    let first_idx = if n > 0 {
        reshape(&head(&order, 1, s)?, &[], Some(s))?
    } else {
        int32(0)?
    };
    let index = astype(
        &scatter_slots(&first_slot, &order, size, &first_idx, s)?,
        Dtype::Uint32,
        Some(s),
    )?;
    let counts = {
        let buf = zeros(&[size + 1], Dtype::Int32, Some(s))?;
        let one = ones(&[n, 1], Dtype::Int32, Some(s))?;
        head(
            &scatter_add(&buf, std::slice::from_ref(&slot), &one, &[0], Some(s))?,
            size,
            s,
        )?
    };
    let inverse = if n == 0 {
        zeros(a.shape(), Dtype::Uint32, Some(s))?
    } else {
        let clamped = minimum(&group, &int32((size - 1).max(0))?, Some(s))?;
        let buf = zeros(&[n], Dtype::Int32, Some(s))?;
        let upd = reshape(&clamped, &[n, 1], Some(s))?;
        let inv = scatter(&buf, std::slice::from_ref(&order), &upd, &[0], Some(s))?;
        astype(&reshape(&inv, a.shape(), Some(s))?, Dtype::Uint32, Some(s))?
    };
    Ok(Unique {
        values,
        index,
        inverse,
        counts,
    })
}

/// Occurrences of each value of the 1-d non-negative integer array `x`
/// (NumPy `bincount`), or the sums of `weights` per value. The output has
/// `max(x) + 1` entries (at least `minlength`; `x` is evaluated), or
/// exactly `length` when given (values outside `[0, length)` dropped).
/// Counts are int32; sums keep the weights' dtype.
pub fn bincount(
    x: &Array,
    weights: Option<&Array>,
    minlength: i64,
    length: Option<i64>,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "bincount")?;
    if x.ndim() != 1 {
        return Err(Error::value(format!(
            "[bincount] Input must be one dimensional, got {} dimensions.",
            x.ndim()
        )));
    }
    if !x.dtype().is_integer() {
        return Err(Error::type_(format!(
            "[bincount] Input must hold integers, got {}.",
            x.dtype()
        )));
    }
    if minlength < 0 {
        return Err(Error::value("[bincount] minlength must be non-negative."));
    }
    let n = x.size() as i64;
    if let Some(w) = weights {
        if w.shape() != x.shape() {
            return Err(Error::value(format!(
                "[bincount] The weights and the input must have the same shape, got {} and {}.",
                super::fmt_shape(w.shape()),
                super::fmt_shape(x.shape())
            )));
        }
    }
    let length = match length {
        Some(l) => {
            check_size("bincount", l)?;
            l
        }
        None => {
            if n == 0 {
                minlength
            } else {
                let lo = min(x, None, false, Some(s))?;
                let hi = max(x, None, false, Some(s))?;
                concrete("bincount", &hi, "Pass length= for a fixed-size result.")?;
                concrete("bincount", &lo, "Pass length= for a fixed-size result.")?;
                if lo.item_scalar()?.as_i64() < 0 {
                    return Err(Error::value("[bincount] The input must be non-negative."));
                }
                (hi.item_scalar()?.as_i64() + 1).max(minlength)
            }
        }
    };
    let xi = astype(x, Dtype::Int64, Some(s))?;
    let keep = logical_and(
        &greater_equal(&xi, &Array::scalar(0i64), Some(s))?,
        &less(&xi, &Array::scalar(length), Some(s))?,
        Some(s),
    )?;
    let slot = where_(&keep, &xi, &Array::scalar(length), Some(s))?;
    let (w, dt) = match weights {
        Some(w) => (w.clone(), w.dtype()),
        None => (ones(&[n], Dtype::Int32, Some(s))?, Dtype::Int32),
    };
    let buf = zeros(&[length + 1], dt, Some(s))?;
    let upd = reshape(&w, &[n, 1], Some(s))?;
    let out = scatter_add(&buf, &[slot], &upd, &[0], Some(s))?;
    head(&out, length, s)
}
