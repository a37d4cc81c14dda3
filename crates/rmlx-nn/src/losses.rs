//! Loss functions (MLX `mlx.nn.losses`). Each takes a [`Reduction`]; the
//! defaults MLX uses differ per loss and are given in each function's doc.

use rmlx::ops::{self, linalg};
use rmlx::{Array, Error, Result};

use crate::util::{add_s, max_s, mul_s, rsub_s, sub_s, weak, weak_int};

/// How a loss reduces its per-element values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// Keep them (MLX `"none"`).
    #[default]
    None,
    /// Their mean over all elements (MLX `"mean"`).
    Mean,
    /// Their sum (MLX `"sum"`).
    Sum,
}

impl Reduction {
    /// The reduction MLX names `name`.
    pub fn from_name(name: &str) -> Result<Self> {
        match name {
            "none" => Ok(Reduction::None),
            "mean" => Ok(Reduction::Mean),
            "sum" => Ok(Reduction::Sum),
            _ => Err(Error::value(
                "Invalid reduction. Must be one of ('none', 'mean', 'sum').",
            )),
        }
    }

    /// Applies the reduction to `loss`.
    pub fn apply(self, loss: Array) -> Result<Array> {
        match self {
            Reduction::None => Ok(loss),
            Reduction::Mean => ops::mean(&loss, None, false, None),
            Reduction::Sum => ops::sum(&loss, None, false, None),
        }
    }
}

fn apply_weights(loss: Array, weights: Option<&Array>) -> Result<Array> {
    match weights {
        None => Ok(loss),
        Some(w) if w.shape() != loss.shape() => Err(Error::value(format!(
            "Weights with shape {} is not the same as output loss with shape {}.",
            ops::fmt_shape(w.shape()),
            ops::fmt_shape(loss.shape())
        ))),
        Some(w) => ops::multiply(&loss, w, None),
    }
}

fn same_shape(what: &str, a: &Array, other: &str, b: &Array) -> Result<()> {
    if a.shape() != b.shape() {
        return Err(Error::value(format!(
            "{what} shape {} does not match {other} shape {}.",
            ops::fmt_shape(a.shape()),
            ops::fmt_shape(b.shape())
        )));
    }
    Ok(())
}

fn pick(inputs: &Array, targets: &Array, axis: i64) -> Result<Array> {
    let idx = ops::expand_dims(targets, &[axis], None)?;
    let picked = ops::take_along_axis(inputs, &idx, Some(axis), None)?;
    ops::squeeze(&picked, Some(&[axis]), None)
}

/// Cross entropy of unnormalised `logits` against `targets`: class indices
/// (the shape of `logits` without `axis`) or probabilities (the shape of
/// `logits`). `label_smoothing` in `[0, 1)` mixes in the uniform
/// distribution; `weights` multiplies the per-sample losses. MLX defaults:
/// axis -1, no smoothing, `Reduction::None`.
pub fn cross_entropy(
    logits: &Array,
    targets: &Array,
    weights: Option<&Array>,
    axis: i64,
    label_smoothing: f64,
    reduction: Reduction,
) -> Result<Array> {
    if !(0.0..1.0).contains(&label_smoothing) {
        return Err(Error::value(format!(
            "Label smoothing must be in [0, 1), got {label_smoothing}."
        )));
    }
    let as_probs = targets.ndim() == logits.ndim();
    let mut expected = logits.shape().to_vec();
    if !as_probs {
        let ax = ops::normalize_axis("cross_entropy", axis, logits.ndim())?;
        expected.remove(ax);
    }
    if targets.shape() != expected.as_slice() {
        return Err(Error::value(format!(
            "Targets shape {} does not match logits shape {}.",
            ops::fmt_shape(targets.shape()),
            ops::fmt_shape(logits.shape())
        )));
    }
    let m = ops::max(logits, Some(&[axis]), true, None)?;
    let logits = ops::subtract(logits, &ops::stop_gradient(&m, None)?, None)?;
    let score = if as_probs {
        ops::sum(
            &ops::multiply(&logits, targets, None)?,
            Some(&[axis]),
            false,
            None,
        )?
    } else {
        pick(&logits, targets, axis)?
    };
    let lse = ops::logsumexp(&logits, Some(&[axis]), false, None)?;
    let loss = if label_smoothing > 0.0 {
        let mean = ops::mean(&logits, Some(&[axis]), false, None)?;
        let smoothed = mul_s(&ops::negative(&mean, None)?, label_smoothing)?;
        let l = ops::subtract(&lse, &mul_s(&score, 1.0 - label_smoothing)?, None)?;
        ops::add(&l, &smoothed, None)?
    } else {
        ops::subtract(&lse, &score, None)?
    };
    reduction.apply(apply_weights(loss, weights)?)
}

/// Binary cross entropy of `inputs` (logits, or probabilities when
/// `with_logits` is false, their logs clipped at -100) against `targets`.
/// MLX defaults: with logits, `Reduction::Mean`.
pub fn binary_cross_entropy(
    inputs: &Array,
    targets: &Array,
    weights: Option<&Array>,
    with_logits: bool,
    reduction: Reduction,
) -> Result<Array> {
    same_shape("Inputs", inputs, "targets", targets)?;
    let loss = if with_logits {
        let sp = ops::logaddexp(&weak(0.0, inputs), inputs, None)?;
        ops::subtract(&sp, &ops::multiply(inputs, targets, None)?, None)?
    } else {
        let floor = |a: &Array| -> Result<Array> { max_s(a, -100.0) };
        let log_p = floor(&ops::log(inputs, None)?)?;
        let log_q = floor(&ops::log(&rsub_s(1.0, inputs)?, None)?)?;
        let a = ops::multiply(targets, &log_p, None)?;
        let b = ops::multiply(&rsub_s(1.0, targets)?, &log_q, None)?;
        ops::negative(&ops::add(&a, &b, None)?, None)?
    };
    reduction.apply(apply_weights(loss, weights)?)
}

/// Mean absolute error (MLX default `Reduction::Mean`).
pub fn l1_loss(predictions: &Array, targets: &Array, reduction: Reduction) -> Result<Array> {
    same_shape("Predictions", predictions, "targets", targets)?;
    reduction.apply(ops::abs(&ops::subtract(predictions, targets, None)?, None)?)
}

/// Mean squared error (MLX default `Reduction::Mean`).
pub fn mse_loss(predictions: &Array, targets: &Array, reduction: Reduction) -> Result<Array> {
    same_shape("Predictions", predictions, "targets", targets)?;
    reduction.apply(ops::square(
        &ops::subtract(predictions, targets, None)?,
        None,
    )?)
}

/// Negative log likelihood of class indices `targets` under
/// log-probabilities `inputs` (MLX defaults: axis -1, `Reduction::None`).
pub fn nll_loss(inputs: &Array, targets: &Array, axis: i64, reduction: Reduction) -> Result<Array> {
    reduction.apply(ops::negative(&pick(inputs, targets, axis)?, None)?)
}

/// Negative log likelihood of `targets` under normals of means `inputs` and
/// variances `vars` (clamped below at `eps`); `full` adds `0.5 log(2 pi)`.
/// MLX defaults: not full, eps 1e-6, `Reduction::Mean`.
pub fn gaussian_nll_loss(
    inputs: &Array,
    targets: &Array,
    vars: &Array,
    full: bool,
    eps: f64,
    reduction: Reduction,
) -> Result<Array> {
    same_shape("Inputs", inputs, "targets", targets)?;
    same_shape("Inputs", inputs, "vars", vars)?;
    let vars = max_s(vars, eps)?;
    let sq = ops::square(&ops::subtract(targets, inputs, None)?, None)?;
    let inner = ops::add(
        &ops::log(&vars, None)?,
        &ops::divide(&sq, &vars, None)?,
        None,
    )?;
    let mut loss = mul_s(&inner, 0.5)?;
    if full {
        loss = add_s(&loss, 0.5 * (2.0 * std::f64::consts::PI).ln())?;
    }
    reduction.apply(loss)
}

/// Kullback-Leibler divergence of log-probabilities `targets` from
/// log-probabilities `inputs`, summed over `axis` (MLX defaults: axis -1,
/// `Reduction::None`).
pub fn kl_div_loss(
    inputs: &Array,
    targets: &Array,
    axis: i64,
    reduction: Reduction,
) -> Result<Array> {
    let d = ops::subtract(targets, inputs, None)?;
    let p = ops::multiply(&ops::exp(targets, None)?, &d, None)?;
    reduction.apply(ops::sum(&p, Some(&[axis]), false, None)?)
}

/// Quadratic (`0.5 d^2 / beta`) below `beta`, linear (`|d| - 0.5 beta`)
/// above (MLX defaults: beta 1, `Reduction::Mean`).
pub fn smooth_l1_loss(
    predictions: &Array,
    targets: &Array,
    beta: f64,
    reduction: Reduction,
) -> Result<Array> {
    same_shape("Predictions", predictions, "targets", targets)?;
    let diff = ops::abs(&ops::subtract(predictions, targets, None)?, None)?;
    let quad = crate::util::div_s(&mul_s(&ops::square(&diff, None)?, 0.5)?, beta)?;
    let lin = sub_s(&ops::abs(&diff, None)?, 0.5 * beta)?;
    let c = ops::less(&diff, &weak(beta, &diff), None)?;
    reduction.apply(ops::r#where(&c, &quad, &lin, None)?)
}

/// `max(d(a, p) - d(a, n) + margin, 0)` with the `p`-norm distance along
/// `axis` (`eps` inside the root). MLX defaults: axis -1, p 2, margin 1,
/// eps 1e-6, `Reduction::None`.
#[allow(clippy::too_many_arguments)]
pub fn triplet_loss(
    anchors: &Array,
    positives: &Array,
    negatives: &Array,
    axis: i64,
    p: i64,
    margin: f64,
    eps: f64,
    reduction: Reduction,
) -> Result<Array> {
    let distance = |other: &Array| -> Result<Array> {
        let d = ops::abs(&ops::subtract(anchors, other, None)?, None)?;
        let pw = ops::power(&d, &weak_int(p, &d), None)?;
        let s = add_s(&ops::sum(&pw, Some(&[axis]), false, None)?, eps)?;
        ops::power(&s, &weak(1.0 / p as f64, &s), None)
    };
    let d = ops::subtract(&distance(positives)?, &distance(negatives)?, None)?;
    let loss = ops::maximum(&add_s(&d, margin)?, &weak_int(0, &d), None)?;
    reduction.apply(loss)
}

/// `max(1 - y * inputs, 0)` for targets `y` in {-1, 1} (MLX default
/// `Reduction::None`).
pub fn hinge_loss(inputs: &Array, targets: &Array, reduction: Reduction) -> Result<Array> {
    let m = ops::multiply(inputs, targets, None)?;
    let l = ops::subtract(&weak_int(1, &m), &m, None)?;
    reduction.apply(ops::maximum(&l, &weak_int(0, &l), None)?)
}

/// Quadratic for errors up to `delta`, linear with slope `delta` beyond
/// (MLX defaults: delta 1, `Reduction::None`).
pub fn huber_loss(
    inputs: &Array,
    targets: &Array,
    delta: f64,
    reduction: Reduction,
) -> Result<Array> {
    let abs_err = ops::abs(&ops::subtract(inputs, targets, None)?, None)?;
    let quadratic = crate::util::min_s(&abs_err, delta)?;
    let linear = ops::subtract(&abs_err, &quadratic, None)?;
    let q2 = ops::power(&quadratic, &weak_int(2, &quadratic), None)?;
    let loss = ops::add(&mul_s(&q2, 0.5)?, &mul_s(&linear, delta)?, None)?;
    reduction.apply(loss)
}

/// `log(cosh(inputs - targets))`, computed stably (MLX default
/// `Reduction::None`).
pub fn log_cosh_loss(inputs: &Array, targets: &Array, reduction: Reduction) -> Result<Array> {
    let err = ops::subtract(inputs, targets, None)?;
    let l = ops::logaddexp(&err, &ops::negative(&err, None)?, None)?;
    reduction.apply(sub_s(&l, std::f64::consts::LN_2)?)
}

/// Cosine similarity of `x1` and `x2` along `axis` (the norm product is
/// clamped below at `eps`). MLX defaults: axis 1, eps 1e-8,
/// `Reduction::None`.
pub fn cosine_similarity_loss(
    x1: &Array,
    x2: &Array,
    axis: i64,
    eps: f64,
    reduction: Reduction,
) -> Result<Array> {
    let n1 = linalg::norm(x1, None, Some(&[axis]), false, None)?;
    let n2 = linalg::norm(x2, None, Some(&[axis]), false, None)?;
    let dot = ops::sum(&ops::multiply(x1, x2, None)?, Some(&[axis]), false, None)?;
    let den = max_s(&ops::multiply(&n1, &n2, None)?, eps)?;
    reduction.apply(ops::divide(&dot, &den, None)?)
}

/// `max(0, -y (x1 - x2) + margin)` for targets `y` in {-1, 1} (MLX
/// defaults: margin 0, `Reduction::None`).
pub fn margin_ranking_loss(
    inputs1: &Array,
    inputs2: &Array,
    targets: &Array,
    margin: f64,
    reduction: Reduction,
) -> Result<Array> {
    if inputs1.shape() != inputs2.shape() || inputs1.shape() != targets.shape() {
        return Err(Error::value(format!(
            "The shapes of the arguments do not match. The provided shapes are inputs1.shape={}, inputs2.shape={}, and targets.shape={}.",
            ops::fmt_shape(inputs1.shape()),
            ops::fmt_shape(inputs2.shape()),
            ops::fmt_shape(targets.shape())
        )));
    }
    let d = ops::subtract(inputs1, inputs2, None)?;
    let l = add_s(
        &ops::multiply(&ops::negative(targets, None)?, &d, None)?,
        margin,
    )?;
    reduction.apply(ops::maximum(&weak_int(0, &l), &l, None)?)
}
