//! Random-number kernels: MLX's counter-based threefry2x32 generator,
//! vectorised 16 lanes at a time and split across cores, and the fused
//! samplers that turn its 32-bit words into MLX's distributions in the same
//! pass (so `normal` never materialises its bits, uniforms or `erfinv`
//! intermediates).
//!
//! Layout (MLX's `RandomBits`): every key owns a contiguous block of the
//! output. A block of `W` words is filled in pairs: with `h = W / 2` and
//! `o = h + W % 2`, `hash(key, (j, j + o))` gives words `j` and `j + o`
//! for `j < h`; an odd block's middle word `h` is the first half of
//! `hash(key, (h, 0))`. Counters are 32-bit (MLX truncates them).
//!
//! Every sampler reproduces the MLX graph it stands for operation by
//! operation, in the same precision and order, so the values are the
//! reference's bit for bit; `math` holds the MLX- and glibc-exact scalar
//! functions they call.

pub mod convert;
pub mod math;

pub use convert::{cpp_cast, CppCast, Real};

use std::marker::PhantomData;

use half::{bf16, f16};

use super::{isa, par_range, Isa, SyncPtr};
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};

/// Lanes per threefry block (one AVX-512 vector of u32).
const LANES: usize = 16;

/// Whether the CPU has fused multiply-add (the glibc `logf` port and MLX's
/// single-precision FMAs are only fast with it).
pub fn fma_available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::is_x86_feature_detected!("fma")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// One threefry2x32 block (20 rounds, key schedule every 4), as MLX's
/// `threefry2x32_hash`.
#[inline(always)]
pub fn threefry2x32(key: [u32; 2], count: [u32; 2]) -> [u32; 2] {
    let ks = [key[0], key[1], key[0] ^ key[1] ^ 0x1BD1_1BDA];
    let (mut x0, mut x1) = (count[0].wrapping_add(ks[0]), count[1].wrapping_add(ks[1]));
    macro_rules! round {
        ($r:expr) => {
            x0 = x0.wrapping_add(x1);
            x1 = x1.rotate_left($r) ^ x0;
        };
    }
    macro_rules! inject {
        ($i:expr) => {
            x0 = x0.wrapping_add(ks[($i + 1) % 3]);
            x1 = x1.wrapping_add(ks[($i + 2) % 3]).wrapping_add($i + 1);
        };
    }
    macro_rules! four {
        ($a:expr, $b:expr, $c:expr, $d:expr, $i:expr) => {
            round!($a);
            round!($b);
            round!($c);
            round!($d);
            inject!($i);
        };
    }
    four!(13, 15, 26, 6, 0);
    four!(17, 29, 16, 24, 1);
    four!(13, 15, 26, 6, 2);
    four!(17, 29, 16, 24, 3);
    four!(13, 15, 26, 6, 4);
    [x0, x1]
}

/// A per-word transform for [`generate`]. Closures implement it; the heavy
/// samplers are structs whose `call` is `#[inline(always)]`, which forces
/// them into the vectorised generator loop (a large closure can stay an
/// out-of-line call, and then nothing vectorises).
pub trait WordFn<T>: Sync {
    /// The output for word `w`.
    fn call(&self, w: u32) -> T;
}

impl<T, F: Fn(u32) -> T + Sync> WordFn<T> for F {
    #[inline(always)]
    fn call(&self, w: u32) -> T {
        self(w)
    }
}

/// Writes `f(word)` for the pairs `lo..hi` (numbered across keys: pair `p`
/// is pair `p % h` of key `p / h`) of the blocks at `out`.
#[inline(always)]
unsafe fn pairs<T, F: WordFn<T>>(
    keys: &[[u32; 2]],
    per_key: usize,
    out: *mut T,
    lo: usize,
    hi: usize,
    f: &F,
) {
    let half = per_key / 2;
    let off = (half + (per_key & 1)) as u32;
    let mut p = lo;
    while p < hi {
        let (k, j0) = (p / half, p % half);
        let j1 = half.min(j0 + (hi - p));
        let key = keys[k];
        let base = out.add(k * per_key);
        let mut j = j0;
        while j + LANES <= j1 {
            let (mut a, mut b) = ([0u32; LANES], [0u32; LANES]);
            for l in 0..LANES {
                let c = (j + l) as u32;
                [a[l], b[l]] = threefry2x32(key, [c, c.wrapping_add(off)]);
            }
            for (l, &w) in a.iter().enumerate() {
                *base.add(j + l) = f.call(w);
            }
            let second = base.add(j + off as usize);
            for (l, &w) in b.iter().enumerate() {
                *second.add(l) = f.call(w);
            }
            j += LANES;
        }
        for j in j..j1 {
            let c = j as u32;
            let [a, b] = threefry2x32(key, [c, c.wrapping_add(off)]);
            *base.add(j) = f.call(a);
            *base.add(j + off as usize) = f.call(b);
        }
        p += j1 - j0;
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx2,fma")]
unsafe fn pairs_avx512<T, F: WordFn<T>>(
    keys: &[[u32; 2]],
    per_key: usize,
    out: *mut T,
    lo: usize,
    hi: usize,
    f: &F,
) {
    pairs(keys, per_key, out, lo, hi, f)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn pairs_avx2<T, F: WordFn<T>>(
    keys: &[[u32; 2]],
    per_key: usize,
    out: *mut T,
    lo: usize,
    hi: usize,
    f: &F,
) {
    pairs(keys, per_key, out, lo, hi, f)
}

/// Fills `keys.len()` blocks of `per_key` elements at `out` with `f` of
/// each block's threefry words, in MLX's word order.
///
/// # Safety
/// `out` must be valid for `keys.len() * per_key` writes.
pub unsafe fn generate<T: Send + Copy, F: WordFn<T>>(
    keys: &[[u32; 2]],
    per_key: usize,
    out: *mut T,
    f: F,
) {
    let npairs = keys.len() * (per_key / 2);
    let p = SyncPtr(out);
    let isa = isa();
    par_range(npairs, |lo, hi| {
        let p = &p;
        // SAFETY: pairs lo..hi write disjoint elements of the output.
        unsafe {
            match isa {
                #[cfg(target_arch = "x86_64")]
                Isa::Avx512 => pairs_avx512(keys, per_key, p.0, lo, hi, &f),
                #[cfg(target_arch = "x86_64")]
                Isa::Avx2 => pairs_avx2(keys, per_key, p.0, lo, hi, &f),
                _ => pairs(keys, per_key, p.0, lo, hi, &f),
            }
        }
    });
    if per_key % 2 == 1 {
        let half = per_key / 2;
        par_range(keys.len(), |lo, hi| {
            let p = &p;
            for (k, &key) in keys.iter().enumerate().take(hi).skip(lo) {
                let w = threefry2x32(key, [half as u32, 0])[0];
                // SAFETY: the middle word of block k is within the output.
                unsafe { *p.0.add(k * per_key + half) = f.call(w) };
            }
        });
    }
}

/// MLX's `RandomBits`: `per_key` elements of `width` bytes (1, 2 or 4) per
/// key. A block whose byte count is not a multiple of 4 keeps the leading
/// bytes (little-endian) of its last word, as MLX's copy does.
///
/// # Safety
/// `out` must be valid for `keys.len() * per_key * width` bytes.
pub unsafe fn random_bits(keys: &[[u32; 2]], per_key: usize, width: usize, out: *mut u8) {
    if width == 4 {
        generate(keys, per_key, out as *mut u32, |w| w);
        return;
    }
    let bytes = per_key * width;
    let words = bytes.div_ceil(4);
    let mut tmp = vec![0u32; keys.len() * words];
    generate(keys, words, tmp.as_mut_ptr(), |w| w);
    for k in 0..keys.len() {
        let src = tmp.as_ptr().add(k * words) as *const u8;
        std::ptr::copy_nonoverlapping(src, out.add(k * bytes), bytes);
    }
}

/// What a fused sampler computes from each word `w`, named after the MLX
/// graph it replaces. Constants are values of the output dtype (or of the
/// dtype the graph computes them in), held as f64.
#[derive(Clone, Debug, PartialEq)]
pub enum Sampler {
    /// `uniform`: `u = astype(min(w / 2^32, below_one), dtype)`, then
    /// `range * u + low` in the dtype when bounds are given.
    Uniform {
        /// `(high - low, low)` in the dtype; `None`: the unit interval.
        affine: Option<(f64, f64)>,
    },
    /// `normal`: `e = astype(erfinv(2u - 1 + 2^-24), dtype)` with `u` a
    /// float32 uniform, then `mul * e` and `add + _` in the dtype.
    Normal {
        /// `sqrt(2) * scale` in the dtype (`None`: leave `e` unscaled).
        mul: Option<f64>,
        /// `loc` in the dtype.
        add: Option<f64>,
    },
    /// `truncated_normal` with scalar bounds: `v = range * u + low`,
    /// `clip(mul * erfinv(v), lower, upper)` in the dtype.
    TruncNormal {
        /// `erf(upper / sqrt2) - erf(lower / sqrt2)`.
        range: f64,
        /// `erf(lower / sqrt2)`.
        low: f64,
        /// `sqrt(2)`.
        mul: f64,
        /// Lower bound.
        lower: f64,
        /// Upper bound.
        upper: f64,
    },
    /// `gumbel`: `-log(-log(u))` in the dtype.
    Gumbel,
    /// `laplace`: `sign(s) * log1p(-|s|)` for a float32 uniform `s` on
    /// (-1, 1) (float64 for a float64 result), then `mul * _ + add`.
    Laplace {
        /// `scale` (when not 1).
        mul: Option<f64>,
        /// `loc` (when not 0).
        add: Option<f64>,
    },
    /// `bernoulli`: `w < threshold`, compared in float32 (float64 when
    /// `wide`).
    Bernoulli {
        /// `p * nextafter(2^32, inf)`.
        threshold: f64,
        /// Compare in float64.
        wide: bool,
    },
    /// `randint`: `v = floor(range * u + low)` in float32, cast to the
    /// dtype, then `maximum(minimum(v, high_m1), low_d)` in the dtype.
    RandInt {
        /// `high - low` in float32.
        range: f32,
        /// `low` in float32.
        low: f32,
        /// `high - 1` converted to the dtype.
        high_m1: Scalar,
        /// `low` converted to the dtype.
        low_d: Scalar,
    },
}

/// float32's largest value below one for the uniform's dtype (MLX clamps
/// the unit draw there so that `high` is never reached).
fn below_one(dtype: Dtype) -> f32 {
    match dtype {
        Dtype::Float16 => f16::from_bits(f16::ONE.to_bits() - 1).to_f32(),
        Dtype::Bfloat16 => bf16::from_bits(bf16::ONE.to_bits() - 1).to_f32(),
        _ => f32::from_bits(1.0f32.to_bits() - 1),
    }
}

/// `min(f32(w) / 2^32, upper)` (MLX divides by `float(UINT32_MAX)`, which
/// rounds to 2^32).
#[inline(always)]
fn unit(w: u32, upper: f32) -> f32 {
    let u = w as f32 * (1.0 / 4294967296.0);
    if u < upper {
        u
    } else {
        upper
    }
}

/// The float32 uniform on (-1, 1) behind `normal` and `laplace`:
/// `uniform(nextafter(-1, 0), 1)`, whose range rounds to 2.
#[inline(always)]
fn symmetric(w: u32) -> f32 {
    let lo = f32::from_bits(0xbf7f_ffff);
    (1.0f32 - lo) * unit(w, f32::from_bits(0x3f7f_ffff)) + lo
}

/// MLX's `minimum(a, b)` (NaN from `b` first, then from `a`).
#[inline(always)]
fn min_mlx(a: f32, b: f32) -> f32 {
    if b.is_nan() {
        b
    } else if a.is_nan() || a < b {
        a
    } else {
        b
    }
}

/// MLX's `maximum(a, b)`.
#[inline(always)]
fn max_mlx(a: f32, b: f32) -> f32 {
    if b.is_nan() {
        b
    } else if a.is_nan() || a > b {
        a
    } else {
        b
    }
}

/// Runs `sampler` for `keys.len()` blocks of `per_key` elements of `dtype`.
///
/// # Safety
/// `out` must be valid for `keys.len() * per_key` elements of `dtype`.
pub unsafe fn sample(
    sampler: &Sampler,
    keys: &[[u32; 2]],
    per_key: usize,
    dtype: Dtype,
    out: *mut u8,
) -> Result<()> {
    let fast = math::fast_logf_ok();
    macro_rules! real {
        ($f:ident) => {
            match dtype {
                Dtype::Float32 => $f::<f32>(sampler, keys, per_key, dtype, out as *mut f32, fast),
                Dtype::Float16 => $f::<f16>(sampler, keys, per_key, dtype, out as *mut f16, fast),
                Dtype::Bfloat16 => {
                    $f::<bf16>(sampler, keys, per_key, dtype, out as *mut bf16, fast)
                }
                Dtype::Float64 => $f::<f64>(sampler, keys, per_key, dtype, out as *mut f64, fast),
                _ => return Err(unsupported(sampler, dtype)),
            }
        };
    }
    match sampler {
        Sampler::Bernoulli { threshold, wide } if dtype == Dtype::Bool => {
            let (t, w) = (*threshold, *wide);
            generate(keys, per_key, out as *mut bool, move |x| {
                if w {
                    (x as f64) < t
                } else {
                    (x as f32) < t as f32
                }
            });
        }
        Sampler::RandInt { .. } => {
            macro_rules! int {
                ($($d:ident => $t:ty),*) => {
                    match dtype {
                        $(Dtype::$d => randint::<$t>(sampler, keys, per_key, out as *mut $t),)*
                        _ => return Err(unsupported(sampler, dtype)),
                    }
                };
            }
            int!(Bool => bool, Uint8 => u8, Uint16 => u16, Uint32 => u32, Uint64 => u64,
                 Int8 => i8, Int16 => i16, Int32 => i32, Int64 => i64)
        }
        Sampler::Normal { .. } | Sampler::Laplace { .. } => real!(gaussian_like),
        Sampler::Uniform { .. } | Sampler::TruncNormal { .. } | Sampler::Gumbel
            if dtype != Dtype::Float64 =>
        {
            real!(uniform_like)
        }
        _ => return Err(unsupported(sampler, dtype)),
    }
    Ok(())
}

fn unsupported(sampler: &Sampler, dtype: Dtype) -> Error {
    Error::runtime(format!(
        "[random] The {sampler:?} sampler cannot produce {dtype}."
    ))
}

/// `normal` and `laplace`, which draw a float32 uniform on (-1, 1).
unsafe fn gaussian_like<D: Real>(
    s: &Sampler,
    keys: &[[u32; 2]],
    per_key: usize,
    // (The dtype is `D`'s; the parameter keeps both samplers' signatures.)
    _: Dtype,
    out: *mut D,
    fast: bool,
) {
    let c = |v: Option<f64>| v.map(D::from_f64);
    match *s {
        Sampler::Normal { mul, add } => {
            let post = Affine(c(mul), c(add));
            if fast {
                generate(keys, per_key, out, NormalFn::<D, true>(post))
            } else {
                generate(keys, per_key, out, NormalFn::<D, false>(post))
            }
        }
        Sampler::Laplace { mul, add } => {
            let post = Affine(c(mul), c(add));
            if math::fast_log1pf_ok() {
                generate(keys, per_key, out, LaplaceFn::<D, true>(post))
            } else {
                generate(keys, per_key, out, LaplaceFn::<D, false>(post))
            }
        }
        _ => unreachable!("gaussian_like takes normal and laplace"),
    }
}

/// `mul * d + add` in the dtype, either part optional.
#[derive(Clone, Copy)]
struct Affine<D>(Option<D>, Option<D>);

impl<D: Real> Affine<D> {
    #[inline(always)]
    fn apply(self, mut d: D) -> D {
        if let Some(m) = self.0 {
            d = D::mul(m, d);
        }
        if let Some(a) = self.1 {
            d = D::add(a, d);
        }
        d
    }
}

/// `normal`: `astype(erfinv(s), dtype)`, then the affine part.
struct NormalFn<D, const FAST: bool>(Affine<D>);

impl<D: Real, const FAST: bool> WordFn<D> for NormalFn<D, FAST> {
    #[inline(always)]
    fn call(&self, w: u32) -> D {
        self.0
            .apply(D::from_f32(math::erfinv_mlx::<FAST>(symmetric(w))))
    }
}

/// `laplace`: [`laplace`], then the affine part.
struct LaplaceFn<D, const FAST: bool>(Affine<D>);

impl<D: Real, const FAST: bool> WordFn<D> for LaplaceFn<D, FAST> {
    #[inline(always)]
    fn call(&self, w: u32) -> D {
        self.0.apply(laplace::<D, FAST>(w))
    }
}

/// `sign(s) * log1p(-1 * |s|)` for the symmetric uniform `s`, cast to the
/// dtype. MLX's -1 has the output dtype, so a float64 result takes its
/// log1p in float64.
#[inline(always)]
fn laplace<D: Real, const FAST: bool>(w: u32) -> D {
    let s = symmetric(w);
    let sign: f32 = if s > 0.0 {
        1.0
    } else if s < 0.0 {
        -1.0
    } else {
        0.0
    };
    // A constant per instantiation, so the f32 loops keep no libm call.
    if D::DTYPE == Dtype::Float64 {
        D::from_f64(sign as f64 * (-(s.abs() as f64)).ln_1p())
    } else {
        D::from_f32(sign * math::log1p_f32::<FAST>(-s.abs()))
    }
}

/// `uniform`, `truncated_normal` and `gumbel`, which draw a uniform of the
/// output dtype.
unsafe fn uniform_like<D: Real>(
    s: &Sampler,
    keys: &[[u32; 2]],
    per_key: usize,
    dtype: Dtype,
    out: *mut D,
    fast: bool,
) {
    let upper = below_one(dtype);
    let u = move |w: u32| D::from_f32(unit(w, upper));
    match *s {
        Sampler::Uniform { affine: None } => generate(keys, per_key, out, u),
        Sampler::Uniform {
            affine: Some((r, l)),
        } => {
            let (r, l) = (D::from_f64(r), D::from_f64(l));
            generate(keys, per_key, out, move |w| D::add(D::mul(r, u(w)), l))
        }
        Sampler::TruncNormal {
            range,
            low,
            mul,
            lower,
            upper: up,
        } => {
            let (r, l, m) = (D::from_f64(range), D::from_f64(low), D::from_f64(mul));
            let (lo, hi) = (D::from_f64(lower).to_f32(), D::from_f64(up).to_f32());
            if fast {
                generate(
                    keys,
                    per_key,
                    out,
                    TruncFn::<D, true>([r, l, m], [upper, lo, hi]),
                )
            } else {
                generate(
                    keys,
                    per_key,
                    out,
                    TruncFn::<D, false>([r, l, m], [upper, lo, hi]),
                )
            }
        }
        Sampler::Gumbel => {
            if fast {
                generate(keys, per_key, out, GumbelFn::<D, true>(upper, PhantomData))
            } else {
                generate(keys, per_key, out, GumbelFn::<D, false>(upper, PhantomData))
            }
        }
        _ => unreachable!("uniform_like takes uniform, truncated_normal and gumbel"),
    }
}

/// `truncated_normal`: `v = range * u + low`, then
/// `clip(mul * erfinv(v), lower, upper)`, in the dtype. Fields: `[range,
/// low, mul]` and `[below_one, lower, upper]`.
struct TruncFn<D, const FAST: bool>([D; 3], [f32; 3]);

impl<D: Real, const FAST: bool> WordFn<D> for TruncFn<D, FAST> {
    #[inline(always)]
    fn call(&self, w: u32) -> D {
        let ([range, low, mul], [below, lower, upper]) = (self.0, self.1);
        let u = D::from_f32(unit(w, below));
        let v = D::add(D::mul(range, u), low);
        let e = D::from_f32(math::erfinv_mlx::<FAST>(v.to_f32()));
        let o = D::mul(mul, e).to_f32();
        D::from_f32(max_mlx(min_mlx(upper, o), lower))
    }
}

/// `gumbel` on a uniform clamped below the field.
struct GumbelFn<D, const FAST: bool>(f32, PhantomData<D>);

impl<D: Real, const FAST: bool> WordFn<D> for GumbelFn<D, FAST> {
    #[inline(always)]
    fn call(&self, w: u32) -> D {
        gumbel::<D, FAST>(D::from_f32(unit(w, self.0)))
    }
}

/// `-log(-log(u))`, each log rounded to the dtype before the next op, as
/// in MLX.
#[inline(always)]
fn gumbel<D: Real, const FAST: bool>(u: D) -> D {
    let x = D::from_f32(math::log_f32::<FAST>(u.to_f32()));
    let y = D::from_f32(math::log_f32::<FAST>(-x.to_f32()));
    D::from_f32(-y.to_f32())
}

/// `randint`'s float32 draw, floored, cast and clamped in the dtype.
unsafe fn randint<T: CppCast>(s: &Sampler, keys: &[[u32; 2]], per_key: usize, out: *mut T) {
    let Sampler::RandInt {
        range,
        low,
        high_m1,
        low_d,
    } = *s
    else {
        unreachable!("randint takes the randint sampler")
    };
    let (hi, lo) = (T::from_scalar(high_m1), T::from_scalar(low_d));
    let upper = below_one(Dtype::Float32);
    let clamp = move |v: T| {
        let v = if v < hi { v } else { hi };
        if v > lo {
            v
        } else {
            lo
        }
    };
    let draw = move |w: u32| (range * unit(w, upper) + low).floor() as f64;
    generate(keys, per_key, out, move |w| clamp(T::cpp_cast_vec(draw(w))));
    // MLX converts the last `n % 4` elements one at a time (see CppCast).
    let total = keys.len() * per_key;
    for t in total - total % 4..total {
        let w = word_at(keys[t / per_key], per_key, t % per_key);
        *out.add(t) = clamp(T::cpp_cast(draw(w)));
    }
}

/// Word `j` of the `words`-word block of `key` (the layout of [`generate`]).
fn word_at(key: [u32; 2], words: usize, j: usize) -> u32 {
    let half = words / 2;
    let off = half + words % 2;
    if j < half {
        threefry2x32(key, [j as u32, (j + off) as u32])[0]
    } else if j < off {
        threefry2x32(key, [half as u32, 0])[0]
    } else {
        threefry2x32(key, [(j - off) as u32, j as u32])[1]
    }
}

/// Writes, for each key, the permutation that sorts its `n` threefry words
/// (MLX's `argsort(bits((n,)))`: stable, so ties keep index order).
///
/// # Safety
/// `out` must be valid for `keys.len() * n` u32 writes.
pub unsafe fn permutation(keys: &[[u32; 2]], n: usize, out: *mut u32) {
    let mut words = vec![0u32; keys.len() * n];
    generate(keys, n, words.as_mut_ptr(), |w| w);
    let p = SyncPtr(out);
    par_range(keys.len(), |lo, hi| {
        let p = &p;
        let mut pairs: Vec<u64> = Vec::with_capacity(n);
        for k in lo..hi {
            pairs.clear();
            let row = &words[k * n..(k + 1) * n];
            // Word in the high half, index in the low half: sorting the
            // u64s sorts by word and breaks ties by index.
            pairs.extend(
                row.iter()
                    .enumerate()
                    .map(|(i, &w)| (w as u64) << 32 | i as u64),
            );
            if hi - lo == 1 && n >= 1 << 16 {
                // One big permutation: sort on every core.
                use rayon::slice::ParallelSliceMut;
                pairs.par_sort_unstable();
            } else {
                pairs.sort_unstable();
            }
            for (j, &v) in pairs.iter().enumerate() {
                // SAFETY: row k of the output has n elements.
                unsafe { *p.0.add(k * n + j) = v as u32 };
            }
        }
    });
}

/// Moves `rows` blocks of `inner` bytes along a permuted axis of length
/// `n`: `out[o, j] = x[o, idx[j]]` (gather) or `out[o, idx[j]] = x[o, j]`
/// (`scatter`), for `outer` groups; group `o` reads index row
/// `o / groups_per_row` of `idx`.
///
/// # Safety
/// `x` and `out` hold `outer * n * inner` bytes; `idx` holds one row of `n`
/// indices (all below `n`) per `groups_per_row` groups.
#[allow(clippy::too_many_arguments)]
pub unsafe fn permute_axis(
    x: *const u8,
    out: *mut u8,
    idx: &[u32],
    outer: usize,
    n: usize,
    inner: usize,
    groups_per_row: usize,
    scatter: bool,
) {
    let (xp, op) = (SyncPtr(x as *mut u8), SyncPtr(out));
    let work = outer * n;
    par_range(work, |lo, hi| {
        let (xp, op) = (xp, op);
        for t in lo..hi {
            let (o, j) = (t / n, t % n);
            let i = idx[(o / groups_per_row) * n + j] as usize;
            let (src, dst) = if scatter { (j, i) } else { (i, j) };
            // SAFETY: both blocks lie within group o of their buffers.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    xp.0.add((o * n + src) * inner),
                    op.0.add((o * n + dst) * inner),
                    inner,
                )
            };
        }
    });
}

/// The running sums of `exp(x - max(x))` along each row of `k` logits
/// (float32, MLX's exp, sequential), which MLX's single-distribution
/// `categorical` compares with `u * total`.
pub fn cumulative_exp(x: &[f32], k: usize, out: &mut [f32]) {
    if k == 0 {
        return;
    }
    let p = SyncPtr(out.as_mut_ptr());
    par_range(x.len() / k, |lo, hi| {
        let p = &p;
        for r in lo..hi {
            let row = &x[r * k..(r + 1) * k];
            // SAFETY: row r of the output has k elements, written by this
            // chunk only.
            let o = unsafe { std::slice::from_raw_parts_mut(p.0.add(r * k), k) };
            let m = row.iter().fold(f32::NEG_INFINITY, |m, &v| max_mlx(v, m));
            let mut c = 0.0f32;
            for (e, &v) in o.iter_mut().zip(row) {
                c += math::exp_mlx(v - m);
                *e = c;
            }
        }
    });
}
