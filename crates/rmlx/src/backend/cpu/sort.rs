//! CPU kernels of the sort family: `sort`, `argsort`, `partition`,
//! `argpartition` and `searchsorted`, in MLX's order (see `sort_algo.rs`:
//! every dtype becomes unsigned keys, NaNs last).
//!
//! The input is walked as rows along the sorted axis, read through its
//! strides (no copy for transposed or broadcast inputs); rows are split
//! across cores. Values are sorted as keys (radix sort above
//! [`RADIX_MIN`] elements) and decoded; where a row holds `-0.0` or a
//! non-canonical NaN, those runs are refilled with the input's own bits in
//! input order, which is what a stable sort yields. Index sorts sort
//! `(key, index)` pairs, which makes them stable. Partitions run the
//! libstdc++ `nth_element` replica on `(key, index)` pairs, comparing keys
//! only (values, as MLX's `partition`) or keys then indices (as MLX's
//! `argpartition`), and gather the values from the input.

use super::sort_algo::{
    nth_element, sort_map, Bf16, Class, Codec, Item, Key, Unsigned, C64, F16, F32, F64, I16, I32,
    I64, I8,
};
use super::{par_range, SyncPtr};
use crate::array::{row_strides, Data};
use crate::dtype::Dtype;
use crate::error::Result;
use std::sync::atomic::{AtomicBool, Ordering};

/// Runs `$body` with `$C` the codec of `$dt`.
macro_rules! with_codec {
    ($dt:expr, $C:ident => $body:expr) => {
        match $dt {
            Dtype::Bool | Dtype::Uint8 => {
                type $C = Unsigned<u8>;
                $body
            }
            Dtype::Uint16 => {
                type $C = Unsigned<u16>;
                $body
            }
            Dtype::Uint32 => {
                type $C = Unsigned<u32>;
                $body
            }
            Dtype::Uint64 => {
                type $C = Unsigned<u64>;
                $body
            }
            Dtype::Int8 => {
                type $C = I8;
                $body
            }
            Dtype::Int16 => {
                type $C = I16;
                $body
            }
            Dtype::Int32 => {
                type $C = I32;
                $body
            }
            Dtype::Int64 => {
                type $C = I64;
                $body
            }
            Dtype::Float16 => {
                type $C = F16;
                $body
            }
            Dtype::Bfloat16 => {
                type $C = Bf16;
                $body
            }
            Dtype::Float32 => {
                type $C = F32;
                $body
            }
            Dtype::Float64 => {
                type $C = F64;
                $body
            }
            Dtype::Complex64 => {
                type $C = C64;
                $body
            }
        }
    };
}

/// The rows of an array along one axis: row `r`'s element `i` is at
/// `in_off(r) + i * in_ax` in the input and `out_off(r) + i * out_ax` in
/// the row-contiguous output of the same shape.
struct Rows {
    n: usize,
    count: usize,
    /// (extent, input stride, output stride) of the other axes.
    rest: Vec<(i64, i64, i64)>,
    in_ax: isize,
    out_ax: isize,
}

impl Rows {
    fn new(shape: &[i64], in_strides: &[i64], axis: usize) -> Rows {
        let out_strides = row_strides(shape);
        let rest = (0..shape.len())
            .filter(|&d| d != axis)
            .map(|d| (shape[d], in_strides[d], out_strides[d]))
            .collect::<Vec<_>>();
        let n = shape[axis] as usize;
        let size = shape.iter().product::<i64>() as usize;
        Rows {
            n,
            count: size.checked_div(n).unwrap_or(0),
            rest,
            in_ax: in_strides[axis] as isize,
            out_ax: out_strides[axis] as isize,
        }
    }

    /// Element offsets of row `r`'s start in the input and the output.
    fn offsets(&self, mut r: usize) -> (isize, isize) {
        let (mut i, mut o) = (0isize, 0isize);
        for &(d, is, os) in self.rest.iter().rev() {
            let k = (r % d as usize) as isize;
            r /= d as usize;
            i += k * is as isize;
            o += k * os as isize;
        }
        (i, o)
    }

    /// Calls `f(scratch, in_off, out_off)` for every row, splitting rows
    /// across cores; each worker gets its own scratch.
    fn run<S: Default>(&self, f: impl Fn(&mut S, isize, isize) + Sync + Send) {
        let (n, count) = (self.n, self.count);
        if n == 0 || count == 0 {
            return;
        }
        par_range(n * count, |a, b| {
            let mut scratch = S::default();
            for r in a.div_ceil(n)..b.div_ceil(n).min(count) {
                let (i, o) = self.offsets(r);
                f(&mut scratch, i, o);
            }
        });
    }
}

/// Scratch buffers of one worker.
struct Bufs<K, P> {
    keys: Vec<K>,
    keys2: Vec<K>,
    items: Vec<P>,
    items2: Vec<P>,
}

impl<K, P> Default for Bufs<K, P> {
    fn default() -> Self {
        Bufs {
            keys: Vec::new(),
            keys2: Vec::new(),
            items: Vec::new(),
            items2: Vec::new(),
        }
    }
}

type PackedOf<C> = <<C as Codec>::K as Key>::Packed;

/// Replaces `v` with `f(i, x_i)` for the `n` elements `x_i` at `src` with
/// stride `s`, in parallel for large `n` (contiguous rows in vectorisable
/// loops); returns whether some `f(..).1` was true.
///
/// # Safety
/// `src` must address `n` elements with stride `s`.
unsafe fn fill<K: Copy + Send + Sync, T: Copy + Send + Sync>(
    v: &mut Vec<T>,
    src: *const K,
    s: isize,
    n: usize,
    f: impl Fn(usize, K) -> (T, bool) + Sync + Send,
) -> bool {
    v.clear();
    v.reserve(n);
    let dst = SyncPtr(v.spare_capacity_mut().as_mut_ptr());
    let src = SyncPtr(src as *mut K);
    let odd = AtomicBool::new(false);
    par_range(n, |a, b| {
        let (src, dst) = (src, dst);
        // SAFETY: a..b < n lies within the reserved capacity.
        let d = unsafe { std::slice::from_raw_parts_mut(dst.0.add(a), b - a) };
        let mut o = false;
        if s == 1 {
            // SAFETY: src addresses n contiguous elements.
            let x = unsafe { std::slice::from_raw_parts(src.0.add(a) as *const K, b - a) };
            for (j, (d, &x)) in d.iter_mut().zip(x).enumerate() {
                let (y, oi) = f(a + j, x);
                d.write(y);
                o |= oi;
            }
        } else {
            for (j, d) in d.iter_mut().enumerate() {
                let i = a + j;
                // SAFETY: i < n.
                let (y, oi) = f(i, unsafe { *src.0.offset(i as isize * s) });
                d.write(y);
                o |= oi;
            }
        }
        if o {
            odd.store(true, Ordering::Relaxed);
        }
    });
    // SAFETY: every element below n was written.
    v.set_len(n);
    odd.into_inner()
}

/// The keys of `n` elements at `src` with stride `s` into `v`; returns
/// whether some element differs from its key's canonical value.
///
/// # Safety
/// `src` must address `n` elements with stride `s`.
unsafe fn to_keys<C: Codec>(src: *const C::K, s: isize, n: usize, v: &mut Vec<C::K>) -> bool {
    fill(v, src, s, n, |_, x| C::key(x))
}

/// `(key, index)` items of `n` elements at `src` with stride `s`.
///
/// # Safety
/// As [`to_keys`].
unsafe fn to_items<C: Codec>(src: *const C::K, s: isize, n: usize, v: &mut Vec<PackedOf<C>>) {
    fill(v, src, s, n, |i, x| (C::key(x).0.pack(i as u32), false));
}

/// Sorts one row of values.
///
/// # Safety
/// `src`/`dst` address `n` elements with strides `s`/`t`.
unsafe fn sort_row<C: Codec>(
    b: &mut Bufs<C::K, PackedOf<C>>,
    n: usize,
    src: *const C::K,
    s: isize,
    dst: *mut C::K,
    t: isize,
) {
    if C::GATHER {
        let src_p = SyncPtr(src as *mut C::K);
        argsort_row::<C, C::K>(b, n, src, s, dst, t, move |p| {
            let src = src_p;
            *src.0.offset(p.low32() as isize * s)
        });
        return;
    }
    let odd = to_keys::<C>(src, s, n, &mut b.keys);
    sort_map(&mut b.keys, &mut b.keys2, 0, C::K::BITS, dst, t, C::unkey);
    if odd {
        // Zeros and NaNs are runs of equal keys; a stable sort keeps each
        // run in input order, so refill the runs with the input's bits.
        let key_at = |j: usize| C::key(*dst.offset(j as isize * t)).0;
        let first = |k: C::K| {
            let (mut lo, mut hi) = (0usize, n);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if key_at(mid) < k {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let mut zi = first(C::zero_key());
        let mut ni = C::NAN.map_or(n, first);
        for i in 0..n {
            let raw = *src.offset(i as isize * s);
            let slot = match C::class(raw) {
                Class::Plain => continue,
                Class::Zero => &mut zi,
                Class::Nan => &mut ni,
            };
            *dst.offset(*slot as isize * t) = raw;
            *slot += 1;
        }
    }
}

/// Sorts the `(key, index)` items of one row (a stable sort by key) and
/// writes `map(item)` for them to `dst` with stride `t`.
///
/// # Safety
/// `src`/`dst` address `n` elements with strides `s`/`t`.
unsafe fn argsort_row<C: Codec, T>(
    b: &mut Bufs<C::K, PackedOf<C>>,
    n: usize,
    src: *const C::K,
    s: isize,
    dst: *mut T,
    t: isize,
    map: impl Fn(PackedOf<C>) -> T + Sync,
) {
    to_items::<C>(src, s, n, &mut b.items);
    sort_map(&mut b.items, &mut b.items2, 32, C::K::BITS, dst, t, map);
}

/// Sorts (`arg`: argsorts) the view `input` of `shape` and dtype `dt` along
/// `axis` into the row-contiguous `out` (same dtype, or uint32 for `arg`).
pub fn sort(
    input: &Data,
    shape: &[i64],
    dt: Dtype,
    axis: usize,
    arg: bool,
    out: &Data,
) -> Result<()> {
    let rows = Rows::new(shape, &input.strides, axis);
    let n = rows.n;
    with_codec!(dt, C => {
        type K = <C as Codec>::K;
        let src = SyncPtr(input.ptr::<K>());
        let (ia, oa) = (rows.in_ax, rows.out_ax);
        if arg {
            let dst = SyncPtr(out.ptr::<u32>());
            rows.run(|b: &mut Bufs<K, PackedOf<C>>, i, o| {
                let (src, dst) = (src, dst);
                // SAFETY: the row offsets and strides stay inside both views.
                unsafe {
                    argsort_row::<C, u32>(b, n, src.0.offset(i), ia, dst.0.offset(o), oa, |p| {
                        p.low32()
                    });
                }
            });
        } else {
            let dst = SyncPtr(out.ptr::<K>());
            rows.run(|b: &mut Bufs<K, PackedOf<C>>, i, o| {
                let (src, dst) = (src, dst);
                // SAFETY: as above.
                unsafe { sort_row::<C>(b, n, src.0.offset(i), ia, dst.0.offset(o), oa) };
            });
        }
    });
    Ok(())
}

/// Partitions (`arg`: argpartitions) the view `input` along `axis` around
/// position `kth` into the row-contiguous `out`, with libstdc++'s
/// `nth_element`. `ties_by_index` breaks ties between equal non-NaN values
/// by index (MLX's `argpartition`); without it equal values are equivalent
/// (MLX's `partition`, whose element order `arg` then reproduces).
#[allow(clippy::too_many_arguments)]
pub fn partition(
    input: &Data,
    shape: &[i64],
    dt: Dtype,
    axis: usize,
    kth: usize,
    arg: bool,
    ties_by_index: bool,
    out: &Data,
) -> Result<()> {
    let rows = Rows::new(shape, &input.strides, axis);
    let n = rows.n;
    with_codec!(dt, C => {
        type K = <C as Codec>::K;
        type P = PackedOf<C>;
        let src = SyncPtr(input.ptr::<K>());
        let (ia, oa) = (rows.in_ax, rows.out_ax);
        let dst = SyncPtr(out.ptr::<u8>());
        rows.run(|b: &mut Bufs<K, P>, i, o| {
            let (src, dst) = (src, dst);
            // SAFETY: the row offsets and strides stay inside both views.
            unsafe {
                let src = src.0.offset(i) as *const K;
                to_items::<C>(src, ia, n, &mut b.items);
                if ties_by_index {
                    nth_element(&mut b.items, kth, |x: &P, y: &P| match C::NAN {
                        Some(nk) if K::unpack(*x) == nk => false,
                        Some(nk) if K::unpack(*y) == nk => true,
                        _ => x < y,
                    });
                } else {
                    nth_element(&mut b.items, kth, |x: &P, y: &P| K::unpack(*x) < K::unpack(*y));
                }
                if arg {
                    let d = (dst.0 as *mut u32).offset(o);
                    for (j, p) in b.items.iter().enumerate() {
                        *d.offset(j as isize * oa) = p.low32();
                    }
                } else {
                    let d = (dst.0 as *mut K).offset(o);
                    for (j, p) in b.items.iter().enumerate() {
                        *d.offset(j as isize * oa) = *src.offset(p.low32() as isize * ia);
                    }
                }
            }
        });
    });
    Ok(())
}

/// For each element of `values` (any view of `vshape`), the number of
/// elements of the 1-d view `seq` (of length `len`) before which it would
/// be inserted: after those less than it (`right`: not greater than it),
/// found by MLX's binary search (so unsorted sequences give MLX's answer).
/// Both share dtype `dt`; `out` is row-contiguous uint32.
pub fn searchsorted(
    seq: &Data,
    len: usize,
    values: &Data,
    vshape: &[i64],
    dt: Dtype,
    right: bool,
    out: &Data,
) -> Result<()> {
    let size = vshape.iter().product::<i64>() as usize;
    if size == 0 {
        return Ok(());
    }
    let vals = if values.is_row_contiguous(vshape) {
        values.clone()
    } else {
        let tmp = Data::alloc(vshape, dt)?;
        super::copy::copy_to_contiguous(values, vshape, dt.size(), tmp.byte_ptr(dt));
        tmp
    };
    with_codec!(dt, C => {
        type K = <C as Codec>::K;
        let mut keys = Vec::new();
        let stride = seq.strides.first().copied().unwrap_or(1) as isize;
        // SAFETY: seq is a 1-d view of len elements.
        unsafe { to_keys::<C>(seq.ptr::<K>(), stride, len, &mut keys) };
        let keys = &keys;
        let (src, dst) = (SyncPtr(vals.ptr::<K>()), SyncPtr(out.ptr::<u32>()));
        par_range(size, |a, b| {
            let (src, dst) = (src, dst);
            for i in a..b {
                // SAFETY: i < size for both row-contiguous buffers.
                let x = C::key(unsafe { *src.0.add(i) }).0;
                let (mut lo, mut hi) = (0usize, len);
                while lo < hi {
                    let mid = lo + (hi - lo) / 2;
                    let m = keys[mid];
                    let below = if right { m <= x } else { m < x };
                    if below {
                        lo = mid + 1;
                    } else {
                        hi = mid;
                    }
                }
                unsafe { *dst.0.add(i) = lo as u32 };
            }
        });
    });
    Ok(())
}
