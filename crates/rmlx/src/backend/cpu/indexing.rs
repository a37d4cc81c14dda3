//! CPU kernels of the indexing family: gather and scatter over index arrays,
//! their one-axis forms (`take_along_axis`, `put_along_axis`,
//! `scatter_add_axis`) and the strided slice update.
//!
//! Index arrays of any integer dtype are read once into element offsets:
//! negative indices wrap (as in MLX) and every index is bounds-checked before
//! anything is written, so an out-of-range index is an `IndexError` at
//! evaluation and a failed scatter leaves a donated input untouched.
//! Copies depend only on the element size; the reducing scatters dispatch
//! over dtypes once per row, not per element.

use half::{bf16, f16};
use num_complex::Complex32;

use super::binary::Arith;
use super::copy::copy_strided;
use super::strided::{collapse, for_rows, num_rows};
use super::{SyncPtr, PAR_THRESHOLD};
use crate::array::{row_strides, shape_size, Array, Data};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::indexing::ScatterReduce;

/// Runs `f(start, end)` over `0..n` items, each costing about `cost`
/// element copies, splitting across cores when the total repays it.
fn par_items(n: usize, cost: usize, f: impl Fn(usize, usize) + Sync + Send) {
    let total = n.saturating_mul(cost.max(1));
    let threads = rayon::current_num_threads();
    if total < PAR_THRESHOLD || threads <= 1 || n < 2 {
        f(0, n);
        return;
    }
    let chunks = (threads * 4).min(n).min(total.div_ceil(PAR_THRESHOLD / 4));
    let per = n.div_ceil(chunks);
    rayon::scope(|s| {
        let f = &f;
        for c in 1..chunks {
            let (a, b) = (c * per, ((c + 1) * per).min(n));
            if a < b {
                s.spawn(move |_| f(a, b));
            }
        }
        f(0, per.min(n));
    });
}

/// An integer element read as an index (`u64` beyond `i64::MAX` saturates,
/// which the bounds check then refuses).
trait IndexElem: Copy {
    fn to_i64(self) -> i64;
}

macro_rules! index_elem {
    ($($t:ty),*) => {$(
        impl IndexElem for $t {
            #[inline(always)]
            fn to_i64(self) -> i64 {
                i64::try_from(self).unwrap_or(i64::MAX)
            }
        }
    )*};
}
index_elem!(i8, i16, i32, i64, u8, u16, u32, u64);

fn read_typed<T: IndexElem>(d: &Data, shape: &[i64], out: &mut Vec<i64>) {
    let base: *const T = d.ptr();
    if d.is_row_contiguous(shape) {
        // SAFETY: a row-contiguous view of `shape` holds that many elements.
        let v = unsafe { std::slice::from_raw_parts(base, shape_size(shape)) };
        out.extend(v.iter().map(|&x| x.to_i64()));
        return;
    }
    let (cs, [st]) = collapse(shape, [&d.strides]);
    let inner = cs[cs.len() - 1] as usize;
    let step = st[st.len() - 1] as isize;
    for_rows(
        &cs,
        std::array::from_ref(&st),
        0,
        num_rows(&cs),
        |_, [o]| {
            // SAFETY: offsets come from the view's own strides and shape.
            out.extend((0..inner as isize).map(|i| unsafe { *base.offset(o + i * step) }.to_i64()));
        },
    );
}

/// The values of integer array `idx` (viewed with `shape`, which it must
/// have) in row-major order.
pub fn index_values(idx: &Array, shape: &[i64]) -> Result<Vec<i64>> {
    let n = shape_size(shape);
    let mut out = Vec::with_capacity(n);
    if n == 0 {
        return Ok(out);
    }
    let d = idx.data();
    match idx.dtype() {
        Dtype::Int8 => read_typed::<i8>(d, shape, &mut out),
        Dtype::Int16 => read_typed::<i16>(d, shape, &mut out),
        Dtype::Int32 => read_typed::<i32>(d, shape, &mut out),
        Dtype::Int64 => read_typed::<i64>(d, shape, &mut out),
        Dtype::Uint8 => read_typed::<u8>(d, shape, &mut out),
        Dtype::Uint16 => read_typed::<u16>(d, shape, &mut out),
        Dtype::Uint32 => read_typed::<u32>(d, shape, &mut out),
        Dtype::Uint64 => read_typed::<u64>(d, shape, &mut out),
        dt => {
            return Err(Error::type_(format!(
                "[gather] Indices must be integers, got {dt}."
            )))
        }
    }
    Ok(out)
}

/// The error for index `i` outside `[-dim, dim - size]` on `axis`.
fn out_of_bounds(op: &str, i: i64, axis: usize, dim: i64, size: i64) -> Error {
    if size == 1 {
        Error::index(format!(
            "[{op}] index {i} is out of bounds for axis {axis} with size {dim}"
        ))
    } else {
        Error::index(format!(
            "[{op}] start index {i} with slice size {size} is out of bounds for axis {axis} with size {dim}"
        ))
    }
}

/// Wraps a negative index and checks that a slice of `size` starting there
/// fits in `dim`.
#[inline]
fn wrap_index(op: &str, i: i64, axis: usize, dim: i64, size: i64) -> Result<i64> {
    let j = if i < 0 { i.wrapping_add(dim) } else { i };
    if j < 0 || j > dim - size {
        return Err(out_of_bounds(op, i, axis, dim, size));
    }
    Ok(j)
}

/// Element offsets of every index position (row-major over `idx_shape`):
/// the sum over the index arrays of the wrapped index times the stride of
/// its axis. `dims` and `sizes` are the indexed array's extents and the
/// slice sizes (the checks need both).
#[allow(clippy::too_many_arguments)]
fn index_offsets(
    op: &str,
    indices: &[Array],
    idx_shape: &[i64],
    axes: &[usize],
    dims: &[i64],
    sizes: &[i64],
    strides: &[i64],
) -> Result<Vec<i64>> {
    let n = shape_size(idx_shape);
    let mut offs = vec![0i64; n];
    for (idx, &ax) in indices.iter().zip(axes) {
        let vals = index_values(idx, idx_shape)?;
        let (dim, size, st) = (dims[ax], sizes[ax], strides[ax]);
        for (o, &v) in offs.iter_mut().zip(&vals) {
            *o += wrap_index(op, v, ax, dim, size)? * st;
        }
    }
    Ok(offs)
}

/// Offsets of each row-major position of `shape` along `strides`.
fn position_offsets(shape: &[i64], strides: &[i64]) -> Vec<i64> {
    let n = shape_size(shape);
    if shape.is_empty() {
        return vec![0; n];
    }
    let mut out = Vec::with_capacity(n);
    let inner = shape[shape.len() - 1];
    let step = strides[strides.len() - 1];
    for_rows(shape, &[strides.to_vec()], 0, num_rows(shape), |_, [o]| {
        for i in 0..inner {
            out.push(o as i64 + i * step);
        }
    });
    out
}

#[inline(always)]
unsafe fn copy_run<T: Copy>(src: *const T, s: isize, dst: *mut T, n: usize) {
    if s == 1 {
        std::ptr::copy_nonoverlapping(src, dst, n);
    } else {
        for i in 0..n {
            *dst.add(i) = *src.offset(i as isize * s);
        }
    }
}

/// How many slices ahead a gather of contiguous slices prefetches.
const ROW_PREFETCH_DISTANCE: usize = 2;
/// At most this many elements of a slice are prefetched (the hardware
/// prefetcher follows a long run by itself once it has started).
const ROW_PREFETCH_MAX: usize = 1024;

/// Copies, for every offset `offs[p]`, the slice of `cshape` (strides `cs`
/// from `src + offs[p]`) into the `p`-th block of `m` elements at `dst`.
fn gather_typed<T: Copy + Send + Sync>(
    src: *const T,
    offs: &[i64],
    cshape: &[i64],
    cs: &[i64],
    dst: *mut T,
    m: usize,
) {
    let nd = cshape.len();
    let inner = cshape[nd - 1] as usize;
    let step = cs[nd - 1] as isize;
    let rows = num_rows(cshape);
    let strides = [cs.to_vec()];
    let (src, dst) = (SyncPtr(src as *mut T), SyncPtr(dst));
    par_items(offs.len(), m, |p0, p1| {
        let (src, dst) = (src, dst);
        // SAFETY: offsets were bounds-checked against the source view, and
        // each `p` owns its own block of the output.
        unsafe {
            if m == 1 {
                for p in p0..p1 {
                    *dst.0.add(p) = *src.0.offset(offs[p] as isize);
                }
            } else if rows == 1 && step == 1 {
                // Contiguous slices (embedding rows): the rows are scattered
                // over the table, so the hardware prefetcher restarts at
                // every row; asking for the row two ahead hides that.
                for p in p0..p1 {
                    if p + ROW_PREFETCH_DISTANCE < p1 {
                        let next = src.0.offset(offs[p + ROW_PREFETCH_DISTANCE] as isize);
                        super::prefetch_block(next, inner.min(ROW_PREFETCH_MAX));
                    }
                    std::ptr::copy_nonoverlapping(
                        src.0.offset(offs[p] as isize),
                        dst.0.add(p * m),
                        inner,
                    );
                }
            } else if rows == 1 {
                for p in p0..p1 {
                    copy_run(
                        src.0.offset(offs[p] as isize),
                        step,
                        dst.0.add(p * m),
                        inner,
                    );
                }
            } else {
                for p in p0..p1 {
                    let base = src.0.offset(offs[p] as isize);
                    let out = dst.0.add(p * m);
                    for_rows(cshape, &strides, 0, rows, |r, [o]| {
                        copy_run(base.offset(o), step, out.add(r * inner), inner);
                    });
                }
            }
        }
    });
}

/// `out[i..., s...] = a[indices at axes + s...]`: the output (row-major, of
/// `out_shape` = index shape ++ `slice_sizes`) gets one slice of `a` per
/// index position.
pub fn gather(
    a: &Array,
    indices: &[Array],
    axes: &[usize],
    slice_sizes: &[i64],
    out: &Data,
    out_shape: &[i64],
) -> Result<()> {
    let idx_shape = &out_shape[..out_shape.len() - slice_sizes.len()];
    let (n, m) = (shape_size(idx_shape), shape_size(slice_sizes));
    if n == 0 || m == 0 {
        return Ok(());
    }
    let d = a.data();
    let offs = index_offsets(
        "gather",
        indices,
        idx_shape,
        axes,
        a.shape(),
        slice_sizes,
        &d.strides,
    )?;
    let (cshape, [cs, _]) = if slice_sizes.is_empty() {
        (vec![1], [vec![0], vec![0]])
    } else {
        collapse(slice_sizes, [&d.strides, &row_strides(slice_sizes)])
    };
    let dst = out.byte_ptr(a.dtype());
    let src = d.byte_ptr(a.dtype());
    match a.itemsize() {
        1 => gather_typed::<u8>(src, &offs, &cshape, &cs, dst, m),
        2 => gather_typed::<u16>(src as _, &offs, &cshape, &cs, dst as _, m),
        4 => gather_typed::<u32>(src as _, &offs, &cshape, &cs, dst as _, m),
        8 => gather_typed::<u64>(src as _, &offs, &cshape, &cs, dst as _, m),
        e => unreachable!("element size {e}"),
    }
    Ok(())
}

/// The scatter reductions of one element type.
pub trait Combine: Copy + Send + Sync {
    /// a + b
    fn sum(a: Self, b: Self) -> Self;
    /// a * b
    fn prod(a: Self, b: Self) -> Self;
    /// max(a, b), NaN-propagating
    fn max(a: Self, b: Self) -> Self;
    /// min(a, b), NaN-propagating
    fn min(a: Self, b: Self) -> Self;
}

macro_rules! combine_arith {
    ($($t:ty),*) => {$(
        impl Combine for $t {
            #[inline(always)] fn sum(a: Self, b: Self) -> Self { <$t as Arith>::add(a, b) }
            #[inline(always)] fn prod(a: Self, b: Self) -> Self { <$t as Arith>::mul(a, b) }
            #[inline(always)] fn max(a: Self, b: Self) -> Self { <$t as Arith>::max(a, b) }
            #[inline(always)] fn min(a: Self, b: Self) -> Self { <$t as Arith>::min(a, b) }
        }
    )*};
}
combine_arith!(bool, u8, u16, u32, u64, i8, i16, i32, i64, f16, bf16, f32, f64);

impl Combine for Complex32 {
    fn sum(a: Self, b: Self) -> Self {
        a + b
    }
    fn prod(a: Self, b: Self) -> Self {
        a * b
    }
    // Lexicographic order (real, then imaginary), as MLX's maximum.
    fn max(a: Self, b: Self) -> Self {
        if a.re.is_nan() || a.im.is_nan() || (a.re, a.im) > (b.re, b.im) {
            a
        } else {
            b
        }
    }
    fn min(a: Self, b: Self) -> Self {
        if a.re.is_nan() || a.im.is_nan() || (a.re, a.im) < (b.re, b.im) {
            a
        } else {
            b
        }
    }
}

/// `dst[i*ds] = op(dst[i*ds], src[i*ss])` for `i < n`. Contiguous runs go
/// through slices, which the compiler knows do not alias, so the loops
/// vectorise.
#[inline(always)]
unsafe fn combine_run<T: Combine>(
    red: ScatterReduce,
    dst: *mut T,
    ds: isize,
    src: *const T,
    ss: isize,
    n: usize,
) {
    if ds == 1 && ss == 1 {
        if red == ScatterReduce::None {
            std::ptr::copy_nonoverlapping(src, dst, n);
            return;
        }
        let d = std::slice::from_raw_parts_mut(dst, n);
        let s = std::slice::from_raw_parts(src, n);
        macro_rules! run {
            ($f:expr) => {
                for (x, &y) in d.iter_mut().zip(s) {
                    *x = $f(*x, y);
                }
            };
        }
        match red {
            ScatterReduce::None => {}
            ScatterReduce::Sum => run!(T::sum),
            ScatterReduce::Prod => run!(T::prod),
            ScatterReduce::Max => run!(T::max),
            ScatterReduce::Min => run!(T::min),
        }
        return;
    }
    macro_rules! run {
        ($f:expr) => {
            for i in 0..n as isize {
                let d = dst.offset(i * ds);
                *d = $f(*d, *src.offset(i * ss));
            }
        };
    }
    match red {
        ScatterReduce::None => run!(|_: T, b: T| b),
        ScatterReduce::Sum => run!(T::sum),
        ScatterReduce::Prod => run!(T::prod),
        ScatterReduce::Max => run!(T::max),
        ScatterReduce::Min => run!(T::min),
    }
}

/// Where a scatter writes: per index position, the output and update
/// offsets; the slice's shape and its output / update strides.
struct ScatterPlan<'a> {
    offs: &'a [i64],
    uoffs: &'a [i64],
    shape: &'a [i64],
    ostr: [Vec<i64>; 2],
}

/// Applies the updates of every index position in order (so the last
/// duplicate wins for `None` and reductions accumulate), restricted to
/// columns `c0..c1` of the slice's last axis.
fn scatter_cols<T: Combine>(
    red: ScatterReduce,
    plan: &ScatterPlan<'_>,
    out: SyncPtr<T>,
    upd: SyncPtr<T>,
    c0: usize,
    c1: usize,
) {
    let nd = plan.shape.len();
    let (os, us) = (plan.ostr[0][nd - 1] as isize, plan.ostr[1][nd - 1] as isize);
    let rows = num_rows(plan.shape);
    let w = c1 - c0;
    // SAFETY: offsets were bounds-checked; column ranges of concurrent
    // calls never meet (see `scatter`).
    unsafe {
        let (o0, u0) = (
            out.0.offset(c0 as isize * os),
            upd.0.offset(c0 as isize * us),
        );
        for (&po, &pu) in plan.offs.iter().zip(plan.uoffs) {
            let (ob, ub) = (o0.offset(po as isize), u0.offset(pu as isize));
            if rows == 1 {
                combine_run(red, ob, os, ub, us, w);
            } else {
                for_rows(plan.shape, &plan.ostr, 0, rows, |_, [oo, uo]| {
                    combine_run(red, ob.offset(oo), os, ub.offset(uo), us, w)
                });
            }
        }
    }
}

fn scatter_typed<T: Combine>(
    red: ScatterReduce,
    plan: &ScatterPlan<'_>,
    out: *mut T,
    upd: *const T,
    split: bool,
) {
    let inner = plan.shape[plan.shape.len() - 1] as usize;
    let (out, upd) = (SyncPtr(out), SyncPtr(upd as *mut T));
    let total = plan.offs.len() * shape_size(plan.shape);
    let threads = rayon::current_num_threads();
    let chunks = if split && total >= PAR_THRESHOLD && threads > 1 {
        threads.min(inner / 64)
    } else {
        1
    };
    if chunks <= 1 {
        scatter_cols(red, plan, out, upd, 0, inner);
        return;
    }
    let per = inner.div_ceil(chunks);
    rayon::scope(|s| {
        for c in 1..chunks {
            let (a, b) = (c * per, ((c + 1) * per).min(inner));
            if a < b {
                s.spawn(move |_| scatter_cols(red, plan, out, upd, a, b));
            }
        }
        scatter_cols(red, plan, out, upd, 0, per.min(inner));
    });
}

/// Scatters `updates` (index shape ++ slice shape) into `out` (row-major,
/// of `out_shape`, already holding the input) at `indices` over `axes`,
/// combining with `red`. Positions are applied in row-major order, so for
/// `None` the last duplicate wins and the reductions accumulate.
pub fn scatter(
    red: ScatterReduce,
    dtype: Dtype,
    out: &Data,
    out_shape: &[i64],
    indices: &[Array],
    axes: &[usize],
    updates: &Array,
) -> Result<()> {
    let nd = out_shape.len();
    let ushape = updates.shape();
    let idx_nd = ushape.len() - nd;
    let (idx_shape, slice) = ushape.split_at(idx_nd);
    let (n, m) = (shape_size(idx_shape), shape_size(slice));
    if n == 0 || m == 0 {
        return Ok(());
    }
    let offs = index_offsets(
        "scatter",
        indices,
        idx_shape,
        axes,
        out_shape,
        slice,
        &out.strides,
    )?;
    let ud = updates.data();
    let uoffs = position_offsets(idx_shape, &ud.strides[..idx_nd]);
    // Columns of the last axis never collide across index positions when
    // that axis is neither indexed nor partially covered: then they may be
    // split across threads.
    let split = nd > 0 && !axes.contains(&(nd - 1)) && slice[nd - 1] == out_shape[nd - 1];
    let (shape, ostr) = if nd == 0 {
        (vec![1], [vec![0], vec![0]])
    } else {
        (
            slice.to_vec(),
            [out.strides.to_vec(), ud.strides[idx_nd..].to_vec()],
        )
    };
    let plan = ScatterPlan {
        offs: &offs,
        uoffs: &uoffs,
        shape: &shape,
        ostr,
    };
    let (o, u) = (out.byte_ptr(dtype), ud.byte_ptr(dtype));
    if red == ScatterReduce::None {
        match dtype.size() {
            1 => scatter_typed::<u8>(red, &plan, o, u, split),
            2 => scatter_typed::<u16>(red, &plan, o as _, u as _, split),
            4 => scatter_typed::<u32>(red, &plan, o as _, u as _, split),
            8 => scatter_typed::<u64>(red, &plan, o as _, u as _, split),
            e => unreachable!("element size {e}"),
        }
    } else {
        crate::dispatch!(dtype, T => scatter_typed::<T>(red, &plan, o as _, u as _, split));
    }
    Ok(())
}

/// The wrapped, bounds-checked values of `idx` (of `shape`) along `axis`
/// of extent `dim`.
fn axis_indices(op: &str, idx: &Array, shape: &[i64], axis: usize, dim: i64) -> Result<Vec<i64>> {
    let mut vals = index_values(idx, shape)?;
    for v in vals.iter_mut() {
        *v = wrap_index(op, *v, axis, dim, 1)?;
    }
    Ok(vals)
}

/// Rows of an along-axis kernel: the index shape collapsed with the
/// strides of the indexed array (zero on the axis, whose offset comes from
/// the index values), of a second operand, and of the row-major index
/// positions.
struct AxisRows {
    shape: Vec<i64>,
    strides: [Vec<i64>; 3],
}

impl AxisRows {
    fn new(shape: &[i64], indexed: &[i64], axis: usize, other: &[i64]) -> (AxisRows, i64) {
        let mut st = indexed.to_vec();
        let step = st[axis];
        st[axis] = 0;
        let (shape, strides) = collapse(shape, [&st, other, &row_strides(shape)]);
        (AxisRows { shape, strides }, step)
    }
    fn inner(&self) -> (usize, [isize; 3]) {
        let nd = self.shape.len();
        (
            self.shape[nd - 1] as usize,
            std::array::from_fn(|k| self.strides[k][nd - 1] as isize),
        )
    }
}

fn gather_axis_typed<T: Copy + Send + Sync>(
    src: *const T,
    rows: &AxisRows,
    vals: &[i64],
    step: i64,
    dst: *mut T,
) {
    let (src, dst) = (SyncPtr(src as *mut T), SyncPtr(dst));
    let (inner, [sa, so, sp]) = rows.inner();
    par_items(num_rows(&rows.shape), inner, |r0, r1| {
        let (src, dst) = (src, dst);
        for_rows(&rows.shape, &rows.strides, r0, r1, |_, [ao, oo, po]| {
            for i in 0..inner as isize {
                let p = (po + i * sp) as usize;
                // SAFETY: indices were checked against the axis extent.
                unsafe {
                    *dst.0.offset(oo + i * so) =
                        *src.0.offset(ao + i * sa + (vals[p] * step) as isize)
                };
            }
        });
    });
}

/// `out[..., i, ...] = a[..., idx[..., i, ...], ...]` along `axis`; `a`
/// and `idx` have equal extents except on `axis`, `out` has `idx`'s shape.
pub fn gather_axis(a: &Array, idx: &Array, axis: usize, out: &Data, shape: &[i64]) -> Result<()> {
    if shape_size(shape) == 0 {
        return Ok(());
    }
    let vals = axis_indices("take_along_axis", idx, shape, axis, a.shape()[axis])?;
    let d = a.data();
    let (rows, step) = AxisRows::new(shape, &d.strides, axis, &out.strides);
    let (src, dst) = (d.byte_ptr(a.dtype()), out.byte_ptr(a.dtype()));
    match a.itemsize() {
        1 => gather_axis_typed::<u8>(src, &rows, &vals, step, dst),
        2 => gather_axis_typed::<u16>(src as _, &rows, &vals, step, dst as _),
        4 => gather_axis_typed::<u32>(src as _, &rows, &vals, step, dst as _),
        8 => gather_axis_typed::<u64>(src as _, &rows, &vals, step, dst as _),
        e => unreachable!("element size {e}"),
    }
    Ok(())
}

fn scatter_axis_typed<T: Combine>(
    red: ScatterReduce,
    out: *mut T,
    rows: &AxisRows,
    vals: &[i64],
    step: i64,
    src: *const T,
) {
    let (inner, [so, su, sp]) = rows.inner();
    macro_rules! run {
        ($f:expr) => {
            for_rows(
                &rows.shape,
                &rows.strides,
                0,
                num_rows(&rows.shape),
                |_, [oo, uo, po]| {
                    for i in 0..inner as isize {
                        let p = (po + i * sp) as usize;
                        // SAFETY: indices were checked against the axis extent.
                        unsafe {
                            let d = out.offset(oo + i * so + (vals[p] * step) as isize);
                            *d = $f(*d, *src.offset(uo + i * su));
                        }
                    }
                },
            )
        };
    }
    match red {
        ScatterReduce::None => run!(|_: T, b: T| b),
        ScatterReduce::Sum => run!(T::sum),
        ScatterReduce::Prod => run!(T::prod),
        ScatterReduce::Max => run!(T::max),
        ScatterReduce::Min => run!(T::min),
    }
}

/// `out[..., idx[..., i, ...], ...] (red)= values[..., i, ...]` along `axis`
/// (`out` row-major, already holding the input; `idx` and `values` share a
/// shape). Applied in row-major order: the last duplicate wins for `None`.
pub fn scatter_axis(
    red: ScatterReduce,
    dtype: Dtype,
    out: &Data,
    out_shape: &[i64],
    idx: &Array,
    values: &Array,
    axis: usize,
) -> Result<()> {
    let shape = idx.shape();
    if shape_size(shape) == 0 {
        return Ok(());
    }
    let op = if red == ScatterReduce::None {
        "put_along_axis"
    } else {
        "scatter_add_axis"
    };
    let vals = axis_indices(op, idx, shape, axis, out_shape[axis])?;
    let vd = values.data();
    let (rows, step) = AxisRows::new(shape, &out.strides, axis, &vd.strides);
    let (o, u) = (out.byte_ptr(dtype), vd.byte_ptr(dtype));
    if red == ScatterReduce::None {
        match dtype.size() {
            1 => scatter_axis_typed::<u8>(red, o, &rows, &vals, step, u),
            2 => scatter_axis_typed::<u16>(red, o as _, &rows, &vals, step, u as _),
            4 => scatter_axis_typed::<u32>(red, o as _, &rows, &vals, step, u as _),
            8 => scatter_axis_typed::<u64>(red, o as _, &rows, &vals, step, u as _),
            e => unreachable!("element size {e}"),
        }
    } else {
        crate::dispatch!(dtype, T => scatter_axis_typed::<T>(red, o as _, &rows, &vals, step, u as _));
    }
    Ok(())
}

/// Writes `update` (of shape `count`) into the strided window of `out`
/// (row-major, of `out_shape`, already holding the input) that starts at
/// `start` with steps `step`.
pub fn slice_update(
    out: &Data,
    dtype: Dtype,
    update: &Array,
    start: &[i64],
    step: &[i64],
    count: &[i64],
) {
    if shape_size(count) == 0 {
        return;
    }
    let off: i64 = start
        .iter()
        .zip(out.strides.iter())
        .map(|(s, t)| s * t)
        .sum();
    let dst_strides: Vec<i64> = step
        .iter()
        .zip(out.strides.iter())
        .map(|(k, t)| k * t)
        .collect();
    // SAFETY: the window lies inside the output (checked by the op).
    let dst = unsafe {
        out.byte_ptr(dtype)
            .offset(off as isize * dtype.size() as isize)
    };
    copy_strided(update.data(), count, dtype.size(), dst, &dst_strides);
}

/// Fills `out` (row-major, of `a`'s shape) with a copy of `a`.
pub fn copy_input(a: &Array, out: &Data) {
    if a.size() > 0 {
        super::copy::copy_to_contiguous(a.data(), a.shape(), a.itemsize(), out.byte_ptr(a.dtype()));
    }
}
