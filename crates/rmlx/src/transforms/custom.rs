//! User-defined transformation rules (`custom_function`) and `checkpoint`.
//! Both record one `Custom` node over the function's inputs whose outputs are
//! the function's results; a transformation asks the node for its rule, which
//! is the user's rule when given and otherwise the transformation of the
//! function itself, recomputed from the inputs (for `checkpoint`, that
//! recomputation is the point: the backward pass does not keep the
//! function's intermediates).

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use super::{jvp, vjp, vmap};
use crate::array::{Array, Data};
use crate::error::{Error, Result};
use crate::eval::EvalCtx;
use crate::ops;
use crate::primitives::Primitive;

/// A function of arrays that a `Custom` node can re-run.
pub type CustomVjpFn = Arc<dyn Fn(&[Array]) -> Result<Vec<Array>> + Send + Sync>;

/// A user's vjp rule: (primals, cotangents, outputs) -> input cotangents.
pub type VjpRule = Arc<dyn Fn(&[Array], &[Array], &[Array]) -> Result<Vec<Array>> + Send + Sync>;
/// A user's jvp rule: (primals, tangents) -> output tangents.
pub type JvpRule = Arc<dyn Fn(&[Array], &[Array]) -> Result<Vec<Array>> + Send + Sync>;
/// A user's vmap rule: (inputs, axes) -> (outputs, output axes).
pub type VmapRule = Arc<
    dyn Fn(&[Array], &[Option<usize>]) -> Result<(Vec<Array>, Vec<Option<usize>>)> + Send + Sync,
>;

/// The rules a custom function supplies; missing ones are derived from the
/// function.
#[derive(Clone, Default)]
pub struct CustomRules {
    /// Reverse-mode rule.
    pub vjp: Option<VjpRule>,
    /// Forward-mode rule.
    pub jvp: Option<JvpRule>,
    /// Batching rule.
    pub vmap: Option<VmapRule>,
}

struct Custom {
    name: &'static str,
    f: CustomVjpFn,
    rules: CustomRules,
    n_in: usize,
}

impl fmt::Debug for Custom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)
    }
}

impl Primitive for Custom {
    fn name(&self) -> &'static str {
        self.name
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        ctx.inputs[self.n_in..]
            .iter()
            .map(|a| a.evaluated().cloned())
            .collect()
    }

    fn vjp(
        &self,
        primals: &[Array],
        cot: &[Array],
        argnums: &[usize],
        outputs: &[Array],
    ) -> Result<Vec<Array>> {
        let primals = &primals[..self.n_in];
        let all = match &self.rules.vjp {
            Some(rule) => {
                let g = rule(primals, cot, outputs)?;
                if g.len() != primals.len() {
                    return Err(Error::value(format!(
                        "[custom_function] The vjp returned {} cotangents for {} inputs.",
                        g.len(),
                        primals.len()
                    )));
                }
                g
            }
            None => {
                let f = self.f.clone();
                vjp(move |x| f(x), primals, cot)?.1
            }
        };
        argnums
            .iter()
            .map(|&i| match all.get(i) {
                Some(g) if i < self.n_in => Ok(g.clone()),
                _ => ops::zeros_like(&outputs[0], None, None),
            })
            .collect()
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], argnums: &[usize]) -> Result<Vec<Array>> {
        let primals = &primals[..self.n_in];
        let mut full: Vec<Array> = primals
            .iter()
            .map(|p| ops::zeros_like(p, None, None))
            .collect::<Result<_>>()?;
        for (&i, t) in argnums.iter().zip(tangents) {
            if i < self.n_in {
                full[i] = t.clone();
            }
        }
        match &self.rules.jvp {
            Some(rule) => rule(primals, &full),
            None => {
                let f = self.f.clone();
                Ok(jvp(move |x| f(x), primals, &full)?.1)
            }
        }
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let (inputs, axes) = (&inputs[..self.n_in], &axes[..self.n_in]);
        match &self.rules.vmap {
            Some(rule) => rule(inputs, axes),
            None => {
                let f = self.f.clone();
                let in_axes: Vec<Option<i64>> = axes.iter().map(|a| a.map(|a| a as i64)).collect();
                let outs = vmap(move |x| f(x), inputs, &in_axes, &[Some(0)])?;
                let n = outs.len();
                Ok((outs, vec![Some(0); n]))
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// The identity that no transformation looks through: the function's own
/// results enter the `Custom` node this way, so the node's rules are the
/// only path from its outputs back to its inputs (for `vmap` too, where
/// `stop_gradient` would not stop the replay).
#[derive(Debug)]
pub(crate) struct Detach;

impl Primitive for Detach {
    fn name(&self) -> &'static str {
        "detach"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        Ok(vec![ctx.inputs[0].evaluated()?.clone()])
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn record(
    name: &'static str,
    f: CustomVjpFn,
    rules: CustomRules,
    inputs: &[Array],
) -> Result<Vec<Array>> {
    let outs = f(inputs)?;
    let Some(first) = outs.first() else {
        return Ok(outs);
    };
    let stream = first.stream();
    let specs = outs
        .iter()
        .map(|o| (o.shape().to_vec(), o.dtype()))
        .collect();
    let mut node_inputs = inputs.to_vec();
    for o in &outs {
        // The results reach the node without their own gradient path: the
        // node's rule is the only way back to the inputs.
        node_inputs.push(Array::from_op(
            o.shape().to_vec(),
            o.dtype(),
            o.stream(),
            Arc::new(Detach),
            vec![o.clone()],
        ));
    }
    let prim = Custom {
        name,
        f,
        rules,
        n_in: inputs.len(),
    };
    Ok(Array::from_multi_op(
        specs,
        stream,
        Arc::new(prim),
        node_inputs,
    ))
}

/// Calls `f` on `inputs` and records it as one node whose transformations
/// use `rules` (and, for the missing ones, the transformation of `f`).
pub fn custom_vjp(f: CustomVjpFn, rules: CustomRules, inputs: &[Array]) -> Result<Vec<Array>> {
    record("custom_function", f, rules, inputs)
}

/// Calls `f` on `inputs`; its reverse-mode derivative recomputes `f`
/// instead of keeping its intermediates.
pub fn checkpoint(f: CustomVjpFn, inputs: &[Array]) -> Result<Vec<Array>> {
    record("checkpoint", f, CustomRules::default(), inputs)
}
