//! CPU kernels of quantization: MLX's packing of affine codes (1 to 8 bits,
//! low bits first; 3, 5 and 6 bits packed into 3, 5 and 3 byte runs), the
//! floating-point formats (E2M1 codes, E4M3 values and scales, E8M0
//! scales), quantize and dequantize. The products that read packed weights
//! are in `quantized_gemv.rs`.
//!
//! Bit-exactness with MLX: affine quantize follows MLX's CPU kernel (all in
//! float32, `rint`); the fp modes and dequantize follow MLX's op graphs,
//! whose every step rounds to the input (or output) dtype, so the kernels
//! round to that dtype after each step (`Rnd`).

use half::{bf16, f16};
use rayon::prelude::*;

use super::copy::copy_to_contiguous;
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::{Error, Result};

/// E2M1 values by code (sign in bit 3).
pub const FP4_LUT: [f32; 16] = [
    0.0, 0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, -0.0, -0.5, -1.0, -1.5, -2.0, -3.0, -4.0, -6.0,
];

/// Quantization mode (MLX's `QuantizationMode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QMode {
    /// Integer codes with a scale and a bias per group.
    Affine,
    /// E2M1 codes, E8M0 scale per 32.
    Mxfp4,
    /// E4M3 codes, E8M0 scale per 32.
    Mxfp8,
    /// E2M1 codes, E4M3 scale per 16.
    Nvfp4,
}

impl QMode {
    /// MLX's mode string.
    pub fn name(self) -> &'static str {
        match self {
            QMode::Affine => "affine",
            QMode::Mxfp4 => "mxfp4",
            QMode::Mxfp8 => "mxfp8",
            QMode::Nvfp4 => "nvfp4",
        }
    }
}

/// MLX's e4m3 encoding (`detail::ToFP8`): nearest even, saturating at
/// 448; NaN and infinities become `0x7E` with their sign.
pub fn to_fp8(f: f32) -> u8 {
    let fp8_max: u32 = 543 << 21;
    let denorm_mask: u32 = 141 << 23;
    let mut bits = f.to_bits();
    let sign = bits & 0x8000_0000;
    bits ^= sign;
    let r = if bits >= fp8_max {
        0x7E
    } else if bits < (121 << 23) {
        let low = (f32::from_bits(bits) + f32::from_bits(denorm_mask)).to_bits();
        low.wrapping_sub(denorm_mask) as u8
    } else {
        let mant_odd = (bits >> 20) & 1;
        let high = bits
            .wrapping_add((((7i32 - 127) as u32) << 23).wrapping_add(0x7FFFF))
            .wrapping_add(mant_odd);
        (high >> 20) as u8
    };
    r | (sign >> 24) as u8
}

/// E4M3 decoding (`detail::FromFP8`).
pub fn from_fp8(x: u8) -> f32 {
    if x & 0x7F == 0x7F {
        // NaN, with the payload MLX produces.
        return f32::from_bits(((x as u32 & 0x80) << 24) | 0x7FE0_0000);
    }
    let w = (x as u32) << 24;
    let sign = w & 0x8000_0000;
    let nonsign = w & 0x7FFF_FFFF;
    let lz = nonsign.leading_zeros();
    let renorm = lz.saturating_sub(4);
    let inf_nan = ((nonsign.wrapping_add(0x0100_0000) as i32) >> 8) as u32 & 0x7F80_0000;
    let zero_mask = ((nonsign.wrapping_sub(1) as i32) >> 31) as u32;
    let r = sign
        | ((((nonsign << renorm) >> 4).wrapping_add((0x78u32.wrapping_sub(renorm)) << 23)
            | inf_nan)
            & !zero_mask);
    f32::from_bits(r)
}

/// E8M0 scale decoding as MLX's kernels do it (through bfloat16 bits; code
/// 0 is 2^-127).
pub fn from_e8m0(s: u8) -> f32 {
    if s == 0 {
        f32::from_bits(0x0040_0000)
    } else {
        f32::from_bits((s as u32) << 23)
    }
}

/// Elements per pack and bytes per pack of `bits`-bit affine codes.
pub fn pack_layout(bits: u32) -> (usize, usize) {
    match bits {
        3 => (8, 3),
        5 => (8, 5),
        6 => (4, 3),
        b => ((32 / b) as usize, 4),
    }
}

/// Rounds a float32 result to a storage dtype (MLX computes half types in
/// float32 and rounds after every op).
#[derive(Clone, Copy)]
pub struct Rnd(pub Dtype);

impl Rnd {
    /// `v` rounded to the dtype (float32 and wider: unchanged).
    #[inline]
    pub fn r(self, v: f32) -> f32 {
        match self.0 {
            Dtype::Float16 => f16::from_f32(v).to_f32(),
            Dtype::Bfloat16 => bf16::from_f32(v).to_f32(),
            _ => v,
        }
    }
}

/// A row-major float32 copy of a floating array (float64 narrowed).
pub fn load_f32(a: &Array) -> Result<Vec<f32>> {
    let n = a.size();
    let dt = a.dtype();
    let d = a.data();
    let mut raw = vec![0u8; n * dt.size()];
    copy_to_contiguous(d, a.shape(), dt.size(), raw.as_mut_ptr());
    let out: Vec<f32> = match dt {
        Dtype::Float32 => raw
            .chunks_exact(4)
            .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect(),
        Dtype::Float16 => raw
            .chunks_exact(2)
            .map(|c| f16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::Bfloat16 => raw
            .chunks_exact(2)
            .map(|c| bf16::from_le_bytes([c[0], c[1]]).to_f32())
            .collect(),
        Dtype::Float64 => raw
            .chunks_exact(8)
            .map(|c| f64::from_le_bytes(c.try_into().unwrap()) as f32)
            .collect(),
        _ => {
            return Err(Error::value(format!(
                "[quantize] Only real floating types are supported but got {dt}."
            )))
        }
    };
    Ok(out)
}

/// A row-major byte copy of any array (its buffer when already dense).
pub fn load_bytes(a: &Array) -> Vec<u8> {
    let dt = a.dtype();
    let mut raw = vec![0u8; a.size() * dt.size()];
    copy_to_contiguous(a.data(), a.shape(), dt.size(), raw.as_mut_ptr());
    raw
}

/// Writes float32 values as `dt` into `dst` (row-major, `vals.len()`
/// elements).
pub fn store_f32(vals: &[f32], dt: Dtype, dst: *mut u8) {
    // SAFETY: callers pass a buffer of vals.len() elements of dt.
    unsafe {
        match dt {
            Dtype::Float32 => {
                std::ptr::copy_nonoverlapping(vals.as_ptr(), dst as *mut f32, vals.len())
            }
            Dtype::Float16 => {
                let d = std::slice::from_raw_parts_mut(dst as *mut f16, vals.len());
                for (o, &v) in d.iter_mut().zip(vals) {
                    *o = f16::from_f32(v);
                }
            }
            Dtype::Bfloat16 => {
                let d = std::slice::from_raw_parts_mut(dst as *mut bf16, vals.len());
                for (o, &v) in d.iter_mut().zip(vals) {
                    *o = bf16::from_f32(v);
                }
            }
            Dtype::Float64 => {
                let d = std::slice::from_raw_parts_mut(dst as *mut f64, vals.len());
                for (o, &v) in d.iter_mut().zip(vals) {
                    *o = v as f64;
                }
            }
            _ => unreachable!("store_f32 to {dt}"),
        }
    }
}

/// Packs the codes of one run (`el` codes) into `out` (`bytes` bytes).
#[inline]
fn put_pack(codes: u64, out: &mut [u8]) {
    let b = codes.to_le_bytes();
    out.copy_from_slice(&b[..out.len()]);
}

/// Affine quantization of row-major groups of `gs` values (MLX's CPU
/// kernel): fills `wq` (packed codes, `w.len() * bits / 8` bytes),
/// `scales` and `biases` (one per group, float32 before the final cast).
pub fn affine_quantize(
    w: &[f32],
    gs: usize,
    bits: u32,
    wq: &mut [u8],
    scales: &mut [f32],
    biases: &mut [f32],
) {
    let n_bins = ((1u32 << bits) - 1) as f32;
    let eps = 1e-7f32;
    let (el, bpp) = pack_layout(bits);
    let gbytes = gs * bits as usize / 8;
    wq.par_chunks_mut(gbytes)
        .zip(scales.par_iter_mut().zip(biases.par_iter_mut()))
        .zip(w.par_chunks(gs))
        .with_min_len(64)
        .for_each(|((q, (sc, bi)), g)| {
            let mut w_max = f32::NEG_INFINITY;
            let mut w_min = f32::INFINITY;
            for &v in g {
                w_max = if w_max < v { v } else { w_max };
                w_min = if v < w_min { v } else { w_min };
            }
            let mut scale = (w_max - w_min) / n_bins;
            scale = if scale < eps { eps } else { scale };
            let mut bias = 0.0f32;
            if bits == 1 {
                // One bit: the plain min/max grid (MLX 0.32.4).
                bias = w_min;
            } else {
                // The extreme of larger magnitude is represented exactly.
                let mask = w_min.abs() > w_max.abs();
                scale = if mask { scale } else { -scale };
                let edge = if mask { w_min } else { w_max };
                let q0 = (edge / scale).round_ties_even();
                if q0 != 0.0 {
                    scale = edge / q0;
                    bias = edge;
                }
            }
            for (p, run) in q.chunks_exact_mut(bpp).enumerate() {
                let mut codes = 0u64;
                for k in 0..el {
                    let v = ((g[p * el + k] - bias) / scale).round_ties_even();
                    let v = v.max(0.0).min(n_bins);
                    codes |= (v as u64) << (k as u32 * bits);
                }
                put_pack(codes, run);
            }
            *sc = scale;
            *bi = bias;
        });
}

/// Decodes `out.len()` affine codes of a packed row starting at code
/// `start` (a multiple of the pack length).
#[inline]
pub fn unpack_codes(row: &[u8], bits: u32, start: usize, out: &mut [f32]) {
    let (el, bpp) = pack_layout(bits);
    let mask = (1u64 << bits) - 1;
    let mut off = start / el * bpp;
    for chunk in out.chunks_mut(el) {
        let mut buf = [0u8; 8];
        buf[..bpp].copy_from_slice(&row[off..off + bpp]);
        let v = u64::from_le_bytes(buf);
        for (k, o) in chunk.iter_mut().enumerate() {
            *o = ((v >> (k as u32 * bits)) & mask) as f32;
        }
        off += bpp;
    }
}

/// Decodes `out.len()` fp codes (4 or 8 bits) of a packed row from code
/// `start` into their unscaled values.
#[inline]
pub fn unpack_fp(row: &[u8], bits: u32, start: usize, out: &mut [f32]) {
    if bits == 8 {
        for (o, &b) in out.iter_mut().zip(&row[start..]) {
            *o = from_fp8(b);
        }
    } else {
        let bytes = &row[start / 2..];
        for (pair, &b) in out.chunks_mut(2).zip(bytes) {
            pair[0] = FP4_LUT[(b & 0xF) as usize];
            if pair.len() > 1 {
                pair[1] = FP4_LUT[(b >> 4) as usize];
            }
        }
    }
}

/// The decoded scale of an fp group (E4M3 for group size 16, else E8M0),
/// as the product kernels use it.
#[inline]
pub fn fp_scale(s: u8, gs: usize) -> f32 {
    if gs == 16 {
        from_fp8(s)
    } else {
        from_e8m0(s)
    }
}

/// The fp modes' quantization (MLX's op graph, rounding to `dt` after
/// each step): fills the packed codes `wq` and the scale codes `scales`.
/// `global` is nvfp4's optional per-tensor scale.
pub fn fp_quantize(
    w: &[f32],
    dt: Dtype,
    gs: usize,
    bits: u32,
    global: Option<f32>,
    wq: &mut [u8],
    scales: &mut [u8],
) {
    let r = Rnd(dt);
    let maxval = if bits == 4 { 6.0f32 } else { 448.0 };
    let gbytes = gs * bits as usize / 8;
    wq.par_chunks_mut(gbytes)
        .zip(scales.par_iter_mut())
        .zip(w.par_chunks(gs))
        .with_min_len(64)
        .for_each(|((q, sc), g)| {
            let mut amax = f32::NEG_INFINITY;
            for &v in g {
                let a = v.abs();
                amax = if amax < a || a.is_nan() { a } else { amax };
            }
            let mut vals = [0f32; 32];
            let vals = &mut vals[..gs];
            if gs == 16 {
                let (code, dec) = nv_scale(amax, maxval, r, global);
                *sc = code;
                let rv = if global.is_some() {
                    Rnd(Dtype::Float32)
                } else {
                    r
                };
                for (o, &v) in vals.iter_mut().zip(g) {
                    *o = rv.r(v / dec);
                }
            } else {
                let s = r.r(amax / maxval);
                let e: i32 = if s == 0.0 {
                    0
                } else {
                    r.r(r.r(s.log2()).ceil()) as i32
                };
                let p = r.r((2.0f64).powi(e) as f32);
                for (o, &v) in vals.iter_mut().zip(g) {
                    *o = r.r(v / p);
                }
                *sc = (e.wrapping_add(127)) as u8;
            }
            let rc = if global.is_some() {
                Rnd(Dtype::Float32)
            } else {
                r
            };
            if bits == 8 {
                for (o, &v) in q.iter_mut().zip(vals.iter()) {
                    *o = to_fp8(v);
                }
            } else {
                for (k, o) in q.iter_mut().enumerate() {
                    *o = fp4_code(vals[2 * k], rc) | (fp4_code(vals[2 * k + 1], rc) << 4);
                }
            }
        });
}

/// nvfp4's group scale: its E4M3 code and the divisor applied to the
/// group's values. With a global scale `g` the group scale is expressed in
/// units of `g / (448 * 6)`.
#[inline]
fn nv_scale(amax: f32, maxval: f32, r: Rnd, global: Option<f32>) -> (u8, f32) {
    match global {
        None => {
            let s = r.r(amax / maxval);
            let code = to_fp8(s);
            (code, r.r(from_fp8(code)))
        }
        Some(g) => {
            // In float32 from here on (the global scale is float32).
            let s = r.r(amax / maxval);
            let code = to_fp8(s * ((448.0 * 6.0) / g));
            let dec = from_fp8(code) * (g / (448.0 * 6.0));
            (code, dec)
        }
    }
}

/// The E2M1 code nearest `v` (MLX: argmin of `|v - lut|` in the input
/// dtype, first index on ties).
#[inline]
fn fp4_code(v: f32, r: Rnd) -> u8 {
    let mut best = 0u8;
    let mut bd = f32::INFINITY;
    for (i, &l) in FP4_LUT.iter().enumerate() {
        let d = r.r(v - l).abs();
        if d < bd {
            bd = d;
            best = i as u8;
        }
    }
    best
}

/// Affine dequantization of rows of `cols` codes: `out = (q * s) + b`,
/// the product rounded to `mul_dt`, the sum to `add_dt`.
#[allow(clippy::too_many_arguments)]
pub fn affine_dequantize(
    wq: &[u8],
    scales: &[f32],
    biases: &[f32],
    gs: usize,
    bits: u32,
    mul_dt: Dtype,
    add_dt: Dtype,
    out: &mut [f32],
) {
    let (rm, ra) = (Rnd(mul_dt), Rnd(add_dt));
    let gbytes = gs * bits as usize / 8;
    out.par_chunks_mut(gs)
        .zip(wq.par_chunks(gbytes))
        .zip(scales.par_iter().zip(biases.par_iter()))
        .with_min_len(64)
        .for_each(|((o, q), (&s, &b))| {
            unpack_codes(q, bits, 0, o);
            for v in o.iter_mut() {
                *v = ra.r(rm.r(*v * s) + b);
            }
        });
}

/// fp dequantization (MLX's op graph in the output dtype `dt`): the
/// decoded code times the decoded scale (times nvfp4's global factor).
pub fn fp_dequantize(
    wq: &[u8],
    scales: &[u8],
    gs: usize,
    bits: u32,
    dt: Dtype,
    global: Option<f32>,
    out: &mut [f32],
) {
    let r = Rnd(dt);
    let gbytes = gs * bits as usize / 8;
    out.par_chunks_mut(gs)
        .zip(wq.par_chunks(gbytes))
        .zip(scales.par_iter())
        .with_min_len(64)
        .for_each(|((o, q), &s)| {
            unpack_fp(q, bits, 0, o);
            let scale = if gs == 16 {
                r.r(from_fp8(s))
            } else {
                r.r((2.0f64).powi(s as i32 - 127) as f32)
            };
            match global {
                None => {
                    for v in o.iter_mut() {
                        *v = r.r(*v * scale);
                    }
                }
                Some(g) => {
                    let f = from_fp8(s) * (g / (448.0 * 6.0));
                    for v in o.iter_mut() {
                        *v = r.r(*v * f);
                    }
                }
            }
        });
}
