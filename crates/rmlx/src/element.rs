//! Rust element types behind the dtypes, widening to [`Scalar`], casts between
//! any two element types, and the `dispatch!` macro that turns a runtime
//! [`Dtype`] into a monomorphised call.

use half::{bf16, f16};
use num_complex::Complex32;

use crate::dtype::Dtype;

/// A single value of any dtype, widened without loss (except complex, which
/// keeps its float32 parts). Used for fills, `item()` and constants.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Scalar {
    /// bool
    Bool(bool),
    /// any signed integer
    Int(i64),
    /// any unsigned integer
    UInt(u64),
    /// any float
    Float(f64),
    /// complex64
    Complex(Complex32),
}

impl Scalar {
    /// The value as f64 (complex: its real part; bool: 0/1).
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Bool(b) => f64::from(u8::from(b)),
            Scalar::Int(i) => i as f64,
            Scalar::UInt(u) => u as f64,
            Scalar::Float(f) => f,
            Scalar::Complex(c) => c.re as f64,
        }
    }
    /// The value as i64, with C's float-to-int truncation.
    pub fn as_i64(self) -> i64 {
        match self {
            Scalar::Bool(b) => i64::from(b),
            Scalar::Int(i) => i,
            Scalar::UInt(u) => u as i64,
            Scalar::Float(f) => f as i64,
            Scalar::Complex(c) => c.re as i64,
        }
    }
    /// The value as u64 (wrapping, like C++ static_cast).
    pub fn as_u64(self) -> u64 {
        match self {
            Scalar::Bool(b) => u64::from(b),
            Scalar::Int(i) => i as u64,
            Scalar::UInt(u) => u,
            Scalar::Float(f) => {
                if f < 0.0 {
                    (f as i64) as u64
                } else {
                    f as u64
                }
            }
            Scalar::Complex(c) => c.re as u64,
        }
    }
    /// The value as bool (non-zero is true).
    pub fn as_bool(self) -> bool {
        match self {
            Scalar::Bool(b) => b,
            Scalar::Int(i) => i != 0,
            Scalar::UInt(u) => u != 0,
            Scalar::Float(f) => f != 0.0,
            Scalar::Complex(c) => c.re != 0.0 || c.im != 0.0,
        }
    }
    /// The value as complex64.
    pub fn as_complex(self) -> Complex32 {
        match self {
            Scalar::Complex(c) => c,
            s => Complex32::new(s.as_f64() as f32, 0.0),
        }
    }
}

/// A Rust type that is the element of one dtype.
pub trait Element: Copy + Send + Sync + 'static + PartialEq + std::fmt::Debug + Default {
    /// The dtype this type stores.
    const DTYPE: Dtype;
    /// Widens to a [`Scalar`].
    fn to_scalar(self) -> Scalar;
    /// Converts from a [`Scalar`] with C++ `static_cast` semantics.
    fn from_scalar(s: Scalar) -> Self;
    /// Casts to another element type (MLX `astype` semantics).
    #[inline(always)]
    fn cast<U: Element>(self) -> U {
        U::from_scalar(self.to_scalar())
    }
}

macro_rules! int_element {
    ($t:ty, $d:ident, $variant:ident, $wide:ty, $as:ident) => {
        impl Element for $t {
            const DTYPE: Dtype = Dtype::$d;
            #[inline(always)]
            fn to_scalar(self) -> Scalar {
                Scalar::$variant(self as $wide)
            }
            #[inline(always)]
            fn from_scalar(s: Scalar) -> Self {
                match s {
                    Scalar::Int(i) => i as $t,
                    Scalar::UInt(u) => u as $t,
                    Scalar::Bool(b) => b as $t,
                    Scalar::Float(f) => f as i64 as $t,
                    other => other.$as() as $t,
                }
            }
        }
    };
}

int_element!(u8, Uint8, UInt, u64, as_u64);
int_element!(u16, Uint16, UInt, u64, as_u64);
int_element!(u32, Uint32, UInt, u64, as_u64);
int_element!(i8, Int8, Int, i64, as_i64);
int_element!(i16, Int16, Int, i64, as_i64);
int_element!(i32, Int32, Int, i64, as_i64);
int_element!(i64, Int64, Int, i64, as_i64);

impl Element for u64 {
    const DTYPE: Dtype = Dtype::Uint64;
    #[inline(always)]
    fn to_scalar(self) -> Scalar {
        Scalar::UInt(self)
    }
    #[inline(always)]
    fn from_scalar(s: Scalar) -> Self {
        s.as_u64()
    }
}

impl Element for bool {
    const DTYPE: Dtype = Dtype::Bool;
    #[inline(always)]
    fn to_scalar(self) -> Scalar {
        Scalar::Bool(self)
    }
    #[inline(always)]
    fn from_scalar(s: Scalar) -> Self {
        s.as_bool()
    }
}

impl Element for f32 {
    const DTYPE: Dtype = Dtype::Float32;
    #[inline(always)]
    fn to_scalar(self) -> Scalar {
        Scalar::Float(self as f64)
    }
    #[inline(always)]
    fn from_scalar(s: Scalar) -> Self {
        match s {
            Scalar::Float(f) => f as f32,
            Scalar::Int(i) => i as f32,
            Scalar::UInt(u) => u as f32,
            other => other.as_f64() as f32,
        }
    }
}

impl Element for f64 {
    const DTYPE: Dtype = Dtype::Float64;
    #[inline(always)]
    fn to_scalar(self) -> Scalar {
        Scalar::Float(self)
    }
    #[inline(always)]
    fn from_scalar(s: Scalar) -> Self {
        s.as_f64()
    }
}

impl Element for f16 {
    const DTYPE: Dtype = Dtype::Float16;
    #[inline(always)]
    fn to_scalar(self) -> Scalar {
        Scalar::Float(self.to_f64())
    }
    #[inline(always)]
    fn from_scalar(s: Scalar) -> Self {
        match s {
            Scalar::Float(f) => f16::from_f64(f),
            other => f16::from_f32(f32::from_scalar(other)),
        }
    }
}

impl Element for bf16 {
    const DTYPE: Dtype = Dtype::Bfloat16;
    #[inline(always)]
    fn to_scalar(self) -> Scalar {
        Scalar::Float(self.to_f64())
    }
    #[inline(always)]
    fn from_scalar(s: Scalar) -> Self {
        match s {
            Scalar::Float(f) => bf16::from_f64(f),
            other => bf16::from_f32(f32::from_scalar(other)),
        }
    }
}

impl Element for Complex32 {
    const DTYPE: Dtype = Dtype::Complex64;
    #[inline(always)]
    fn to_scalar(self) -> Scalar {
        Scalar::Complex(self)
    }
    #[inline(always)]
    fn from_scalar(s: Scalar) -> Self {
        s.as_complex()
    }
}

/// Runs `$body` with `$T` bound to the element type of `$dtype`.
///
/// `dispatch!(dtype, T => body)` covers all 14 dtypes; keep `body` small
/// (a call into a generic function) to limit code size.
#[macro_export]
macro_rules! dispatch {
    ($dtype:expr, $T:ident => $body:expr) => {{
        use $crate::dtype::Dtype as __D;
        match $dtype {
            __D::Bool => {
                type $T = bool;
                $body
            }
            __D::Uint8 => {
                type $T = u8;
                $body
            }
            __D::Uint16 => {
                type $T = u16;
                $body
            }
            __D::Uint32 => {
                type $T = u32;
                $body
            }
            __D::Uint64 => {
                type $T = u64;
                $body
            }
            __D::Int8 => {
                type $T = i8;
                $body
            }
            __D::Int16 => {
                type $T = i16;
                $body
            }
            __D::Int32 => {
                type $T = i32;
                $body
            }
            __D::Int64 => {
                type $T = i64;
                $body
            }
            __D::Float16 => {
                type $T = half::f16;
                $body
            }
            __D::Float32 => {
                type $T = f32;
                $body
            }
            __D::Float64 => {
                type $T = f64;
                $body
            }
            __D::Bfloat16 => {
                type $T = half::bf16;
                $body
            }
            __D::Complex64 => {
                type $T = num_complex::Complex32;
                $body
            }
        }
    }};
}

/// Like [`dispatch!`] but only for the real numeric dtypes and bool; complex
/// falls to `$other`.
#[macro_export]
macro_rules! dispatch_real {
    ($dtype:expr, $T:ident => $body:expr, $other:expr) => {{
        use $crate::dtype::Dtype as __D;
        match $dtype {
            __D::Bool => {
                type $T = bool;
                $body
            }
            __D::Uint8 => {
                type $T = u8;
                $body
            }
            __D::Uint16 => {
                type $T = u16;
                $body
            }
            __D::Uint32 => {
                type $T = u32;
                $body
            }
            __D::Uint64 => {
                type $T = u64;
                $body
            }
            __D::Int8 => {
                type $T = i8;
                $body
            }
            __D::Int16 => {
                type $T = i16;
                $body
            }
            __D::Int32 => {
                type $T = i32;
                $body
            }
            __D::Int64 => {
                type $T = i64;
                $body
            }
            __D::Float16 => {
                type $T = half::f16;
                $body
            }
            __D::Float32 => {
                type $T = f32;
                $body
            }
            __D::Float64 => {
                type $T = f64;
                $body
            }
            __D::Bfloat16 => {
                type $T = half::bf16;
                $body
            }
            __D::Complex64 => $other,
        }
    }};
}

/// Reads element `i` (flat index into a contiguous block) of a raw buffer of
/// `dtype` as a [`Scalar`].
///
/// # Safety
/// `ptr` must point to at least `i + 1` elements of `dtype`.
pub unsafe fn read_scalar(ptr: *const u8, dtype: Dtype, i: usize) -> Scalar {
    dispatch!(dtype, T => (*(ptr as *const T).add(i)).to_scalar())
}

/// Writes a [`Scalar`] as element `i` of a raw buffer of `dtype`.
///
/// # Safety
/// `ptr` must point to at least `i + 1` writable elements of `dtype`.
pub unsafe fn write_scalar(ptr: *mut u8, dtype: Dtype, i: usize, v: Scalar) {
    dispatch!(dtype, T => *(ptr as *mut T).add(i) = T::from_scalar(v))
}
