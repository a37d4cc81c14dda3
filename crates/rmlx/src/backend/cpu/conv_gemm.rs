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
//! * **Kernel-major implicit GEMM** (one group, adjacent taps, a kernel
//!   much larger than the output, as in weight gradients): one product per
//!   output position over the window in place, against the weight spread
//!   over the patch's span of window positions.
//! * **im2col**, the general case: patches are gathered tile by tile into a
//!   buffer of a few MiB (rows of `taps · C_in/groups`) and multiplied.

use super::conv::{gemm_acc, par_items, Geom, Real, Scratch};
use super::SyncPtr;
use crate::error::Result;

/// Largest ratio of grid rows to output rows for the implicit GEMM.
const MAX_WASTE: f64 = 1.5;
/// Bytes of gathered patches per im2col tile.
const TILE_BYTES: usize = 4 << 20;

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
pub(crate) fn implicit_gemm<T: Real>(
    g: &Geom,
    xp: *const T,
    wk: *const T,
    out: &mut [T],
) -> Result<()> {
    let d = g.d();
    let (gs, ext, run) = grid(g);
    let direct = ext == g.rows();
    // Every grid row is written by the first product (no zeroing needed).
    let ext_buf = Scratch::<T>::uninit(if direct { 0 } else { ext * g.o })?;
    let dst: *mut T = if direct {
        out.as_mut_ptr()
    } else {
        ext_buf.ptr()
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
        return Ok(());
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
    Ok(())
}

/// im2col (see the module doc). `out` is `(rows, C_out)`.
pub(crate) fn im2col<T: Real>(g: &Geom, xp: *const T, wk: *const T, out: &mut [T]) -> Result<()> {
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
    let buf = Scratch::<T>::uninit(tile.min(rows) * kc)?;
    let bp = SyncPtr(buf.ptr());
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
    drop(buf);
    Ok(())
}

/// Extent, in window positions, of one patch when taps are adjacent
/// (`sum (k_i - 1) * step_i + 1`, `step_i` the window stride of axis i).
fn patch_span(g: &Geom, ws: &[usize]) -> usize {
    (0..g.d())
        .map(|i| (g.k[i] - 1) * ws[i + 1] / g.c)
        .sum::<usize>()
        + 1
}

/// Whether the kernel-major implicit GEMM suits `g`: one group, adjacent
/// taps, a kernel much larger than the output (weight gradients, where the
/// "kernel" is the output cotangent), and few gaps in the patch span.
pub(crate) fn kernel_major_fits(g: &Geom) -> bool {
    if g.groups != 1 || g.kd.iter().any(|&k| k != 1) {
        return false;
    }
    let npos: usize = g.out.iter().product();
    let taps = g.taps();
    let span = patch_span(g, &g.win_strides());
    taps >= 4 * npos && (span as f64) <= MAX_WASTE * taps as f64
}

/// Kernel-major implicit GEMM: one product per output position `k`,
/// `out[:, k, :] = A_k @ W`, where row `b` of `A_k` is the window of batch
/// `b` from the patch origin of `k` on, read in place (the patch is one
/// contiguous span of window positions times channels), and `W` is the
/// weight spread over that span (zero at the window positions between
/// kernel rows). Deep products instead of gathering `positions x taps`
/// patches, which is what im2col would do for a large kernel.
pub(crate) fn kernel_major<T: Real>(
    g: &Geom,
    xp: *const T,
    wk: *const T,
    out: &mut [T],
) -> Result<()> {
    let d = g.d();
    let ws = g.win_strides();
    let (c, o, taps) = (g.c, g.o, g.taps());
    let depth = patch_span(g, &ws) * c;
    // Spread weight, (C_out x depth): column j of W is row j here.
    let spread = Scratch::<T>::zeroed(o * depth)?;
    let offs = g.tap_offsets(&ws, 1);
    let sp = SyncPtr(spread.ptr());
    let wp = SyncPtr(wk as *mut T);
    par_items(o, taps * c, |a, b| {
        let (sp, wp) = (&sp, &wp);
        for oo in a..b {
            for (t, &off) in offs.iter().enumerate() {
                // SAFETY: tap offsets lie inside the span; disjoint rows.
                unsafe {
                    std::ptr::copy_nonoverlapping(
                        wp.0.add((oo * taps + t) * c),
                        sp.0.add(oo * depth + off),
                        c,
                    );
                }
            }
        }
    });
    let npos: usize = g.out.iter().product();
    let mut idx = vec![0usize; d];
    for k in 0..npos {
        let mut rem = k;
        for i in (0..d).rev() {
            idx[i] = rem % g.out[i];
            rem /= g.out[i];
        }
        let origin: usize = (0..d).map(|i| idx[i] * g.stride[i] * ws[i + 1]).sum();
        // SAFETY: every batch's span ends inside its window plane (the last
        // output's patch ends at the window's end); output column block k.
        unsafe {
            gemm_acc(
                (g.n, o, depth),
                out.as_mut_ptr().add(k * o),
                npos * o,
                false,
                xp.add(origin),
                ws[0],
                spread.ptr() as *const T,
                depth,
                true,
            );
        }
    }
    Ok(())
}
