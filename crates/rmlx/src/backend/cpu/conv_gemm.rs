//! Convolution as matrix products: output rows (one per output position)
//! are patches of the window times the weight matrix `(taps · C_in/groups)
//! x C_out/groups`, one product per group.
//!
//! * **Implicit GEMM** (all strides 1). Row `r` of the window's flattened
//!   `(N, window...)` grid is the origin of the patch of output `r` (for
//!   the grid points that are outputs), and the tap at offset `t` of every
//!   patch is row `r + t`: so one tap (or, when the taps of a kernel row are
//!   adjacent channels-last runs, one kernel row) is a product whose left
//!   operand is the window itself read with row stride `C`, no copy. The
//!   products accumulate into an output on the window's grid, which keeps
//!   garbage rows for the grid points that are not outputs (the borders);
//!   the valid rows are then compacted. Used while that waste is small.
//! * **im2col**, the general case: patches are gathered tile by tile into a
//!   buffer of a few MiB (rows of `taps · C_in/groups`) and multiplied.

use std::mem::MaybeUninit;

use super::conv::{gemm_acc, par_items, Geom, Real};
use super::SyncPtr;

/// Largest ratio of grid rows to output rows for the implicit GEMM.
const MAX_WASTE: f64 = 1.5;
/// Bytes of gathered patches per im2col tile.
const TILE_BYTES: usize = 4 << 20;

/// An uninitialised buffer of `n` elements (written before it is read).
fn uninit<T>(n: usize) -> Vec<MaybeUninit<T>> {
    let mut v = Vec::with_capacity(n);
    // SAFETY: MaybeUninit needs no initialisation.
    unsafe { v.set_len(n) };
    v
}

/// `(grid row strides, rows of the extended output, whether the last
/// kernel axis is one contiguous run per kernel row)`.
fn grid(g: &Geom) -> (Vec<usize>, usize, bool) {
    let d = g.d();
    let mut gs = vec![1usize; d + 1];
    for i in (0..d).rev() {
        gs[i] = gs[i + 1] * g.win[i];
    }
    // gs[0] is the batch plane; gs[i + 1] the step of spatial axis i.
    let last = (g.n - 1) * gs[0] + (0..d).map(|i| (g.out[i] - 1) * gs[i + 1]).sum::<usize>();
    let run = g.groups == 1 && g.kd[d - 1] == 1;
    (gs, last + 1, run)
}

/// Whether the implicit GEMM suits `g`: unit strides, few wasted rows, and
/// products deep enough to run at speed.
pub(crate) fn implicit_gemm_fits(g: &Geom) -> bool {
    if g.stride.iter().any(|&s| s != 1) {
        return false;
    }
    let (_, ext, run) = grid(g);
    let depth = if run { g.k[g.d() - 1] * g.c } else { g.cg };
    let kc = g.taps() * g.cg;
    (ext as f64) <= MAX_WASTE * g.rows() as f64 && depth >= kc.min(32)
}

/// The implicit GEMM (see the module doc). `out` is `(rows, C_out)`.
pub(crate) fn implicit_gemm<T: Real>(g: &Geom, xp: *const T, wk: *const T, out: &mut [T]) {
    let d = g.d();
    let (gs, ext, run) = grid(g);
    let direct = ext == g.rows();
    // Every grid row is written by the first product (no zeroing needed).
    let mut ext_buf = uninit::<T>(if direct { 0 } else { ext * g.o });
    let dst: *mut T = if direct {
        out.as_mut_ptr()
    } else {
        ext_buf.as_mut_ptr() as *mut T
    };
    let ws = g.win_strides();
    let inner = if run { g.k[d - 1] } else { 1 };
    let depth = if run { inner * g.c } else { g.cg };
    let kc = g.taps() * g.cg;
    let taps = g.tap_offsets(&ws, inner);
    for grp in 0..g.groups {
        for (i, &off) in taps.iter().enumerate() {
            // SAFETY: row r + tap stays inside the window for every grid row
            // r < ext (the last output's patch ends at the window's end);
            // the weight column block and output columns are in range.
            unsafe {
                gemm_acc(
                    (ext, g.og, depth),
                    dst.add(grp * g.og),
                    g.o,
                    i > 0,
                    xp.add(off + grp * g.cg),
                    g.c,
                    wk.add(grp * g.og * kc + i * depth),
                    kc,
                    true,
                );
            }
        }
    }
    if direct {
        return;
    }
    // Compact: each line of outputs along the last axis is contiguous on
    // the grid.
    let lines = g.rows() / g.out[d - 1];
    let line_len = g.out[d - 1] * g.o;
    let src = SyncPtr(dst);
    let o = SyncPtr(out.as_mut_ptr());
    par_items(lines, line_len, |a, b| {
        let (src, o) = (&src, &o);
        let mut idx = vec![0usize; d];
        for line in a..b {
            let mut rem = line;
            for i in (0..d - 1).rev() {
                idx[i] = rem % g.out[i];
                rem /= g.out[i];
            }
            let r = rem * gs[0] + (0..d - 1).map(|i| idx[i] * gs[i + 1]).sum::<usize>();
            // SAFETY: disjoint output lines; rows inside the grid buffer.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    src.0.add(r * g.o),
                    o.0.add(line * line_len),
                    line_len,
                );
            }
        }
    });
}

/// im2col (see the module doc). `out` is `(rows, C_out)`.
pub(crate) fn im2col<T: Real>(g: &Geom, xp: *const T, wk: *const T, out: &mut [T]) {
    let d = g.d();
    let ws = g.win_strides();
    let run = g.groups == 1 && g.kd[d - 1] == 1;
    let inner = if run { g.k[d - 1] } else { 1 };
    let seg = if run { inner * g.c } else { g.cg };
    let taps = g.tap_offsets(&ws, inner);
    let kc = g.taps() * g.cg;
    let rows = g.rows();
    let tile = (TILE_BYTES / (kc * std::mem::size_of::<T>())).clamp(16, rows.max(16));
    // Each tile's rows are gathered before they are multiplied.
    let mut buf = uninit::<T>(tile.min(rows) * kc);
    let bp = SyncPtr(buf.as_mut_ptr() as *mut T);
    let xs = SyncPtr(xp as *mut T);
    for grp in 0..g.groups {
        let mut r0 = 0;
        while r0 < rows {
            let m = tile.min(rows - r0);
            par_items(m, kc, |a, b| {
                let (xs, bp) = (&xs, &bp);
                let mut idx = vec![0usize; d];
                for row in a..b {
                    let mut rem = r0 + row;
                    for i in (0..d).rev() {
                        idx[i] = rem % g.out[i];
                        rem /= g.out[i];
                    }
                    let base = rem * ws[0]
                        + (0..d)
                            .map(|i| idx[i] * g.stride[i] * ws[i + 1])
                            .sum::<usize>()
                        + grp * g.cg;
                    for (j, &off) in taps.iter().enumerate() {
                        // SAFETY: patches lie inside the window; each task
                        // writes its own buffer rows.
                        unsafe {
                            std::ptr::copy_nonoverlapping(
                                xs.0.add(base + off),
                                bp.0.add(row * kc + j * seg),
                                seg,
                            );
                        }
                    }
                }
            });
            // SAFETY: the tile's rows of `buf`, the group's weight block and
            // output columns are in range.
            unsafe {
                gemm_acc(
                    (m, g.og, kc),
                    out.as_mut_ptr().add(r0 * g.o + grp * g.og),
                    g.o,
                    false,
                    bp.0 as *const T,
                    kc,
                    wk.add(grp * g.og * kc),
                    kc,
                    true,
                );
            }
            r0 += m;
        }
    }
}
