//! CPU kernels of the shape family. Every kernel is a handful of block
//! copies between strided views (`copy_strided`, one instantiation per
//! element size, so all fourteen dtypes share it): concatenation writes each
//! input into its slab of the output, padding fills the border slabs from a
//! broadcast value or from the already-written interior, rolling copies the
//! 2^k wrapped blocks.

use super::copy::copy_strided;
use crate::array::{row_strides, Data};
use crate::primitives::shape::PadMode;

/// Byte pointer to element `off` (relative to the view's origin) of `out`.
fn at(out: &Data, off: i64, esize: usize) -> *mut u8 {
    // SAFETY: callers pass offsets of elements inside the output view.
    unsafe {
        out.buf
            .as_ptr()
            .add((out.offset as i64 + off) as usize * esize)
    }
}

/// A view of `d`'s buffer starting `off` elements past `d`'s origin.
fn view_at(d: &Data, off: i64, strides: &[i64]) -> Data {
    Data {
        buf: d.buf.clone(),
        offset: (d.offset as i64 + off) as usize,
        strides: strides.into(),
    }
}

/// Writes the inputs one after another along `axis` of the row-contiguous
/// `out` of shape `out_shape`.
pub fn concatenate(
    parts: &[(&Data, &[i64])],
    axis: usize,
    out: &Data,
    out_shape: &[i64],
    esize: usize,
) {
    if out_shape.contains(&0) {
        return;
    }
    let os = row_strides(out_shape);
    let mut pos = 0i64;
    for (d, shape) in parts {
        if !shape.contains(&0) {
            copy_strided(d, shape, esize, at(out, pos * os[axis], esize), &os);
        }
        pos += shape[axis];
    }
}

/// Index into an axis of `n` elements that padding position `i` (relative
/// to the axis start; negative before it, `>= n` after it) copies.
fn pad_source(mode: PadMode, n: i64, i: i64) -> i64 {
    match mode {
        PadMode::Edge | PadMode::Constant => i.clamp(0, n - 1),
        PadMode::Reflect => {
            if n == 1 {
                return 0;
            }
            let p = 2 * (n - 1);
            let m = i.rem_euclid(p);
            if m >= n {
                p - m
            } else {
                m
            }
        }
        PadMode::Symmetric => {
            let p = 2 * n;
            let m = i.rem_euclid(p);
            if m >= n {
                p - 1 - m
            } else {
                m
            }
        }
    }
}

/// The padded positions of one axis as runs `(dst, src, step, len)` in
/// output coordinates: `out[dst + t] = out[src + t * step]` for `t < len`,
/// where `src` lies in the interior.
fn pad_runs(mode: PadMode, n: i64, low: i64, high: i64) -> Vec<(i64, i64, i64, i64)> {
    let mut runs = Vec::new();
    for (from, to) in [(-low, 0), (n, n + high)] {
        let mut i = from;
        while i < to {
            let s0 = pad_source(mode, n, i);
            let (mut len, mut step) = (1, 0);
            if i + 1 < to {
                step = pad_source(mode, n, i + 1) - s0;
                len = 2;
                while i + len < to
                    && pad_source(mode, n, i + len) - pad_source(mode, n, i + len - 1) == step
                {
                    len += 1;
                }
            }
            runs.push((i + low, s0 + low, step, len));
            i += len;
        }
    }
    runs
}

/// Pads `src` (of `in_shape`) into the row-contiguous `out` (of
/// `out_shape`), `low[i]` elements before each axis. `value` is the 0-d
/// fill for [`PadMode::Constant`].
#[allow(clippy::too_many_arguments)]
pub fn pad(
    src: &Data,
    in_shape: &[i64],
    value: Option<&Data>,
    mode: PadMode,
    low: &[i64],
    out: &Data,
    out_shape: &[i64],
    esize: usize,
) {
    if out_shape.contains(&0) {
        return;
    }
    let nd = in_shape.len();
    let os = row_strides(out_shape);
    let fill = value.map(|v| Data {
        buf: v.buf.clone(),
        offset: v.offset,
        strides: vec![0i64; nd].into(),
    });
    if in_shape.contains(&0) {
        match (&fill, mode) {
            (Some(f), PadMode::Constant) => {
                copy_strided(f, out_shape, esize, at(out, 0, esize), &os)
            }
            // Nothing to replicate: MLX leaves the border undefined; zeros.
            _ => {
                let n = out_shape.iter().product::<i64>() as usize * esize;
                // SAFETY: the output holds exactly n bytes from its origin.
                unsafe { std::ptr::write_bytes(at(out, 0, esize), 0, n) };
            }
        }
        return;
    }
    let interior: i64 = (0..nd).map(|i| low[i] * os[i]).sum();
    copy_strided(src, in_shape, esize, at(out, interior, esize), &os);
    for k in 0..nd {
        let high = out_shape[k] - low[k] - in_shape[k];
        if low[k] == 0 && high == 0 {
            continue;
        }
        if let (Some(f), PadMode::Constant) = (&fill, mode) {
            // Slab of axis k: interior on the axes before k, full after it.
            let mut shape: Vec<i64> = (0..nd)
                .map(|j| if j < k { in_shape[j] } else { out_shape[j] })
                .collect();
            let base: i64 = (0..k).map(|j| low[j] * os[j]).sum();
            if low[k] > 0 {
                shape[k] = low[k];
                copy_strided(f, &shape, esize, at(out, base, esize), &os);
            }
            if high > 0 {
                shape[k] = high;
                copy_strided(
                    f,
                    &shape,
                    esize,
                    at(out, base + (low[k] + in_shape[k]) * os[k], esize),
                    &os,
                );
            }
        } else {
            // Axes before k are complete already, axes after k hold only
            // their interior; replicate runs of the interior of axis k.
            let mut shape: Vec<i64> = (0..nd)
                .map(|j| if j < k { out_shape[j] } else { in_shape[j] })
                .collect();
            let base: i64 = (k + 1..nd).map(|j| low[j] * os[j]).sum();
            let mut ss = os.to_vec();
            for (dst, from, step, len) in pad_runs(mode, in_shape[k], low[k], high) {
                shape[k] = len;
                ss[k] = step * os[k];
                let view = view_at(out, base + from * os[k], &ss);
                copy_strided(
                    &view,
                    &shape,
                    esize,
                    at(out, base + dst * os[k], esize),
                    &os,
                );
            }
        }
    }
}

/// Rolls `src` (of `shape`) into the row-contiguous `out`: element `i` of
/// axis `ax` goes to `(i + shift[ax]) % n`. One block copy per combination
/// of wrapped halves of the shifted axes.
pub fn roll(src: &Data, shape: &[i64], shift: &[i64], out: &Data, esize: usize) {
    if shape.contains(&0) {
        return;
    }
    let os = row_strides(shape);
    let axes: Vec<usize> = (0..shape.len()).filter(|&i| shift[i] != 0).collect();
    let mut sub = shape.to_vec();
    for mask in 0..(1usize << axes.len()) {
        let (mut soff, mut doff) = (0i64, 0i64);
        for (b, &ax) in axes.iter().enumerate() {
            let (n, s) = (shape[ax], shift[ax]);
            if (mask >> b) & 1 == 0 {
                sub[ax] = n - s;
                doff += s * os[ax];
            } else {
                sub[ax] = s;
                soff += (n - s) * src.strides[ax];
            }
        }
        let view = view_at(src, soff, &src.strides);
        copy_strided(&view, &sub, esize, at(out, doff, esize), &os);
    }
}

/// Writes an `m x m` matrix of zeros with the `n` elements of `src` on its
/// `k`-th diagonal into the row-contiguous `out`.
pub fn diag(src: &Data, n: i64, k: i64, out: &Data, m: i64, esize: usize) {
    let bytes = (m * m) as usize * esize;
    // SAFETY: the output holds m*m elements from its origin. All-zero bytes
    // are zero (or false) for every dtype.
    unsafe { std::ptr::write_bytes(at(out, 0, esize), 0, bytes) };
    if n == 0 {
        return;
    }
    let start = if k >= 0 { k } else { -k * m };
    copy_strided(src, &[n], esize, at(out, start, esize), &[m + 1]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reflect_and_symmetric_runs_match_numpy_indices() {
        // numpy.pad(arange(3), (5, 4), mode) gives these index sequences.
        let src = |mode| {
            let mut v = vec![0i64; 12];
            for (dst, from, step, len) in pad_runs(mode, 3, 5, 4) {
                for t in 0..len {
                    v[(dst + t) as usize] = from + t * step - 5;
                }
            }
            for (i, x) in v.iter_mut().enumerate().skip(5).take(3) {
                *x = i as i64 - 5;
            }
            v
        };
        assert_eq!(
            src(PadMode::Reflect),
            vec![1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2]
        );
        assert_eq!(
            src(PadMode::Symmetric),
            vec![1, 2, 2, 1, 0, 0, 1, 2, 2, 1, 0, 0]
        );
        assert_eq!(src(PadMode::Edge), vec![0, 0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2]);
    }
}
