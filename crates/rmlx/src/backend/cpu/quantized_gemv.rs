//! Products with packed quantized weights (`quantized_matmul`,
//! `gather_qmm`), in float32.
//!
//! * Few rows of `x` (matrix-vector products, `m <= SMALL_M`): the packed
//!   weights are read directly, one group at a time, never dequantised
//!   into a matrix. Output rows (transpose) or column blocks (no
//!   transpose) are split across cores. 4-bit affine weights with
//!   `transpose=True` take an AVX2/FMA kernel that widens eight bytes to
//!   sixteen codes per step and factors each group's scale and bias out of
//!   the dot product (`s * q·x + b * Σx`).
//! * More rows: slabs of the contracted axis are dequantised into a
//!   float32 buffer and multiplied with the GEMM of `gemm.rs`, accumulating
//!   slab after slab.

use rayon::prelude::*;

use super::gemm::{products, Products};
use super::quantized::{fp_scale, unpack_codes, unpack_fp, QMode};
use crate::dtype::Dtype;
use crate::error::Result;

/// Rows of `x` up to which products read the packed weights directly.
pub const SMALL_M: usize = 8;

/// One packed matrix: `rows` rows of `row_bytes` bytes; groups run along
/// the rows. Affine scales and biases are float32 (one per group); fp
/// scales are their codes.
#[derive(Clone, Copy)]
pub struct QMat<'a> {
    /// Quantization mode.
    pub mode: QMode,
    /// Bits per code.
    pub bits: u32,
    /// Codes per group.
    pub gs: usize,
    /// Packed codes, row-major.
    pub w: &'a [u8],
    /// Codes per row.
    pub cols: usize,
    /// Affine scales (rows x groups).
    pub scales: &'a [f32],
    /// Affine biases (rows x groups).
    pub biases: &'a [f32],
    /// fp scale codes (rows x groups).
    pub scodes: &'a [u8],
}

impl QMat<'_> {
    fn row_bytes(&self) -> usize {
        self.cols * self.bits as usize / 8
    }

    /// Dequantised values of codes `start..start + out.len()` of row `r`
    /// (`start` and the length multiples of the group size).
    #[inline]
    fn decode(&self, r: usize, start: usize, out: &mut [f32]) {
        let rb = self.row_bytes();
        let row = &self.w[r * rb..(r + 1) * rb];
        let groups = self.cols / self.gs;
        if self.mode == QMode::Affine {
            unpack_codes(row, self.bits, start, out);
            for (j, chunk) in out.chunks_mut(self.gs).enumerate() {
                let g = r * groups + start / self.gs + j;
                let (s, b) = (self.scales[g], self.biases[g]);
                for v in chunk.iter_mut() {
                    *v = s * *v + b;
                }
            }
        } else {
            unpack_fp(row, self.bits, start, out);
            for (j, chunk) in out.chunks_mut(self.gs).enumerate() {
                let s = fp_scale(self.scodes[r * groups + start / self.gs + j], self.gs);
                for v in chunk.iter_mut() {
                    *v *= s;
                }
            }
        }
    }
}

/// Dot product with eight partial sums (vectorises without fast-math).
#[inline]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let n8 = a.len() / 8 * 8;
    for (ca, cb) in a[..n8].chunks_exact(8).zip(b[..n8].chunks_exact(8)) {
        for i in 0..8 {
            acc[i] += ca[i] * cb[i];
        }
    }
    let mut s = acc.iter().sum::<f32>();
    for i in n8..a.len() {
        s += a[i] * b[i];
    }
    s
}

/// `out (m x n) = x (m x k) @ W^T` (`transpose`, W is `n x k` packed) or
/// `x @ W` (W is `k x n` packed), all row-major float32.
pub fn qmm(
    x: &[f32],
    w: &QMat,
    m: usize,
    n: usize,
    k: usize,
    transpose: bool,
    out: &mut [f32],
) -> Result<()> {
    if m == 0 || n == 0 {
        return Ok(());
    }
    if k == 0 {
        out.fill(0.0);
        return Ok(());
    }
    if m <= SMALL_M {
        if transpose {
            matvec_t(x, w, m, n, k, out);
        } else {
            matvec_n(x, w, m, n, k, out);
        }
        Ok(())
    } else {
        qmm_tiled(x, w, m, n, k, transpose, out)
    }
}

/// Direct product with W stored `n x k` (rows are outputs).
fn matvec_t(x: &[f32], w: &QMat, m: usize, n: usize, k: usize, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    if w.mode == QMode::Affine && w.bits == 4 && super::isa() >= super::Isa::Avx2 {
        avx2::matvec_t4(x, w, m, n, k, out);
        return;
    }
    let gs = w.gs;
    let mut res = vec![0f32; m * n];
    let rows_per = (4096 / k.max(1)).clamp(1, 64);
    res.par_chunks_mut(rows_per * m)
        .enumerate()
        .for_each(|(c, dst)| {
            let mut buf = vec![0f32; gs];
            let r0 = c * rows_per;
            for (i, acc) in dst.chunks_mut(m).enumerate() {
                let r = r0 + i;
                for g in 0..k / gs {
                    w.decode(r, g * gs, &mut buf);
                    for (mi, a) in acc.iter_mut().enumerate() {
                        *a += dot(&buf, &x[mi * k + g * gs..mi * k + (g + 1) * gs]);
                    }
                }
            }
        });
    // res is n x m (row-major by output row); transpose into m x n.
    for r in 0..n {
        for mi in 0..m {
            out[mi * n + r] = res[r * m + mi];
        }
    }
}

/// Direct product with W stored `k x n` (rows are contracted): column
/// blocks of the output split across cores.
fn matvec_n(x: &[f32], w: &QMat, m: usize, n: usize, k: usize, out: &mut [f32]) {
    let gs = w.gs;
    let blk = (1024 / gs).max(1) * gs;
    let nblk = n.div_ceil(blk);
    let parts: Vec<Vec<f32>> = (0..nblk)
        .into_par_iter()
        .map(|b| {
            let c0 = b * blk;
            let len = blk.min(n - c0);
            let mut acc = vec![0f32; m * len];
            let mut buf = vec![0f32; len];
            for kk in 0..k {
                w.decode(kk, c0, &mut buf);
                for mi in 0..m {
                    let xv = x[mi * k + kk];
                    if xv == 0.0 {
                        continue;
                    }
                    for (a, &v) in acc[mi * len..(mi + 1) * len].iter_mut().zip(&buf) {
                        *a += xv * v;
                    }
                }
            }
            acc
        })
        .collect();
    for (b, acc) in parts.iter().enumerate() {
        let c0 = b * blk;
        let len = blk.min(n - c0);
        for mi in 0..m {
            out[mi * n + c0..mi * n + c0 + len].copy_from_slice(&acc[mi * len..(mi + 1) * len]);
        }
    }
}

/// Dequantise slabs of the contracted axis and run the GEMM on each.
fn qmm_tiled(
    x: &[f32],
    w: &QMat,
    m: usize,
    n: usize,
    k: usize,
    transpose: bool,
    out: &mut [f32],
) -> Result<()> {
    let gs = w.gs;
    // Slab of about 4 MB of float32 weights.
    let kb = ((1 << 20) / n.max(1) / gs).max(1) * gs;
    let kb = kb.min(k);
    let mut buf = vec![0f32; kb * n];
    let mut k0 = 0;
    while k0 < k {
        let len = kb.min(k - k0);
        let slab = &mut buf[..len * n];
        if transpose {
            // buf[r * len + j] = W[r, k0 + j]
            slab.par_chunks_mut(len)
                .enumerate()
                .for_each(|(r, row)| w.decode(r, k0, row));
        } else {
            // buf[j * n + c] = W[k0 + j, c]
            slab.par_chunks_mut(n)
                .enumerate()
                .for_each(|(j, row)| w.decode(k0 + j, 0, row));
        }
        let (b_rs, b_cs) = if transpose {
            (1, len as isize)
        } else {
            (n as isize, 1)
        };
        products(&Products {
            dtype: Dtype::Float32,
            m,
            n,
            k: len,
            a: x[k0..].as_ptr() as *const u8,
            a_offs: &[0],
            a_rs: k as isize,
            a_cs: 1,
            b: slab.as_ptr() as *const u8,
            b_offs: &[0],
            b_rs,
            b_cs,
            out: out.as_mut_ptr() as *mut u8,
            alpha: 1.0,
            beta: if k0 == 0 { 0.0 } else { 1.0 },
        })?;
        k0 += len;
    }
    Ok(())
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::*;

    use rayon::prelude::*;

    use super::QMat;

    /// 4-bit affine `x @ W^T` reading the packed bytes: `x` is first
    /// reordered per 16 codes into (even, odd) halves so that the low and
    /// high nibbles of 8 bytes meet 8 contiguous `x` values each.
    pub fn matvec_t4(x: &[f32], w: &QMat, m: usize, n: usize, k: usize, out: &mut [f32]) {
        let gs = w.gs;
        let groups = k / gs;
        let mut xs = vec![0f32; m * k];
        let mut xsum = vec![0f32; m * groups];
        for mi in 0..m {
            let xr = &x[mi * k..(mi + 1) * k];
            let dst = &mut xs[mi * k..(mi + 1) * k];
            for c in 0..k / 16 {
                for j in 0..8 {
                    dst[c * 16 + j] = xr[c * 16 + 2 * j];
                    dst[c * 16 + 8 + j] = xr[c * 16 + 2 * j + 1];
                }
            }
            for g in 0..groups {
                xsum[mi * groups + g] = xr[g * gs..(g + 1) * gs].iter().sum();
            }
        }
        let rb = k / 2;
        let mut res = vec![0f32; n * m];
        let rows_per = 16;
        res.par_chunks_mut(rows_per * m)
            .enumerate()
            .for_each(|(c, dst)| {
                for (i, acc) in dst.chunks_mut(m).enumerate() {
                    let r = c * rows_per + i;
                    let row = &w.w[r * rb..(r + 1) * rb];
                    let sc = &w.scales[r * groups..(r + 1) * groups];
                    let bi = &w.biases[r * groups..(r + 1) * groups];
                    for (mi, a) in acc.iter_mut().enumerate() {
                        // SAFETY: AVX2 and FMA were detected by the caller;
                        // slices have k/2 bytes, k values, `groups` scales.
                        *a = unsafe {
                            row_dot(
                                row,
                                &xs[mi * k..(mi + 1) * k],
                                sc,
                                bi,
                                &xsum[mi * groups..(mi + 1) * groups],
                                gs,
                            )
                        };
                    }
                }
            });
        for r in 0..n {
            for mi in 0..m {
                out[mi * n + r] = res[r * m + mi];
            }
        }
    }

    #[target_feature(enable = "avx2,fma")]
    unsafe fn row_dot(
        row: &[u8],
        xs: &[f32],
        sc: &[f32],
        bi: &[f32],
        xsum: &[f32],
        gs: usize,
    ) -> f32 {
        let mask = _mm256_set1_epi32(0xF);
        let mut total = _mm256_setzero_ps();
        let mut bsum = 0f32;
        let chunks = gs / 16;
        let mut bp = row.as_ptr();
        let mut xp = xs.as_ptr();
        for g in 0..sc.len() {
            let mut a0 = _mm256_setzero_ps();
            let mut a1 = _mm256_setzero_ps();
            for _ in 0..chunks {
                let v = _mm256_cvtepu8_epi32(_mm_loadl_epi64(bp as *const __m128i));
                let lo = _mm256_cvtepi32_ps(_mm256_and_si256(v, mask));
                let hi = _mm256_cvtepi32_ps(_mm256_srli_epi32(v, 4));
                a0 = _mm256_fmadd_ps(lo, _mm256_loadu_ps(xp), a0);
                a1 = _mm256_fmadd_ps(hi, _mm256_loadu_ps(xp.add(8)), a1);
                bp = bp.add(8);
                xp = xp.add(16);
            }
            total = _mm256_fmadd_ps(
                _mm256_add_ps(a0, a1),
                _mm256_set1_ps(*sc.get_unchecked(g)),
                total,
            );
            bsum += bi.get_unchecked(g) * xsum.get_unchecked(g);
        }
        let h = _mm_add_ps(
            _mm256_castps256_ps128(total),
            _mm256_extractf128_ps(total, 1),
        );
        let h = _mm_add_ps(h, _mm_movehl_ps(h, h));
        let h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
        _mm_cvtss_f32(h) + bsum
    }
}
