//! CPU kernels of the reduce family.
//!
//! A reduction is first laid out as a [`Plan`]: either *rows* (each output
//! reduces contiguous runs of `n` elements: horizontal reductions with
//! several vector accumulators) or *columns* (the innermost kept axis is
//! contiguous: whole input rows are folded into a vector of accumulators,
//! never walked element by element with a stride). Inputs in other layouts
//! are first copied with the reduced axes moved last. Work is split across
//! cores over outputs, over column chunks, or over partial reductions that
//! are merged in order when there are too few outputs.
//!
//! The per-dtype semantics and the arg reductions live in `reduce_more.rs`,
//! the fused kernels (`softmax`, `logsumexp`) in `reduce_fused.rs`.

use half::{bf16, f16};
use num_complex::Complex32;
use rayon::prelude::*;

use super::strided::for_rows;
use super::{isa, par_range, Isa, SyncPtr, PAR_THRESHOLD};
use crate::array::{row_strides, Data};
use crate::dtype::Dtype;
use crate::error::Result;

#[path = "reduce_more.rs"]
mod more;
pub use more::{arg_reduce, reduce};
#[path = "reduce_fused.rs"]
mod fused;
pub use fused::{logsumexp, softmax};

/// Independent accumulators of a horizontal reduction (four AVX-512
/// registers of f32): enough to vectorise and to hide add latency.
const LANES: usize = 64;
/// Accumulators of the tail loop (one AVX-512 register of f32).
const HALF: usize = 16;
/// Runs shorter than this are not worth a strided plan: the input is
/// copied with the reduced axes last instead.
const MIN_RUN: i64 = 16;

// ---------------------------------------------------------------------------
// Inner loops, compiled per ISA for the float types.

#[inline(always)]
unsafe fn row_impl<T: Copy, A: Copy, S: Fn(A, T) -> A, M: Fn(A, A) -> A>(
    init: A,
    p: *const T,
    n: usize,
    s: S,
    m: M,
) -> A {
    // Whole blocks are read into arrays first and folded lane by lane, the
    // shape LLVM's SLP vectoriser turns into full-width vector code; the
    // lanes are merged in a fixed order at the end.
    let mut i = 0;
    let mut r = init;
    if n >= HALF {
        let mut h = [init; HALF];
        if n >= LANES {
            let mut acc = [init; LANES];
            while i + LANES <= n {
                let x: [T; LANES] = std::ptr::read_unaligned(p.add(i) as *const [T; LANES]);
                for j in 0..LANES {
                    acc[j] = s(acc[j], x[j]);
                }
                i += LANES;
            }
            h.copy_from_slice(&acc[..HALF]);
            let mut k = HALF;
            while k < LANES {
                for j in 0..HALF {
                    h[j] = m(h[j], acc[k + j]);
                }
                k += HALF;
            }
        }
        while i + HALF <= n {
            let x: [T; HALF] = std::ptr::read_unaligned(p.add(i) as *const [T; HALF]);
            for j in 0..HALF {
                h[j] = s(h[j], x[j]);
            }
            i += HALF;
        }
        for v in h {
            r = m(r, v);
        }
    }
    while i < n {
        r = s(r, *p.add(i));
        i += 1;
    }
    r
}

#[inline(always)]
unsafe fn col_impl<T: Copy, A: Copy, S: Fn(A, T) -> A>(
    acc: *mut A,
    p: [*const T; 4],
    rows: usize,
    n: usize,
    s: S,
) {
    // Slices, not raw pointers: `&mut` tells LLVM that the accumulators do
    // not alias the rows, so it vectorises the plain loop (with raw
    // pointers it guarded the loop with alias checks and ran 25% slower
    // than the bandwidth-bound C version; blocking by hand made it emit
    // gathers).
    let acc = std::slice::from_raw_parts_mut(acc, n);
    let row = |r: usize| std::slice::from_raw_parts(p[r], n);
    if rows == 4 {
        let (x0, x1, x2, x3) = (row(0), row(1), row(2), row(3));
        for ((((a, &v0), &v1), &v2), &v3) in acc.iter_mut().zip(x0).zip(x1).zip(x2).zip(x3) {
            *a = s(s(s(s(*a, v0), v1), v2), v3);
        }
    } else {
        for r in 0..rows {
            for (a, &v) in acc.iter_mut().zip(row(r)) {
                *a = s(*a, v);
            }
        }
    }
}

#[inline(always)]
unsafe fn find_impl<T: Copy, P: Fn(T) -> bool>(p: *const T, n: usize, pred: P) -> usize {
    let mut i = 0;
    while i + 16 <= n {
        let mut hit = false;
        for j in 0..16 {
            hit |= pred(*p.add(i + j));
        }
        if hit {
            break;
        }
        i += 16;
    }
    while i < n {
        if pred(*p.add(i)) {
            return i;
        }
        i += 1;
    }
    n
}

#[inline(always)]
unsafe fn argcol_impl<T: Copy, K: Copy, F: Fn(T) -> K, B: Fn(K, K) -> bool>(
    best: *mut K,
    idx: *mut u32,
    p: *const T,
    n: usize,
    k: u32,
    key: F,
    better: B,
) {
    for j in 0..n {
        let v = key(*p.add(j));
        let b = better(v, *best.add(j));
        *best.add(j) = if b { v } else { *best.add(j) };
        *idx.add(j) = if b { k } else { *idx.add(j) };
    }
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
unsafe fn find_avx512<T: Copy, P: Fn(T) -> bool>(p: *const T, n: usize, pred: P) -> usize {
    find_impl(p, n, pred)
}
#[target_feature(enable = "avx2,fma")]
unsafe fn find_avx2<T: Copy, P: Fn(T) -> bool>(p: *const T, n: usize, pred: P) -> usize {
    find_impl(p, n, pred)
}
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn argcol_avx512<T: Copy, K: Copy, F: Fn(T) -> K, B: Fn(K, K) -> bool>(
    best: *mut K,
    idx: *mut u32,
    p: *const T,
    n: usize,
    k: u32,
    key: F,
    better: B,
) {
    argcol_impl(best, idx, p, n, k, key, better)
}
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn argcol_avx2<T: Copy, K: Copy, F: Fn(T) -> K, B: Fn(K, K) -> bool>(
    best: *mut K,
    idx: *mut u32,
    p: *const T,
    n: usize,
    k: u32,
    key: F,
    better: B,
) {
    argcol_impl(best, idx, p, n, k, key, better)
}

#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
unsafe fn row_avx512<T: Copy, A: Copy, S: Fn(A, T) -> A, M: Fn(A, A) -> A>(
    init: A,
    p: *const T,
    n: usize,
    s: S,
    m: M,
) -> A {
    row_impl(init, p, n, s, m)
}
#[target_feature(enable = "avx2,fma")]
unsafe fn row_avx2<T: Copy, A: Copy, S: Fn(A, T) -> A, M: Fn(A, A) -> A>(
    init: A,
    p: *const T,
    n: usize,
    s: S,
    m: M,
) -> A {
    row_impl(init, p, n, s, m)
}
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,fma")]
unsafe fn col_avx512<T: Copy, A: Copy, S: Fn(A, T) -> A>(
    acc: *mut A,
    p: [*const T; 4],
    rows: usize,
    n: usize,
    s: S,
) {
    col_impl(acc, p, rows, n, s)
}
#[target_feature(enable = "avx2,fma")]
unsafe fn col_avx2<T: Copy, A: Copy, S: Fn(A, T) -> A>(
    acc: *mut A,
    p: [*const T; 4],
    rows: usize,
    n: usize,
    s: S,
) {
    col_impl(acc, p, rows, n, s)
}

/// Element types with the reduction inner loops; f32 and f64 dispatch to
/// AVX-512 / AVX2 builds at run time, the others use the baseline build
/// (keeping the number of compiled variants down).
pub trait RedKern: crate::element::Element {
    /// Folds `p[0..n]` into `init` with `s`, using independent lanes merged
    /// with `m` (`init` must be the identity of `m`).
    ///
    /// # Safety
    /// `p` must be valid for `n` reads.
    #[inline(always)]
    unsafe fn row<A: Copy, S: Fn(A, Self) -> A, M: Fn(A, A) -> A>(
        init: A,
        p: *const Self,
        n: usize,
        s: S,
        m: M,
    ) -> A {
        row_impl(init, p, n, s, m)
    }
    /// `acc[j] = s(acc[j], p[r][j])` for the first `rows` pointers, `j < n`.
    ///
    /// # Safety
    /// `acc` must be valid for `n` writes and each used `p[r]` for `n` reads.
    #[inline(always)]
    unsafe fn col<A: Copy, S: Fn(A, Self) -> A>(
        acc: *mut A,
        p: [*const Self; 4],
        rows: usize,
        n: usize,
        s: S,
    ) {
        col_impl(acc, p, rows, n, s)
    }
    /// Index of the first `p[i]` (`i < n`) satisfying `pred`, or `n`.
    ///
    /// # Safety
    /// `p` must be valid for `n` reads.
    #[inline(always)]
    unsafe fn find<P: Fn(Self) -> bool>(p: *const Self, n: usize, pred: P) -> usize {
        find_impl(p, n, pred)
    }
    /// Column step of an arg-reduction: where `key(p[j])` is `better` than
    /// `best[j]`, take it and record index `k`.
    ///
    /// # Safety
    /// All three pointers must be valid for `n` elements.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    unsafe fn argcol<K: Copy, F: Fn(Self) -> K, B: Fn(K, K) -> bool>(
        best: *mut K,
        idx: *mut u32,
        p: *const Self,
        n: usize,
        k: u32,
        key: F,
        better: B,
    ) {
        argcol_impl(best, idx, p, n, k, key, better)
    }
}

macro_rules! redkern_simd {
    ($($t:ty),*) => {$(
        impl RedKern for $t {
            #[inline(always)]
            unsafe fn row<A: Copy, S: Fn(A, Self) -> A, M: Fn(A, A) -> A>(init: A, p: *const Self, n: usize, s: S, m: M) -> A {
                match isa() {
                    Isa::Avx512 => row_avx512(init, p, n, s, m),
                    Isa::Avx2 => row_avx2(init, p, n, s, m),
                    Isa::Baseline => row_impl(init, p, n, s, m),
                }
            }
            #[inline(always)]
            unsafe fn col<A: Copy, S: Fn(A, Self) -> A>(acc: *mut A, p: [*const Self; 4], rows: usize, n: usize, s: S) {
                match isa() {
                    Isa::Avx512 => col_avx512(acc, p, rows, n, s),
                    Isa::Avx2 => col_avx2(acc, p, rows, n, s),
                    Isa::Baseline => col_impl(acc, p, rows, n, s),
                }
            }
            #[inline(always)]
            unsafe fn find<P: Fn(Self) -> bool>(p: *const Self, n: usize, pred: P) -> usize {
                match isa() {
                    Isa::Avx512 => find_avx512(p, n, pred),
                    Isa::Avx2 => find_avx2(p, n, pred),
                    Isa::Baseline => find_impl(p, n, pred),
                }
            }
            #[inline(always)]
            unsafe fn argcol<K: Copy, F: Fn(Self) -> K, B: Fn(K, K) -> bool>(best: *mut K, idx: *mut u32, p: *const Self, n: usize, k: u32, key: F, better: B) {
                match isa() {
                    Isa::Avx512 => argcol_avx512(best, idx, p, n, k, key, better),
                    Isa::Avx2 => argcol_avx2(best, idx, p, n, k, key, better),
                    Isa::Baseline => argcol_impl(best, idx, p, n, k, key, better),
                }
            }
        }
    )*};
}
redkern_simd!(f32, f64);

macro_rules! redkern_plain {
    ($($t:ty),*) => {$( impl RedKern for $t {} )*};
}
redkern_plain!(bool, u8, u16, u32, u64, i8, i16, i32, i64, f16, bf16, Complex32);

// ---------------------------------------------------------------------------
// Layout planning.

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    /// Each output folds contiguous runs of this many elements.
    Rows(usize),
    /// Outputs come in contiguous rows of this many columns.
    Cols(usize),
}

/// A reduction laid out for the kernels.
struct Plan {
    /// The input (the original view or a contiguous copy).
    data: Data,
    /// (extent, stride) of the kept axes, in output order, without the
    /// contiguous column axis of `Mode::Cols`.
    kdims: Vec<(i64, i64)>,
    /// (extent, stride) of the reduced axes, without the contiguous run of
    /// `Mode::Rows`.
    rdims: Vec<(i64, i64)>,
    mode: Mode,
}

fn prod(v: impl IntoIterator<Item = i64>) -> i64 {
    v.into_iter().product()
}

/// Lays out a reduction of `input` (of `shape`) over the sorted `axes`;
/// `rows_only` asks for `Mode::Rows` over one contiguous run per output.
fn plan(
    input: &Data,
    shape: &[i64],
    axes: &[usize],
    dtype: Dtype,
    rows_only: bool,
) -> Result<Plan> {
    let nd = shape.len();
    let is_r = |ax: usize| axes.binary_search(&ax).is_ok();
    let perm: Vec<usize> = (0..nd)
        .filter(|&a| !is_r(a))
        .chain(axes.iter().copied())
        .collect();
    let pshape: Vec<i64> = perm.iter().map(|&p| shape[p]).collect();
    let pview = Data {
        buf: input.buf.clone(),
        offset: input.offset,
        strides: perm.iter().map(|&p| input.strides[p]).collect(),
    };
    let nkeep = nd - axes.len();
    let nout = prod(pshape[..nkeep].iter().copied());
    let rc = prod(pshape[nkeep..].iter().copied());
    let rows = |data: Data| Plan {
        data,
        kdims: vec![(nout, rc)],
        rdims: Vec::new(),
        mode: Mode::Rows(rc as usize),
    };
    if pview.is_row_contiguous(&pshape) {
        return Ok(rows(pview));
    }
    if !rows_only && input.is_row_contiguous(shape) {
        // Merge neighbouring axes of the same kind into blocks.
        let mut blocks: Vec<(i64, i64, bool)> = Vec::new();
        for ax in 0..nd {
            let (d, st, r) = (shape[ax], input.strides[ax], is_r(ax));
            if d == 1 {
                continue;
            }
            match blocks.last_mut() {
                Some(b) if b.2 == r => {
                    b.0 *= d;
                    b.1 = st;
                }
                _ => blocks.push((d, st, r)),
            }
        }
        if let Some(&(last, _, last_r)) = blocks.last() {
            blocks.pop();
            let kdims: Vec<(i64, i64)> =
                blocks.iter().filter(|b| !b.2).map(|b| (b.0, b.1)).collect();
            let rdims: Vec<(i64, i64)> =
                blocks.iter().filter(|b| b.2).map(|b| (b.0, b.1)).collect();
            if last_r && (rdims.is_empty() || last >= MIN_RUN) {
                return Ok(Plan {
                    data: input.clone(),
                    kdims,
                    rdims,
                    mode: Mode::Rows(last as usize),
                });
            }
            if !last_r && last >= MIN_RUN {
                return Ok(Plan {
                    data: input.clone(),
                    kdims,
                    rdims,
                    mode: Mode::Cols(last as usize),
                });
            }
        }
    }
    let tmp = Data::alloc(&pshape, dtype)?;
    super::copy::copy_strided(
        &pview,
        &pshape,
        dtype.size(),
        tmp.byte_ptr(dtype),
        &row_strides(&pshape),
    );
    Ok(rows(tmp))
}

/// Shape/stride lists for `for_rows` walking the index space of `dims`
/// (a trailing dummy axis makes every dim a "row" axis).
fn walker(dims: &[(i64, i64)]) -> (Vec<i64>, [Vec<i64>; 1]) {
    let mut shape: Vec<i64> = dims.iter().map(|d| d.0).collect();
    let mut strides: Vec<i64> = dims.iter().map(|d| d.1).collect();
    shape.push(1);
    strides.push(0);
    (shape, [strides])
}

/// Element offsets of every index of `dims`, row-major.
fn offsets(dims: &[(i64, i64)]) -> Vec<isize> {
    let n = prod(dims.iter().map(|d| d.0)) as usize;
    let mut out = Vec::with_capacity(n);
    let (shape, strides) = walker(dims);
    for_rows(&shape, &strides, 0, n, |_, [o]| out.push(o));
    out
}

// ---------------------------------------------------------------------------
// The generic driver.

/// Runs a reduction described by `init` (identity), `s` (fold one element),
/// `m` (merge two partial results) and `f` (finish) over `plan`, writing
/// the row-contiguous output `out`.
// `let src = src;` inside closures makes them capture the whole `SyncPtr`
// (which is Sync) rather than its raw-pointer field.
#[allow(clippy::redundant_locals)]
fn drive<T, A, O, S, M, F>(plan: &Plan, out: *mut O, init: A, s: S, m: M, f: F)
where
    T: RedKern,
    A: Copy + Send + Sync,
    O: Copy + Send + Sync,
    S: Fn(A, T) -> A + Copy + Send + Sync,
    M: Fn(A, A) -> A + Copy + Send + Sync,
    F: Fn(A) -> O + Copy + Send + Sync,
{
    let src = SyncPtr(plan.data.ptr::<T>());
    let out = SyncPtr(out);
    let threads = rayon::current_num_threads().max(1);
    let nout = prod(plan.kdims.iter().map(|d| d.0)) as usize;
    let rcount = prod(plan.rdims.iter().map(|d| d.0)) as usize;
    let roffs = if plan.rdims.is_empty() {
        vec![0isize]
    } else {
        offsets(&plan.rdims)
    };
    let (kshape, kstrides) = walker(&plan.kdims);
    match plan.mode {
        Mode::Rows(n) => {
            let per_out = rcount * n;
            let total = nout * per_out;
            if nout >= 2 * threads || total < PAR_THRESHOLD {
                par_range(total, |a, b| {
                    let (src, out) = (src, out);
                    let (o0, o1) = (
                        a.div_ceil(per_out.max(1)),
                        b.div_ceil(per_out.max(1)).min(nout),
                    );
                    for_rows(&kshape, &kstrides, o0, o1, |o, [base]| {
                        let mut acc = init;
                        for &r in &roffs {
                            // SAFETY: offsets come from the plan's strides.
                            acc = m(acc, unsafe {
                                T::row(init, src.0.offset(base + r), n, s, m)
                            });
                        }
                        // SAFETY: o < nout, the output's length.
                        unsafe { *out.0.add(o) = f(acc) };
                    });
                });
            } else {
                // Few outputs: split each reduction and merge the parts in order.
                let chunk = (PAR_THRESHOLD / 4).max(per_out.div_ceil(threads * 4));
                let parts = per_out.div_ceil(chunk);
                for_rows(&kshape, &kstrides, 0, nout, |o, [base]| {
                    let partial: Vec<A> = (0..parts)
                        .into_par_iter()
                        .map(|c| {
                            let src = src;
                            let (lo, hi) = (c * chunk, ((c + 1) * chunk).min(per_out));
                            let mut acc = init;
                            let mut i = lo;
                            while i < hi {
                                let (r, j) = (i / n, i % n);
                                let len = (n - j).min(hi - i);
                                // SAFETY: run r, elements j..j+len, lie in the input.
                                acc = m(acc, unsafe {
                                    T::row(
                                        init,
                                        src.0.offset(base + roffs[r] + j as isize),
                                        len,
                                        s,
                                        m,
                                    )
                                });
                                i += len;
                            }
                            acc
                        })
                        .collect();
                    let acc = partial.into_iter().fold(init, m);
                    // SAFETY: o < nout.
                    unsafe { *out.0.add(o) = f(acc) };
                });
            }
        }
        Mode::Cols(inner) => {
            let col_task = |base: isize, c0: usize, c1: usize, rs: &[isize], acc: &mut Vec<A>| {
                let src = src;
                let w = c1 - c0;
                acc.clear();
                acc.resize(w, init);
                let mut k = 0;
                while k < rs.len() {
                    let cnt = (rs.len() - k).min(4);
                    let mut p = [src.0 as *const T; 4];
                    for q in 0..cnt {
                        // SAFETY: offsets come from the plan's strides.
                        p[q] = unsafe { src.0.offset(base + rs[k + q] + c0 as isize) };
                    }
                    // SAFETY: each pointer has w valid elements, acc holds w.
                    unsafe { T::col(acc.as_mut_ptr(), p, cnt, w, s) };
                    k += cnt;
                }
            };
            // Few output rows: each thread folds a contiguous band of input
            // rows into its own accumulators (streaming whole rows), then the
            // bands are merged in order.
            let want = threads * 4;
            let parts = threads.min(rcount / 4);
            let bytes = nout * inner * parts * std::mem::size_of::<A>();
            if nout < want
                && parts > 1
                && rcount * nout * inner >= PAR_THRESHOLD
                && bytes <= 1 << 25
            {
                let chunk = rcount.div_ceil(parts);
                let partial: Vec<Vec<A>> = (0..parts)
                    .into_par_iter()
                    .map(|c| {
                        let rs = &roffs[(c * chunk).min(rcount)..((c + 1) * chunk).min(rcount)];
                        let mut all = Vec::with_capacity(nout * inner);
                        let mut acc = Vec::new();
                        for_rows(&kshape, &kstrides, 0, nout, |_, [base]| {
                            col_task(base, 0, inner, rs, &mut acc);
                            all.extend_from_slice(&acc);
                        });
                        all
                    })
                    .collect();
                let mut it = partial.into_iter();
                let mut total = it.next().unwrap_or_else(|| vec![init; nout * inner]);
                for p in it {
                    for (t, v) in total.iter_mut().zip(p) {
                        *t = m(*t, v);
                    }
                }
                for (i, v) in total.into_iter().enumerate() {
                    // SAFETY: i < nout * inner, the output's length.
                    unsafe { *out.0.add(i) = f(v) };
                }
                return;
            }
            // Tasks: (output row, column chunk). Column chunks only pay
            // when several threads share them: one thread streams whole
            // rows faster (0.56 vs 0.71 ms for a 4096x1024 f32 column sum).
            let chunks = if threads == 1 || nout >= want || rcount * nout * inner < PAR_THRESHOLD {
                1
            } else {
                want.div_ceil(nout).min(inner.div_ceil(64)).max(1)
            };
            let cw = inner.div_ceil(chunks).next_multiple_of(16).min(inner);
            let chunks = inner.div_ceil(cw);
            let tasks = nout * chunks;
            let work = tasks * (rcount * cw).max(1);
            par_range(work, |a, b| {
                let out = out;
                let per = (rcount * cw).max(1);
                let (t0, t1) = (a.div_ceil(per), b.div_ceil(per).min(tasks));
                if t0 >= t1 {
                    return;
                }
                let mut acc = Vec::with_capacity(cw);
                let (o0, o1) = (t0 / chunks, (t1 - 1) / chunks + 1);
                for_rows(&kshape, &kstrides, o0, o1, |o, [base]| {
                    for c in 0..chunks {
                        let t = o * chunks + c;
                        if t < t0 || t >= t1 {
                            continue;
                        }
                        let (c0, c1) = (c * cw, ((c + 1) * cw).min(inner));
                        col_task(base, c0, c1, &roffs, &mut acc);
                        for (j, v) in acc.iter().enumerate() {
                            // SAFETY: the output row o has `inner` columns.
                            unsafe { *out.0.add(o * inner + c0 + j) = f(*v) };
                        }
                    }
                });
            });
        }
    }
}
