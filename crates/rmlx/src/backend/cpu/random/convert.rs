//! Conversions with MLX's rounding for the samplers: float32 to and from
//! float16/bfloat16 (round to nearest even, branch-free so the sampling
//! loops vectorise; the `half` crate's calls dispatch at run time and do
//! not), the [`Real`] arithmetic of each float dtype, and C++'s
//! float-to-integer `static_cast` as MLX's x86-64 build performs it.

use half::{bf16, f16};

use crate::dtype::Dtype;
use crate::element::{Element, Scalar};

/// The float dtypes a sampler writes, with MLX's arithmetic in each:
/// half-precision operations compute in float32 and round once.
pub trait Real: Element {
    /// Rounds a float32 (`astype`).
    fn from_f32(x: f32) -> Self;
    /// Rounds a float64 constant (exact for the constants samplers get).
    fn from_f64(x: f64) -> Self;
    /// The value as float32 (float64 rounds).
    fn to_f32(self) -> f32;
    /// `a * b` in this dtype.
    fn mul(a: Self, b: Self) -> Self;
    /// `a + b` in this dtype.
    fn add(a: Self, b: Self) -> Self;
}

impl Real for f32 {
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        x
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x as f32
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self
    }
    #[inline(always)]
    fn mul(a: Self, b: Self) -> Self {
        a * b
    }
    #[inline(always)]
    fn add(a: Self, b: Self) -> Self {
        a + b
    }
}

impl Real for f64 {
    #[inline(always)]
    fn from_f32(x: f32) -> Self {
        x as f64
    }
    #[inline(always)]
    fn from_f64(x: f64) -> Self {
        x
    }
    #[inline(always)]
    fn to_f32(self) -> f32 {
        self as f32
    }
    #[inline(always)]
    fn mul(a: Self, b: Self) -> Self {
        a * b
    }
    #[inline(always)]
    fn add(a: Self, b: Self) -> Self {
        a + b
    }
}

/// float32 to float16 bits, rounding to nearest even (as the compiler's
/// `_Float16` conversion MLX uses), without branches so that loops
/// vectorise (F. Giesen's `float_to_half_fast3_rtne`).
#[inline(always)]
fn f32_to_f16_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = (bits >> 16) & 0x8000;
    let a = bits & 0x7fff_ffff;
    let inf_nan = if a > 0x7f80_0000 { 0x7e00 } else { 0x7c00 };
    // Subnormal results: align the mantissa with a magic addend.
    let magic = f32::from_bits(((127 - 15) + (23 - 10) + 1) << 23);
    let sub = (f32::from_bits(a) + magic)
        .to_bits()
        .wrapping_sub(magic.to_bits());
    let odd = (a >> 13) & 1;
    let norm = a
        .wrapping_add(((15u32.wrapping_sub(127)) << 23).wrapping_add(0xfff))
        .wrapping_add(odd)
        >> 13;
    let v = if a >= (127 + 16) << 23 {
        inf_nan
    } else if a < 113 << 23 {
        sub
    } else {
        norm
    };
    (v | sign) as u16
}

/// float16 bits to float32 (exact).
#[inline(always)]
fn f16_bits_to_f32(h: u16) -> f32 {
    let h = h as u32;
    let o = (h & 0x7fff) << 13;
    let exp = o & (0x7c00 << 13);
    let o = o + ((127 - 15) << 23);
    let v = if exp == 0x7c00 << 13 {
        f32::from_bits(o + ((128 - 16) << 23))
    } else if exp == 0 {
        f32::from_bits(o + (1 << 23)) - f32::from_bits(113 << 23)
    } else {
        f32::from_bits(o)
    };
    f32::from_bits(v.to_bits() | ((h & 0x8000) << 16))
}

/// float32 to bfloat16 bits, rounding to nearest even (MLX's conversion).
#[inline(always)]
fn f32_to_bf16_bits(x: f32) -> u16 {
    let b = x.to_bits();
    let r = (b.wrapping_add(0x7fff + ((b >> 16) & 1)) >> 16) as u16;
    if x.is_nan() {
        ((b >> 16) | 0x40) as u16
    } else {
        r
    }
}

macro_rules! half_real {
    ($t:ty, $to:ident, $from:expr) => {
        impl Real for $t {
            #[inline(always)]
            fn from_f32(x: f32) -> Self {
                <$t>::from_bits($to(x))
            }
            #[inline(always)]
            fn from_f64(x: f64) -> Self {
                <$t>::from_f64(x)
            }
            #[inline(always)]
            fn to_f32(self) -> f32 {
                $from(self.to_bits())
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> Self {
                <Self as Real>::from_f32(Real::to_f32(a) * Real::to_f32(b))
            }
            #[inline(always)]
            fn add(a: Self, b: Self) -> Self {
                <Self as Real>::from_f32(Real::to_f32(a) + Real::to_f32(b))
            }
        }
    };
}
half_real!(f16, f32_to_f16_bits, f16_bits_to_f32);
half_real!(bf16, f32_to_bf16_bits, |b: u16| f32::from_bits(
    (b as u32) << 16
));

/// C++'s `static_cast` from a float as MLX's x86-64 build performs it:
/// out-of-range values (and NaN) become the conversion instruction's
/// "integer indefinite" (the minimum), narrow types truncate an int32
/// conversion and uint32 an int64 one. (Float32 values widen exactly, so
/// one float64 version serves both.)
pub trait CppCast: Element + PartialOrd {
    /// The converted value.
    fn cpp_cast(x: f64) -> Self;
    /// The value MLX's vectorised conversion loop gives (it handles all but
    /// the last `n % 4` elements of an array); differs from
    /// [`CppCast::cpp_cast`] only for uint32, out of range.
    fn cpp_cast_vec(x: f64) -> Self {
        Self::cpp_cast(x)
    }
}

/// 2^63.
const TWO63: f64 = 9_223_372_036_854_775_808.0;

fn cvt_i32(x: f64) -> i32 {
    if x > -2147483649.0 && x < 2147483648.0 {
        x as i32
    } else {
        i32::MIN
    }
}

fn cvt_i64(x: f64) -> i64 {
    if (-TWO63..TWO63).contains(&x) {
        x as i64
    } else {
        i64::MIN
    }
}

macro_rules! cast_via {
    ($($t:ty => $via:ident),*) => {$(
        impl CppCast for $t {
            #[inline(always)]
            fn cpp_cast(x: f64) -> Self {
                $via(x) as $t
            }
        }
    )*};
}
cast_via!(i8 => cvt_i32, i16 => cvt_i32, i32 => cvt_i32, u8 => cvt_i32, u16 => cvt_i32,
          i64 => cvt_i64);

impl CppCast for u32 {
    #[inline(always)]
    fn cpp_cast(x: f64) -> Self {
        cvt_i64(x) as u32
    }
    /// The vector loop converts through int32: above 2^31 it offsets by 2^31
    /// and flips the top bit, so out-of-range lanes give 0 or 2^31.
    #[inline(always)]
    fn cpp_cast_vec(x: f64) -> Self {
        const TWO31: f64 = 2147483648.0;
        if x >= TWO31 {
            (cvt_i32(x - TWO31) as u32) ^ 0x8000_0000
        } else {
            cvt_i32(x) as u32
        }
    }
}

impl CppCast for u64 {
    #[inline(always)]
    fn cpp_cast(x: f64) -> Self {
        if x >= TWO63 {
            (cvt_i64(x - TWO63) as u64) ^ (1 << 63)
        } else {
            cvt_i64(x) as u64
        }
    }
}

impl CppCast for bool {
    #[inline(always)]
    fn cpp_cast(x: f64) -> Self {
        x != 0.0
    }
}

/// [`CppCast`] to a runtime integer or bool dtype.
pub fn cpp_cast(x: f64, dtype: Dtype) -> Option<Scalar> {
    Some(match dtype {
        Dtype::Bool => Scalar::Bool(bool::cpp_cast(x)),
        Dtype::Uint8 => u8::cpp_cast(x).to_scalar(),
        Dtype::Uint16 => u16::cpp_cast(x).to_scalar(),
        Dtype::Uint32 => u32::cpp_cast(x).to_scalar(),
        Dtype::Uint64 => u64::cpp_cast(x).to_scalar(),
        Dtype::Int8 => i8::cpp_cast(x).to_scalar(),
        Dtype::Int16 => i16::cpp_cast(x).to_scalar(),
        Dtype::Int32 => i32::cpp_cast(x).to_scalar(),
        Dtype::Int64 => i64::cpp_cast(x).to_scalar(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn half_conversions_round_like_the_half_crate() {
        let mut b = 0u32;
        while b < u32::MAX - 97 {
            let x = f32::from_bits(b);
            if !x.is_nan() {
                assert_eq!(f32_to_f16_bits(x), f16::from_f32(x).to_bits(), "{x:e}");
                assert_eq!(f32_to_bf16_bits(x), bf16::from_f32(x).to_bits(), "{x:e}");
            }
            b += 97;
        }
        for h in 0..=u16::MAX {
            let (got, want) = (f16_bits_to_f32(h), f16::from_bits(h).to_f32());
            assert!(got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()));
        }
    }

    #[test]
    fn cpp_casts_match_x86() {
        assert_eq!(i32::cpp_cast(3e9), i32::MIN);
        assert_eq!(u16::cpp_cast(5e9), 0);
        assert_eq!(u32::cpp_cast(-5.0), 4294967291);
        assert_eq!(u32::cpp_cast(5e9), 705032704);
        assert_eq!(u32::cpp_cast_vec(5e9), 0);
        assert_eq!(u32::cpp_cast_vec(3e9), 3000000000);
        assert_eq!(u32::cpp_cast_vec(-3e9), 2147483648);
        assert_eq!(u32::cpp_cast_vec(-5.0), 4294967291);
        assert_eq!(u64::cpp_cast(1e20), 0);
        assert_eq!(i64::cpp_cast(f64::NAN), i64::MIN);
        assert_eq!(u8::cpp_cast(-7.9), 249);
        assert!(bool::cpp_cast(-0.5));
    }
}
