//! Random ops (MLX `mlx::core::random`): keys, `split`, `bits` and the
//! distributions, with MLX's signatures, checks and messages, all lazy.
//!
//! Values are MLX's bit for bit: each distribution builds the graph MLX
//! builds (threefry words, then the same elementwise ops in the same
//! dtypes). When the parameters are constant scalars, the common case, that
//! graph is one [`RandomSample`] node instead, whose kernel performs the
//! same operations in one pass; the constants it needs (`sqrt(2) * scale`,
//! `high - low` ...) are computed with the ordinary ops on the constant
//! scalars, so they round exactly as in MLX.
//!
//! `key = None` draws the next key of the global key sequence (MLX's C++
//! `KeySequence::default_()`), seeded from the clock until [`seed`].

use std::sync::{Arc, Mutex};

use super::{
    add, astype, broadcast_shapes, divide, fmt_shape, less, maximum, minimum, multiply,
    normalize_axis, reshape, subtract,
};
use crate::array::Array;
use crate::backend::cpu::random::{cpp_cast, Sampler};
use crate::device::{resolve_stream, Stream};
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::primitives::random::{
    bits_dtype, CumulativeExp, MathOp, PermuteAxis, RandomBits, RandomPermutation, RandomSample,
    SampleMath,
};

/// The key array of a seed: `[seed >> 32, seed & 0xffffffff]` as uint32.
pub fn key(seed: u64) -> Result<Array> {
    Array::from_slice(&[(seed >> 32) as u32, seed as u32], &[2])
}

static DEFAULT_KEY: Mutex<Option<Array>> = Mutex::new(None);

fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Seeds the global key sequence.
pub fn seed(seed: u64) -> Result<()> {
    *DEFAULT_KEY.lock().unwrap_or_else(|e| e.into_inner()) = Some(key(seed)?);
    Ok(())
}

/// The next key of the global sequence: the state is split in two, the
/// first half becomes the new state and the second is returned.
pub fn next_key() -> Result<Array> {
    let mut state = DEFAULT_KEY.lock().unwrap_or_else(|e| e.into_inner());
    let current = match state.take() {
        Some(k) => k,
        None => key(clock_seed())?,
    };
    let (next, out) = split_pair(&current, None)?;
    *state = Some(next);
    Ok(out)
}

fn key_or_next(key: Option<&Array>) -> Result<Array> {
    match key {
        Some(k) => Ok(k.clone()),
        None => next_key(),
    }
}

/// MLX's checks on a key, made where MLX's `bits` makes them.
fn check_key(key: &Array) -> Result<()> {
    if key.dtype() != Dtype::Uint32 {
        bail_value!(
            "[bits] Expected key type uint32 but received {}.",
            key.dtype()
        );
    }
    if key.shape() != [2] {
        bail_value!(
            "[bits] Expected key shape (2) but received {}.",
            fmt_shape(key.shape())
        );
    }
    Ok(())
}

fn check_shape(shape: &[i64]) -> Result<()> {
    if shape.iter().any(|&d| d < 0) {
        bail_value!("[bits] Negative dimensions not allowed.");
    }
    Ok(())
}

/// Random bits: `shape` elements of `width` bytes (1, 2 or 4: uint8,
/// uint16, uint32) from `key` (MLX `random::bits`).
pub fn bits(shape: &[i64], width: usize, key: Option<&Array>, s: Option<Stream>) -> Result<Array> {
    let key = key_or_next(key)?;
    check_key(&key)?;
    if !matches!(width, 1 | 2 | 4) {
        bail_value!("[bits] Bit width must be in {{1, 2, 4}} but got {width}.");
    }
    check_shape(shape)?;
    let s = resolve_stream(s, "bits")?;
    let prim = RandomBits {
        shape: shape.to_vec(),
        width,
    };
    Ok(Array::from_op(
        shape.to_vec(),
        bits_dtype(width),
        s,
        Arc::new(prim),
        vec![key],
    ))
}

/// `num` new keys from `key`, shape `(num, 2)` (MLX `random::split`).
pub fn split(key: &Array, num: i64, s: Option<Stream>) -> Result<Array> {
    bits(&[num, 2], 4, Some(key), s)
}

/// The two halves of `split(key, 2)`, each of shape `(2,)`.
pub fn split_pair(key: &Array, s: Option<Stream>) -> Result<(Array, Array)> {
    let both = super::split(&split(key, 2, s)?, 2, 0, s)?;
    Ok((reshape(&both[0], &[2], s)?, reshape(&both[1], &[2], s)?))
}

/// A fused sampler node.
fn sample(shape: &[i64], dtype: Dtype, sampler: Sampler, key: Array, s: Stream) -> Array {
    let prim = RandomSample {
        shape: shape.to_vec(),
        dtype,
        sampler,
    };
    Array::from_op(shape.to_vec(), dtype, s, Arc::new(prim), vec![key])
}

/// The value of `a` when it is a constant one-element leaf (not computed by
/// an op, so no transformation traces it) that broadcasting into `shape`
/// leaves `shape` unchanged: such parameters fold into the fused kernel.
fn constant(a: &Array, shape: &[i64]) -> Option<Scalar> {
    if a.size() != 1 || a.ndim() > shape.len() || a.op().is_some() || !a.is_available() {
        return None;
    }
    a.item_scalar().ok()
}

/// The value of a one-element array computed from constants.
fn value(a: &Array) -> Result<f64> {
    Ok(a.item_scalar()?.as_f64())
}

fn scalar(v: f64, dtype: Dtype) -> Result<Array> {
    Array::from_scalar(Scalar::Float(v), dtype)
}

/// Uniform samples on `[low, high)` (broadcast to `shape`) of a real float
/// dtype (MLX `random::uniform`).
pub fn uniform(
    low: &Array,
    high: &Array,
    shape: &[i64],
    dtype: Dtype,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let key = key_or_next(key)?;
    uniform_with(low, high, shape, dtype, key, s)
}

fn uniform_with(
    low: &Array,
    high: &Array,
    shape: &[i64],
    dtype: Dtype,
    key: Array,
    s: Option<Stream>,
) -> Result<Array> {
    if !dtype.is_floating() {
        bail_value!("[uniform] Can only generate uniform numbers with real floating point type.");
    }
    let s = resolve_stream(s, "uniform")?;
    let lo = astype(low, dtype, Some(s))?;
    let hi = astype(high, dtype, Some(s))?;
    let range = subtract(&hi, &lo, Some(s))?;
    check_broadcast("uniform", shape, range.shape())?;
    uniform_dtype_check(dtype)?;
    check_key(&key)?;
    check_shape(shape)?;
    if constant(low, shape).is_some() && constant(high, shape).is_some() {
        let (r, l) = (value(&range)?, value(&lo)?);
        let affine = (r != 1.0 || l != 0.0).then_some((r, l));
        return Ok(sample(shape, dtype, Sampler::Uniform { affine }, key, s));
    }
    let u = sample(shape, dtype, Sampler::Uniform { affine: None }, key, s);
    add(&multiply(&range, &u, Some(s))?, &lo, Some(s))
}

fn check_broadcast(op: &str, shape: &[i64], other: &[i64]) -> Result<()> {
    let out = broadcast_shapes(shape, other)?;
    if out != shape {
        bail_value!(
            "[{op}] Cannot generate random values of shape {} from broadcasted shape {}.",
            fmt_shape(shape),
            fmt_shape(&out)
        );
    }
    Ok(())
}

/// MLX's uniform clamps below one in float32, float16 or bfloat16 only.
fn uniform_dtype_check(dtype: Dtype) -> Result<()> {
    if dtype == Dtype::Float64 {
        return Err(Error::runtime("[uniform] Unsupported type."));
    }
    Ok(())
}

/// Normal samples (MLX `random::normal`): standard, or `loc + scale * x`
/// (broadcast). complex64 gives real and imaginary parts of variance 1/2.
pub fn normal(
    shape: &[i64],
    dtype: Dtype,
    loc: Option<&Array>,
    scale: Option<&Array>,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let key = key_or_next(key)?;
    if dtype == Dtype::Complex64 {
        return complex_normal(shape, loc, scale, key, s);
    }
    if !dtype.is_floating() {
        bail_value!("[normal] Only floating point and complex64 types are supported.");
    }
    let s = resolve_stream(s, "normal")?;
    check_key(&key)?;
    check_shape(shape)?;
    let sqrt2 = scalar(std::f64::consts::SQRT_2, dtype)?;
    let folds = |p: Option<&Array>| p.is_none_or(|a| constant(a, shape).is_some());
    if folds(loc) && folds(scale) {
        let mul = match scale {
            Some(sc) => value(&multiply(&sqrt2, &astype(sc, dtype, Some(s))?, Some(s))?)?,
            None => value(&sqrt2)?,
        };
        let add = loc
            .map(|l| value(&astype(l, dtype, Some(s))?))
            .transpose()?;
        let sampler = Sampler::Normal {
            mul: Some(mul),
            add,
        };
        return Ok(sample(shape, dtype, sampler, key, s));
    }
    let core = Sampler::Normal {
        mul: None,
        add: None,
    };
    let e = sample(shape, dtype, core, key, s);
    let applied = match scale {
        Some(sc) => multiply(&sqrt2, &astype(sc, dtype, Some(s))?, Some(s))?,
        None => sqrt2,
    };
    let out = multiply(&applied, &e, Some(s))?;
    match loc {
        Some(l) => add(&astype(l, dtype, Some(s))?, &out, Some(s)),
        None => Ok(out),
    }
}

fn complex_normal(
    shape: &[i64],
    loc: Option<&Array>,
    scale: Option<&Array>,
    key: Array,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "normal")?;
    check_key(&key)?;
    check_shape(shape)?;
    let mut pairs = shape.to_vec();
    pairs.push(2);
    let core = Sampler::Normal {
        mul: None,
        add: None,
    };
    let e = sample(&pairs, Dtype::Float32, core, key, s);
    let c = super::view(&e, Dtype::Complex64, Some(s))?;
    let mut out = super::squeeze(&c, Some(&[-1]), Some(s))?;
    if let Some(sc) = scale {
        out = multiply(sc, &out, Some(s))?;
    }
    if let Some(l) = loc {
        out = add(l, &out, Some(s))?;
    }
    Ok(out)
}

/// Random integers on `[low, high)` (MLX `random::randint`): a float32
/// uniform on the bounds, floored, converted to `dtype` and clamped to
/// `[low, high - 1]` there.
pub fn randint(
    low: &Array,
    high: &Array,
    shape: &[i64],
    dtype: Dtype,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let key = key_or_next(key)?;
    if dtype.is_inexact() {
        bail_value!("[randint] randint only accepts integer dtypes and bool.");
    }
    let st = resolve_stream(s, "randint")?;
    let s = Some(st);
    let one = Array::from_scalar(Scalar::Int(1), high.dtype())?;
    let high_m1 = subtract(high, &one, s)?;
    if constant(low, shape).is_some() && constant(high, shape).is_some() {
        let lo = astype(low, Dtype::Float32, s)?;
        let range = subtract(&astype(high, Dtype::Float32, s)?, &lo, s)?;
        check_broadcast("uniform", shape, range.shape())?;
        check_key(&key)?;
        check_shape(shape)?;
        // Float bounds convert with C++'s cast, as in MLX.
        let to_dtype = |a: &Array| -> Result<Scalar> {
            let v = a.item_scalar()?;
            match v {
                Scalar::Float(f) => Ok(cpp_cast(f, dtype).unwrap_or(v)),
                _ => astype(a, dtype, s)?.item_scalar(),
            }
        };
        let sampler = Sampler::RandInt {
            range: value(&range)? as f32,
            low: value(&lo)? as f32,
            high_m1: to_dtype(&high_m1)?,
            low_d: to_dtype(low)?,
        };
        return Ok(sample(shape, dtype, sampler, key, st));
    }
    let high_m1 = astype(&high_m1, dtype, s)?;
    let low_d = astype(low, dtype, s)?;
    let u = uniform_with(low, high, shape, Dtype::Float32, key, s)?;
    let v = astype(&super::floor(&u, s)?, dtype, s)?;
    maximum(&minimum(&v, &high_m1, s)?, &low_d, s)
}

/// Bernoulli samples of probability `p` (a float array broadcast to
/// `shape`, default `p`'s shape) (MLX `random::bernoulli`).
pub fn bernoulli(
    p: &Array,
    shape: Option<&[i64]>,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let key = key_or_next(key)?;
    if !p.dtype().is_floating() {
        bail_value!("[bernoulli] bernoulli probability `p` must be a float type.");
    }
    let shape = shape.unwrap_or(p.shape()).to_vec();
    let st = resolve_stream(s, "bernoulli")?;
    let s = Some(st);
    // p on [0, nextafter(2^32, inf)], so that p >= 1 is always true and
    // p <= 0 always false.
    let upper = Array::scalar(f32::from_bits(4294967296.0f32.to_bits() + 1));
    let threshold = multiply(p, &upper, s)?;
    check_key(&key)?;
    check_shape(&shape)?;
    if constant(p, &shape).is_some() {
        let sampler = Sampler::Bernoulli {
            threshold: value(&threshold)?,
            wide: threshold.dtype() == Dtype::Float64,
        };
        return Ok(sample(&shape, Dtype::Bool, sampler, key, st));
    }
    let res = less(&bits(&shape, 4, Some(&key), s)?, &threshold, s)?;
    if res.shape() != shape.as_slice() {
        bail_value!("[bernoulli] shape of `p` is incompatible with argument `shape`.");
    }
    Ok(res)
}

/// Normal samples truncated to `[lower, upper]` (broadcast; `shape`
/// defaults to their broadcast shape) (MLX `random::truncated_normal`).
pub fn truncated_normal(
    lower: &Array,
    upper: &Array,
    shape: Option<&[i64]>,
    dtype: Dtype,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let key = key_or_next(key)?;
    let shape = match shape {
        Some(sh) => sh.to_vec(),
        None => broadcast_shapes(lower.shape(), upper.shape())?,
    };
    if !dtype.is_floating() {
        bail_value!("[trunc_normal] trunc_normal only accepts floating point dtypes.");
    }
    let st = resolve_stream(s, "truncated_normal")?;
    let s = Some(st);
    let sqrt2 = scalar(std::f64::consts::SQRT_2, dtype)?;
    let lower_t = astype(lower, dtype, s)?;
    let upper_t = astype(upper, dtype, s)?;
    let erf =
        |x: &Array| -> Result<Array> { Ok(SampleMath(MathOp::Erf).apply(&divide(x, &sqrt2, s)?)) };
    let (a, b) = (erf(&lower_t)?, erf(&upper_t)?);
    if constant(lower, &shape).is_some() && constant(upper, &shape).is_some() {
        let range = subtract(&b, &a, s)?;
        check_broadcast("uniform", &shape, range.shape())?;
        uniform_dtype_check(dtype)?;
        check_key(&key)?;
        check_shape(&shape)?;
        let sampler = Sampler::TruncNormal {
            range: value(&range)?,
            low: value(&a)?,
            mul: value(&sqrt2)?,
            lower: value(&lower_t)?,
            upper: value(&upper_t)?,
        };
        return Ok(sample(&shape, dtype, sampler, key, st));
    }
    let u = uniform_with(&a, &b, &shape, dtype, key, s)?;
    let out = multiply(&sqrt2, &SampleMath(MathOp::Erfinv).apply(&u), s)?;
    maximum(&minimum(&upper_t, &out, s)?, &lower_t, s)
}

/// Standard Gumbel samples, `-log(-log(u))` (MLX `random::gumbel`).
pub fn gumbel(
    shape: &[i64],
    dtype: Dtype,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let key = key_or_next(key)?;
    if !dtype.is_floating() {
        bail_value!("[uniform] Can only generate uniform numbers with real floating point type.");
    }
    uniform_dtype_check(dtype)?;
    let s = resolve_stream(s, "gumbel")?;
    check_key(&key)?;
    check_shape(shape)?;
    Ok(sample(shape, dtype, Sampler::Gumbel, key, s))
}

/// Samples from the categorical distributions given by unnormalised
/// `logits` along `axis` (MLX `random::categorical`): `shape` (broadcast
/// with the logits' other axes) or `num_samples` per distribution, or one.
pub fn categorical(
    logits: &Array,
    axis: i64,
    shape: Option<&[i64]>,
    num_samples: Option<i64>,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let key = key_or_next(key)?;
    if shape.is_some() && num_samples.is_some() {
        bail_value!("[categorical] At most one of shape or num_samples can be specified.");
    }
    let nd = logits.ndim();
    if axis < -(nd as i64) || axis >= nd as i64 {
        return Err(Error::index(format!(
            "[categorical] Invalid axis {axis} for logits with {nd} dimensions."
        )));
    }
    let ax = normalize_axis("categorical", axis, nd)?;
    let st = resolve_stream(s, "categorical")?;
    let s = Some(st);
    let mut reduced = logits.shape().to_vec();
    reduced.remove(ax);
    let (logits, out_shape) = match (shape, num_samples) {
        (Some(sh), _) => {
            if broadcast_shapes(sh, &reduced)? != sh {
                bail_value!(
                    "[categorical] Requested shape {} is not broadcast compatible with reduced logits shape{}.",
                    fmt_shape(sh),
                    fmt_shape(&reduced)
                );
            }
            (logits.clone(), sh.to_vec())
        }
        (None, Some(n)) => {
            let l = super::expand_dims(logits, &[-1], s)?;
            let mut sh = l.shape().to_vec();
            sh.remove(ax);
            *sh.last_mut().expect("at least one axis") = n;
            (l, sh)
        }
        (None, None) => (logits.clone(), reduced),
    };
    // MLX samples a lone distribution by inverse CDF (not for a 0-d output).
    if logits.size() as i64 == logits.shape()[ax] && !out_shape.is_empty() {
        return categorical_one(&logits, &out_shape, key, s);
    }
    let offset = ax + out_shape.len() + 1 - logits.ndim();
    let mut gshape = out_shape;
    gshape.insert(offset, logits.shape()[ax]);
    let g = gumbel(&gshape, Dtype::Float32, Some(&key), s)?;
    super::argmax(&add(&g, &logits, s)?, Some(offset as i64), false, s)
}

/// MLX's path for a single distribution: inverse-CDF sampling. With `c`
/// the running sums of `exp(x - max(x))` (float32) and `u` a float32
/// uniform, the class is the number of `c` at or below `u * c[-1]`,
/// clamped to the last class.
fn categorical_one(
    logits: &Array,
    out_shape: &[i64],
    key: Array,
    s: Option<Stream>,
) -> Result<Array> {
    let k = logits.size() as i64;
    let flat = reshape(&astype(logits, Dtype::Float32, s)?, &[k], s)?;
    let cum = CumulativeExp.apply(&flat);
    let total = super::slice_strided(&cum, &[k - 1], &[1], &[1], s)?;
    let u = uniform_with(
        &Array::scalar(0.0f32),
        &Array::scalar(1.0f32),
        out_shape,
        Dtype::Float32,
        key,
        s,
    )?;
    let threshold = super::expand_dims(&multiply(&u, &total, s)?, &[-1], s)?;
    let below = super::less_equal(&cum, &threshold, s)?;
    let count = super::sum(&below, Some(&[-1]), false, s)?;
    let last = Array::from_scalar(Scalar::Int(k - 1), count.dtype())?;
    astype(&minimum(&count, &last, s)?, Dtype::Uint32, s)
}

/// Laplace samples with location `loc` and scale `scale` (MLX
/// `random::laplace`, whose parameters are float32 numbers).
pub fn laplace(
    shape: &[i64],
    dtype: Dtype,
    loc: f32,
    scale: f32,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let key = key_or_next(key)?;
    if !dtype.is_floating() {
        bail_value!("[laplace] Only real floating point types are supported.");
    }
    let s = resolve_stream(s, "laplace")?;
    check_key(&key)?;
    check_shape(shape)?;
    let in_dtype = |v: f32| value(&scalar(v as f64, dtype)?);
    let sampler = Sampler::Laplace {
        mul: (scale != 1.0).then(|| in_dtype(scale)).transpose()?,
        add: (loc != 0.0).then(|| in_dtype(loc)).transpose()?,
    };
    Ok(sample(shape, dtype, sampler, key, s))
}

/// A random permutation of `0..n` as uint32 (MLX `random::permutation(int)`).
pub fn permutation(n: i64, key: Option<&Array>, s: Option<Stream>) -> Result<Array> {
    let key = key_or_next(key)?;
    check_key(&key)?;
    check_shape(&[n])?;
    let s = resolve_stream(s, "permutation")?;
    let prim = RandomPermutation { shape: vec![n] };
    Ok(Array::from_op(
        vec![n],
        Dtype::Uint32,
        s,
        Arc::new(prim),
        vec![key],
    ))
}

/// `x` with its entries along `axis` randomly permuted (MLX
/// `random::permutation(array, axis)`).
pub fn permute(x: &Array, axis: i64, key: Option<&Array>, s: Option<Stream>) -> Result<Array> {
    let key = key_or_next(key)?;
    let ax = normalize_axis("permutation", axis, x.ndim())?;
    let perm = permutation(x.shape()[ax], Some(&key), s)?;
    let op = PermuteAxis {
        axis: ax,
        scatter: false,
    };
    Ok(op.apply(x, &perm))
}

/// Jointly normal samples of mean `mean` `(..., n)` and covariance `cov`
/// `(..., n, n)` (MLX `random::multivariate_normal`). MLX's checks are
/// made; sampling needs the SVD of `cov`, which rmlx has no linalg for yet.
pub fn multivariate_normal(
    mean: &Array,
    cov: &Array,
    shape: &[i64],
    dtype: Dtype,
    key: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let _ = (key_or_next(key)?, resolve_stream(s, "multivariate_normal")?);
    if dtype != Dtype::Float32 {
        bail_value!("[multivariate_normal] dtype must be float32.");
    }
    if mean.ndim() < 1 {
        bail_value!("[multivariate_normal] mean must have at least one dimension.");
    }
    if cov.ndim() < 2 {
        bail_value!("[multivariate_normal] cov must have at least two dimensions.");
    }
    let n = mean.dim(-1);
    if cov.dim(-1) != cov.dim(-2) {
        bail_value!("[multivariate_normal] last two dimensions of cov must be equal.");
    }
    if n != cov.dim(-1) {
        bail_value!("[multivariate_normal] mean and cov must have compatible shapes.");
    }
    let batch = broadcast_shapes(
        &cov.shape()[..cov.ndim() - 2],
        &mean.shape()[..mean.ndim() - 1],
    )?;
    broadcast_shapes(&batch, shape)?;
    Err(Error::not_implemented(format!(
        "[multivariate_normal] sampling (it needs linalg::svd of the {} covariance)",
        fmt_shape(cov.shape())
    )))
}
