//! CPU kernels of the FFT family, on `rustfft` (complex transforms) and
//! `realfft` (real-to-complex and complex-to-real), in single precision as
//! MLX computes them.
//!
//! A multi-axis transform runs one axis at a time on a row-contiguous
//! buffer. Along the last axis the lines are contiguous and a whole run of
//! them goes to `rustfft` in one call; along any other axis, tiles of
//! [`TILE`] neighbouring lines are gathered into a scratch block (reading
//! whole cache lines), transformed and scattered back. Lines are split
//! across cores when the work is large. Plans are cached process-wide (the
//! planners keep every plan they made), so repeated sizes cost nothing.
//!
//! Also the overlap-add kernel behind `istft` (and the vjp of framing).

use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use num_complex::Complex32;
use realfft::{ComplexToReal, RealFftPlanner, RealToComplex};
use rustfft::FftPlanner;

use super::copy::copy_to_contiguous;
use super::{par_range, SyncPtr, PAR_THRESHOLD};
use crate::array::{shape_size, Data};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::fft::Fft;

type C32 = Complex32;

/// Lines gathered together along a strided axis. Eight complex64 values
/// are one cache line per row of the tile; wider tiles measured slower
/// (more concurrent write streams into the scratch block).
const TILE: usize = 8;

struct Planners {
    complex: FftPlanner<f32>,
    real: RealFftPlanner<f32>,
}

fn planners() -> MutexGuard<'static, Planners> {
    static PLANNERS: OnceLock<Mutex<Planners>> = OnceLock::new();
    PLANNERS
        .get_or_init(|| {
            Mutex::new(Planners {
                complex: FftPlanner::new(),
                real: RealFftPlanner::new(),
            })
        })
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}

fn c2c_plan(n: usize, inverse: bool) -> Arc<dyn rustfft::Fft<f32>> {
    let mut p = planners();
    if inverse {
        p.complex.plan_fft_inverse(n)
    } else {
        p.complex.plan_fft_forward(n)
    }
}

fn r2c_plan(n: usize) -> Arc<dyn RealToComplex<f32>> {
    planners().real.plan_fft_forward(n)
}

fn c2r_plan(n: usize) -> Arc<dyn ComplexToReal<f32>> {
    planners().real.plan_fft_inverse(n)
}

/// Runs `f(start, end)` over `0..count` work items of `cost` elements
/// each, split across cores when the total is worth it.
fn par_items(count: usize, cost: usize, f: impl Fn(usize, usize) + Sync + Send) {
    let threads = rayon::current_num_threads();
    if count < 2 || threads <= 1 || count.saturating_mul(cost.max(1)) < PAR_THRESHOLD {
        f(0, count);
        return;
    }
    let chunks = (threads * 4).min(count);
    let per = count.div_ceil(chunks);
    rayon::scope(|s| {
        let f = &f;
        for c in 1..chunks {
            let (a, b) = (c * per, ((c + 1) * per).min(count));
            if a < b {
                s.spawn(move |_| f(a, b));
            }
        }
        f(0, per.min(count));
    });
}

/// The pointer inside `p` (called in closures so that they capture the
/// whole `Sync` wrapper, not its raw field).
fn raw<T>(p: SyncPtr<T>) -> *mut T {
    p.0
}

/// `(outer, n, inner)`: the row-major shape viewed around axis `ax`.
fn geo(shape: &[usize], ax: usize) -> (usize, usize, usize) {
    (
        shape[..ax].iter().product(),
        shape[ax],
        shape[ax + 1..].iter().product(),
    )
}

/// Tiles of an `(outer, n, inner)` geometry: `(tile width, tiles per outer
/// index)`.
fn tiles(inner: usize) -> (usize, usize) {
    let b = TILE.min(inner);
    (b, inner.div_ceil(b))
}

/// `tmp[c * n + k] = base[k * inner + c]` for `c < w`, `k < n`: `w`
/// strided lines into contiguous rows.
///
/// # Safety
/// `base` must address `n` rows of `inner >= w` elements; `tmp` holds
/// `w * n`.
#[inline(always)]
unsafe fn gather<T: Copy>(base: *const T, inner: usize, n: usize, w: usize, tmp: &mut [T]) {
    if w == TILE {
        for k in 0..n {
            let row = std::ptr::read_unaligned(base.add(k * inner) as *const [T; TILE]);
            for (c, v) in row.into_iter().enumerate() {
                *tmp.get_unchecked_mut(c * n + k) = v;
            }
        }
        return;
    }
    for k in 0..n {
        let row = base.add(k * inner);
        for c in 0..w {
            *tmp.get_unchecked_mut(c * n + k) = *row.add(c);
        }
    }
}

/// The inverse of [`gather`]: `base[k * inner + c] = tmp[c * n + k]`.
///
/// # Safety
/// As for [`gather`], with `base` writable.
#[inline(always)]
unsafe fn scatter<T: Copy>(tmp: &[T], n: usize, w: usize, base: *mut T, inner: usize) {
    if w == TILE {
        for k in 0..n {
            let row: [T; TILE] = std::array::from_fn(|c| *tmp.get_unchecked(c * n + k));
            std::ptr::write_unaligned(base.add(k * inner) as *mut [T; TILE], row);
        }
        return;
    }
    for k in 0..n {
        let row = base.add(k * inner);
        for c in 0..w {
            *row.add(c) = *tmp.get_unchecked(c * n + k);
        }
    }
}

/// In-place complex transform of every line along `ax` of the row-major
/// buffer `buf` of `shape`.
fn c2c_axis(buf: *mut C32, shape: &[usize], ax: usize, inverse: bool) {
    let (outer, n, inner) = geo(shape, ax);
    if n <= 1 || outer * inner == 0 {
        return;
    }
    let plan = c2c_plan(n, inverse);
    let scratch_len = plan.get_inplace_scratch_len();
    let buf = SyncPtr(buf);
    if inner == 1 {
        par_items(outer, n, |l0, l1| {
            let buf = raw(buf);
            let mut scratch = vec![C32::default(); scratch_len];
            // SAFETY: lines l0..l1 are this task's own n-element rows.
            let lines = unsafe { std::slice::from_raw_parts_mut(buf.add(l0 * n), (l1 - l0) * n) };
            plan.process_with_scratch(lines, &mut scratch);
        });
        return;
    }
    let (b, per) = tiles(inner);
    par_items(outer * per, n * b, |t0, t1| {
        let buf = raw(buf);
        let mut tmp = vec![C32::default(); b * n];
        let mut scratch = vec![C32::default(); scratch_len];
        for t in t0..t1 {
            let (o, j0) = (t / per, (t % per) * b);
            let w = b.min(inner - j0);
            // SAFETY: the tile's w columns of block o belong to this task.
            unsafe {
                let base = buf.add(o * n * inner + j0);
                gather(base, inner, n, w, &mut tmp);
                plan.process_with_scratch(&mut tmp[..w * n], &mut scratch);
                scatter(&tmp, n, w, base, inner);
            }
        }
    });
}

/// Real-to-complex transform along `ax`: `src` (row-major, `shape`, length
/// `n` on `ax`) into `dst` (row-major, `n / 2 + 1` on `ax`).
fn r2c_axis(src: *const f32, dst: *mut C32, shape: &[usize], ax: usize) {
    let (outer, n, inner) = geo(shape, ax);
    if outer * inner == 0 {
        return;
    }
    let m = n / 2 + 1;
    let plan = r2c_plan(n);
    let scratch_len = plan.get_scratch_len();
    let (src, dst) = (SyncPtr(src as *mut f32), SyncPtr(dst));
    let (b, per) = if inner == 1 { (1, 1) } else { tiles(inner) };
    par_items(outer * per, n * b, |t0, t1| {
        let (src, dst) = (src, dst);
        let mut rin = vec![0f32; b * n];
        let mut cout = vec![C32::default(); b * m];
        let mut scratch = vec![C32::default(); scratch_len];
        for t in t0..t1 {
            let (o, j0) = (t / per, (t % per) * b);
            let w = b.min(inner - j0);
            // SAFETY: the tile's w columns of block o belong to this task
            // (for inner == 1, the tile is line o).
            unsafe {
                let sbase = src.0.add(o * n * inner + j0);
                let dbase = dst.0.add(o * m * inner + j0);
                if inner == 1 {
                    std::ptr::copy_nonoverlapping(sbase, rin.as_mut_ptr(), n);
                    let out = std::slice::from_raw_parts_mut(dbase, m);
                    let _ = plan.process_with_scratch(&mut rin, out, &mut scratch);
                    continue;
                }
                gather(sbase as *const f32, inner, n, w, &mut rin);
                for c in 0..w {
                    let _ = plan.process_with_scratch(
                        &mut rin[c * n..(c + 1) * n],
                        &mut cout[c * m..(c + 1) * m],
                        &mut scratch,
                    );
                }
                scatter(&cout, m, w, dbase, inner);
            }
        }
    });
}

/// Complex-to-real transform along `ax`: `src` (row-major, `shape`, with
/// `n / 2 + 1` values on `ax`; used as scratch) into `dst` (row-major, `n`
/// on `ax`). The imaginary parts of the zero (and, for even `n`, the
/// Nyquist) frequency are ignored, as NumPy and MLX do.
fn c2r_axis(src: *mut C32, dst: *mut f32, shape: &[usize], ax: usize, n: usize) {
    let (outer, m, inner) = geo(shape, ax);
    if outer * inner == 0 {
        return;
    }
    debug_assert_eq!(m, n / 2 + 1);
    let plan = c2r_plan(n);
    let scratch_len = plan.get_scratch_len();
    let (src, dst) = (SyncPtr(src), SyncPtr(dst));
    let (b, per) = if inner == 1 { (1, 1) } else { tiles(inner) };
    par_items(outer * per, n * b, |t0, t1| {
        let (src, dst) = (src, dst);
        let mut cin = vec![C32::default(); b * m];
        let mut rout = vec![0f32; b * n];
        let mut scratch = vec![C32::default(); scratch_len];
        for t in t0..t1 {
            let (o, j0) = (t / per, (t % per) * b);
            let w = b.min(inner - j0);
            // SAFETY: as in r2c_axis; `src` is the kernel's own temporary.
            unsafe {
                let sbase = src.0.add(o * m * inner + j0);
                let dbase = dst.0.add(o * n * inner + j0);
                if inner == 1 {
                    let input = std::slice::from_raw_parts_mut(sbase, m);
                    let out = std::slice::from_raw_parts_mut(dbase, n);
                    // An `InputValues` error only reports the ignored
                    // imaginary parts; the result is computed regardless.
                    let _ = plan.process_with_scratch(input, out, &mut scratch);
                    continue;
                }
                gather(sbase as *const C32, inner, m, w, &mut cin);
                for c in 0..w {
                    let _ = plan.process_with_scratch(
                        &mut cin[c * m..(c + 1) * m],
                        &mut rout[c * n..(c + 1) * n],
                        &mut scratch,
                    );
                }
                scatter(&rout, n, w, dbase, inner);
            }
        }
    });
}

/// Multiplies `len` floats at `p` by `s`.
fn scale(p: *mut f32, len: usize, s: f32) {
    let p = SyncPtr(p);
    par_range(len, |a, b| {
        let p = raw(p);
        // SAFETY: [a, b) is this chunk's own range of the buffer.
        let v = unsafe { std::slice::from_raw_parts_mut(p.add(a), b - a) };
        for x in v {
            *x *= s;
        }
    });
}

fn usizes(shape: &[i64]) -> Vec<usize> {
    shape.iter().map(|&d| d as usize).collect()
}

/// Runs the transform `p` of `src` (of `in_shape`; complex64, or float32
/// for a real forward transform) into the row-contiguous `out` (of
/// `out_shape`; complex64, or float32 for a real inverse transform). `out`
/// may be `src`'s own buffer (donated) for complex transforms.
pub fn fft(p: &Fft, src: &Data, in_shape: &[i64], out: &Data, out_shape: &[i64]) -> Result<()> {
    if shape_size(out_shape) == 0 || shape_size(in_shape) == 0 {
        return Ok(());
    }
    let ish = usizes(in_shape);
    let osh = usizes(out_shape);
    let (last, rest) = p.axes.split_last().expect("an FFT has at least one axis");
    match (p.real, p.inverse) {
        (false, inverse) => {
            let dst = out.ptr::<C32>();
            if src.ptr::<C32>() != dst {
                copy_to_contiguous(src, in_shape, 8, dst as *mut u8);
            }
            for &ax in &p.axes {
                c2c_axis(dst, &osh, ax, inverse);
            }
        }
        (true, false) => {
            let tmp;
            let sp: *const f32 = if src.is_row_contiguous(in_shape) {
                src.ptr()
            } else {
                tmp = Data::alloc(in_shape, Dtype::Float32)?;
                copy_to_contiguous(src, in_shape, 4, tmp.ptr::<u8>());
                tmp.ptr()
            };
            let dst = out.ptr::<C32>();
            r2c_axis(sp, dst, &ish, *last);
            for &ax in rest {
                c2c_axis(dst, &osh, ax, false);
            }
        }
        (true, true) => {
            let tmp = Data::alloc(in_shape, Dtype::Complex64)?;
            copy_to_contiguous(src, in_shape, 8, tmp.ptr::<u8>());
            for &ax in rest {
                c2c_axis(tmp.ptr(), &ish, ax, true);
            }
            c2r_axis(tmp.ptr(), out.ptr(), &ish, *last, osh[*last]);
        }
    }
    let s = p.scale(in_shape);
    if s != 1.0 {
        let floats = shape_size(out_shape) * if p.real && p.inverse { 1 } else { 2 };
        scale(out.ptr(), floats, s as f32);
    }
    Ok(())
}

/// Overlap-add of `(..., frames, size)` (`src`, any strides) into the
/// row-contiguous `(..., len)` `out`: frame `f` adds into positions
/// `f * hop ..`. Float32, float64 and complex64.
pub fn overlap_add(
    dtype: Dtype,
    src: &Data,
    in_shape: &[i64],
    out: &Data,
    hop: usize,
    len: usize,
) -> Result<()> {
    match dtype {
        Dtype::Float32 => ola::<f32>(src, in_shape, out, hop, len)?,
        Dtype::Float64 => ola::<f64>(src, in_shape, out, hop, len)?,
        Dtype::Complex64 => ola::<C32>(src, in_shape, out, hop, len)?,
        d => {
            return Err(Error::type_(format!(
                "[overlap_add] Unsupported dtype {d:?}."
            )))
        }
    }
    Ok(())
}

fn ola<T>(src: &Data, in_shape: &[i64], out: &Data, hop: usize, len: usize) -> Result<()>
where
    T: Copy + Default + std::ops::AddAssign + Send + Sync,
{
    let nd = in_shape.len();
    let batch: usize = usizes(&in_shape[..nd - 2]).iter().product();
    let (frames, size) = (in_shape[nd - 2] as usize, in_shape[nd - 1] as usize);
    if batch * len == 0 {
        return Ok(());
    }
    let esize = std::mem::size_of::<T>();
    let tmp;
    let sp: *const T = if src.is_row_contiguous(in_shape) {
        src.ptr()
    } else {
        tmp = Data::alloc(in_shape, dtype_of(esize))?;
        copy_to_contiguous(src, in_shape, esize, tmp.ptr::<u8>());
        tmp.ptr()
    };
    let (sp, dp) = (SyncPtr(sp as *mut T), SyncPtr(out.ptr::<T>()));
    par_items(batch, frames * size + len, |b0, b1| {
        let (sp, dp) = (sp, dp);
        for b in b0..b1 {
            // SAFETY: output row b and input block b are in bounds; rows
            // are this task's own.
            unsafe {
                let o = std::slice::from_raw_parts_mut(dp.0.add(b * len), len);
                o.fill(T::default());
                let s = sp.0.add(b * frames * size);
                for f in 0..frames {
                    let at = f * hop;
                    let row = std::slice::from_raw_parts(s.add(f * size), size);
                    for (d, &v) in o[at..at + size].iter_mut().zip(row) {
                        *d += v;
                    }
                }
            }
        }
    });
    Ok(())
}

/// A dtype of element size `esize` (only the size matters to a copy).
fn dtype_of(esize: usize) -> Dtype {
    match esize {
        4 => Dtype::Float32,
        _ => Dtype::Float64,
    }
}
