//! CPU convolution (the [`Convolution`] primitive), in three steps:
//!
//! 1. **Window.** The part of the input-dilated, padded signal that the
//!    outputs read is materialised once, channels-last and zero-filled
//!    around the input (`xp`, shape `(N, window..., C)`); strided,
//!    transposed or broadcast inputs are gathered by the copy kernels on the
//!    way. A row-contiguous input that needs no padding or dilation is used
//!    in place. The weight becomes a contiguous `(C_out, taps, C_in/groups)`
//!    matrix, flipped when the convolution flips.
//! 2. **Products.** Every output is a dot product of a weight row with a
//!    patch of the window, so the convolution is a matrix product with the
//!    patches as rows (`conv_gemm.rs`): without strides, the patches of one
//!    kernel row are equally spaced rows of the window itself, read in place
//!    (implicit GEMM); a kernel much larger than the output (weight
//!    gradients) makes one deep product per output position over the
//!    window in place; otherwise the patches are gathered tile by tile into
//!    a cache-sized buffer (im2col). Depthwise convolutions (one input channel
//!    per group) run a direct kernel instead (`conv_depthwise.rs`).
//!    Input-dilated convolutions first split into phases that skip the
//!    dilation's zeros (`conv_phase.rs`).
//! 3. **Types.** float32 and float64 run natively through the `gemm` crate;
//!    float16 and bfloat16 are widened to float32 and rounded once at the
//!    end.

use gemm::Parallelism;
use half::slice::HalfFloatSliceExt;
use half::{bf16, f16};

use super::conv_depthwise::depthwise;
use super::conv_gemm::{
    im2col, implicit_gemm, implicit_gemm_fits, kernel_major, kernel_major_fits,
};
use super::conv_phase::{conv_phases, phases_apply};
use super::copy::{copy_strided, copy_to_contiguous};
use std::marker::PhantomData;

use crate::array::Data;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::memory::Buffer;
use crate::primitives::conv::Convolution;

/// Element types the kernels compute in.
pub(crate) trait Real:
    Copy + Send + Sync + Default + 'static + std::ops::Add<Output = Self> + std::ops::Mul<Output = Self>
{
    /// One (the `gemm` scale factors).
    const ONE: Self;
}

impl Real for f32 {
    const ONE: Self = 1.0;
}

impl Real for f64 {
    const ONE: Self = 1.0;
}

/// Sizes of one convolution, with the window the outputs read.
pub(crate) struct Geom {
    /// Batch size.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Output channels.
    pub o: usize,
    /// Feature groups.
    pub groups: usize,
    /// Input channels per group.
    pub cg: usize,
    /// Output channels per group.
    pub og: usize,
    /// Kernel extents.
    pub k: Vec<usize>,
    /// Output extents.
    pub out: Vec<usize>,
    /// Window extents (`(out - 1) * stride + (k - 1) * kernel_dilation + 1`).
    pub win: Vec<usize>,
    /// Output steps.
    pub stride: Vec<usize>,
    /// Tap spacings.
    pub kd: Vec<usize>,
}

impl Geom {
    /// The spatial rank.
    pub fn d(&self) -> usize {
        self.k.len()
    }

    /// Taps per kernel (the product of the kernel extents).
    pub fn taps(&self) -> usize {
        self.k.iter().product()
    }

    /// Output positions (rows of the product).
    pub fn rows(&self) -> usize {
        self.n * self.out.iter().product::<usize>()
    }

    /// Element strides of the window `xp`: batch, spatial axes, channel.
    pub fn win_strides(&self) -> Vec<usize> {
        let d = self.d();
        // st[i + 1] is the stride of spatial axis i.
        let mut st = vec![1usize; d + 2];
        st[d] = self.c;
        for i in (0..d).rev() {
            st[i] = st[i + 1] * self.win[i];
        }
        st
    }

    /// Element offsets, from a patch's origin in the window, of its taps in
    /// row-major tap order (every `inner`-th tap when the last `inner` taps
    /// of each kernel row are read as one run).
    pub fn tap_offsets(&self, ws: &[usize], inner: usize) -> Vec<usize> {
        let d = self.d();
        let taps = self.taps();
        let mut offs = Vec::with_capacity(taps / inner.max(1));
        let mut idx = vec![0usize; d];
        for t in 0..taps {
            let mut rem = t;
            for i in (0..d).rev() {
                idx[i] = rem % self.k[i];
                rem /= self.k[i];
            }
            if !idx[d - 1].is_multiple_of(inner) {
                continue;
            }
            offs.push((0..d).map(|i| idx[i] * self.kd[i] * ws[i + 1]).sum());
        }
        offs
    }
}

/// Computes `out = conv(x, w)` for the primitive `p`; `dtype` is the dtype
/// of both operands and of the output.
pub fn conv(
    p: &Convolution,
    dtype: Dtype,
    x: (&Data, &[i64]),
    w: (&Data, &[i64]),
    out: (&Data, &[i64]),
) -> Result<()> {
    let (os, xs, wsh) = (out.1, x.1, w.1);
    if os.contains(&0) {
        return Ok(());
    }
    if phases_apply(p) {
        return conv_phases(p, dtype, x, w, out);
    }
    let d = xs.len() - 2;
    let u = |v: i64| v as usize;
    let k: Vec<usize> = wsh[1..=d].iter().map(|&v| u(v)).collect();
    let outsp: Vec<usize> = os[1..=d].iter().map(|&v| u(v)).collect();
    let stride: Vec<usize> = p.stride.iter().map(|&v| u(v)).collect();
    let kd: Vec<usize> = p.kernel_dilation.iter().map(|&v| u(v)).collect();
    let win = (0..d)
        .map(|i| (outsp[i] - 1) * stride[i] + k[i].saturating_sub(1) * kd[i] + 1)
        .collect();
    let groups = p.groups as usize;
    let (c, o) = (u(xs[d + 1]), u(os[d + 1]));
    let g = Geom {
        n: u(xs[0]),
        c,
        o,
        groups,
        cg: c / groups,
        og: o / groups,
        k,
        out: outsp,
        win,
        stride,
        kd,
    };
    let total = g.rows() * g.o;
    match dtype {
        Dtype::Float32 => {
            let (xp, wk) = (Window::<f32>::new(p, &g, x, 4)?, Weights::<f32>::new(p, &g, w, 4)?);
            // SAFETY: `out` is a fresh row-contiguous buffer of `total`
            // elements of the computation type.
            let o = unsafe { std::slice::from_raw_parts_mut(out.0.ptr::<f32>(), total) };
            run(&g, xp.ptr(), wk.ptr(), o)?;
        }
        Dtype::Float64 => {
            let (xp, wk) = (Window::<f64>::new(p, &g, x, 8)?, Weights::<f64>::new(p, &g, w, 8)?);
            // SAFETY: as above.
            let o = unsafe { std::slice::from_raw_parts_mut(out.0.ptr::<f64>(), total) };
            run(&g, xp.ptr(), wk.ptr(), o)?;
        }
        Dtype::Float16 => run_half::<f16>(p, &g, x, w, out.0, total)?,
        Dtype::Bfloat16 => run_half::<bf16>(p, &g, x, w, out.0, total)?,
        other => {
            return Err(Error::value(format!(
                "[conv] Invalid input array with type {other}. Convolution currently only supports floating point types"
            )))
        }
    }
    Ok(())
}

/// Half-precision element types, widened to float32 for the computation.
trait Half: Copy + 'static {
    fn widen(src: &[Self], dst: &mut [f32]);
    fn narrow(src: &[f32], dst: &mut [Self]);
}

impl Half for f16 {
    fn widen(src: &[Self], dst: &mut [f32]) {
        src.convert_to_f32_slice(dst)
    }
    fn narrow(src: &[f32], dst: &mut [Self]) {
        dst.convert_from_f32_slice(src)
    }
}

impl Half for bf16 {
    fn widen(src: &[Self], dst: &mut [f32]) {
        src.convert_to_f32_slice(dst)
    }
    fn narrow(src: &[f32], dst: &mut [Self]) {
        dst.convert_from_f32_slice(src)
    }
}

/// A half-precision buffer (gathered as raw 16-bit values) widened to f32.
fn widen<H: Half>(raw: &Scratch<u16>) -> Result<Scratch<f32>> {
    let mut dst = Scratch::<f32>::zeroed(raw.len)?;
    // SAFETY: both buffers hold `len` initialised elements; H is a 16-bit
    // float type, for which every bit pattern is a value.
    unsafe {
        let src = std::slice::from_raw_parts(raw.ptr() as *const H, raw.len);
        H::widen(src, dst.slice_mut());
    }
    Ok(dst)
}

fn run_half<H: Half>(
    p: &Convolution,
    g: &Geom,
    x: (&Data, &[i64]),
    w: (&Data, &[i64]),
    out: &Data,
    total: usize,
) -> Result<()> {
    let xp = widen::<H>(&Window::<u16>::gather(p, g, x, 2)?)?;
    let wk = widen::<H>(&Weights::<u16>::gather(p, g, w, 2)?)?;
    let mut acc = Scratch::<f32>::zeroed(total)?;
    // SAFETY: `acc` is initialised; `out` is a fresh row-contiguous buffer
    // of `total` halves.
    unsafe {
        run(g, xp.ptr(), wk.ptr(), acc.slice_mut())?;
        let o = std::slice::from_raw_parts_mut(out.ptr::<H>(), total);
        H::narrow(acc.slice_mut(), o);
    }
    Ok(())
}

/// Picks the algorithm for prepared operands.
fn run<T: Real>(g: &Geom, xp: *const T, wk: *const T, out: &mut [T]) -> Result<()> {
    if g.taps() * g.cg == 0 {
        out.fill(T::default());
    } else if g.groups > 1 && g.cg == 1 {
        depthwise(g, xp, wk, out);
    } else if implicit_gemm_fits(g) {
        implicit_gemm(g, xp, wk, out)?;
    } else if kernel_major_fits(g) {
        kernel_major(g, xp, wk, out)?;
    } else {
        im2col(g, xp, wk, out)?;
    }
    Ok(())
}

/// Scratch memory from the array buffer cache: large temporaries are reused
/// across calls instead of costing fresh (page-faulting) allocations.
pub(crate) struct Scratch<T> {
    buf: Buffer,
    len: usize,
    _t: PhantomData<T>,
}

impl<T: Copy> Scratch<T> {
    /// `n` uninitialised elements (to be written through [`Scratch::ptr`]
    /// before they are read).
    pub fn uninit(n: usize) -> Result<Self> {
        Ok(Scratch {
            buf: Buffer::new(n * std::mem::size_of::<T>())?,
            len: n,
            _t: PhantomData,
        })
    }

    /// `n` elements of all-zero bits.
    pub fn zeroed(n: usize) -> Result<Self> {
        Ok(Scratch {
            buf: Buffer::zeroed(n * std::mem::size_of::<T>())?,
            len: n,
            _t: PhantomData,
        })
    }

    /// The first element (64-byte aligned).
    pub fn ptr(&self) -> *mut T {
        self.buf.as_ptr() as *mut T
    }

    /// The elements.
    ///
    /// # Safety
    /// All elements must have been initialised.
    pub unsafe fn slice_mut(&mut self) -> &mut [T] {
        std::slice::from_raw_parts_mut(self.ptr(), self.len)
    }
}

/// The window of the padded, input-dilated signal (owned, or the input
/// itself when it already is the window).
struct Window<T> {
    _owned: Option<Scratch<T>>,
    ptr: *const T,
}

impl<T: Copy> Window<T> {
    /// The window in the input's own dtype (`esize`-byte elements), reusing
    /// a row-contiguous input that needs no padding or dilation.
    fn new(p: &Convolution, g: &Geom, x: (&Data, &[i64]), esize: usize) -> Result<Self> {
        let d = g.d();
        let whole = (0..d).all(|i| {
            p.padding_lo[i] == 0 && p.input_dilation[i] == 1 && g.win[i] as i64 == x.1[i + 1]
        });
        if whole && x.0.is_row_contiguous(x.1) {
            return Ok(Window {
                _owned: None,
                ptr: x.0.ptr::<T>() as *const T,
            });
        }
        let owned = Self::gather(p, g, x, esize)?;
        let ptr = owned.ptr() as *const T;
        Ok(Window {
            _owned: Some(owned),
            ptr,
        })
    }

    fn ptr(&self) -> *const T {
        self.ptr
    }

    /// Copies the input elements that fall inside the window into a zeroed
    /// `(N, window..., C)` buffer.
    fn gather(p: &Convolution, g: &Geom, x: (&Data, &[i64]), esize: usize) -> Result<Scratch<T>> {
        let d = g.d();
        let ws = g.win_strides();
        let (xd, xs) = x;
        // (first window position, count) of the input elements per axis.
        let mut boxes = Vec::with_capacity(d);
        let mut shape = Vec::with_capacity(d + 2);
        let mut dst_strides = Vec::with_capacity(d + 2);
        shape.push(xs[0]);
        dst_strides.push(ws[0] as i64);
        let mut src_off = xd.offset as i64;
        let mut dst_off = 0i64;
        for i in 0..d {
            let (lo, id) = (p.padding_lo[i], p.input_dilation[i]);
            let win = g.win[i] as i64;
            // Input elements j with 0 <= j * id + lo < win.
            let j0 = if lo >= 0 { 0 } else { (-lo + id - 1) / id };
            let last = win - 1 - lo;
            let j1 = if last < 0 {
                0
            } else {
                (last / id + 1).min(xs[i + 1])
            };
            let count = (j1 - j0).max(0);
            boxes.push(((j0 * id + lo).max(0) as usize, count as usize));
            shape.push(count);
            dst_strides.push(ws[i + 1] as i64 * id);
            src_off += j0 * xd.strides[i + 1];
            dst_off += (j0 * id + lo) * ws[i + 1] as i64;
        }
        shape.push(xs[d + 1]);
        dst_strides.push(1);
        let total = g.n * ws[0];
        let empty = shape.contains(&0);
        let buf = if empty || p.input_dilation.iter().any(|&v| v != 1) {
            Scratch::<T>::zeroed(total)?
        } else {
            // Without input dilation the input is one box of the window:
            // only the borders around it need zeros.
            let buf = Scratch::<T>::uninit(total)?;
            zero_borders(buf.ptr(), g, &boxes);
            buf
        };
        if !empty {
            let src = Data {
                buf: xd.buf.clone(),
                offset: src_off as usize,
                strides: xd.strides.clone(),
            };
            // SAFETY: dst_off and the strides address the window buffer.
            let dst = unsafe { buf.ptr().offset(dst_off as isize) } as *mut u8;
            copy_strided(&src, &shape, esize, dst, &dst_strides);
        }
        Ok(buf)
    }
}

/// Zeroes the window outside the box `boxes` (per spatial axis: first
/// position and extent), line by line along the last spatial axis.
fn zero_borders<T>(buf: *mut T, g: &Geom, boxes: &[(usize, usize)]) {
    let d = g.d();
    let line = g.win[d - 1] * g.c;
    let lines = g.n * g.win[..d - 1].iter().product::<usize>();
    let (q0, cnt) = boxes[d - 1];
    let (head, tail) = (q0 * g.c, (q0 + cnt) * g.c);
    for l in 0..lines {
        let mut rem = l;
        let mut inside = true;
        for i in (0..d - 1).rev() {
            let wi = rem % g.win[i];
            rem /= g.win[i];
            inside &= wi >= boxes[i].0 && wi < boxes[i].0 + boxes[i].1;
        }
        // SAFETY: line l spans [l * line, (l + 1) * line) of the window.
        unsafe {
            let base = buf.add(l * line);
            if inside {
                std::ptr::write_bytes(base, 0, head);
                std::ptr::write_bytes(base.add(tail), 0, line - tail);
            } else {
                std::ptr::write_bytes(base, 0, line);
            }
        }
    }
}

/// The weight as a contiguous `(C_out, taps, C_in / groups)` matrix.
struct Weights<T> {
    _owned: Option<Scratch<T>>,
    ptr: *const T,
}

impl<T: Copy> Weights<T> {
    fn new(p: &Convolution, g: &Geom, w: (&Data, &[i64]), esize: usize) -> Result<Self> {
        if !p.flip && w.0.is_row_contiguous(w.1) {
            return Ok(Weights {
                _owned: None,
                ptr: w.0.ptr::<T>() as *const T,
            });
        }
        let owned = Self::gather(p, g, w, esize)?;
        let ptr = owned.ptr() as *const T;
        Ok(Weights {
            _owned: Some(owned),
            ptr,
        })
    }

    fn ptr(&self) -> *const T {
        self.ptr
    }

    /// A contiguous copy, with the spatial axes reversed when `p.flip`.
    fn gather(p: &Convolution, g: &Geom, w: (&Data, &[i64]), esize: usize) -> Result<Scratch<T>> {
        let (wd, ws) = w;
        let n = g.o * g.taps() * g.cg;
        let buf = Scratch::<T>::uninit(n)?;
        if n == 0 {
            return Ok(buf);
        }
        let mut view = wd.clone();
        if p.flip {
            let mut off = view.offset as i64;
            let mut strides = view.strides.to_vec();
            for i in 1..ws.len() - 1 {
                off += (ws[i] - 1) * strides[i];
                strides[i] = -strides[i];
            }
            view.offset = off as usize;
            view.strides = strides.into_boxed_slice();
        }
        copy_to_contiguous(&view, ws, esize, buf.ptr() as *mut u8);
        Ok(buf)
    }
}

/// Splits `0..n` items of `cost` elements each into chunks run on rayon
/// (serially below ~64K elements of work).
pub(crate) fn par_items(n: usize, cost: usize, f: impl Fn(usize, usize) + Sync + Send) {
    let threads = rayon::current_num_threads();
    if n <= 1 || threads <= 1 || n.saturating_mul(cost.max(1)) < super::PAR_THRESHOLD {
        f(0, n);
        return;
    }
    let chunks = (threads * 4).min(n);
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

/// Work (m·n·k) above which one product lets `gemm` use every core.
const PAR_PRODUCT: usize = 1 << 18;

/// `dst (m x n, row stride dst_rs) (+)= a (m x k, row stride a_rs) @ b`,
/// where `b` is `k x n` with unit row stride and column stride `b_cs`.
///
/// # Safety
/// The operands must address `m x k`, `k x n` and `m x n` valid elements.
#[allow(clippy::too_many_arguments)]
pub(crate) unsafe fn gemm_acc<T: Real>(
    (m, n, k): (usize, usize, usize),
    dst: *mut T,
    dst_rs: usize,
    accumulate: bool,
    a: *const T,
    a_rs: usize,
    b: *const T,
    b_cs: usize,
    parallel: bool,
) {
    let par = if parallel && m * n * k >= PAR_PRODUCT {
        Parallelism::Rayon(0)
    } else {
        Parallelism::None
    };
    gemm::gemm(
        m,
        n,
        k,
        dst,
        1,
        dst_rs as isize,
        accumulate,
        a,
        1,
        a_rs as isize,
        b,
        b_cs as isize,
        1,
        T::ONE,
        T::ONE,
        false,
        false,
        false,
        par,
    );
}
