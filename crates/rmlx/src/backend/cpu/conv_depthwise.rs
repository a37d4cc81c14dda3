//! Depthwise convolution (one input channel per group, `m = C_out / C_in`
//! outputs per channel): a direct kernel. A matrix product would be one
//! `taps x m` product per channel and output position, far too small for
//! GEMM; instead each output position accumulates `taps` channel vectors
//! scaled by the (transposed) weight, so the inner loop runs along the
//! contiguous channels.

use super::conv::{par_items, Geom, Real};
use super::SyncPtr;

/// Depthwise convolution; `out` is `(rows, C_out)` with `C_out = C_in · m`.
pub(crate) fn depthwise<T: Real>(g: &Geom, xp: *const T, wk: *const T, out: &mut [T]) {
    let d = g.d();
    let taps = g.taps();
    let (c, o, m) = (g.c, g.o, g.og);
    // wt[t][co] = wk[co][t]: each tap's weights contiguous over channels.
    let mut wt = vec![T::default(); taps * o];
    for co in 0..o {
        for t in 0..taps {
            // SAFETY: wk holds o x taps elements (one input channel each).
            wt[t * o + co] = unsafe { *wk.add(co * taps + t) };
        }
    }
    let ws = g.win_strides();
    let offs = g.tap_offsets(&ws, 1);
    let last = g.out[d - 1];
    let lines = g.rows() / last;
    let xs = SyncPtr(xp as *mut T);
    let os = SyncPtr(out.as_mut_ptr());
    let wt = &wt;
    par_items(lines, last * taps * o, |a, b| {
        let (xs, os) = (&xs, &os);
        let mut idx = vec![0usize; d];
        for line in a..b {
            let mut rem = line;
            for i in (0..d - 1).rev() {
                idx[i] = rem % g.out[i];
                rem /= g.out[i];
            }
            let base = rem * ws[0]
                + (0..d - 1)
                    .map(|i| idx[i] * g.stride[i] * ws[i + 1])
                    .sum::<usize>();
            for p in 0..last {
                // SAFETY: each line writes its own output rows; patches lie
                // inside the window.
                let acc =
                    unsafe { std::slice::from_raw_parts_mut(os.0.add((line * last + p) * o), o) };
                acc.fill(T::default());
                let origin = base + p * g.stride[d - 1] * ws[d];
                for (t, &off) in offs.iter().enumerate() {
                    let src = unsafe { std::slice::from_raw_parts(xs.0.add(origin + off), c) };
                    let w = &wt[t * o..(t + 1) * o];
                    if m == 1 {
                        for ((a, &x), &w) in acc.iter_mut().zip(src).zip(w) {
                            *a = *a + x * w;
                        }
                    } else {
                        for (ch, &x) in src.iter().enumerate() {
                            let (aa, ww) =
                                (&mut acc[ch * m..(ch + 1) * m], &w[ch * m..(ch + 1) * m]);
                            for (a, &w) in aa.iter_mut().zip(ww) {
                                *a = *a + x * w;
                            }
                        }
                    }
                }
            }
        }
    });
}
