//! GGUF tensor types and how MLX loads them. Plain types map to a dtype;
//! Q4_0, Q4_1 and Q8_0 become MLX's affine quantized triple (packed
//! `uint32` weights, float16 scales and biases with group size 32, the
//! layout `mx.dequantize` reads); Q4_K and Q6_K are dequantized to float16
//! as MLX 0.32.4 does for the formats it cannot keep quantized.

use half::f16;

use crate::dtype::Dtype;

/// A GGML tensor type this loader knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum GgmlType {
    F32,
    F16,
    Q4_0,
    Q4_1,
    Q8_0,
    Q4K,
    Q6K,
    I8,
    I16,
    I32,
    I64,
    F64,
    Bf16,
}

impl GgmlType {
    pub(crate) fn from_id(id: u32) -> Option<GgmlType> {
        Some(match id {
            0 => GgmlType::F32,
            1 => GgmlType::F16,
            2 => GgmlType::Q4_0,
            3 => GgmlType::Q4_1,
            8 => GgmlType::Q8_0,
            12 => GgmlType::Q4K,
            14 => GgmlType::Q6K,
            24 => GgmlType::I8,
            25 => GgmlType::I16,
            26 => GgmlType::I32,
            27 => GgmlType::I64,
            28 => GgmlType::F64,
            30 => GgmlType::Bf16,
            _ => return None,
        })
    }

    pub(crate) fn id(self) -> u32 {
        match self {
            GgmlType::F32 => 0,
            GgmlType::F16 => 1,
            GgmlType::Q4_0 => 2,
            GgmlType::Q4_1 => 3,
            GgmlType::Q8_0 => 8,
            GgmlType::Q4K => 12,
            GgmlType::Q6K => 14,
            GgmlType::I8 => 24,
            GgmlType::I16 => 25,
            GgmlType::I32 => 26,
            GgmlType::I64 => 27,
            GgmlType::F64 => 28,
            GgmlType::Bf16 => 30,
        }
    }

    /// The name GGML gives the type id `id` (for error messages).
    pub(crate) fn name_of(id: u32) -> &'static str {
        const NAMES: [&str; 31] = [
            "F32", "F16", "Q4_0", "Q4_1", "Q4_2", "Q4_3", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K",
            "Q3_K", "Q4_K", "Q5_K", "Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S",
            "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8", "I16", "I32", "I64", "F64", "IQ1_M",
            "BF16",
        ];
        NAMES.get(id as usize).copied().unwrap_or("unknown")
    }

    /// The dtype of a type stored element by element.
    pub(crate) fn plain_dtype(self) -> Option<Dtype> {
        Some(match self {
            GgmlType::F32 => Dtype::Float32,
            GgmlType::F16 => Dtype::Float16,
            GgmlType::I8 => Dtype::Int8,
            GgmlType::I16 => Dtype::Int16,
            GgmlType::I32 => Dtype::Int32,
            GgmlType::I64 => Dtype::Int64,
            GgmlType::F64 => Dtype::Float64,
            GgmlType::Bf16 => Dtype::Bfloat16,
            _ => return None,
        })
    }

    /// The type that stores `dtype` element by element.
    pub(crate) fn for_dtype(dtype: Dtype) -> Option<GgmlType> {
        Some(match dtype {
            Dtype::Float32 => GgmlType::F32,
            Dtype::Float16 => GgmlType::F16,
            Dtype::Int8 => GgmlType::I8,
            Dtype::Int16 => GgmlType::I16,
            Dtype::Int32 => GgmlType::I32,
            Dtype::Int64 => GgmlType::I64,
            Dtype::Float64 => GgmlType::F64,
            Dtype::Bfloat16 => GgmlType::Bf16,
            _ => return None,
        })
    }

    /// (elements, bytes) of one block.
    pub(crate) fn block(self) -> (u64, u64) {
        match self {
            GgmlType::Q4_0 => (32, 18),
            GgmlType::Q4_1 => (32, 20),
            GgmlType::Q8_0 => (32, 34),
            GgmlType::Q4K => (256, 144),
            GgmlType::Q6K => (256, 210),
            t => (1, t.plain_dtype().map_or(1, |d| d.size() as u64)),
        }
    }

    /// Bits per weight of the types kept quantized.
    pub(crate) fn quantized_bits(self) -> Option<u32> {
        match self {
            GgmlType::Q4_0 | GgmlType::Q4_1 => Some(4),
            GgmlType::Q8_0 => Some(8),
            _ => None,
        }
    }
}

fn half_at(b: &[u8], i: usize) -> f16 {
    f16::from_bits(u16::from_le_bytes([b[i], b[i + 1]]))
}

/// `a * b` computed in float32 and rounded to float16, as MLX's half
/// arithmetic does.
fn mul_h(a: f32, b: f16) -> f16 {
    f16::from_f32(a * b.to_f32())
}

/// Packs 32 four-bit values (`q[k]` for k in 0..32) as MLX does: value k
/// in nibble k of the 16 output bytes, low nibble first.
fn pack4(q: impl Fn(usize) -> u8, out: &mut [u8]) {
    for (k, o) in out.iter_mut().enumerate().take(16) {
        *o = (q(2 * k) & 0xF) | ((q(2 * k + 1) & 0xF) << 4);
    }
}

/// Weights (packed bytes), scales and biases of a quantized tensor of
/// `n` elements stored in `data`.
pub(crate) fn unpack(t: GgmlType, data: &[u8], n: usize) -> (Vec<u8>, Vec<f16>, Vec<f16>) {
    let groups = n / 32;
    let bits = t.quantized_bits().unwrap_or(4) as usize;
    let mut w = vec![0u8; n * bits / 8];
    let mut scales = vec![f16::ZERO; groups];
    let mut biases = vec![f16::ZERO; groups];
    match t {
        GgmlType::Q4_0 | GgmlType::Q4_1 => {
            let (bb, q0) = if t == GgmlType::Q4_0 {
                (18, 2)
            } else {
                (20, 4)
            };
            for g in 0..groups {
                let blk = &data[g * bb..(g + 1) * bb];
                let s = half_at(blk, 0);
                scales[g] = s;
                biases[g] = if t == GgmlType::Q4_0 {
                    mul_h(-8.0, s)
                } else {
                    half_at(blk, 2)
                };
                // Elements 0..16 are the low nibbles, 16..32 the high ones.
                let qs = &blk[q0..q0 + 16];
                pack4(
                    |k| if k < 16 { qs[k] & 0xF } else { qs[k - 16] >> 4 },
                    &mut w[g * 16..(g + 1) * 16],
                );
            }
        }
        GgmlType::Q8_0 => {
            for g in 0..groups {
                let blk = &data[g * 34..(g + 1) * 34];
                let s = half_at(blk, 0);
                scales[g] = s;
                biases[g] = mul_h(-128.0, s);
                // int8 values become unsigned by flipping the sign bit.
                for j in 0..32 {
                    w[g * 32 + j] = blk[2 + j] ^ 0x80;
                }
            }
        }
        _ => {}
    }
    (w, scales, biases)
}

/// The 6-bit scale and min of sub-block `j` of a K-quant super-block.
fn scale_min_k4(sc: &[u8], j: usize) -> (u8, u8) {
    if j < 4 {
        (sc[j] & 63, sc[j + 4] & 63)
    } else {
        (
            (sc[j + 4] & 0xF) | ((sc[j - 4] >> 6) << 4),
            (sc[j + 4] >> 4) | ((sc[j] >> 6) << 4),
        )
    }
}

/// Q4_K dequantized to float16 with GGML's formula. (MLX 0.32.4's loader,
/// gguf-tools, applies the even sub-block's scale to the odd sub-block as
/// well; this follows GGML, which wrote the data.)
pub(crate) fn dequantize_q4k(data: &[u8], n: usize) -> Vec<f16> {
    let mut out = Vec::with_capacity(n);
    for blk in data.chunks_exact(144).take(n.div_ceil(256)) {
        let d = half_at(blk, 0).to_f32();
        let dmin = half_at(blk, 2).to_f32();
        let sc = &blk[4..16];
        for pair in 0..4 {
            let qs = &blk[16 + pair * 32..16 + (pair + 1) * 32];
            for (half_idx, shift) in [(0, 0), (1, 4)] {
                let (s6, m6) = scale_min_k4(sc, pair * 2 + half_idx);
                let (d1, m1) = (d * s6 as f32, dmin * m6 as f32);
                for &q in qs {
                    if out.len() < n {
                        out.push(f16::from_f32(d1 * ((q >> shift) & 0xF) as f32 - m1));
                    }
                }
            }
        }
    }
    out
}

/// Q6_K dequantized to float16 (through float32, as MLX's loader does).
pub(crate) fn dequantize_q6k(data: &[u8], n: usize) -> Vec<f16> {
    let mut out = Vec::with_capacity(n);
    for blk in data.chunks_exact(210).take(n.div_ceil(256)) {
        let d = half_at(blk, 208).to_f32();
        for cluster in 0..2 {
            let l = &blk[cluster * 64..];
            let h = &blk[128 + cluster * 32..];
            let sc = &blk[192 + cluster * 8..];
            for j in 0..128 {
                let q =
                    ((l[j % 64] >> (j / 64 * 4)) & 0xF) | (((h[j % 32] >> (j / 32 * 2)) & 3) << 4);
                let v = (d * (sc[j / 16] as i8) as f32) * ((q as i8 - 32) as f32);
                if out.len() < n {
                    out.push(f16::from_f32(v));
                }
            }
        }
    }
    out
}
