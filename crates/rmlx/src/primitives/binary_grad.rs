//! Transformation rules of the binary family (`Binary`, `DivMod`): vjp, jvp
//! and vmap, following MLX's rules (`mlx/primitives.cpp`), with the dtype
//! and complex conventions of `unary_grad.rs`.
//!
//! A `Binary` node's operands are not broadcast to each other (the kernel
//! broadcasts), so a cotangent, which has the output's shape, is summed back
//! to each operand's shape, and a tangent of one operand is broadcast to the
//! output's shape.

use super::binary::BinaryOp;
use super::unary_grad::{constant, Factor};
use crate::array::Array;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::ops;

/// Sums `g` (of a broadcast shape) down to `shape`: over its extra leading
/// axes and over the axes where `shape` has 1.
pub(crate) fn unbroadcast(g: &Array, shape: &[i64]) -> Result<Array> {
    if crate::ops::same_shape(g.shape(), shape) {
        return Ok(g.clone());
    }
    let lead = g.ndim() - shape.len();
    let axes: Vec<i64> = (0..g.ndim())
        .filter(|&i| i < lead || (shape[i - lead] == 1 && g.shape()[i] != 1))
        .map(|i| i as i64)
        .collect();
    let s = if axes.is_empty() {
        g.clone()
    } else {
        ops::sum(g, Some(&axes), true, None)?
    };
    ops::reshape(&s, shape, None)
}

/// Ops with zero derivative wherever it exists, or with bool/integer
/// results: zero cotangents and tangents, as MLX.
fn zero_derivative(op: BinaryOp) -> bool {
    use BinaryOp::*;
    op.is_predicate()
        || matches!(
            op,
            FloorDivide | BitwiseAnd | BitwiseOr | BitwiseXor | LeftShift | RightShift
        )
}

/// The output dtype of `op` on node operands of `dtype`.
fn output_dtype(op: BinaryOp, dtype: Dtype) -> Dtype {
    if op.is_predicate() {
        Dtype::Bool
    } else {
        dtype
    }
}

/// `d out / d operand[arg]` of `op` at `(a, b)`; `out` gives the output (the
/// recorded one in a vjp, a recomputation in a jvp).
fn partial(
    op: BinaryOp,
    arg: usize,
    a: &Array,
    b: &Array,
    out: &dyn Fn() -> Result<Array>,
) -> Result<Factor> {
    use BinaryOp::*;
    let dt = a.dtype();
    let c = |v: f64| constant(v, dt);
    Ok(match (op, arg) {
        (Add, _) | (Subtract, 0) | (Remainder, 0) => Factor::One,
        (Subtract, _) => Factor::Neg,
        (Multiply, 0) => Factor::Mul(b.clone()),
        (Multiply, _) => Factor::Mul(a.clone()),
        (Divide, 0) => Factor::Div(b.clone()),
        // d(a/b)/db = -a/b^2 = -out/b
        (Divide, _) => Factor::Mul(ops::negative(&ops::divide(&out()?, b, None)?, None)?),
        // a % b = a - b * floor(a / b)
        (Remainder, _) => Factor::Mul(ops::negative(
            &ops::floor(&ops::divide(a, b, None)?, None)?,
            None,
        )?),
        (Power, 0) => {
            let bm1 = ops::subtract(b, &c(1.0)?, None)?;
            Factor::Mul(ops::multiply(&ops::power(a, &bm1, None)?, b, None)?)
        }
        (Power, _) => {
            // d(a^b)/db = log(a) a^b, taken as 0 where a^b is 0 (MLX: 0 *
            // log 0 -> 0). MLX selects with `where`; adding 1 to a where
            // a^b is 0 (log(1) = 0) does the same with elementwise ops only.
            let o = out()?;
            let zero = ops::astype(&ops::equal(&o, &c(0.0)?, None)?, dt, None)?;
            let log_a = ops::log(&ops::add(a, &zero, None)?, None)?;
            Factor::Mul(ops::multiply(&log_a, &o, None)?)
        }
        // The maximum takes a's derivative where a > b, b's elsewhere (ties
        // go to b); the minimum likewise with a < b.
        (Maximum, 0) => Factor::Mul(ops::greater(a, b, None)?),
        (Maximum, _) => Factor::Mul(ops::less_equal(a, b, None)?),
        (Minimum, 0) => Factor::Mul(ops::less(a, b, None)?),
        (Minimum, _) => Factor::Mul(ops::greater_equal(a, b, None)?),
        (ArcTan2, _) => {
            let d = ops::add(&ops::square(a, None)?, &ops::square(b, None)?, None)?;
            if arg == 0 {
                Factor::Mul(ops::divide(b, &d, None)?)
            } else {
                Factor::Mul(ops::negative(&ops::divide(a, &d, None)?, None)?)
            }
        }
        // d/da log(e^a + e^b) = sigmoid(a - b) (MLX's form); complex inputs,
        // which sigmoid refuses, use the equal e^{a - out}.
        (LogAddExp, _) => {
            let (p, q) = if arg == 0 { (a, b) } else { (b, a) };
            if dt.is_complex() {
                Factor::Mul(ops::exp(&ops::subtract(p, &out()?, None)?, None)?)
            } else {
                Factor::Mul(ops::sigmoid(&ops::subtract(p, q, None)?, None)?)
            }
        }
        _ => unreachable!("{} has a zero derivative", op.name()),
    })
}

/// Reverse mode for `Binary(op)`.
pub(crate) fn vjp(
    op: BinaryOp,
    primals: &[Array],
    cotangents: &[Array],
    argnums: &[usize],
    outputs: &[Array],
) -> Result<Vec<Array>> {
    let (a, b, g) = (&primals[0], &primals[1], &cotangents[0]);
    if zero_derivative(op) {
        return argnums
            .iter()
            .map(|&i| ops::zeros_like(&primals[i], None, None))
            .collect();
    }
    let out = outputs[0].clone();
    argnums
        .iter()
        .map(|&i| {
            let full = partial(op, i, a, b, &|| Ok(out.clone()))?.apply(g, true)?;
            let r = unbroadcast(&full, primals[i].shape())?;
            ops::astype(&r, primals[i].dtype(), None)
        })
        .collect()
}

/// Forward mode for `Binary(op)`.
pub(crate) fn jvp(
    op: BinaryOp,
    primals: &[Array],
    tangents: &[Array],
    argnums: &[usize],
) -> Result<Vec<Array>> {
    let (a, b) = (&primals[0], &primals[1]);
    let shape = ops::broadcast_shapes(a.shape(), b.shape())?;
    let out_dt = output_dtype(op, a.dtype());
    if zero_derivative(op) {
        return Ok(vec![ops::zeros(&shape, out_dt, None)?]);
    }
    let out = || ops::binary_op(op, a, b, None);
    let mut acc: Option<Array> = None;
    for (&i, t) in argnums.iter().zip(tangents) {
        let term = partial(op, i, a, b, &out)?.apply(t, false)?;
        acc = Some(match acc {
            Some(s) => ops::add(&s, &term, None)?,
            None => term,
        });
    }
    let r = match acc {
        Some(r) => r,
        None => return Ok(vec![ops::zeros(&shape, out_dt, None)?]),
    };
    // A lone tangent of the smaller operand (a + b with only a's) keeps its
    // shape through `g * 1`: give it the output's.
    let r = if r.shape() != shape.as_slice() {
        ops::broadcast_to(&r, &shape, None)?
    } else {
        r
    };
    Ok(vec![ops::astype(&r, out_dt, None)?])
}

/// Lines up the operands of an elementwise op for batching: every batched
/// operand gets its batch axis at one common position and all get the
/// same rank (size-1 axes where an operand is unbatched or of lower rank),
/// so that broadcasting pairs the right axes. Returns the operands and the
/// batch axis (`None` when no operand is batched). The position is that of
/// the first batched operand once ranks are equal, which avoids a transpose
/// when only one operand is batched (MLX's `vmap_binary_op`).
pub(crate) fn align_batched(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Option<usize>)> {
    let Some(first) = inputs.iter().zip(axes).position(|(_, a)| a.is_some()) else {
        return Ok((inputs.to_vec(), None));
    };
    // The rank of the unbatched op.
    let nd = inputs
        .iter()
        .zip(axes)
        .map(|(x, a)| x.ndim() - usize::from(a.is_some()))
        .max()
        .unwrap_or(0);
    let to = axes[first].expect("batched") + nd + 1 - inputs[first].ndim();
    inputs
        .iter()
        .zip(axes)
        .map(|(x, ax)| match ax {
            Some(ax) => {
                let pad = nd + 1 - x.ndim();
                let mut shape = vec![1i64; pad];
                shape.extend_from_slice(x.shape());
                let x = ops::reshape(x, &shape, None)?;
                if ax + pad != to {
                    ops::moveaxis(&x, (ax + pad) as i64, to as i64, None)
                } else {
                    Ok(x)
                }
            }
            None => {
                // Already lined up when the batch axis falls among the
                // leading axes that broadcasting adds.
                let pad = nd - x.ndim();
                if to <= pad {
                    return Ok(x.clone());
                }
                let mut shape = vec![1i64; pad];
                shape.extend_from_slice(x.shape());
                shape.insert(to, 1);
                ops::reshape(x, &shape, None)
            }
        })
        .collect::<Result<Vec<_>>>()
        .map(|v| (v, Some(to)))
}

/// Batching for `Binary(op)`.
pub(crate) fn vmap(
    op: BinaryOp,
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let (x, ax) = align_batched(inputs, axes)?;
    Ok((vec![ops::binary_op(op, &x[0], &x[1], None)?], vec![ax]))
}

/// `divmod` has integer-valued (floor) quotient and a remainder whose MLX
/// rule is zero too: zero cotangents.
pub(crate) fn divmod_vjp(primals: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
    argnums
        .iter()
        .map(|&i| ops::zeros_like(&primals[i], None, None))
        .collect()
}

/// Zero tangents for both outputs of `divmod`.
pub(crate) fn divmod_jvp(primals: &[Array]) -> Result<Vec<Array>> {
    let shape = ops::broadcast_shapes(primals[0].shape(), primals[1].shape())?;
    let z = ops::zeros(&shape, primals[0].dtype(), None)?;
    Ok(vec![z.clone(), z])
}

/// Batching for `divmod`.
pub(crate) fn divmod_vmap(
    inputs: &[Array],
    axes: &[Option<usize>],
) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
    let (x, ax) = align_batched(inputs, axes)?;
    let (q, r) = ops::divmod(&x[0], &x[1], None)?;
    Ok((vec![q, r], vec![ax, ax]))
}
