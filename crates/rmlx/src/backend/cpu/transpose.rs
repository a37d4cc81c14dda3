//! Tile transposes of 32-bit elements: `dst[r][c] = src[c][r]` where the
//! source's fast axis is the destination's slow one. Both sides are walked
//! in 8x8 blocks transposed in AVX registers, so every load and store is a
//! full 32-byte row instead of a strided scalar access (the generic tile
//! loop in `copy.rs` handles the other element sizes and the edges).

/// Transposes a `rows x cols` block of 32-bit elements: element `(r, c)`
/// is read at `src[c * src_col + r]` and written to `dst[r * dst_row + c]`.
///
/// # Safety
/// Every such index must lie inside the respective allocation.
pub unsafe fn transpose_u32(
    src: *const u32,
    src_col: isize,
    dst: *mut u32,
    dst_row: isize,
    rows: usize,
    cols: usize,
) {
    #[cfg(target_arch = "x86_64")]
    if super::isa() != super::Isa::Baseline {
        // SAFETY: AVX2 is available (checked above); bounds per the contract.
        return unsafe { transpose_u32_avx2(src, src_col, dst, dst_row, rows, cols) };
    }
    // SAFETY: the caller's contract.
    unsafe { transpose_scalar(src, src_col, dst, dst_row, 0..rows, 0..cols) }
}

unsafe fn transpose_scalar(
    src: *const u32,
    src_col: isize,
    dst: *mut u32,
    dst_row: isize,
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
) {
    for r in rows {
        for c in cols.clone() {
            // SAFETY: the caller's contract.
            unsafe {
                *dst.offset(r as isize * dst_row + c as isize) =
                    *src.offset(c as isize * src_col + r as isize)
            };
        }
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn transpose_u32_avx2(
    src: *const u32,
    src_col: isize,
    dst: *mut u32,
    dst_row: isize,
    rows: usize,
    cols: usize,
) {
    use std::arch::x86_64::*;
    let (r8, c8) = (rows & !7, cols & !7);
    for r0 in (0..r8).step_by(8) {
        for c0 in (0..c8).step_by(8) {
            // SAFETY: the 8x8 block lies inside the region (r0 + 8 <= rows,
            // c0 + 8 <= cols); unaligned loads and stores.
            unsafe {
                let s = src.offset(c0 as isize * src_col + r0 as isize) as *const f32;
                let ld = |k: isize| _mm256_loadu_ps(s.offset(k * src_col));
                let (a0, a1, a2, a3) = (ld(0), ld(1), ld(2), ld(3));
                let (a4, a5, a6, a7) = (ld(4), ld(5), ld(6), ld(7));
                let t0 = _mm256_unpacklo_ps(a0, a1);
                let t1 = _mm256_unpackhi_ps(a0, a1);
                let t2 = _mm256_unpacklo_ps(a2, a3);
                let t3 = _mm256_unpackhi_ps(a2, a3);
                let t4 = _mm256_unpacklo_ps(a4, a5);
                let t5 = _mm256_unpackhi_ps(a4, a5);
                let t6 = _mm256_unpacklo_ps(a6, a7);
                let t7 = _mm256_unpackhi_ps(a6, a7);
                let u0 = _mm256_shuffle_ps::<0x44>(t0, t2);
                let u1 = _mm256_shuffle_ps::<0xEE>(t0, t2);
                let u2 = _mm256_shuffle_ps::<0x44>(t1, t3);
                let u3 = _mm256_shuffle_ps::<0xEE>(t1, t3);
                let u4 = _mm256_shuffle_ps::<0x44>(t4, t6);
                let u5 = _mm256_shuffle_ps::<0xEE>(t4, t6);
                let u6 = _mm256_shuffle_ps::<0x44>(t5, t7);
                let u7 = _mm256_shuffle_ps::<0xEE>(t5, t7);
                let d = dst.offset(r0 as isize * dst_row + c0 as isize) as *mut f32;
                let st = |k: isize, v| _mm256_storeu_ps(d.offset(k * dst_row), v);
                st(0, _mm256_permute2f128_ps::<0x20>(u0, u4));
                st(1, _mm256_permute2f128_ps::<0x20>(u1, u5));
                st(2, _mm256_permute2f128_ps::<0x20>(u2, u6));
                st(3, _mm256_permute2f128_ps::<0x20>(u3, u7));
                st(4, _mm256_permute2f128_ps::<0x31>(u0, u4));
                st(5, _mm256_permute2f128_ps::<0x31>(u1, u5));
                st(6, _mm256_permute2f128_ps::<0x31>(u2, u6));
                st(7, _mm256_permute2f128_ps::<0x31>(u3, u7));
            }
        }
    }
    // SAFETY: the caller's contract; the edges not covered by whole blocks.
    unsafe {
        transpose_scalar(src, src_col, dst, dst_row, 0..r8, c8..cols);
        transpose_scalar(src, src_col, dst, dst_row, r8..rows, 0..cols);
    }
}
