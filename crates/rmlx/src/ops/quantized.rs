//! Quantization ops with MLX 0.32.4's signatures, defaults and errors:
//! `quantize`, `dequantize`, `quantized_matmul`, `gather_qmm`, `to_fp8`,
//! `from_fp8`, and `qqmm` / `gather_qqmm` (not implemented on the CPU,
//! as in MLX, which runs them only on CUDA).
//!
//! Modes: "affine" (group size 32, 64 (default) or 128; bits 1 to 6 or 8,
//! default 4), "mxfp4" (32, 4), "mxfp8" (32, 8), "nvfp4" (16, 4).

use std::sync::Arc;

use super::fmt_shape;
use crate::array::Array;
use crate::backend::cpu::quantized::QMode;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{promote_types, result_type, Dtype};
use crate::error::{Error, Result};
use crate::primitives::quantized::{ConvertFP8, Dequantize, Quantize, QuantizedMatmul};

/// Parses MLX's mode string.
pub fn parse_mode(mode: &str, tag: &str) -> Result<QMode> {
    match mode {
        "affine" => Ok(QMode::Affine),
        "mxfp4" => Ok(QMode::Mxfp4),
        "mxfp8" => Ok(QMode::Mxfp8),
        "nvfp4" => Ok(QMode::Nvfp4),
        _ => Err(Error::value(format!(
            "[{tag}] Invalid quantization mode '{mode}'."
        ))),
    }
}

/// The mode's defaults for unspecified group size and bits.
pub fn params_from_mode(mode: QMode, gs: Option<i64>, bits: Option<i64>) -> (i64, i64) {
    let (dg, db) = match mode {
        QMode::Affine => (64, 4),
        QMode::Nvfp4 => (16, 4),
        QMode::Mxfp4 => (32, 4),
        QMode::Mxfp8 => (32, 8),
    };
    (gs.unwrap_or(dg), bits.unwrap_or(db))
}

fn check_fp_params(tag: &str, mode: QMode, gs: i64, bits: i64) -> Result<()> {
    let egs = if mode == QMode::Nvfp4 { 16 } else { 32 };
    let eb = if mode == QMode::Mxfp8 { 8 } else { 4 };
    if gs != egs {
        return Err(Error::value(format!(
            "[{tag}] {} quantization requires group size {egs} but got {gs}.",
            mode.name()
        )));
    }
    if bits != eb {
        return Err(Error::value(format!(
            "[{tag}] {} quantization requires bits to be {eb} but got {bits}.",
            mode.name()
        )));
    }
    Ok(())
}

fn check_global_scale(tag: &str, mode: QMode, g: Option<&Array>) -> Result<()> {
    if let Some(g) = g {
        if mode != QMode::Nvfp4 {
            return Err(Error::value(format!(
                "[{tag}] Global scale is only supported for nvfp4 quantization mode."
            )));
        }
        if g.ndim() != 0 && g.size() != 1 {
            return Err(Error::value(format!(
                "[{tag}] Global scale must be a scalar but got shape {}.",
                fmt_shape(g.shape())
            )));
        }
        if g.dtype() != Dtype::Float32 {
            return Err(Error::value(format!(
                "[{tag}] Global scale must have dtype float32 but got {}.",
                g.dtype()
            )));
        }
    }
    Ok(())
}

/// Quantizes the last axis of `w` by groups: `[codes, scales, biases]` in
/// affine mode, `[codes, scales]` (uint8 scales) otherwise.
pub fn quantize(
    w: &Array,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    global_scale: Option<&Array>,
    s: Option<Stream>,
) -> Result<Vec<Array>> {
    let s = resolve_stream(s, "quantize")?;
    let qm = parse_mode(mode, "quantize")?;
    let (gs, b) = params_from_mode(qm, group_size, bits);
    if !w.dtype().is_floating() {
        return Err(Error::value(format!(
            "[quantize] Only real floating types can be quantized but w has type {}.",
            w.dtype()
        )));
    }
    if w.ndim() < 2 {
        return Err(Error::value(format!(
            "[quantize] The matrix to be quantized must have at least 2 dimension but it has only {}.",
            w.ndim()
        )));
    }
    let last = w.shape()[w.ndim() - 1];
    if gs <= 0 || last % gs != 0 {
        return Err(Error::value(format!(
            "[quantize] The last dimension of the matrix needs to be divisible by the quantization group size {gs}. However the provided  matrix has shape {}",
            fmt_shape(w.shape())
        )));
    }
    let mut qshape = w.shape().to_vec();
    let mut sshape = w.shape().to_vec();
    *sshape.last_mut().unwrap() = last / gs;
    if qm == QMode::Affine {
        if global_scale.is_some() {
            check_global_scale("quantize", qm, global_scale)?;
        }
        if gs != 32 && gs != 64 && gs != 128 {
            return Err(Error::value(format!(
                "[quantize] The requested group size {gs} is not supported. The supported group sizes are 32, 64, and 128."
            )));
        }
        if !(1..=8).contains(&b) || b == 7 {
            return Err(Error::value(format!(
                "[quantize] The requested number of bits {b} is not supported. The supported bits are 1, 2, 3, 4, 5, 6 and 8."
            )));
        }
        *qshape.last_mut().unwrap() = last * b / 32;
        let prim = Arc::new(Quantize {
            mode: qm,
            group_size: gs as usize,
            bits: b as u32,
        });
        let dt = w.dtype();
        return Ok(Array::from_multi_op(
            vec![(qshape, Dtype::Uint32), (sshape.clone(), dt), (sshape, dt)],
            s,
            prim,
            vec![w.clone()],
        ));
    }
    check_fp_params("quantize", qm, gs, b)?;
    check_global_scale("quantize", qm, global_scale)?;
    *qshape.last_mut().unwrap() = last * b / 32;
    let prim = Arc::new(Quantize {
        mode: qm,
        group_size: gs as usize,
        bits: b as u32,
    });
    let mut inputs = vec![w.clone()];
    if let Some(g) = global_scale {
        inputs.push(g.clone());
    }
    Ok(Array::from_multi_op(
        vec![(qshape, Dtype::Uint32), (sshape, Dtype::Uint8)],
        s,
        prim,
        inputs,
    ))
}

/// MLX's `validate_mode_with_type`: the mode and the output dtype.
fn mode_with_type(
    tag: &str,
    scales: &Array,
    biases: Option<&Array>,
    out: Option<Dtype>,
    mode: &str,
) -> Result<(Dtype, QMode)> {
    let qm = parse_mode(mode, tag)?;
    if let Some(o) = out {
        if !o.is_floating() {
            return Err(Error::value(format!(
                "[{tag}] Only real floating types are supported but output dtype == {o}."
            )));
        }
    }
    if qm == QMode::Affine {
        let b = biases.ok_or_else(|| {
            Error::value(format!(
                "[{tag}] Biases must be provided for affine quantization."
            ))
        })?;
        let dt = result_type(&[scales.dtype(), b.dtype()]);
        if !dt.is_floating() {
            return Err(Error::value(format!(
                "[{tag}] Only real floating types are supported but scales.dtype() == {} and biases.dtype() == {}.",
                scales.dtype(),
                b.dtype()
            )));
        }
        return Ok((out.unwrap_or(dt), qm));
    }
    if biases.is_some() {
        return Err(Error::value(format!(
            "[{tag}] Biases must be null for quantization mode '{mode}'."
        )));
    }
    Ok((out.unwrap_or(Dtype::Bfloat16), qm))
}

/// Dequantizes `w` with its scales (and biases in affine mode).
#[allow(clippy::too_many_arguments)]
pub fn dequantize(
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    global_scale: Option<&Array>,
    dtype: Option<Dtype>,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "dequantize")?;
    let (out_dt, qm) = mode_with_type("dequantize", scales, biases, dtype, mode)?;
    let (gs, b) = params_from_mode(qm, group_size, bits);
    if b <= 0 {
        return Err(Error::value(format!(
            "[dequantize] Invalid value for bits: {b}"
        )));
    }
    if gs <= 0 {
        return Err(Error::value(format!(
            "[dequantize] Invalid value for group_size: {gs}"
        )));
    }
    if w.dtype() != Dtype::Uint32 {
        return Err(Error::value(
            "[dequantize] The matrix should be given as a uint32",
        ));
    }
    if w.ndim() < 2 {
        return Err(Error::value(format!(
            "[dequantize] The matrix to be dequantized must have at least 2 dimension but it has only {}.",
            w.ndim()
        )));
    }
    let nd = w.ndim();
    let same_lead = |a: &Array| a.ndim() == nd && a.shape()[..nd - 1] == w.shape()[..nd - 1];
    let out_size = w.shape()[nd - 1] * 32 / b;
    let mut oshape = w.shape().to_vec();
    oshape[nd - 1] = out_size;
    if qm == QMode::Affine {
        let bi = biases.unwrap();
        if scales.ndim() != nd || bi.ndim() != nd || !same_lead(scales) || !same_lead(bi) {
            return Err(Error::value(
                "[dequantize] Shape of scales and biases does not match the matrix",
            ));
        }
        if scales.shape() != bi.shape() || out_size != scales.shape()[nd - 1] * gs {
            return Err(Error::value(format!(
                "[dequantize] Shape of scales and biases does not match the matrix given the quantization parameters. Provided matrix of shape {} and scales/biases of shape {} with group_size={gs} and bits={b}.",
                fmt_shape(w.shape()),
                fmt_shape(scales.shape())
            )));
        }
        if !matches!(b, 1..=6 | 8) || !(gs == 32 || gs == 64 || gs == 128) {
            return Err(Error::value(format!(
                "[dequantize] Unsupported quantization parameters group_size={gs} and bits={b}."
            )));
        }
        if global_scale.is_some() {
            check_global_scale("dequantize", qm, global_scale)?;
        }
        let mul_dt = promote_types(Dtype::Uint32, scales.dtype());
        let add_dt = promote_types(mul_dt, bi.dtype());
        let prim = Arc::new(Dequantize {
            mode: qm,
            group_size: gs as usize,
            bits: b as u32,
        });
        let out = Array::from_op(
            oshape,
            add_dt,
            s,
            prim,
            vec![w.clone(), scales.clone(), bi.clone()],
        );
        return super::astype(&out, out_dt, Some(s));
    }
    check_fp_params("dequantize", qm, gs, b)?;
    check_global_scale("dequantize", qm, global_scale)?;
    if scales.ndim() != nd || !same_lead(scales) {
        return Err(Error::value(
            "[dequantize] Shape of scales does not match the matrix",
        ));
    }
    if out_size != scales.shape()[nd - 1] * gs {
        return Err(Error::value(format!(
            "[dequantize] Shape of scales does not match the matrix given the quantization parameters. Provided matrix of shape {} and scales of shape {}.",
            fmt_shape(w.shape()),
            fmt_shape(scales.shape())
        )));
    }
    let prim = Arc::new(Dequantize {
        mode: qm,
        group_size: gs as usize,
        bits: b as u32,
    });
    let mut inputs = vec![w.clone(), super::astype(scales, Dtype::Uint8, Some(s))?];
    if let Some(g) = global_scale {
        inputs.push(g.clone());
    }
    Ok(Array::from_op(oshape, out_dt, s, prim, inputs))
}

/// MLX's `validate_quantized_input` + `extract_quantized_matmul_dims`:
/// the (inner, outer) extents of the dequantised matrix.
#[allow(clippy::too_many_arguments)]
fn qmm_dims(
    tag: &str,
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    transpose: bool,
    gs: i64,
    bits: i64,
) -> Result<(i64, i64)> {
    if w.dtype() != Dtype::Uint32 {
        return Err(Error::value(format!(
            "[{tag}] The weight matrix should be uint32 but received {}",
            w.dtype()
        )));
    }
    if let Some(b) = biases {
        if scales.shape() != b.shape() {
            return Err(Error::value(format!(
                "[{tag}] Scales and biases should have the same shape. Received scales with shape {} and biases with {}",
                fmt_shape(scales.shape()),
                fmt_shape(b.shape())
            )));
        }
    }
    if w.ndim() < 2
        || scales.ndim() < w.ndim() - 1
        || scales.shape()[..w.ndim() - 2] != w.shape()[..w.ndim() - 2]
    {
        return Err(Error::value(format!(
            "[{tag}] Weight and scales should have the same batch shape. Received weight with shape {}, scales with {}.",
            fmt_shape(w.shape()),
            fmt_shape(scales.shape())
        )));
    }
    let wl = w.shape()[w.ndim() - 1];
    let sl = scales.shape()[scales.ndim() - 1];
    if wl * 32 / bits != sl * gs {
        return Err(Error::value(format!(
            "[{tag}] The shapes of the weight and scales are incompatible based on bits and group_size. w.shape() == {} and scales.shape() == {} with group_size={gs} and bits={bits}",
            fmt_shape(w.shape()),
            fmt_shape(scales.shape())
        )));
    }
    let xi = if x.ndim() == 0 {
        0
    } else {
        x.shape()[x.ndim() - 1]
    };
    let wr = w.shape()[w.ndim() - 2];
    let (inner, outer) = if transpose {
        (wl * 32 / bits, wr)
    } else {
        (wr, wl * 32 / bits)
    };
    if inner != xi {
        return Err(Error::value(format!(
            "[{tag}] Last dimension of first input with shape (..., {xi}) does not match the expanded quantized matrix ({inner}, {outer}) computed from shape {} with group_size={gs}, bits={bits} and transpose={transpose}",
            fmt_shape(w.shape())
        )));
    }
    Ok((inner, outer))
}

/// Broadcasts the batch axes (all but the last two) of `arrays`.
fn broadcast_batch(arrays: &[Array], s: Stream) -> Result<Vec<Array>> {
    let mut batch: Vec<i64> = vec![];
    for a in arrays {
        batch = super::broadcast_shapes(&batch, &a.shape()[..a.ndim() - 2])?;
    }
    arrays
        .iter()
        .map(|a| {
            let mut sh = batch.clone();
            sh.extend_from_slice(&a.shape()[a.ndim() - 2..]);
            super::broadcast_to(a, &sh, Some(s))
        })
        .collect()
}

/// `x @ dequantize(w).T` (`transpose`) or `x @ dequantize(w)`, reading
/// the packed weights.
#[allow(clippy::too_many_arguments)]
pub fn quantized_matmul(
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    transpose: bool,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "quantized_matmul")?;
    let (dt, qm) = mode_with_type("quantized_matmul", scales, biases, None, mode)?;
    let (gs, b) = params_from_mode(qm, group_size, bits);
    let (_, outer) = qmm_dims("quantized_matmul", x, w, scales, biases, transpose, gs, b)?;
    let dt = if qm == QMode::Affine {
        promote_types(x.dtype(), dt)
    } else {
        x.dtype()
    };
    if !dt.is_floating() {
        return Err(Error::value(format!(
            "[quantized_matmul] Only real floating types are supported but x.dtype() == {}.",
            x.dtype()
        )));
    }
    if qm != QMode::Affine {
        check_fp_params("quantized_matmul", qm, gs, b)?;
    } else if !matches!(b, 1..=6 | 8) || !(gs == 32 || gs == 64 || gs == 128) {
        return Err(Error::value(format!(
            "[quantized_matmul] Unsupported quantization parameters group_size={gs} and bits={b}."
        )));
    }
    let mut inputs = if qm == QMode::Affine {
        vec![
            super::astype(x, dt, Some(s))?,
            w.clone(),
            super::astype(scales, dt, Some(s))?,
            super::astype(biases.unwrap(), dt, Some(s))?,
        ]
    } else {
        vec![
            x.clone(),
            w.clone(),
            super::astype(scales, Dtype::Uint8, Some(s))?,
        ]
    };
    if x.ndim() > 2 && w.ndim() > 2 {
        inputs = broadcast_batch(&inputs, s)?;
    }
    let mut oshape = inputs[0].shape().to_vec();
    *oshape.last_mut().unwrap() = outer;
    let prim = Arc::new(QuantizedMatmul {
        mode: qm,
        group_size: gs as usize,
        bits: b as u32,
        transpose,
    });
    Ok(Array::from_op(oshape, dt, s, prim, inputs))
}

fn default_indices(a: &Array, s: Stream) -> Result<Array> {
    let batch = &a.shape()[..a.ndim() - 2];
    let total: i64 = batch.iter().product();
    let r = super::arange(0.0, total as f64, 1.0, Dtype::Uint32, Some(s))?;
    super::reshape(&r, batch, Some(s))
}

/// `quantized_matmul` of `x[lhs_indices]` with `w[rhs_indices]` (indices
/// into the flattened batch axes), gathered before the product.
#[allow(clippy::too_many_arguments)]
pub fn gather_qmm(
    x: &Array,
    w: &Array,
    scales: &Array,
    biases: Option<&Array>,
    lhs_indices: Option<&Array>,
    rhs_indices: Option<&Array>,
    transpose: bool,
    group_size: Option<i64>,
    bits: Option<i64>,
    mode: &str,
    global_scale: Option<&Array>,
    sorted_indices: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let _ = sorted_indices;
    if lhs_indices.is_none() && rhs_indices.is_none() {
        if global_scale.is_some() {
            return Err(Error::not_implemented("[gather_qmm] global_scale"));
        }
        return quantized_matmul(x, w, scales, biases, transpose, group_size, bits, mode, s);
    }
    let s = resolve_stream(s, "gather_qmm")?;
    let (dt, qm) = mode_with_type("gather_qmm", scales, biases, None, mode)?;
    let (gs, b) = params_from_mode(qm, group_size, bits);
    qmm_dims("gather_qmm", x, w, scales, biases, transpose, gs, b)?;
    let dt = if qm == QMode::Affine {
        promote_types(x.dtype(), dt)
    } else {
        x.dtype()
    };
    if !dt.is_floating() {
        return Err(Error::value(format!(
            "[gather_qmm] Only real floating types are supported but x.dtype() == {}.",
            x.dtype()
        )));
    }
    if global_scale.is_some() {
        return Err(Error::not_implemented("[gather_qmm] global_scale"));
    }
    let li = match lhs_indices {
        Some(i) => i.clone(),
        None => default_indices(x, s)?,
    };
    let ri = match rhs_indices {
        Some(i) => i.clone(),
        None => default_indices(w, s)?,
    };
    let idx = super::broadcast_arrays(&[li, ri], Some(s))?;
    for (i, side) in idx.iter().zip(["lhs", "rhs"]) {
        if !i.dtype().is_integer() {
            return Err(Error::value(format!(
                "[gather_qmm] Got {side}_indices with invalid dtype. Indices must be integral."
            )));
        }
    }
    if x.ndim() < 2 {
        return Err(Error::value(format!(
            "[gather_qmm] Non-quantized input must have at least two dimensions but got input with shape {}.",
            fmt_shape(x.shape())
        )));
    }
    let flat = |a: &Array| -> Result<Array> {
        let nd = a.ndim();
        let mut sh = vec![-1];
        sh.extend_from_slice(&a.shape()[nd - 2..]);
        super::reshape(a, &sh, Some(s))
    };
    let xg = super::take(&flat(x)?, &idx[0], Some(0), Some(s))?;
    let wg = super::take(&flat(w)?, &idx[1], Some(0), Some(s))?;
    let sg = super::take(&flat(scales)?, &idx[1], Some(0), Some(s))?;
    let bg = match biases {
        Some(bi) => Some(super::take(&flat(bi)?, &idx[1], Some(0), Some(s))?),
        None => None,
    };
    let out = quantized_matmul(
        &xg,
        &wg,
        &sg,
        bg.as_ref(),
        transpose,
        Some(gs),
        Some(b),
        mode,
        Some(s),
    )?;
    super::astype(&out, dt, Some(s))
}

/// Converts floats to E4M3 bytes (uint8), saturating at 448.
pub fn to_fp8(x: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "to_fp8")?;
    if !x.dtype().is_floating() {
        return Err(Error::value(format!(
            "[to_fp8] Only real floating types are supported but x.dtype() == {}.",
            x.dtype()
        )));
    }
    Ok(Array::from_op(
        x.shape().to_vec(),
        Dtype::Uint8,
        s,
        Arc::new(ConvertFP8 {
            to_fp8: true,
            dtype: Dtype::Uint8,
        }),
        vec![x.clone()],
    ))
}

/// Converts E4M3 bytes (uint8) to `dtype`.
pub fn from_fp8(x: &Array, dtype: Dtype, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "from_fp8")?;
    if x.dtype() != Dtype::Uint8 {
        return Err(Error::value(format!(
            "[from_fp8] Input must have type uint8 but x.dtype() == {}.",
            x.dtype()
        )));
    }
    if !dtype.is_floating() {
        return Err(Error::value(format!(
            "[from_fp8] Only real floating types are supported but dtype == {dtype}."
        )));
    }
    Ok(Array::from_op(
        x.shape().to_vec(),
        dtype,
        s,
        Arc::new(ConvertFP8 {
            to_fp8: false,
            dtype,
        }),
        vec![x.clone()],
    ))
}

/// `qqmm`: MLX runs it only on CUDA GPUs.
pub fn qqmm(s: Option<Stream>) -> Result<Array> {
    let _ = resolve_stream(s, "qqmm")?;
    Err(Error::value(
        "[qqmm] Only supported on GPU with the CUDA backend.",
    ))
}

/// `gather_qqmm`: MLX runs it only on CUDA GPUs.
pub fn gather_qqmm(s: Option<Stream>) -> Result<Array> {
    let _ = resolve_stream(s, "gather_qqmm")?;
    Err(Error::not_implemented(
        "[gather_qqmm] CPU quantized-quantized products",
    ))
}
