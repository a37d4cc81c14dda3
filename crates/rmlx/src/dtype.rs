//! Element types: the fourteen MLX dtypes, their categories, MLX's promotion
//! table and the numeric limits (`finfo` / `iinfo`).

use std::fmt;

/// An array element type, in MLX's order (the order indexes the promotion table).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Dtype {
    /// `bool_`
    Bool = 0,
    /// `uint8`
    Uint8,
    /// `uint16`
    Uint16,
    /// `uint32`
    Uint32,
    /// `uint64`
    Uint64,
    /// `int8`
    Int8,
    /// `int16`
    Int16,
    /// `int32`
    Int32,
    /// `int64`
    Int64,
    /// `float16` (IEEE half)
    Float16,
    /// `float32`
    Float32,
    /// `float64`
    Float64,
    /// `bfloat16`
    Bfloat16,
    /// `complex64` (two float32)
    Complex64,
}

/// The abstract dtype categories of MLX (`mx.floating`, `mx.integer`, ...).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DtypeCategory {
    /// complexfloating
    ComplexFloating,
    /// floating
    Floating,
    /// inexact (floating or complex)
    Inexact,
    /// signedinteger
    SignedInteger,
    /// unsignedinteger
    UnsignedInteger,
    /// integer
    Integer,
    /// number (anything but bool)
    Number,
    /// generic (everything)
    Generic,
}

/// Every dtype, in table order.
pub const ALL_DTYPES: [Dtype; 14] = [
    Dtype::Bool,
    Dtype::Uint8,
    Dtype::Uint16,
    Dtype::Uint32,
    Dtype::Uint64,
    Dtype::Int8,
    Dtype::Int16,
    Dtype::Int32,
    Dtype::Int64,
    Dtype::Float16,
    Dtype::Float32,
    Dtype::Float64,
    Dtype::Bfloat16,
    Dtype::Complex64,
];

use Dtype::*;

// MLX's promotion table (mlx/dtype.cpp), verified pair by pair against the
// reference wheel in python/tests/test_dtype.py.
const PROMOTE: [[Dtype; 14]; 14] = [
    [
        Bool, Uint8, Uint16, Uint32, Uint64, Int8, Int16, Int32, Int64, Float16, Float32, Float64,
        Bfloat16, Complex64,
    ],
    [
        Uint8, Uint8, Uint16, Uint32, Uint64, Int16, Int16, Int32, Int64, Float16, Float32,
        Float64, Bfloat16, Complex64,
    ],
    [
        Uint16, Uint16, Uint16, Uint32, Uint64, Int32, Int32, Int32, Int64, Float16, Float32,
        Float64, Bfloat16, Complex64,
    ],
    [
        Uint32, Uint32, Uint32, Uint32, Uint64, Int64, Int64, Int64, Int64, Float16, Float32,
        Float64, Bfloat16, Complex64,
    ],
    [
        Uint64, Uint64, Uint64, Uint64, Uint64, Float32, Float32, Float32, Float32, Float16,
        Float32, Float64, Bfloat16, Complex64,
    ],
    [
        Int8, Int16, Int32, Int64, Float32, Int8, Int16, Int32, Int64, Float16, Float32, Float64,
        Bfloat16, Complex64,
    ],
    [
        Int16, Int16, Int32, Int64, Float32, Int16, Int16, Int32, Int64, Float16, Float32, Float64,
        Bfloat16, Complex64,
    ],
    [
        Int32, Int32, Int32, Int64, Float32, Int32, Int32, Int32, Int64, Float16, Float32, Float64,
        Bfloat16, Complex64,
    ],
    [
        Int64, Int64, Int64, Int64, Float32, Int64, Int64, Int64, Int64, Float16, Float32, Float64,
        Bfloat16, Complex64,
    ],
    [
        Float16, Float16, Float16, Float16, Float16, Float16, Float16, Float16, Float16, Float16,
        Float32, Float64, Float32, Complex64,
    ],
    [
        Float32, Float32, Float32, Float32, Float32, Float32, Float32, Float32, Float32, Float32,
        Float32, Float64, Float32, Complex64,
    ],
    [
        Float64, Float64, Float64, Float64, Float64, Float64, Float64, Float64, Float64, Float64,
        Float64, Float64, Float64, Complex64,
    ],
    [
        Bfloat16, Bfloat16, Bfloat16, Bfloat16, Bfloat16, Bfloat16, Bfloat16, Bfloat16, Bfloat16,
        Float32, Float32, Float64, Bfloat16, Complex64,
    ],
    [Complex64; 14],
];

impl Dtype {
    /// Size of one element in bytes.
    pub const fn size(self) -> usize {
        match self {
            Bool | Uint8 | Int8 => 1,
            Uint16 | Int16 | Float16 | Bfloat16 => 2,
            Uint32 | Int32 | Float32 => 4,
            Uint64 | Int64 | Float64 | Complex64 => 8,
        }
    }

    /// The MLX name (`float32`, `bool` ...); MLX prints `bool` for `bool_`.
    pub const fn name(self) -> &'static str {
        match self {
            Bool => "bool",
            Uint8 => "uint8",
            Uint16 => "uint16",
            Uint32 => "uint32",
            Uint64 => "uint64",
            Int8 => "int8",
            Int16 => "int16",
            Int32 => "int32",
            Int64 => "int64",
            Float16 => "float16",
            Float32 => "float32",
            Float64 => "float64",
            Bfloat16 => "bfloat16",
            Complex64 => "complex64",
        }
    }

    /// Parses an MLX or NumPy dtype name.
    pub fn from_name(name: &str) -> Option<Dtype> {
        Some(match name {
            "bool" | "bool_" => Bool,
            "uint8" => Uint8,
            "uint16" => Uint16,
            "uint32" => Uint32,
            "uint64" => Uint64,
            "int8" => Int8,
            "int16" => Int16,
            "int32" => Int32,
            "int64" => Int64,
            "float16" => Float16,
            "float32" => Float32,
            "float64" => Float64,
            "bfloat16" => Bfloat16,
            "complex64" => Complex64,
            _ => return None,
        })
    }

    /// True for float16, bfloat16, float32, float64.
    pub const fn is_floating(self) -> bool {
        matches!(self, Float16 | Float32 | Float64 | Bfloat16)
    }
    /// True for complex64.
    pub const fn is_complex(self) -> bool {
        matches!(self, Complex64)
    }
    /// True for floating or complex.
    pub const fn is_inexact(self) -> bool {
        self.is_floating() || self.is_complex()
    }
    /// True for signed and unsigned integers (not bool).
    pub const fn is_integer(self) -> bool {
        self.is_signed_integer() || self.is_unsigned_integer()
    }
    /// True for int8..int64.
    pub const fn is_signed_integer(self) -> bool {
        matches!(self, Int8 | Int16 | Int32 | Int64)
    }
    /// True for uint8..uint64.
    pub const fn is_unsigned_integer(self) -> bool {
        matches!(self, Uint8 | Uint16 | Uint32 | Uint64)
    }

    /// Whether this dtype belongs to `cat` (MLX `issubdtype(dtype, category)`).
    pub fn is_sub(self, cat: DtypeCategory) -> bool {
        use DtypeCategory as C;
        match cat {
            C::ComplexFloating => self.is_complex(),
            C::Floating => self.is_floating(),
            C::Inexact => self.is_inexact(),
            C::SignedInteger => self.is_signed_integer(),
            C::UnsignedInteger => self.is_unsigned_integer(),
            C::Integer => self.is_integer(),
            C::Number => self != Bool,
            C::Generic => true,
        }
    }

    /// The dtype floating-point results of this dtype take (ints -> float32).
    pub const fn to_inexact(self) -> Dtype {
        if self.is_inexact() {
            self
        } else {
            Float32
        }
    }
}

impl DtypeCategory {
    /// MLX's name of the category (`floating`, `integer` ...).
    pub const fn name(self) -> &'static str {
        match self {
            DtypeCategory::ComplexFloating => "complexfloating",
            DtypeCategory::Floating => "floating",
            DtypeCategory::Inexact => "inexact",
            DtypeCategory::SignedInteger => "signedinteger",
            DtypeCategory::UnsignedInteger => "unsignedinteger",
            DtypeCategory::Integer => "integer",
            DtypeCategory::Number => "number",
            DtypeCategory::Generic => "generic",
        }
    }

    /// Whether category `self` is inside category `parent` (MLX's lattice).
    pub fn is_sub(self, parent: DtypeCategory) -> bool {
        use DtypeCategory as C;
        if self == parent || parent == C::Generic {
            return true;
        }
        match self {
            C::ComplexFloating | C::Floating => matches!(parent, C::Inexact | C::Number),
            C::SignedInteger | C::UnsignedInteger => matches!(parent, C::Integer | C::Number),
            C::Inexact | C::Integer => parent == C::Number,
            C::Number | C::Generic => false,
        }
    }
}

impl fmt::Display for Dtype {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The dtype of `a op b` for two arrays (MLX's `promote_types`).
pub fn promote_types(a: Dtype, b: Dtype) -> Dtype {
    PROMOTE[a as usize][b as usize]
}

/// Promotes a list of dtypes left to right (MLX's `result_type` over arrays).
pub fn result_type(dtypes: &[Dtype]) -> Dtype {
    dtypes
        .iter()
        .copied()
        .reduce(promote_types)
        .unwrap_or(Float32)
}

/// MLX's `can_cast` for a same-kind conversion without loss.
pub fn can_cast(from: Dtype, to: Dtype) -> bool {
    promote_types(from, to) == to
}

/// Limits of a floating dtype (MLX's `finfo`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Finfo {
    /// smallest finite value
    pub min: f64,
    /// largest finite value
    pub max: f64,
    /// machine epsilon
    pub eps: f64,
    /// smallest positive normal value
    pub smallest_normal: f64,
    /// bits per value of the described (real) dtype
    pub bits: usize,
    /// the dtype described
    pub dtype: Dtype,
}

/// Limits of an integer dtype (MLX's `iinfo`).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Iinfo {
    /// smallest value
    pub min: i128,
    /// largest value
    pub max: i128,
    /// the dtype described
    pub dtype: Dtype,
}

/// `finfo(dtype)`; `None` unless the dtype is inexact (complex64 describes float32).
pub fn finfo(dtype: Dtype) -> Option<Finfo> {
    // bfloat16 shares float32's exponent range, hence its smallest normal.
    let (max, eps, smallest_normal) = match dtype {
        Float16 => (65504.0, 0.0009765625, 6.103515625e-05),
        Bfloat16 => (3.3895313892515355e38, 0.0078125, f32::MIN_POSITIVE as f64),
        Float32 | Complex64 => (
            f32::MAX as f64,
            f32::EPSILON as f64,
            f32::MIN_POSITIVE as f64,
        ),
        Float64 => (f64::MAX, f64::EPSILON, f64::MIN_POSITIVE),
        _ => return None,
    };
    let dtype = if dtype == Complex64 { Float32 } else { dtype };
    Some(Finfo {
        min: -max,
        max,
        eps,
        smallest_normal,
        bits: dtype.size() * 8,
        dtype,
    })
}

/// `iinfo(dtype)`; `None` unless the dtype is an integer.
pub fn iinfo(dtype: Dtype) -> Option<Iinfo> {
    let (min, max): (i128, i128) = match dtype {
        Uint8 => (0, u8::MAX as i128),
        Uint16 => (0, u16::MAX as i128),
        Uint32 => (0, u32::MAX as i128),
        Uint64 => (0, u64::MAX as i128),
        Int8 => (i8::MIN as i128, i8::MAX as i128),
        Int16 => (i16::MIN as i128, i16::MAX as i128),
        Int32 => (i32::MIN as i128, i32::MAX as i128),
        Int64 => (i64::MIN as i128, i64::MAX as i128),
        _ => return None,
    };
    Some(Iinfo { min, max, dtype })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_is_symmetric() {
        for a in ALL_DTYPES {
            for b in ALL_DTYPES {
                assert_eq!(promote_types(a, b), promote_types(b, a), "{a} {b}");
            }
        }
    }

    #[test]
    fn categories() {
        assert!(Float16.is_sub(DtypeCategory::Inexact));
        assert!(!Bool.is_sub(DtypeCategory::Number));
        assert!(DtypeCategory::Floating.is_sub(DtypeCategory::Number));
        assert!(!DtypeCategory::Integer.is_sub(DtypeCategory::Floating));
        assert_eq!(iinfo(Int8).unwrap().min, -128);
        assert_eq!(finfo(Float16).unwrap().max, 65504.0);
        let c = finfo(Complex64).unwrap();
        assert_eq!((c.bits, c.smallest_normal), (32, f32::MIN_POSITIVE as f64));
        assert_eq!(finfo(Bfloat16).unwrap().bits, 16);
        assert_eq!(finfo(Float16).unwrap().smallest_normal, 2f64.powi(-14));
    }
}
