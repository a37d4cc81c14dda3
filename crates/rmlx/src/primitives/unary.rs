//! The unary op family: elementwise functions of one operand (`abs`, `exp`,
//! `sin`, `isnan`, `round`, ...) and `stop_gradient`. Shape rule: the output
//! has the input's shape. Kernels: `backend/cpu/unary.rs`.

use std::any::Any;

use super::{unary_grad, Primitive};
use crate::array::{shape_size, Array, Data};
use crate::backend::cpu::copy::copy_to_contiguous;
use crate::error::Result;
use crate::eval::EvalCtx;

/// Which unary op. The op node's input already has the dtype the op computes
/// in (`ops::unary` casts integers to float32 for the float functions); the
/// output dtype is the input's except for the predicates (bool) and for
/// `abs`/`real`/`imag` of complex64 (float32).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// |x| (complex: the modulus)
    Abs,
    /// -x
    Negative,
    /// -1, 0 or 1 (complex: x / |x|)
    Sign,
    /// square root
    Sqrt,
    /// 1 / sqrt(x)
    Rsqrt,
    /// x * x
    Square,
    /// 1 / x
    Reciprocal,
    /// e^x
    Exp,
    /// e^x - 1
    Expm1,
    /// natural logarithm
    Log,
    /// log(1 + x)
    Log1p,
    /// base-2 logarithm
    Log2,
    /// base-10 logarithm
    Log10,
    /// sine
    Sin,
    /// cosine
    Cos,
    /// tangent
    Tan,
    /// inverse sine
    ArcSin,
    /// inverse cosine
    ArcCos,
    /// inverse tangent
    ArcTan,
    /// hyperbolic sine
    Sinh,
    /// hyperbolic cosine
    Cosh,
    /// hyperbolic tangent
    Tanh,
    /// inverse hyperbolic sine
    ArcSinh,
    /// inverse hyperbolic cosine
    ArcCosh,
    /// inverse hyperbolic tangent
    ArcTanh,
    /// round towards -inf
    Floor,
    /// round towards +inf
    Ceil,
    /// round half to even at `decimals` decimal digits (negative: tens,
    /// hundreds, ...), as MLX: `round(x * 10^d) * (1 / 10^d)`
    Round(i32),
    /// x == 0 (bool result)
    LogicalNot,
    /// ~x (integers and bool)
    BitwiseInvert,
    /// x is NaN (bool result)
    IsNan,
    /// x is +inf or -inf (bool result)
    IsInf,
    /// x is +inf (bool result)
    IsPosInf,
    /// x is -inf (bool result)
    IsNegInf,
    /// x is neither NaN nor infinite (bool result)
    IsFinite,
    /// error function
    Erf,
    /// inverse error function
    ErfInv,
    /// 1 / (1 + e^-x)
    Sigmoid,
    /// complex conjugate
    Conjugate,
    /// real part
    Real,
    /// imaginary part (zero for real inputs)
    Imag,
}

impl UnaryOp {
    /// MLX's op name.
    pub fn name(self) -> &'static str {
        use UnaryOp::*;
        match self {
            Abs => "abs",
            Negative => "negative",
            Sign => "sign",
            Sqrt => "sqrt",
            Rsqrt => "rsqrt",
            Square => "square",
            Reciprocal => "reciprocal",
            Exp => "exp",
            Expm1 => "expm1",
            Log => "log",
            Log1p => "log1p",
            Log2 => "log2",
            Log10 => "log10",
            Sin => "sin",
            Cos => "cos",
            Tan => "tan",
            ArcSin => "arcsin",
            ArcCos => "arccos",
            ArcTan => "arctan",
            Sinh => "sinh",
            Cosh => "cosh",
            Tanh => "tanh",
            ArcSinh => "arcsinh",
            ArcCosh => "arccosh",
            ArcTanh => "arctanh",
            Floor => "floor",
            Ceil => "ceil",
            Round(_) => "round",
            LogicalNot => "logical_not",
            BitwiseInvert => "bitwise_invert",
            IsNan => "isnan",
            IsInf => "isinf",
            IsPosInf => "isposinf",
            IsNegInf => "isneginf",
            IsFinite => "isfinite",
            Erf => "erf",
            ErfInv => "erfinv",
            Sigmoid => "sigmoid",
            Conjugate => "conjugate",
            Real => "real",
            Imag => "imag",
        }
    }

    /// Whether the result is bool whatever the input.
    pub fn is_predicate(self) -> bool {
        use UnaryOp::*;
        matches!(
            self,
            LogicalNot | IsNan | IsInf | IsPosInf | IsNegInf | IsFinite
        )
    }

    /// Whether integer and bool inputs are first converted to float32 (the
    /// transcendental functions, `sqrt`, `reciprocal`, `sigmoid`, ...).
    pub fn is_float_fn(self) -> bool {
        use UnaryOp::*;
        matches!(
            self,
            Sqrt | Rsqrt
                | Reciprocal
                | Exp
                | Expm1
                | Log
                | Log1p
                | Log2
                | Log10
                | Sin
                | Cos
                | Tan
                | ArcSin
                | ArcCos
                | ArcTan
                | Sinh
                | Cosh
                | Tanh
                | ArcSinh
                | ArcCosh
                | ArcTanh
                | Erf
                | ErfInv
                | Sigmoid
        )
    }

    /// Whether complex64 inputs are refused (MLX: "Not supported for complex64").
    pub fn rejects_complex(self) -> bool {
        use UnaryOp::*;
        matches!(self, Expm1 | Floor | Ceil | Erf | ErfInv | Sigmoid)
    }
}

/// A unary op applied elementwise.
#[derive(Debug, Clone, Copy)]
pub struct Unary(pub UnaryOp);

impl Primitive for Unary {
    fn name(&self) -> &'static str {
        self.0.name()
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let (shape, out_dt) = (ctx.outputs[0].shape, ctx.outputs[0].dtype);
        let d = a.data();
        let kernel = |src: &Data, out: &Data, shape: &[i64]| {
            crate::backend::cpu::unary::unary(self.0, a.dtype(), src, out, shape)
        };
        if d.is_row_contiguous(shape) || shape_size(shape) <= 1 {
            let out = ctx.donate_or_alloc(&[0], 0)?;
            kernel(d, &out, shape)?;
            return Ok(vec![out]);
        }
        if let Some(size) = dense_block(d, shape) {
            // A permuted or broadcast view of a dense block (a transpose,
            // `broadcast_to`): compute over the block once and give the
            // output the input's layout, as MLX does.
            let block = Data {
                buf: d.buf.clone(),
                offset: d.offset,
                strides: Box::new([1]),
            };
            let out = Data::alloc(&[size as i64], out_dt)?;
            kernel(&block, &out, &[size as i64])?;
            return Ok(vec![Data {
                buf: out.buf,
                offset: 0,
                strides: d.strides.clone(),
            }]);
        }
        let out = ctx.alloc(0)?;
        if gather_is_slow(d, shape) {
            // Cache-hostile gathers (a transposed slice ...): one tiled
            // copy to a dense temporary first.
            let tmp = Data::alloc(shape, a.dtype())?;
            copy_to_contiguous(d, shape, a.itemsize(), tmp.byte_ptr(a.dtype()));
            kernel(&tmp, &out, shape)?;
        } else {
            kernel(d, &out, shape)?;
        }
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        _argnums: &[usize],
        outputs: &[Array],
    ) -> Result<Vec<Array>> {
        unary_grad::vjp(self.0, primals, cotangents, outputs)
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _argnums: &[usize]) -> Result<Vec<Array>> {
        unary_grad::jvp(self.0, primals, tangents)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        unary_grad::vmap(self.0, inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<Unary>()
            .is_some_and(|o| o.0 == self.0)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The number of elements of the dense block that the view `d` of `shape`
/// covers, when it is a permutation and/or broadcast of one (every
/// non-broadcast stride positive, and sorted they are the row-major strides
/// of their extents); `None` otherwise.
pub fn dense_block(d: &Data, shape: &[i64]) -> Option<usize> {
    let mut axes: Vec<(i64, i64)> = shape
        .iter()
        .zip(d.strides.iter())
        .filter(|&(&n, &s)| n > 1 && s != 0)
        .map(|(&n, &s)| (s, n))
        .collect();
    if axes.iter().any(|&(s, _)| s < 0) {
        return None;
    }
    axes.sort_unstable();
    let mut expect = 1i64;
    for (s, n) in axes {
        if s != expect {
            return None;
        }
        expect *= n;
    }
    Some(expect as usize)
}

/// Whether gathering the view row by row would stride through memory
/// (innermost stride far from 1 while some other axis is the dense one).
fn gather_is_slow(d: &Data, shape: &[i64]) -> bool {
    let inner = shape
        .iter()
        .zip(d.strides.iter())
        .rev()
        .find(|&(&n, _)| n > 1)
        .map(|(_, &s)| s.unsigned_abs());
    matches!(inner, Some(s) if s > 8) && shape_size(shape) >= 4096
}

/// The identity that blocks gradients (`stop_gradient`): its output shares
/// the input's data.
#[derive(Debug, Clone, Copy)]
pub struct StopGradient;

impl Primitive for StopGradient {
    fn name(&self) -> &'static str {
        "stop_gradient"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        Ok(vec![ctx.inputs[0].data().clone()])
    }

    fn vjp(&self, primals: &[Array], _: &[Array], _: &[usize], _: &[Array]) -> Result<Vec<Array>> {
        unary_grad::stop_gradient_vjp(primals)
    }

    fn jvp(&self, primals: &[Array], _: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        unary_grad::stop_gradient_jvp(primals)
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        unary_grad::stop_gradient_vmap(inputs, axes)
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().is::<StopGradient>()
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
