//! CPU kernels, one file per op family, plus the shared machinery: ISA
//! detection for run-time SIMD dispatch, work splitting across cores, and
//! strided iteration.

pub mod binary;
pub mod conv;
mod conv_depthwise;
mod conv_gemm;
mod conv_phase;
pub mod copy;
pub mod elementwise;
pub mod fast_norm;
pub mod fast_rope;
pub mod fast_sdpa;
pub mod fft;
pub mod gemm;
pub mod gemv;
pub mod hadamard;
pub mod indexing;
pub mod linalg;
mod linalg_decomp;
pub mod quantized;
pub mod quantized_gemv;
pub mod random;
pub mod reduce;
pub mod scan;
pub mod shape;
pub mod sort;
pub mod sort_algo;
pub mod strided;
pub mod ternary;
pub mod threads;
mod transpose;
pub mod unary;
pub mod unary_math;
pub mod vmath;

use std::sync::OnceLock;

/// The widest vector ISA this CPU runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Isa {
    /// SSE2 only (every x86-64), or a non-x86 CPU.
    Baseline,
    /// AVX2 + FMA.
    Avx2,
    /// AVX-512 F/BW/DQ/VL.
    Avx512,
}

/// The detected ISA (cached after the first call).
pub fn isa() -> Isa {
    static ISA: OnceLock<Isa> = OnceLock::new();
    *ISA.get_or_init(|| {
        #[cfg(target_arch = "x86_64")]
        {
            if std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw")
                && std::is_x86_feature_detected!("avx512dq")
                && std::is_x86_feature_detected!("avx512vl")
            {
                return Isa::Avx512;
            }
            if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
                return Isa::Avx2;
            }
        }
        Isa::Baseline
    })
}

/// Elements below which a kernel stays on the calling thread: splitting
/// costs a few microseconds, which small arrays cannot repay.
pub const PAR_THRESHOLD: usize = 1 << 16;

/// Runs `f(start, end)` over `0..n` in chunks, in parallel when `n` is large.
pub fn par_range(n: usize, f: impl Fn(usize, usize) + Sync + Send) {
    let threads = rayon::current_num_threads();
    if n < PAR_THRESHOLD || threads <= 1 {
        f(0, n);
        return;
    }
    let chunks = (threads * 4).min(n.div_ceil(PAR_THRESHOLD / 4));
    let per = n.div_ceil(chunks);
    rayon::scope(|s| {
        let f = &f;
        for c in 1..chunks {
            let (a, b) = (c * per, ((c + 1) * per).min(n));
            if a < b {
                s.spawn(move |_| f(a, b));
            }
        }
        f(0, per.min(n));
    });
}

/// Prefetches `len` elements starting at `p` into L1 (no-op off x86-64).
#[inline(always)]
pub(crate) fn prefetch_block<T>(p: *const T, len: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        let step = 64 / std::mem::size_of::<T>();
        let mut i = 0;
        while i < len {
            // SAFETY: prefetch instructions never fault, whatever the address.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(i).cast::<i8>()) };
            i += step;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (p, len);
}

/// A raw pointer that may cross into worker threads; kernels guarantee that
/// parallel chunks touch disjoint output ranges.
#[derive(Clone, Copy)]
pub struct SyncPtr<T>(pub *mut T);
// SAFETY: see the type doc; callers split work into disjoint ranges.
unsafe impl<T> Send for SyncPtr<T> {}
unsafe impl<T> Sync for SyncPtr<T> {}
