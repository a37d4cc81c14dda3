//! Scalar math with the exact rounding of the reference MLX CPU build, for
//! the random-number kernels: MLX's own `erfinv` (Giles-style polynomials
//! on `log(1 - x^2)`, single-precision FMAs), its Cephes `exp` and the
//! `erf` approximation built on it, and ports of glibc's `logf` (the FMA
//! variant glibc selects on AVX2 machines) and `log1pf`, which MLX calls
//! through `std::log` / `std::log1p`.
//!
//! Every function is written branch-free (selects, table lookups) and
//! `#[inline(always)]` so that the kernels calling them vectorise inside
//! their `#[target_feature]` wrappers. The glibc ports are only used after
//! [`fast_logf_ok`] / [`fast_log1pf_ok`] have checked them against the
//! platform's functions (which are what MLX calls); otherwise the kernels
//! call `f32::ln` / `f32::ln_1p`, which are those functions.

#![allow(clippy::excessive_precision)]

use std::sync::OnceLock;

/// glibc `__logf_data`: 1/c and log(c) for the 16 subintervals of
/// [0x3f330000, 2 * 0x3f330000] (as f32 bit patterns).
const LOGF_INVC: [f64; 16] = [
    f64::from_bits(0x3ff661ec79f8f3be),
    f64::from_bits(0x3ff571ed4aaf883d),
    f64::from_bits(0x3ff49539f0f010b0),
    f64::from_bits(0x3ff3c995b0b80385),
    f64::from_bits(0x3ff30d190c8864a5),
    f64::from_bits(0x3ff25e227b0b8ea0),
    f64::from_bits(0x3ff1bb4a4a1a343f),
    f64::from_bits(0x3ff12358f08ae5ba),
    f64::from_bits(0x3ff0953f419900a7),
    f64::from_bits(0x3ff0000000000000),
    f64::from_bits(0x3fee608cfd9a47ac),
    f64::from_bits(0x3feca4b31f026aa0),
    f64::from_bits(0x3feb2036576afce6),
    f64::from_bits(0x3fe9c2d163a1aa2d),
    f64::from_bits(0x3fe886e6037841ed),
    f64::from_bits(0x3fe767dcf5534862),
];
const LOGF_LOGC: [f64; 16] = [
    f64::from_bits(0xbfd57bf7808caade),
    f64::from_bits(0xbfd2bef0a7c06ddb),
    f64::from_bits(0xbfd01eae7f513a67),
    f64::from_bits(0xbfcb31d8a68224e9),
    f64::from_bits(0xbfc6574f0ac07758),
    f64::from_bits(0xbfc1aa2bc79c8100),
    f64::from_bits(0xbfba4e76ce8c0e5e),
    f64::from_bits(0xbfb1973c5a611ccc),
    f64::from_bits(0xbfa252f438e10c1e),
    0.0,
    f64::from_bits(0x3faaa5aa5df25984),
    f64::from_bits(0x3fbc5e53aa362eb4),
    f64::from_bits(0x3fc526e57720db08),
    f64::from_bits(0x3fcbc2860d224770),
    f64::from_bits(0x3fd1058bc8a07ee1),
    f64::from_bits(0x3fd4043057b6ee09),
];
const LOGF_LN2: f64 = f64::from_bits(0x3fe62e42fefa39ef);
const LOGF_A: [f64; 3] = [
    f64::from_bits(0xbfd00ea348b88334),
    f64::from_bits(0x3fd5575b0be00b6a),
    f64::from_bits(0xbfdffffef20a4123),
];

/// glibc's `logf` as compiled for FMA machines: `x = 2^k z`, a 16-entry
/// table of `1/c, log(c)` and a degree-4 polynomial of `log1p(z/c - 1)` in
/// double precision, every `a * b + c` fused. Special inputs (zero,
/// negative, subnormal, inf, NaN) follow IEEE as glibc does.
#[inline(always)]
pub fn logf_glibc(x: f32) -> f32 {
    let ix0 = x.to_bits();
    // Below 2^-126, infinite, NaN or negative: glibc's slow path.
    let special = ix0.wrapping_sub(0x0080_0000) >= 0x7f80_0000 - 0x0080_0000;
    let subnormal = special && ix0 < 0x0080_0000 && ix0 != 0;
    // Subnormals are scaled into the normal range first, as glibc does.
    let scaled = (x * f32::from_bits(0x4b00_0000))
        .to_bits()
        .wrapping_sub(23 << 23);
    let ix = if subnormal { scaled } else { ix0 };
    let tmp = ix.wrapping_sub(0x3f33_0000);
    let i = ((tmp >> 19) % 16) as usize;
    let k = (tmp as i32) >> 23;
    let iz = ix.wrapping_sub(tmp & 0xff80_0000);
    let z = f32::from_bits(iz) as f64;
    let r = z.mul_add(LOGF_INVC[i], -1.0);
    let y0 = (k as f64).mul_add(LOGF_LN2, LOGF_LOGC[i]);
    let r2 = r * r;
    let y = LOGF_A[1].mul_add(r, LOGF_A[2]);
    let y = LOGF_A[0].mul_add(r2, y);
    let y = y.mul_add(r2, y0 + r) as f32;
    // IEEE special values, selected last so the main path stays branch-free.
    let y = if ix0 == 0x3f80_0000 { 0.0 } else { y };
    let sp = if x == 0.0 {
        f32::NEG_INFINITY
    } else if ix0 == 0x7f80_0000 {
        x
    } else {
        f32::NAN
    };
    if special && !subnormal {
        sp
    } else {
        y
    }
}

/// `log` as MLX computes it (glibc `logf`): the port when `FAST`, else the
/// platform function itself.
#[inline(always)]
pub fn log_f32<const FAST: bool>(x: f32) -> f32 {
    if FAST {
        logf_glibc(x)
    } else {
        x.ln()
    }
}

/// Whether [`logf_glibc`] reproduces this machine's `logf` bit for bit
/// (checked once on a spread of inputs; glibc picks its FMA variant only
/// on CPUs with FMA, and other C libraries differ).
pub fn fast_logf_ok() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        if !super::fma_available() {
            return false;
        }
        let mut bits: u32 = 0x0000_0001;
        let mut ok = true;
        // Every 4099th pattern of the positive floats, plus specials.
        while bits < 0x7f80_0000 && ok {
            let x = f32::from_bits(bits);
            ok = same(logf_glibc(x), x.ln());
            bits = bits.wrapping_add(4099);
        }
        for x in [
            0.0f32,
            -0.0,
            1.0,
            -1.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
        ] {
            ok &= same(logf_glibc(x), x.ln());
        }
        ok
    })
}

fn same(a: f32, b: f32) -> bool {
    a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan())
}

/// glibc's `log1pf` (fdlibm `s_log1pf.c`, all in float arithmetic),
/// rewritten with selects: both of fdlibm's reductions (`k = 0` for
/// `-0.2929 < x < 0.41422`, else `1 + x = 2^k u`) and the short series for
/// `|f| < 2^-20` are computed and the right one is kept.
#[inline(always)]
pub fn log1pf_glibc(x: f32) -> f32 {
    const LN2_HI: f32 = 6.9313812256e-01;
    const LN2_LO: f32 = 9.0580006145e-06;
    const LP: [f32; 7] = [
        6.6666668653e-01,
        4.0000000596e-01,
        2.8571429849e-01,
        2.2222198546e-01,
        1.8183572590e-01,
        1.5313838422e-01,
        1.4798198640e-01,
    ];
    let hx = x.to_bits() as i32;
    let ax = hx & 0x7fff_ffff;
    let small = hx < 0x3ed4_13d7 && (hx > 0 || hx <= 0xbe95_f61f_u32 as i32);
    // k != 0: 1 + x = 2^k * u with sqrt(2)/2 <= u < sqrt(2), and the
    // rounding error of 1 + x kept in c.
    let big = hx >= 0x5a00_0000;
    let u1 = 1.0 + x;
    let hu0 = if big { x.to_bits() } else { u1.to_bits() } as i32;
    let k0 = (hu0 >> 23) - 127;
    let c0 = if big {
        0.0
    } else if k0 > 0 {
        (1.0 - (u1 - x)) / u1
    } else {
        (x - (u1 - 1.0)) / u1
    };
    let m = hu0 & 0x007f_ffff;
    let up = m >= 0x0035_04f7;
    let kb = k0 + up as i32;
    let ub = f32::from_bits((m | if up { 0x3f00_0000 } else { 0x3f80_0000 }) as u32);
    let hub = if up { (0x0080_0000 - m) >> 2 } else { m };
    let (k, f, c, hu) = if small {
        (0, x, 0.0f32, 1)
    } else {
        (kb, ub - 1.0, c0, hub)
    };
    let kf = k as f32;
    let hfsq = 0.5 * f * f;
    // |f| < 2^-20: a short series.
    let r0 = hfsq * (1.0 - 0.666_666_7 * f);
    let tiny = if f == 0.0 {
        if k == 0 {
            0.0
        } else {
            kf * LN2_HI + (c + kf * LN2_LO)
        }
    } else if k == 0 {
        f - r0
    } else {
        kf * LN2_HI - ((r0 - (kf * LN2_LO + c)) - f)
    };
    let s = f / (2.0 + f);
    let z = s * s;
    let r = z * LP[..6].iter().rev().fold(LP[6], |acc, &lp| lp + z * acc);
    let general = if k == 0 {
        f - (hfsq - s * (hfsq + r))
    } else {
        kf * LN2_HI - ((hfsq - (s * (hfsq + r) + (kf * LN2_LO + c))) - f)
    };
    let y = if hu == 0 { tiny } else { general };
    // Special inputs, selected last.
    if hx < 0x3ed4_13d7 && ax >= 0x3f80_0000 {
        if x == -1.0 {
            f32::NEG_INFINITY
        } else {
            f32::NAN
        }
    } else if hx < 0x3ed4_13d7 && ax < 0x3100_0000 {
        if ax < 0x2480_0000 {
            x
        } else {
            x - x * x * 0.5
        }
    } else if hx >= 0x7f80_0000 {
        x + x
    } else {
        y
    }
}

/// `log1p` as MLX computes it (glibc `log1pf`): the port when `FAST`, else
/// the platform function.
#[inline(always)]
pub fn log1p_f32<const FAST: bool>(x: f32) -> f32 {
    if FAST {
        log1pf_glibc(x)
    } else {
        x.ln_1p()
    }
}

/// Whether [`log1pf_glibc`] reproduces this machine's `log1pf` (checked once
/// on a spread of inputs, as [`fast_logf_ok`]).
pub fn fast_log1pf_ok() -> bool {
    static OK: OnceLock<bool> = OnceLock::new();
    *OK.get_or_init(|| {
        let mut ok = true;
        for sign in [0u32, 0x8000_0000] {
            let mut bits: u32 = 1;
            while bits < 0x7f80_0000 && ok {
                let x = f32::from_bits(bits | sign);
                ok = same(log1pf_glibc(x), x.ln_1p());
                bits = bits.wrapping_add(4099);
            }
        }
        ok
    })
}

/// MLX's `erfinv` for one float (`simd::erfinv`): `t = log(1 - a^2)`, one
/// of two polynomials in `t` chosen by `|t| > 6.125`, times `a`. The
/// coefficients are MLX's decimal literals, which round to the same floats.
#[inline(always)]
pub fn erfinv_mlx<const FAST: bool>(a: f32) -> f32 {
    let t = a.mul_add(0.0 - a, 1.0);
    let t = log_f32::<FAST>(t);
    let horner = |c: &[f32]| c[1..].iter().fold(c[0], |p, &k| p.mul_add(t, k));
    let lhs = horner(&[
        3.03697567e-10,
        2.93243101e-8,
        1.22150334e-6,
        2.84108955e-5,
        3.93552968e-4,
        3.02698812e-3,
        4.83185798e-3,
        -2.64646143e-1,
        8.40016484e-1,
    ]);
    let rhs = horner(&[
        5.43877832e-9,
        1.43285448e-7,
        1.22774793e-6,
        1.12963626e-7,
        -5.61530760e-5,
        -1.47697632e-4,
        2.31468678e-3,
        1.15392581e-2,
        -2.32015476e-1,
        8.86226892e-1,
    ]);
    a * if t.abs() > 6.125 { lhs } else { rhs }
}

/// MLX's `exp` (`simd::exp`): Cephes' polynomial for `2^frac` and the
/// exponent built by shifting, with MLX's cut-offs at +-88.
#[inline(always)]
// MLX's own rounding of log2(e), not `LOG2_E`: the result depends on it.
#[allow(clippy::approx_constant)]
pub fn exp_mlx(x0: f32) -> f32 {
    let x = x0 * 1.442695;
    let ipart = (x + 0.5).floor();
    let fpart = x - ipart;
    let p = [
        1.535336188319500e-4,
        1.339887440266574e-3,
        9.618437357674640e-3,
        5.550332471162809e-2,
        2.402264791363012e-1,
        6.931472028550421e-1,
        1.000000000000000,
    ];
    let p = p[1..]
        .iter()
        .fold(p[0], |acc: f32, &k| acc.mul_add(fpart, k));
    // `ipart as i32` saturates where C++ would not, but those lanes are
    // replaced by the +-88 selects below.
    let e = f32::from_bits(((ipart as i32).wrapping_add(127) as u32) << 23);
    let r = if x0.is_nan() { x0 } else { e * p };
    if x0 > 88.0 {
        f32::INFINITY
    } else if x0 < -88.0 {
        0.0
    } else {
        r
    }
}

/// MLX's `erf` (`simd::erf`, the Abramowitz-Stegun 7.1.26 form PyTorch
/// uses), on top of [`exp_mlx`].
#[inline(always)]
pub fn erf_mlx(v: f32) -> f32 {
    let t = 1.0 / 0.3275911f32.mul_add(v.abs(), 1.0);
    let mut r = 1.061405429f32.mul_add(t, -1.453152027);
    r = r.mul_add(t, 1.421413741);
    r = r.mul_add(t, -0.284496736);
    r = r.mul_add(t, 0.254829592);
    let e = -exp_mlx(-(v * v));
    let res = (e * t).mul_add(r, 1.0);
    if v > 0.0 {
        res
    } else {
        -res
    }
}
