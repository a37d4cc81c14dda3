//! Transformation rules of the unary family (`Unary`, `StopGradient`):
//! vjp, jvp and vmap, following MLX's rules (`mlx/primitives.cpp`). The
//! rules are built from the public lazy ops, so they are themselves
//! differentiable and batchable.
//!
//! Conventions shared with `binary_grad.rs`:
//! - The ops whose derivative is zero wherever it exists, or that have
//!   bool results (`sign`, `floor`, the predicates, `bitwise_invert` ...),
//!   give zero cotangents (zeros of the input) and zero tangents (zeros of
//!   the output).
//! - Integer operands differentiate as MLX's do: the same formulas in the
//!   integer dtype (`grad` of `(v * v).sum()` at an int32 `v` is `2 v`),
//!   with each cotangent cast to its input's dtype.
//! - Complex inputs follow MLX 0.32's convention (PyTorch's): for a real
//!   loss `L` the cotangent of `z = x + iy` is `dL/dx + i dL/dy`, so a
//!   holomorphic `f` has `vjp(c) = c * conj(f'(z))` while `jvp(t) = t *
//!   f'(z)`. `conj` is the identity on real dtypes and records no node.

use super::unary::UnaryOp;
use crate::array::Array;
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::Result;
use crate::ops;

/// A 0-d constant of `dtype` (rules build constants in the operand's dtype
/// so that they do not promote a float16 cotangent to float32).
pub(crate) fn constant(v: f64, dtype: Dtype) -> Result<Array> {
    Array::from_scalar(Scalar::Float(v), dtype)
}

/// `conj(x)`; no node for real dtypes.
pub(crate) fn cj(x: &Array) -> Result<Array> {
    ops::conjugate(x, None)
}

/// A partial derivative, kept in the form that applies it with one op
/// (`g * d` or `g / d`), as MLX writes its rules.
pub(crate) enum Factor {
    /// d = 1
    One,
    /// d = -1
    Neg,
    /// d given
    Mul(Array),
    /// d = 1 / the array
    Div(Array),
}

impl Factor {
    /// `g * d` (jvp) or `g * conj(d)` (vjp, `conj = true`).
    pub(crate) fn apply(&self, g: &Array, conj: bool) -> Result<Array> {
        let c = |d: &Array| if conj { cj(d) } else { Ok(d.clone()) };
        match self {
            Factor::One => Ok(g.clone()),
            Factor::Neg => ops::negative(g, None),
            Factor::Mul(d) => ops::multiply(g, &c(d)?, None),
            Factor::Div(d) => ops::divide(g, &c(d)?, None),
        }
    }
}

/// Ops whose derivative is zero wherever it exists (or that are not
/// differentiable at all): MLX gives them zero cotangents and tangents.
fn zero_derivative(op: UnaryOp) -> bool {
    use UnaryOp::*;
    op.is_predicate() || matches!(op, Sign | Floor | Ceil | Round(_) | BitwiseInvert)
}

/// The output dtype of `op` applied to a node input of `dtype` (the rule of
/// `ops::unary_op` for inputs that reach a `Unary` node).
fn output_dtype(op: UnaryOp, dtype: Dtype) -> Dtype {
    use UnaryOp::*;
    if op.is_predicate() {
        Dtype::Bool
    } else if matches!(op, Abs | Real | Imag) && dtype.is_complex() {
        Dtype::Float32
    } else {
        dtype
    }
}

/// `f'(x)` for the elementwise functions whose derivative is a function of
/// `x` (and of the output, which `out` gives: the recorded output in a vjp,
/// a recomputation in a jvp).
fn derivative(op: UnaryOp, x: &Array, out: &dyn Fn() -> Result<Array>) -> Result<Factor> {
    use UnaryOp::*;
    let dt = x.dtype();
    let c = |v: f64| constant(v, dt);
    let sq = |a: &Array| ops::square(a, None);
    // 1 - x^2 and 1 + x^2, shared by the inverse trigonometric functions.
    let one_minus_sq = || ops::subtract(&c(1.0)?, &sq(x)?, None);
    let one_plus_sq = || ops::add(&c(1.0)?, &sq(x)?, None);
    Ok(match op {
        Negative => Factor::Neg,
        Sqrt => Factor::Div(ops::multiply(&c(2.0)?, &out()?, None)?),
        // d/dx x^-1/2 = -1/2 x^-3/2 = -1/2 * rsqrt(x) / x
        Rsqrt => Factor::Mul(ops::multiply(
            &c(-0.5)?,
            &ops::divide(&out()?, x, None)?,
            None,
        )?),
        Square => Factor::Mul(ops::multiply(&c(2.0)?, x, None)?),
        Reciprocal => Factor::Mul(ops::negative(&sq(&out()?)?, None)?),
        Exp => Factor::Mul(out()?),
        Expm1 => Factor::Mul(ops::add(&out()?, &c(1.0)?, None)?),
        Log => Factor::Div(x.clone()),
        Log2 => Factor::Div(ops::multiply(x, &c(std::f64::consts::LN_2)?, None)?),
        Log10 => Factor::Div(ops::multiply(x, &c(std::f64::consts::LN_10)?, None)?),
        Log1p => Factor::Div(ops::add(&c(1.0)?, x, None)?),
        Sin => Factor::Mul(ops::cos(x, None)?),
        Cos => Factor::Mul(ops::negative(&ops::sin(x, None)?, None)?),
        Tan => Factor::Div(sq(&ops::cos(x, None)?)?),
        ArcSin => Factor::Mul(ops::rsqrt(&one_minus_sq()?, None)?),
        ArcCos => Factor::Mul(ops::negative(&ops::rsqrt(&one_minus_sq()?, None)?, None)?),
        ArcTan => Factor::Div(one_plus_sq()?),
        Sinh => Factor::Mul(ops::cosh(x, None)?),
        Cosh => Factor::Mul(ops::sinh(x, None)?),
        Tanh => Factor::Div(sq(&ops::cosh(x, None)?)?),
        ArcSinh => Factor::Mul(ops::rsqrt(&one_plus_sq()?, None)?),
        ArcCosh => Factor::Mul(ops::rsqrt(&ops::subtract(&sq(x)?, &c(1.0)?, None)?, None)?),
        ArcTanh => Factor::Div(one_minus_sq()?),
        // d/dx erf(x) = 2/sqrt(pi) e^{-x^2}
        Erf => Factor::Mul(ops::multiply(
            &c(std::f64::consts::FRAC_2_SQRT_PI)?,
            &ops::exp(&ops::negative(&sq(x)?, None)?, None)?,
            None,
        )?),
        // d/dx erfinv(x) = sqrt(pi)/2 e^{erfinv(x)^2}
        ErfInv => Factor::Mul(ops::multiply(
            &c(1.0 / std::f64::consts::FRAC_2_SQRT_PI)?,
            &ops::exp(&sq(&out()?)?, None)?,
            None,
        )?),
        Sigmoid => {
            let s = out()?;
            Factor::Mul(ops::multiply(
                &s,
                &ops::subtract(&c(1.0)?, &s, None)?,
                None,
            )?)
        }
        // Handled by the callers (zero, linear or non-holomorphic).
        Abs | Sign | Floor | Ceil | Round(_) | LogicalNot | BitwiseInvert | IsNan | IsInf
        | IsPosInf | IsNegInf | IsFinite | Conjugate | Real | Imag => {
            unreachable!("no pointwise derivative rule for {}", op.name())
        }
    })
}

/// Reverse mode for `Unary(op)`.
pub(crate) fn vjp(
    op: UnaryOp,
    primals: &[Array],
    cotangents: &[Array],
    outputs: &[Array],
) -> Result<Vec<Array>> {
    use UnaryOp::*;
    let (x, g) = (&primals[0], &cotangents[0]);
    if zero_derivative(op) {
        return Ok(vec![ops::zeros_like(x, None, None)?]);
    }
    let r = match op {
        // Real-valued |z|: dL/dx + i dL/dy = g * z / |z| (g * sign(x) for
        // reals, 0 at 0 as MLX).
        Abs => ops::multiply(g, &ops::sign(x, None)?, None)?,
        Conjugate => cj(g)?,
        Real => ops::astype(g, x.dtype(), None)?,
        // imag(z) = y: the cotangent is i * g.
        Imag => ops::multiply(
            g,
            &Array::from_scalar(
                Scalar::Complex(num_complex::Complex32::new(0.0, 1.0)),
                x.dtype(),
            )?,
            None,
        )?,
        _ => {
            let out = outputs[0].clone();
            derivative(op, x, &move || Ok(out.clone()))?.apply(g, true)?
        }
    };
    Ok(vec![r])
}

/// Forward mode for `Unary(op)`.
pub(crate) fn jvp(op: UnaryOp, primals: &[Array], tangents: &[Array]) -> Result<Vec<Array>> {
    use UnaryOp::*;
    let (x, t) = (&primals[0], &tangents[0]);
    let out_dt = output_dtype(op, x.dtype());
    if zero_derivative(op) {
        return Ok(vec![ops::zeros(x.shape(), out_dt, None)?]);
    }
    let r = match op {
        // d|z| = Re(conj(z) dz) / |z|
        Abs if x.dtype().is_complex() => {
            let d = ops::multiply(t, &cj(&ops::sign(x, None)?)?, None)?;
            ops::real(&d, None)?
        }
        Abs => ops::multiply(t, &ops::sign(x, None)?, None)?,
        Conjugate => cj(t)?,
        Real => ops::real(t, None)?,
        Imag => ops::imag(t, None)?,
        _ => derivative(op, x, &|| ops::unary_op(op, x, None))?.apply(t, false)?,
    };
    Ok(vec![r])
}

/// Batching for `Unary(op)`: elementwise, so the batch axis stays put.
pub(crate) fn vmap(
    op: UnaryOp,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    Ok((vec![ops::unary_op(op, &inputs[0], None)?], vec![axes[0]]))
}

/// `stop_gradient` blocks derivatives: zero cotangent.
pub(crate) fn stop_gradient_vjp(primals: &[Array]) -> Result<Vec<Array>> {
    Ok(vec![ops::zeros_like(&primals[0], None, None)?])
}

/// `stop_gradient` blocks derivatives: zero tangent.
pub(crate) fn stop_gradient_jvp(primals: &[Array]) -> Result<Vec<Array>> {
    Ok(vec![ops::zeros_like(&primals[0], None, None)?])
}

/// `stop_gradient` batches as itself.
pub(crate) fn stop_gradient_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    Ok((vec![ops::stop_gradient(&inputs[0], None)?], vec![axes[0]]))
}
