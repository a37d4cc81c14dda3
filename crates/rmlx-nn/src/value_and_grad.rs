//! `value_and_grad` for modules (MLX `nn.value_and_grad`): differentiates a
//! loss with respect to a model's trainable parameters.
//!
//! The trainable parameters are flattened, traced with
//! `rmlx::transforms::value_and_grad`, swapped into the model while the
//! loss runs, and swapped back afterwards (also when the loss fails), so the
//! model keeps its concrete arrays.

use std::collections::BTreeMap;

use rmlx::{Array, Error, Result};

use crate::module::Module;
use crate::tree::ParamTree;

/// `loss_fn(model)` (a scalar) and its gradient with respect to the model's
/// trainable parameters, shaped like [`Module::trainable_parameters`].
///
/// ```
/// use rmlx::{ops, Array};
/// use rmlx_nn::{layers::Linear, losses, value_and_grad, Module};
/// let mut model = Linear::new(3, 1, true).unwrap();
/// let x = Array::from_slice(&[1.0f32, 2.0, 3.0], &[1, 3]).unwrap();
/// let y = Array::from_slice(&[1.0f32], &[1, 1]).unwrap();
/// let (loss, grads) = value_and_grad(&mut model, |m| {
///     losses::mse_loss(&m.forward(&x)?, &y, losses::Reduction::Mean)
/// })
/// .unwrap();
/// assert_eq!(loss.size(), 1);
/// assert_eq!(grads.get_array("weight").unwrap().shape(), &[1, 3]);
/// ```
pub fn value_and_grad<M, F>(model: &mut M, loss_fn: F) -> Result<(Array, ParamTree)>
where
    M: Module + ?Sized,
    F: FnOnce(&M) -> Result<Array>,
{
    let (mut outs, grads) = value_and_grad_multi(model, |m| Ok(vec![loss_fn(m)?]))?;
    Ok((outs.swap_remove(0), grads))
}

/// Like [`value_and_grad`] for a function with several outputs (auxiliary
/// values after the loss): the gradient is that of the first output.
pub fn value_and_grad_multi<M, F>(model: &mut M, f: F) -> Result<(Vec<Array>, ParamTree)>
where
    M: Module + ?Sized,
    F: FnOnce(&M) -> Result<Vec<Array>>,
{
    let (keys, params): (Vec<String>, Vec<Array>) =
        model.trainable_parameters().flatten().into_iter().unzip();
    if params.is_empty() {
        let outs = f(model)?;
        if outs.first().is_none_or(|o| o.size() != 1) {
            return Err(Error::value(
                "[value_and_grad] The function must return a scalar array first.",
            ));
        }
        return Ok((outs, ParamTree::new()));
    }
    let argnums: Vec<usize> = (0..params.len()).collect();
    let res = rmlx::transforms::value_and_grad(
        |tracers| {
            let mut swap: BTreeMap<String, Array> =
                keys.iter().cloned().zip(tracers.iter().cloned()).collect();
            model.update_flat("", &mut swap);
            f(model)
        },
        &params,
        &argnums,
    );
    let mut restore: BTreeMap<String, Array> = keys.iter().cloned().zip(params).collect();
    model.update_flat("", &mut restore);
    let (outs, grads) = res?;
    Ok((outs, ParamTree::unflatten(keys.into_iter().zip(grads))?))
}
