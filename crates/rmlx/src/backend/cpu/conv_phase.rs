//! Input-dilated convolutions (transposed convolutions, and the input
//! gradients of strided ones) split into phases. With input dilation `id`,
//! most taps of an output land on the zeros between input elements; which
//! taps do not depends only on the output's position modulo `id`. Splitting
//! the outputs into those `id` phases per axis, each phase is an ordinary
//! convolution of the undilated input with every `id`-th tap of the kernel,
//! written back with step `id`: the products skip the zeros instead of
//! multiplying by them (`id^d` times less work than on the dilated signal).
//!
//! Along one axis (stride `s`, tap spacing `kd`, low padding `lo`), output
//! `o = r + id·q` and tap `k` read dilated position
//! `p = o·s + k·kd - lo`, an input element iff `p ≡ 0 (mod id)`, i.e.
//! `k·kd ≡ lo - r·s`. When `gcd(kd, id) = 1` exactly one residue `k0` of `k`
//! solves it; with `k = k0 + id·t` the input index is
//! `p / id = q·s + t·kd + e`, `e = (r·s + k0·kd - lo) / id`: a convolution
//! with stride `s`, tap spacing `kd`, low padding `-e` and taps `k0, k0 +
//! id, ...`.

use super::conv::conv;
use super::copy::copy_strided;
use crate::array::Data;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::primitives::conv::Convolution;

fn gcd(a: i64, b: i64) -> i64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// Whether `p` has input dilation that the phase split handles.
pub(crate) fn phases_apply(p: &Convolution) -> bool {
    p.input_dilation.iter().any(|&v| v > 1)
        && p.input_dilation
            .iter()
            .zip(&p.kernel_dilation)
            .all(|(&id, &kd)| id == 1 || gcd(kd, id) == 1)
}

/// One phase along one axis: outputs `r, r + id, ...` (`count` of them)
/// use taps `k0, k0 + id, ...` (`taps` of them) and low padding `-e`.
struct AxisPhase {
    count: i64,
    k0: i64,
    taps: i64,
    e: i64,
}

fn axis_phase(p: &Convolution, i: usize, r: i64, out: i64, k: i64) -> AxisPhase {
    let (id, s, kd, lo) = (
        p.input_dilation[i],
        p.stride[i],
        p.kernel_dilation[i],
        p.padding_lo[i],
    );
    let count = if r < out { (out - r + id - 1) / id } else { 0 };
    let want = (lo - r * s).rem_euclid(id);
    let k0 = (0..id)
        .find(|&k0| (k0 * kd).rem_euclid(id) == want)
        .unwrap_or(id);
    let taps = if k0 < k { (k - k0 + id - 1) / id } else { 0 };
    AxisPhase {
        count,
        k0,
        taps,
        e: (r * s + k0 * kd - lo).div_euclid(id),
    }
}

/// The convolution `p` (with input dilation) phase by phase.
pub(crate) fn conv_phases(
    p: &Convolution,
    dtype: Dtype,
    x: (&Data, &[i64]),
    w: (&Data, &[i64]),
    out: (&Data, &[i64]),
) -> Result<()> {
    let (os, ws) = (out.1, w.1);
    let d = os.len() - 2;
    let esize = dtype.size();
    let total: usize = os.iter().product::<i64>() as usize;
    // Phases without taps leave zeros.
    // SAFETY: `out` is a fresh row-contiguous buffer of `total` elements.
    unsafe { std::ptr::write_bytes(out.0.byte_ptr(dtype), 0, total * esize) };
    let out_strides = crate::array::row_strides(os);
    let nphase: i64 = p.input_dilation.iter().product();
    for ph in 0..nphase {
        let mut rem = ph;
        let mut r = vec![0i64; d];
        for i in (0..d).rev() {
            r[i] = rem % p.input_dilation[i];
            rem /= p.input_dilation[i];
        }
        let axes: Vec<AxisPhase> = (0..d)
            .map(|i| axis_phase(p, i, r[i], os[i + 1], ws[i + 1]))
            .collect();
        if axes.iter().any(|a| a.count == 0 || a.taps == 0) {
            continue;
        }
        // Every id-th tap of the weight (reversed when flipping).
        let mut wv = w.0.clone();
        let mut wstrides = wv.strides.to_vec();
        let mut wshape = ws.to_vec();
        let mut off = wv.offset as i64;
        for (i, a) in axes.iter().enumerate() {
            let (kk, id) = (ws[i + 1], p.input_dilation[i]);
            let first = if p.flip { kk - 1 - a.k0 } else { a.k0 };
            off += first * wstrides[i + 1];
            wstrides[i + 1] *= if p.flip { -id } else { id };
            wshape[i + 1] = a.taps;
        }
        wv.offset = off as usize;
        wv.strides = wstrides.into_boxed_slice();
        let q = Convolution {
            stride: p.stride.clone(),
            padding_lo: axes.iter().map(|a| -a.e).collect(),
            padding_hi: vec![0; d],
            kernel_dilation: p.kernel_dilation.clone(),
            input_dilation: vec![1; d],
            groups: p.groups,
            flip: false,
        };
        let mut sub_shape = os.to_vec();
        for (i, a) in axes.iter().enumerate() {
            sub_shape[i + 1] = a.count;
        }
        let sub = Data::alloc(&sub_shape, dtype)?;
        conv(&q, dtype, x, (&wv, &wshape), (&sub, &sub_shape))?;
        // Scatter the phase's outputs with step id.
        let mut dst_off = 0i64;
        let mut dst_strides = out_strides.to_vec();
        for i in 0..d {
            dst_off += r[i] * out_strides[i + 1];
            dst_strides[i + 1] *= p.input_dilation[i];
        }
        // SAFETY: the phase's positions lie inside the output.
        let dst = unsafe { out.0.byte_ptr(dtype).add(dst_off as usize * esize) };
        copy_strided(&sub, &sub_shape, esize, dst, &dst_strides);
    }
    Ok(())
}
