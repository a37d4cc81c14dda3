//! Public ops of the unary family: `abs` ... `sigmoid`, `round`, the
//! predicates (`isnan`, ...), `conjugate`/`real`/`imag`, `degrees`/`radians`
//! and `stop_gradient`, with MLX's result dtypes (integers and bool go to
//! float32 for the float functions; predicates give bool; `abs`, `real` and
//! `imag` of complex64 give float32). Also `-&a` and `!&a` on [`Array`].

use std::sync::Arc;

use super::{astype, full_scalar, multiply};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::primitives::unary::{StopGradient, Unary, UnaryOp};

/// Builds a unary op node: validates the dtype, converts integer inputs of
/// the float functions to float32, and skips the node where the op is the
/// identity for the dtype (`floor` of an integer, `conjugate` of a real ...).
pub fn unary_op(op: UnaryOp, a: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, op.name())?;
    let dt = a.dtype();
    use UnaryOp::*;
    if dt == Dtype::Complex64 && op.rejects_complex() {
        return Err(Error::value(format!(
            "[{}] Not supported for complex64.",
            op.name()
        )));
    }
    match op {
        Negative if dt == Dtype::Bool => {
            return Err(Error::value(
                "[negative] Not supported for bool, use logical_not instead.",
            ));
        }
        BitwiseInvert if dt.is_inexact() => {
            return Err(Error::value(
                "[bitwise_invert] Bitwise inverse only allowed on integer types.",
            ));
        }
        Floor | Ceil | Round(0) if !dt.is_inexact() => return Ok(a.clone()),
        Conjugate | Real if !dt.is_complex() => return Ok(a.clone()),
        Abs if dt == Dtype::Bool || dt.is_unsigned_integer() => return Ok(a.clone()),
        Sign | Square if dt == Dtype::Bool => return Ok(a.clone()),
        IsNan | IsInf | IsPosInf | IsNegInf | IsFinite if !dt.is_inexact() => {
            return full_scalar(
                a.shape(),
                Scalar::Bool(op == IsFinite),
                Dtype::Bool,
                Some(s),
            );
        }
        Imag if !dt.is_complex() => return full_scalar(a.shape(), Scalar::Int(0), dt, Some(s)),
        _ => {}
    }
    let input = if op.is_float_fn() {
        astype(a, dt.to_inexact(), Some(s))?
    } else {
        a.clone()
    };
    let out_dt = if op.is_predicate() {
        Dtype::Bool
    } else if matches!(op, Abs | Real | Imag) && dt.is_complex() {
        Dtype::Float32
    } else {
        input.dtype()
    };
    Ok(Array::from_op(
        a.shape().to_vec(),
        out_dt,
        s,
        Arc::new(Unary(op)),
        vec![input],
    ))
}

macro_rules! unary_fns {
    ($($(#[$doc:meta])* $name:ident => $op:ident),* $(,)?) => {$(
        $(#[$doc])*
        pub fn $name(a: &Array, s: Option<Stream>) -> Result<Array> {
            unary_op(UnaryOp::$op, a, s)
        }
    )*};
}

unary_fns! {
    /// Elementwise absolute value (complex64 gives its float32 modulus).
    abs => Abs,
    /// Elementwise negation (not for bool: use `logical_not`).
    negative => Negative,
    /// Elementwise sign: -1, 0 or 1 (NaN gives 0, as MLX); complex: `x / |x|`.
    sign => Sign,
    /// Elementwise square root.
    sqrt => Sqrt,
    /// Elementwise reciprocal square root.
    rsqrt => Rsqrt,
    /// Elementwise square.
    square => Square,
    /// Elementwise `1 / x`.
    reciprocal => Reciprocal,
    /// Elementwise exponential.
    exp => Exp,
    /// Elementwise `exp(x) - 1`, accurate near 0.
    expm1 => Expm1,
    /// Elementwise natural logarithm.
    log => Log,
    /// Elementwise `log(1 + x)`, accurate near 0.
    log1p => Log1p,
    /// Elementwise base-2 logarithm.
    log2 => Log2,
    /// Elementwise base-10 logarithm.
    log10 => Log10,
    /// Elementwise sine.
    sin => Sin,
    /// Elementwise cosine.
    cos => Cos,
    /// Elementwise tangent.
    tan => Tan,
    /// Elementwise inverse sine.
    arcsin => ArcSin,
    /// Elementwise inverse cosine.
    arccos => ArcCos,
    /// Elementwise inverse tangent.
    arctan => ArcTan,
    /// Elementwise hyperbolic sine.
    sinh => Sinh,
    /// Elementwise hyperbolic cosine.
    cosh => Cosh,
    /// Elementwise hyperbolic tangent.
    tanh => Tanh,
    /// Elementwise inverse hyperbolic sine.
    arcsinh => ArcSinh,
    /// Elementwise inverse hyperbolic cosine.
    arccosh => ArcCosh,
    /// Elementwise inverse hyperbolic tangent.
    arctanh => ArcTanh,
    /// Elementwise floor (integers unchanged; not for complex64).
    floor => Floor,
    /// Elementwise ceiling (integers unchanged; not for complex64).
    ceil => Ceil,
    /// Elementwise logical not (`x == 0`), as bool.
    logical_not => LogicalNot,
    /// Elementwise bitwise complement (integers and bool only).
    bitwise_invert => BitwiseInvert,
    /// Elementwise test for NaN.
    isnan => IsNan,
    /// Elementwise test for positive or negative infinity.
    isinf => IsInf,
    /// Elementwise test for positive infinity.
    isposinf => IsPosInf,
    /// Elementwise test for negative infinity.
    isneginf => IsNegInf,
    /// Elementwise test for finite values (not NaN, not infinite).
    isfinite => IsFinite,
    /// Elementwise error function.
    erf => Erf,
    /// Elementwise inverse error function.
    erfinv => ErfInv,
    /// Elementwise logistic sigmoid `1 / (1 + exp(-x))`.
    sigmoid => Sigmoid,
    /// Elementwise complex conjugate (real inputs unchanged).
    conjugate => Conjugate,
    /// Real part (real inputs unchanged; complex64 gives float32).
    real => Real,
    /// Imaginary part (zeros for real inputs; complex64 gives float32).
    imag => Imag,
}

/// Alias of [`conjugate`].
pub fn conj(a: &Array, s: Option<Stream>) -> Result<Array> {
    conjugate(a, s)
}

/// Rounds to `decimals` decimal digits, half to even (MLX `round`);
/// negative `decimals` round to tens, hundreds, ... Integer inputs stay
/// integers.
pub fn round(a: &Array, decimals: i32, s: Option<Stream>) -> Result<Array> {
    unary_op(UnaryOp::Round(decimals), a, s)
}

fn scale(op: &str, a: &Array, factor: f64, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, op)?;
    let dt = a.dtype().to_inexact();
    let a = astype(a, dt, Some(s))?;
    let k = Array::from_scalar(Scalar::Float(factor), dt)?;
    multiply(&a, &k, Some(s))
}

/// Converts angles from radians to degrees (integers give float32).
pub fn degrees(a: &Array, s: Option<Stream>) -> Result<Array> {
    scale("degrees", a, 180.0 / std::f64::consts::PI, s)
}

/// Converts angles from degrees to radians (integers give float32).
pub fn radians(a: &Array, s: Option<Stream>) -> Result<Array> {
    scale("radians", a, std::f64::consts::PI / 180.0, s)
}

/// The identity, as a node that blocks gradients.
pub fn stop_gradient(a: &Array, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "stop_gradient")?;
    Ok(Array::from_op(
        a.shape().to_vec(),
        a.dtype(),
        s,
        Arc::new(StopGradient),
        vec![a.clone()],
    ))
}

/// `~a` as MLX's Python operator: logical not for bool, bitwise complement
/// for integers, an error for inexact types.
pub fn invert(a: &Array, s: Option<Stream>) -> Result<Array> {
    if a.dtype().is_inexact() {
        return Err(Error::value(
            "Floating point types not allowed with bitwise inversion.",
        ));
    }
    if a.dtype() == Dtype::Bool {
        return logical_not(a, s);
    }
    bitwise_invert(a, s)
}

impl std::ops::Neg for &Array {
    type Output = Array;
    /// [`negative`]; panics with its error message for bool arrays.
    fn neg(self) -> Array {
        negative(self, None).unwrap_or_else(|e| panic!("{}", e.message))
    }
}

impl std::ops::Neg for Array {
    type Output = Array;
    /// [`negative`]; panics with its error message for bool arrays.
    fn neg(self) -> Array {
        -&self
    }
}

impl std::ops::Not for &Array {
    type Output = Array;
    /// [`invert`]; panics with its error message for inexact arrays.
    fn not(self) -> Array {
        invert(self, None).unwrap_or_else(|e| panic!("{}", e.message))
    }
}

impl std::ops::Not for Array {
    type Output = Array;
    /// [`invert`]; panics with its error message for inexact arrays.
    fn not(self) -> Array {
        !&self
    }
}

/// Rounds toward zero (integers unchanged), as MLX `trunc`.
pub fn trunc(a: &Array, s: Option<Stream>) -> Result<Array> {
    if !a.dtype().is_inexact() {
        return Ok(a.clone());
    }
    if a.dtype() == Dtype::Complex64 {
        return Err(Error::value("[trunc] Not supported for complex64."));
    }
    let zero = Array::from_scalar(Scalar::Float(0.0), a.dtype())?;
    let neg = super::less(a, &zero, s)?;
    super::where_(&neg, &ceil(a, s)?, &floor(a, s)?, s)
}

/// The identity (MLX `positive`, Python's unary `+`).
pub fn positive(a: &Array, s: Option<Stream>) -> Result<Array> {
    resolve_stream(s, "positive")?;
    Ok(a.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    #[test]
    fn result_dtypes_follow_mlx() {
        let i = Array::from_slice(&[1i32, -2, 3], &[3]).unwrap();
        assert_eq!(exp(&i, None).unwrap().dtype(), Dtype::Float32);
        assert_eq!(abs(&i, None).unwrap().dtype(), Dtype::Int32);
        assert_eq!(isnan(&i, None).unwrap().dtype(), Dtype::Bool);
        assert_eq!(floor(&i, None).unwrap().dtype(), Dtype::Int32);
        let c = Array::from_slice(&[num_complex::Complex32::new(3.0, 4.0)], &[1]).unwrap();
        assert_eq!(abs(&c, None).unwrap().to_vec::<f32>().unwrap(), vec![5.0]);
        assert_eq!(imag(&c, None).unwrap().to_vec::<f32>().unwrap(), vec![4.0]);
    }

    #[test]
    fn values_and_layouts() {
        let x = Array::from_slice(&[0.5f64, 1.5, 2.5, -0.5, 4.0, 9.0], &[2, 3]).unwrap();
        assert_eq!(
            round(&x, 0, None).unwrap().to_vec::<f64>().unwrap(),
            vec![0.0, 2.0, 2.0, -0.0, 4.0, 9.0]
        );
        let t = crate::ops::transpose(&x, None, None).unwrap();
        let e = exp(&t, None).unwrap().to_vec::<f64>().unwrap();
        let want: Vec<f64> = [0.5f64, -0.5, 1.5, 4.0, 2.5, 9.0]
            .iter()
            .map(|v| v.exp())
            .collect();
        assert_eq!(e, want);
        assert_eq!((-&x).to_vec::<f64>().unwrap()[1], -1.5);
        let b = Array::from_slice(&[true, false], &[2]).unwrap();
        assert_eq!((!&b).to_vec::<bool>().unwrap(), vec![false, true]);
    }

    #[test]
    fn errors_have_mlx_kinds() {
        let b = Array::from_slice(&[true], &[1]).unwrap();
        assert_eq!(negative(&b, None).unwrap_err().kind, ErrorKind::Value);
        let f = Array::from_slice(&[1.0f32], &[1]).unwrap();
        assert_eq!(bitwise_invert(&f, None).unwrap_err().kind, ErrorKind::Value);
        let c = Array::from_slice(&[num_complex::Complex32::new(1.0, 1.0)], &[1]).unwrap();
        assert!(erf(&c, None).unwrap_err().message.starts_with("[erf]"));
    }
}
