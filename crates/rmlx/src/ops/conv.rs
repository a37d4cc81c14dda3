//! Convolution ops in MLX's channels-last layout: `conv1d`, `conv2d`,
//! `conv3d`, `conv_general` (strides, low/high padding, kernel and input
//! dilation, groups, flip), the transposed convolutions and `convolve`.
//! All build the one [`Convolution`] primitive, after MLX's checks (same
//! order, same messages), dtype promotion and MLX's treatment of negative
//! padding (the input is sliced).
//!
//! Beyond MLX: `groups != 1` also works for 3-D convolutions (MLX: "Can
//! only handle groups != 1 in 1D or 2D convolutions"), and `groups < 1` is
//! a ValueError (MLX divides by zero).

use std::sync::Arc;

use super::{fmt_shape, slice_strided};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::promote_types;
use crate::error::{Error, Result};
use crate::ops;
use crate::primitives::conv::Convolution;

/// MLX's `run_conv_checks`: dtype, weight rank and channel/group counts.
fn conv_checks(x: &Array, w: &Array, d: usize, groups: i64) -> Result<()> {
    if !x.dtype().is_floating() {
        return Err(Error::value(format!(
            "[conv] Invalid input array with type {}. Convolution currently only supports floating point types",
            x.dtype()
        )));
    }
    if w.ndim() != d + 2 {
        return Err(Error::value(format!(
            "[conv] Invalid weight array with {} dimensions for {d}D convolution. Expected an array with {} dimensions following the format [C_out, ..., C_in].",
            w.ndim(),
            d + 2
        )));
    }
    let c = x.shape()[d + 1];
    if c % groups != 0 {
        return Err(Error::value(format!(
            "[conv] The input channels must be divisible by the number of groups. Got input with shape {} and {groups} groups.",
            fmt_shape(x.shape())
        )));
    }
    if groups > 1 && w.shape()[0] % groups != 0 {
        return Err(Error::value(format!(
            "[conv] If groups > 1, the output channels must be divisible by the number of groups. Got {} output channels and {groups} groups.",
            w.shape()[0]
        )));
    }
    if c != groups * w.shape()[d + 1] {
        let msg = if groups == 1 {
            format!(
                "[conv] Expect the input channels in the input and weight array to match but got shapes - input: {} and weight: {}",
                fmt_shape(x.shape()),
                fmt_shape(w.shape())
            )
        } else {
            format!(
                "Given groups={groups} and weights of shape {}, expected to have {} input channels but got {c} input channels instead.",
                fmt_shape(w.shape()),
                groups * w.shape()[d + 1]
            )
        };
        return Err(Error::value(msg));
    }
    Ok(())
}

/// A per-axis parameter list: empty or one value applies to every axis.
fn per_axis(v: &[i64], d: usize, default: i64) -> Vec<i64> {
    match v.len() {
        0 => vec![default; d],
        1 => vec![v[0]; d],
        _ => v.to_vec(),
    }
}

/// General convolution (MLX `conv_general`): `input` is `(N, spatial...,
/// C_in)`, `weight` is `(C_out, spatial..., C_in / groups)`. Each per-axis
/// list may hold one value for every axis (or be empty for the default).
#[allow(clippy::too_many_arguments)]
pub fn conv_general(
    input: &Array,
    weight: &Array,
    stride: &[i64],
    padding_lo: &[i64],
    padding_hi: &[i64],
    kernel_dilation: &[i64],
    input_dilation: &[i64],
    groups: i64,
    flip: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let stream = resolve_stream(s, "conv_general")?;
    if groups < 1 {
        return Err(Error::value(format!(
            "[conv] The number of groups must be positive. Got {groups} groups."
        )));
    }
    let nd = input.ndim();
    if !(3..=5).contains(&nd) {
        return Err(Error::value(
            "[conv] Only works for inputs with 1-3 spatial dimensions. The inputs must be in the format [N, ..., C_in]",
        ));
    }
    let d = nd - 2;
    conv_checks(input, weight, d, groups)?;
    let dtype = promote_types(input.dtype(), weight.dtype());
    if !dtype.is_floating() {
        return Err(Error::value(format!(
            "[conv] Invalid input array with type {dtype}. Convolution currently only supports floating point types"
        )));
    }
    let mut x = ops::astype(input, dtype, Some(stream))?;
    let w = ops::astype(weight, dtype, Some(stream))?;
    let stride = per_axis(stride, d, 1);
    let mut lo = per_axis(padding_lo, d, 0);
    let mut hi = per_axis(padding_hi, d, 0);
    let kd = per_axis(kernel_dilation, d, 1);
    let id = per_axis(input_dilation, d, 1);

    // Negative padding removes input elements (before input dilation).
    if lo.iter().chain(hi.iter()).any(|&p| p < 0) {
        let xs = x.shape().to_vec();
        let mut start = vec![0i64; nd];
        let mut count = xs.clone();
        for i in 0..d.min(lo.len()).min(hi.len()) {
            let n = xs[i + 1];
            let a = if lo[i] < 0 { (-lo[i]).min(n) } else { 0 };
            let b = if hi[i] < 0 { (n + hi[i]).max(0) } else { n };
            start[i + 1] = a;
            count[i + 1] = (b - a).max(0);
            lo[i] = lo[i].max(0);
            hi[i] = hi[i].max(0);
        }
        x = slice_strided(&x, &start, &vec![1; nd], &count, Some(stream))?;
    }

    let bad = |what: &str, v: String| {
        Err(Error::value(format!(
            "[conv] Invalid {what} {v} for {d}D convolution."
        )))
    };
    if stride.len() != d {
        return bad("strides", fmt_shape(&stride));
    }
    if lo.len() != d || hi.len() != d {
        return bad(
            "padding",
            format!("{} | {}", fmt_shape(&lo), fmt_shape(&hi)),
        );
    }
    if kd.len() != d {
        return bad("kernel dilation", fmt_shape(&kd));
    }
    if id.len() != d {
        return bad("input dilation", fmt_shape(&id));
    }
    if kd.iter().any(|&v| v <= 0) {
        return Err(Error::value(format!(
            "[conv] Kernel dilation sizes must be positive. Got kernel dilation {}.",
            fmt_shape(&kd)
        )));
    }
    if id.iter().any(|&v| v <= 0) {
        return Err(Error::value(format!(
            "[conv] Input dilation sizes must be positive. Got input dilation {}.",
            fmt_shape(&id)
        )));
    }
    let p = Convolution {
        stride,
        padding_lo: lo,
        padding_hi: hi,
        kernel_dilation: kd,
        input_dilation: id,
        groups,
        flip,
    };
    let (xs, ws) = (x.shape(), w.shape());
    for i in 0..d {
        if p.stride[i] <= 0 {
            return Err(Error::value(format!(
                "[conv] Stride sizes must be positive. Got strides {}.",
                fmt_shape(&p.stride)
            )));
        }
        if p.out_size(i, xs[i + 1], ws[i + 1]) < 1 {
            return Err(Error::value(format!(
                "[conv] Spatial dimensions of input after padding cannot be smaller than weight spatial dimensions. Got error at axis {} for input with shape {}, padding low {}, padding high {}, and weight of shape {}.",
                i + 1,
                fmt_shape(xs),
                fmt_shape(&p.padding_lo),
                fmt_shape(&p.padding_hi),
                fmt_shape(ws)
            )));
        }
    }
    let shape = p.out_shape(xs, ws);
    Ok(Array::from_op(
        shape,
        dtype,
        stream,
        Arc::new(p),
        vec![x, w],
    ))
}

/// 1-D convolution (MLX `conv1d`): input `(N, L, C_in)`, weight
/// `(C_out, K, C_in / groups)`.
pub fn conv1d(
    input: &Array,
    weight: &Array,
    stride: i64,
    padding: i64,
    dilation: i64,
    groups: i64,
    s: Option<Stream>,
) -> Result<Array> {
    conv_general(
        input,
        weight,
        &[stride],
        &[padding],
        &[padding],
        &[dilation],
        &[1],
        groups,
        false,
        s,
    )
}

/// 2-D convolution (MLX `conv2d`): input `(N, H, W, C_in)`, weight
/// `(C_out, KH, KW, C_in / groups)`.
pub fn conv2d(
    input: &Array,
    weight: &Array,
    stride: [i64; 2],
    padding: [i64; 2],
    dilation: [i64; 2],
    groups: i64,
    s: Option<Stream>,
) -> Result<Array> {
    conv_general(
        input,
        weight,
        &stride,
        &padding,
        &padding,
        &dilation,
        &[1, 1],
        groups,
        false,
        s,
    )
}

/// 3-D convolution (MLX `conv3d`): input `(N, D, H, W, C_in)`, weight
/// `(C_out, KD, KH, KW, C_in / groups)`.
pub fn conv3d(
    input: &Array,
    weight: &Array,
    stride: [i64; 3],
    padding: [i64; 3],
    dilation: [i64; 3],
    groups: i64,
    s: Option<Stream>,
) -> Result<Array> {
    conv_general(
        input,
        weight,
        &stride,
        &padding,
        &padding,
        &dilation,
        &[1, 1, 1],
        groups,
        false,
        s,
    )
}

/// Transposed convolution over any number of spatial axes (MLX's
/// `conv_transpose_general`): a flipped convolution of the input dilated by
/// `stride`, padded so that the output has
/// `(L - 1) * stride - 2 * padding + dilation * (K - 1) + 1 + output_padding`
/// positions.
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose_general(
    input: &Array,
    weight: &Array,
    stride: &[i64],
    padding: &[i64],
    dilation: &[i64],
    output_padding: &[i64],
    groups: i64,
    s: Option<Stream>,
) -> Result<Array> {
    let d = padding.len();
    let mut lo = vec![0i64; d];
    let mut hi = vec![0i64; d];
    // Shapes of the wrong rank are reported by conv_general.
    if input.ndim() > d && weight.ndim() > d {
        for i in 0..d {
            let k = weight.shape()[i + 1];
            let l = input.shape()[i + 1];
            let span = 1 + dilation[i] * (k - 1);
            lo[i] = span - padding[i] - 1;
            let conv_out = (l - 1) * stride[i] - 2 * padding[i] + dilation[i] * (k - 1) + 1;
            let dilated = 1 + stride[i] * (l - 1);
            hi[i] = conv_out - dilated + padding[i] + output_padding[i];
        }
    }
    conv_general(
        input,
        weight,
        &vec![1; d],
        &lo,
        &hi,
        dilation,
        stride,
        groups,
        true,
        s,
    )
}

/// 1-D transposed convolution (MLX `conv_transpose1d`).
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose1d(
    input: &Array,
    weight: &Array,
    stride: i64,
    padding: i64,
    dilation: i64,
    output_padding: i64,
    groups: i64,
    s: Option<Stream>,
) -> Result<Array> {
    conv_transpose_general(
        input,
        weight,
        &[stride],
        &[padding],
        &[dilation],
        &[output_padding],
        groups,
        s,
    )
}

/// 2-D transposed convolution (MLX `conv_transpose2d`).
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose2d(
    input: &Array,
    weight: &Array,
    stride: [i64; 2],
    padding: [i64; 2],
    dilation: [i64; 2],
    output_padding: [i64; 2],
    groups: i64,
    s: Option<Stream>,
) -> Result<Array> {
    conv_transpose_general(
        input,
        weight,
        &stride,
        &padding,
        &dilation,
        &output_padding,
        groups,
        s,
    )
}

/// 3-D transposed convolution (MLX `conv_transpose3d`).
#[allow(clippy::too_many_arguments)]
pub fn conv_transpose3d(
    input: &Array,
    weight: &Array,
    stride: [i64; 3],
    padding: [i64; 3],
    dilation: [i64; 3],
    output_padding: [i64; 3],
    groups: i64,
    s: Option<Stream>,
) -> Result<Array> {
    conv_transpose_general(
        input,
        weight,
        &stride,
        &padding,
        &dilation,
        &output_padding,
        groups,
        s,
    )
}

/// Discrete convolution of two 1-D arrays (MLX `convolve`, NumPy's
/// `np.convolve`): `mode` is `"full"`, `"same"` or `"valid"`; the longer
/// array is the signal.
pub fn convolve(a: &Array, v: &Array, mode: &str, s: Option<Stream>) -> Result<Array> {
    let stream = resolve_stream(s, "convolve")?;
    if a.ndim() != 1 || v.ndim() != 1 {
        return Err(Error::value("[convolve] Inputs must be 1D."));
    }
    if a.size() == 0 || v.size() == 0 {
        return Err(Error::value("[convolve] Inputs cannot be empty."));
    }
    let (sig, ker) = if a.size() < v.size() { (v, a) } else { (a, v) };
    let k = ker.size() as i64;
    let (lo, hi) = match mode {
        "full" => (k - 1, k - 1),
        "valid" => (0, 0),
        // Even kernels pad one less at the end (as MLX and NumPy).
        "same" if k % 2 == 1 => (k / 2, k / 2),
        "same" => (k / 2, (k / 2 - 1).max(0)),
        _ => return Err(Error::value("[convolve] Invalid mode.")),
    };
    let x = ops::reshape(sig, &[1, -1, 1], Some(stream))?;
    let w = ops::reshape(ker, &[1, -1, 1], Some(stream))?;
    let y = conv_general(
        &x,
        &w,
        &[1],
        &[lo],
        &[hi],
        &[1],
        &[1],
        1,
        true,
        Some(stream),
    )?;
    ops::reshape(&y, &[-1], Some(stream))
}
