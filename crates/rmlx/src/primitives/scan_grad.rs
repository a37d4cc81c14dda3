//! Transformation rules (vjp, jvp, vmap) of [`Scan`]: `cumsum`, `cumprod`,
//! `cummax`, `cummin` and `logcumsumexp`, forward or reversed, inclusive or
//! exclusive. Every rule builds public lazy ops, so the rules are
//! themselves differentiable and batchable.
//!
//! MLX 0.32 has reverse-mode rules for every scan but forward-mode ones only
//! for `cumsum` and `logcumsumexp`; rmlx also gives `cumprod`, `cummax` and
//! `cummin` a jvp (the transpose of their vjp). Integer inputs are not
//! differentiable (zero cotangents and tangents). Complex cumulative
//! products use the project's convention (the vjp multiplies by the
//! conjugate derivative, as MLX's `multiply` and `prod` do; MLX's own
//! `cumprod` vjp does not conjugate).

use super::reduce_grad::{conj, scalar, zero_cotangents};
use super::scan::{Scan, ScanOp};
use super::shape::PadMode;
use crate::array::Array;
use crate::dtype::{finfo, Dtype};
use crate::element::Scalar;
use crate::error::Result;
use crate::ops;

/// The scan `op` of `x` along `axis`.
fn scan(op: ScanOp, x: &Array, axis: usize, reverse: bool, inclusive: bool) -> Result<Array> {
    ops::scan_op(op, x, Some(axis as i64), reverse, inclusive, None)
}

/// `a` shifted by `d` positions along `axis`, toward higher indices when
/// `up` (`b[i] = a[i - d]`) or lower ones (`b[i] = a[i + d]`); the vacated
/// positions are zero (false).
fn shift(a: &Array, axis: usize, d: i64, up: bool) -> Result<Array> {
    let n = a.shape()[axis];
    let zero = Array::from_scalar(Scalar::Int(0), a.dtype())?;
    if d >= n {
        return ops::zeros_like(a, None, None);
    }
    let nd = a.ndim();
    let mut start = vec![0i64; nd];
    let mut count = a.shape().to_vec();
    count[axis] = n - d;
    if !up {
        start[axis] = d;
    }
    let part = ops::slice_strided(a, &start, &vec![1; nd], &count, None)?;
    let mut widths = vec![(0i64, 0i64); nd];
    widths[axis] = if up { (d, 0) } else { (0, d) };
    ops::pad(&part, &widths, PadMode::Constant, &zero, None)
}

/// Segmented inclusive sum along `axis`: each position sums `v` from the
/// nearest head (`heads` true) at or before it up to itself, "before"
/// meaning lower indices when `up`, higher ones otherwise (no head: from the
/// start). Hillis-Steele doubling: log2(n) rounds of elementwise ops, exact
/// (no differences of running sums) and linear in `v`, so differentiable.
/// (MLX routes cummax/cummin cotangents with a scatter; rmlx has no
/// gather/scatter op yet, and this costs O(n log n) instead of O(n).)
fn segmented_sum(v: &Array, heads: &Array, axis: usize, up: bool) -> Result<Array> {
    let n = v.shape()[axis];
    let zero = scalar(0.0, v.dtype())?;
    let mut v = v.clone();
    let mut f = heads.clone();
    let mut d = 1i64;
    while d < n {
        // A window that already holds a head is complete; the others take
        // the window of length d just before them.
        let vs = shift(&v, axis, d, up)?;
        v = ops::add(&v, &ops::where_(&f, &zero, &vs, None)?, None)?;
        if 2 * d < n {
            f = ops::logical_or(&f, &shift(&f, axis, d, up)?, None)?;
        }
        d *= 2;
    }
    Ok(v)
}

/// Where a running max (min) takes its value from: the positions whose
/// element is at least (at most) the scan of the elements before it. With
/// `out` the op's output, `x >= out` says this for exclusive scans and
/// `x == out` for inclusive ones (where `out >= x` always holds).
fn records(op: ScanOp, x: &Array, out: &Array) -> Result<Array> {
    if op == ScanOp::Max {
        ops::greater_equal(x, out, None)
    } else {
        ops::less_equal(x, out, None)
    }
}

/// `(log c, log -c)` where `c > 0` (`c < 0`), the dtype's lowest finite
/// value elsewhere (as MLX, to keep `logcumsumexp` free of `-inf - -inf`).
/// The logarithm only sees non-zero magnitudes, so the result stays
/// differentiable at `c == 0`.
fn signed_logs(c: &Array) -> Result<(Array, Array)> {
    let dt = c.dtype();
    let lowest = scalar(finfo(dt).map_or(f64::MIN, |f| f.min), dt)?;
    let zero = scalar(0.0, dt)?;
    let pos = ops::greater(c, &zero, None)?;
    let neg = ops::less(c, &zero, None)?;
    let nonzero = ops::logical_or(&pos, &neg, None)?;
    let mag = ops::where_(&nonzero, &ops::abs(c, None)?, &scalar(1.0, dt)?, None)?;
    let lg = ops::log(&mag, None)?;
    Ok((
        ops::where_(&pos, &lg, &lowest, None)?,
        ops::where_(&neg, &lg, &lowest, None)?,
    ))
}

/// Zero-related masks of a cumulative product: `(x == 0, first zero of x
/// in scan order)`.
fn zero_masks(p: &Scan, x: &Array) -> Result<(Array, Array)> {
    let is_zero = ops::equal(x, &scalar(0.0, x.dtype())?, None)?;
    let zeros_so_far = scan(
        ScanOp::Sum,
        &ops::astype(&is_zero, Dtype::Int32, None)?,
        p.axis,
        p.reverse,
        true,
    )?;
    let one = Array::from_scalar(Scalar::Int(1), Dtype::Int32)?;
    let first = ops::logical_and(&is_zero, &ops::equal(&zeros_so_far, &one, None)?, None)?;
    Ok((is_zero, first))
}

pub(super) fn scan_vjp(
    p: &Scan,
    primals: &[Array],
    cotangents: &[Array],
    argnums: &[usize],
    outputs: &[Array],
) -> Result<Vec<Array>> {
    let x = &primals[0];
    if !x.dtype().is_inexact() {
        return zero_cotangents(primals, argnums);
    }
    let (cot, out) = (&cotangents[0], &outputs[0]);
    let (axis, rev, inc) = (p.axis, p.reverse, p.inclusive);
    // Scans in the opposite direction are the transposes of the op's scans.
    let g = match p.op {
        ScanOp::Sum => scan(ScanOp::Sum, cot, axis, !rev, inc)?,
        ScanOp::Prod => {
            // d out[i] / d x[j] = out[i] / x[j] while x[j] != 0. For the
            // first zero, the product of the others is the scan with that
            // zero replaced by one; every later element has a zero among
            // its "others" (the first one), so gets nothing (MLX's rule,
            // with the zeros found by counting rather than by out == 0).
            let dt = x.dtype();
            let (zero, one) = (scalar(0.0, dt)?, scalar(1.0, dt)?);
            let (is_zero, first) = zero_masks(p, x)?;
            let safe = ops::where_(&is_zero, &one, x, None)?;
            let back = scan(
                ScanOp::Sum,
                &ops::multiply(&conj(out)?, cot, None)?,
                axis,
                !rev,
                inc,
            )?;
            let regular = ops::divide(&back, &conj(&safe)?, None)?;
            let regular = ops::where_(&is_zero, &zero, &regular, None)?;
            let with_one = scan(
                ScanOp::Prod,
                &ops::where_(&first, &one, x, None)?,
                axis,
                rev,
                inc,
            )?;
            let at_first = scan(
                ScanOp::Sum,
                &ops::multiply(&conj(&with_one)?, cot, None)?,
                axis,
                !rev,
                inc,
            )?;
            ops::add(
                &regular,
                &ops::where_(&first, &at_first, &zero, None)?,
                None,
            )?
        }
        ScanOp::Max | ScanOp::Min => {
            // Output i takes its value from the latest record in its range
            // (MLX: ties go to the element scanned last), so a record j
            // collects the cotangents of the outputs from itself up to the
            // next record (exclusive scans: one position later).
            let flows_up = !rev;
            let rec = records(p.op, x, out)?;
            let c = if inc {
                cot.clone()
            } else {
                shift(cot, axis, 1, !flows_up)?
            };
            let heads = shift(&rec, axis, 1, !flows_up)?;
            let blocks = segmented_sum(&c, &heads, axis, !flows_up)?;
            ops::where_(&rec, &blocks, &scalar(0.0, x.dtype())?, None)?
        }
        ScanOp::LogAddExp => {
            // cot_x[j] = sum_i cot[i] exp(x[j] - out[i]) over the outputs i
            // whose range holds j, split by the sign of cot so that it is a
            // logcumsumexp (MLX's rule). Outputs of an all -inf range give
            // nothing.
            let dt = x.dtype();
            let lowest = scalar(finfo(dt).map_or(f64::MIN, |f| f.min), dt)?;
            let empty = ops::isneginf(out, None)?;
            let (lp, ln) = signed_logs(cot)?;
            let part = |l: &Array| -> Result<Array> {
                let d = ops::where_(&empty, &lowest, &ops::subtract(l, out, None)?, None)?;
                let s = scan(ScanOp::LogAddExp, &d, axis, !rev, inc)?;
                ops::exp(&ops::add(&s, x, None)?, None)
            };
            ops::subtract(&part(&lp)?, &part(&ln)?, None)?
        }
    };
    Ok(vec![g])
}

pub(super) fn scan_jvp(p: &Scan, primals: &[Array], tangents: &[Array]) -> Result<Vec<Array>> {
    let x = &primals[0];
    let t = &tangents[0];
    if !x.dtype().is_inexact() {
        return Ok(vec![ops::zeros_like(x, None, None)?]);
    }
    let (axis, rev, inc) = (p.axis, p.reverse, p.inclusive);
    let dt = x.dtype();
    let zero = scalar(0.0, dt)?;
    let r = match p.op {
        ScanOp::Sum => scan(ScanOp::Sum, t, axis, rev, inc)?,
        ScanOp::Prod => {
            // The transpose of the vjp: out * scan(t / x) over the non-zero
            // elements, plus the first zero's tangent times the product
            // of the others.
            let one = scalar(1.0, dt)?;
            let (is_zero, first) = zero_masks(p, x)?;
            let safe = ops::where_(&is_zero, &one, x, None)?;
            let ratio = ops::where_(&is_zero, &zero, &ops::divide(t, &safe, None)?, None)?;
            let out = scan(ScanOp::Prod, x, axis, rev, inc)?;
            let regular = ops::multiply(&out, &scan(ScanOp::Sum, &ratio, axis, rev, inc)?, None)?;
            let with_one = scan(
                ScanOp::Prod,
                &ops::where_(&first, &one, x, None)?,
                axis,
                rev,
                inc,
            )?;
            let t_first = scan(
                ScanOp::Sum,
                &ops::where_(&first, t, &zero, None)?,
                axis,
                rev,
                inc,
            )?;
            ops::add(&regular, &ops::multiply(&with_one, &t_first, None)?, None)?
        }
        ScanOp::Max | ScanOp::Min => {
            // Each output carries the tangent of the latest record in its
            // range: the records' tangents filled forward in scan order.
            let flows_up = !rev;
            let out = scan(p.op, x, axis, rev, inc)?;
            let rec = records(p.op, x, &out)?;
            let v = ops::where_(&rec, t, &zero, None)?;
            let filled = segmented_sum(&v, &rec, axis, flows_up)?;
            if inc {
                filled
            } else {
                shift(&filled, axis, 1, flows_up)?
            }
        }
        ScanOp::LogAddExp => {
            // t_out[i] = sum_j t[j] exp(x[j] - out[i]) over i's range, split
            // by the sign of t; an empty (all -inf) range gives 0.
            let out = scan(ScanOp::LogAddExp, x, axis, rev, inc)?;
            let empty = ops::isneginf(&out, None)?;
            let out_safe = ops::where_(&empty, &zero, &out, None)?;
            let (lp, ln) = signed_logs(t)?;
            let part = |l: &Array| -> Result<Array> {
                let s = scan(ScanOp::LogAddExp, &ops::add(x, l, None)?, axis, rev, inc)?;
                ops::exp(&ops::subtract(&s, &out_safe, None)?, None)
            };
            let d = ops::subtract(&part(&lp)?, &part(&ln)?, None)?;
            ops::where_(&empty, &zero, &d, None)?
        }
    };
    Ok(vec![r])
}

pub(super) fn scan_vmap(
    p: &Scan,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let x = &inputs[0];
    let axis = match axes[0] {
        Some(b) if b <= p.axis => p.axis + 1,
        _ => p.axis,
    };
    let r = scan(p.op, x, axis, p.reverse, p.inclusive)?;
    Ok((vec![r], vec![axes[0]]))
}
