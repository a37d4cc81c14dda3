//! Public ops of the `fast` family (MLX's `mx.fast`): `rms_norm`,
//! `layer_norm`, `rope`, `scaled_dot_product_attention` and
//! `cross_entropy`. Validation and messages follow MLX 0.32.4; each op is
//! one fused primitive (`primitives/fast.rs`).

use std::sync::Arc;

use super::{astype, broadcast_to, fmt_shape};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{promote_types, result_type, Dtype};
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::primitives::fast::{CrossEntropy, LayerNorm, RmsNorm, Rope, Sdpa};

fn check_param(op: &str, what: &str, p: &Array, x: &Array) -> Result<()> {
    if p.ndim() != 1 {
        return Err(Error::value(format!(
            "[{op}] {what} must have 1 dimension but has {} dimensions.",
            p.ndim()
        )));
    }
    if p.shape()[0] != x.shape()[x.ndim() - 1] {
        return Err(Error::value(format!(
            "[{op}] {what} must have the same size as the last dimension of x but has {} elements.",
            p.size()
        )));
    }
    Ok(())
}

fn check_input(op: &str, x: &Array) -> Result<()> {
    if x.ndim() == 0 {
        return Err(Error::value(format!(
            "[{op}] Input must have at least 1 dimension but got input with 0 dimensions."
        )));
    }
    Ok(())
}

fn unsupported(op: &str, dt: Dtype) -> Error {
    Error::value(format!("[{op}] Received unsupported type {dt}."))
}

/// A per-row parameter cast to `dt`, or the 0-d `fill` when absent.
fn param(p: Option<&Array>, dt: Dtype, fill: i64, s: Stream) -> Result<Array> {
    match p {
        Some(p) => astype(p, dt, Some(s)),
        None => Array::from_scalar(Scalar::Int(fill), dt),
    }
}

/// Root-mean-square normalisation over the last axis, times `weight`.
pub fn rms_norm(x: &Array, weight: Option<&Array>, eps: f32, s: Option<Stream>) -> Result<Array> {
    let op = "rms_norm";
    check_input(op, x)?;
    if let Some(w) = weight {
        check_param(op, "(*weight)", w, x)?;
    }
    let dt = weight.map_or(x.dtype(), |w| promote_types(x.dtype(), w.dtype()));
    if !dt.is_floating() {
        return Err(unsupported(op, dt));
    }
    let s = resolve_stream(s, op)?;
    let w = param(weight, dt, 1, s)?;
    let x = astype(x, dt, Some(s))?;
    Ok(Array::from_op(
        x.shape().to_vec(),
        dt,
        s,
        Arc::new(RmsNorm { eps }),
        vec![x, w],
    ))
}

/// Layer normalisation over the last axis, then `* weight + bias`.
pub fn layer_norm(
    x: &Array,
    weight: Option<&Array>,
    bias: Option<&Array>,
    eps: f32,
    s: Option<Stream>,
) -> Result<Array> {
    let op = "layer_norm";
    check_input(op, x)?;
    if let Some(w) = weight {
        check_param(op, "weight", w, x)?;
    }
    if let Some(b) = bias {
        check_param(op, "bias", b, x)?;
    }
    let dt = match (weight, bias) {
        (Some(w), Some(b)) => result_type(&[x.dtype(), w.dtype(), b.dtype()]),
        (Some(w), None) => promote_types(x.dtype(), w.dtype()),
        _ => x.dtype(),
    };
    if !dt.is_floating() {
        return Err(unsupported(op, dt));
    }
    let s = resolve_stream(s, op)?;
    let w = param(weight, dt, 1, s)?;
    let b = param(bias, dt, 0, s)?;
    let x = astype(x, dt, Some(s))?;
    Ok(Array::from_op(
        x.shape().to_vec(),
        dt,
        s,
        Arc::new(LayerNorm { eps }),
        vec![x, w, b],
    ))
}

/// Rotary position encoding of the first `dims` features of `x` (shape
/// `(B, ..., T, D)`), positions starting at `offset` (an integer scalar or
/// one per batch element); frequencies from `base` or given as `freqs`
/// (exactly one of the two).
#[allow(clippy::too_many_arguments)]
pub fn rope(
    x: &Array,
    dims: i64,
    traditional: bool,
    base: Option<f32>,
    scale: f32,
    offset: &Array,
    freqs: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    let op = "rope";
    let s = resolve_stream(s, op)?;
    let freqs = match (freqs, base) {
        (Some(_), Some(_)) => {
            return Err(Error::value(
                "[rope] Only one of base or freqs can have a value.",
            ))
        }
        (None, None) => return Err(Error::value("[rope] Neither base nor freqs has a value.")),
        (Some(f), None) => Some(astype(f, Dtype::Float32, Some(s))?),
        (None, Some(_)) => None,
    };
    if x.ndim() < 3 {
        return Err(Error::value(format!(
            "[rope] Input must have at least 3 dimensions but got input with {} dimensions.",
            x.ndim()
        )));
    }
    if !x.dtype().is_floating() {
        return Err(Error::value(format!(
            "[rope] Input must be a floating type but got {}.",
            x.dtype()
        )));
    }
    if offset.ndim() > 1 {
        return Err(Error::value(format!(
            "[rope] offset must have at most one dimension but has shape {}.",
            fmt_shape(offset.shape())
        )));
    }
    if offset.size() != 1 && offset.size() as i64 != x.shape()[0] {
        return Err(Error::value(format!(
            "[rope] offset must be a scalar or vector with {} elements but has shape {}.",
            x.shape()[0],
            fmt_shape(offset.shape())
        )));
    }
    if !offset.dtype().is_integer() {
        return Err(Error::value(format!(
            "[rope] offset must be an integer but got type {}.",
            offset.dtype()
        )));
    }
    if dims <= 0 {
        return Err(Error::value(format!(
            "[rope] dims must be positive but got {dims}."
        )));
    }
    if dims % 2 != 0 {
        return Err(Error::value(format!(
            "[rope] dims must be even but got {dims}."
        )));
    }
    let d = x.shape()[x.ndim() - 1];
    if dims > d {
        return Err(Error::value(format!(
            "[rope] dims must not exceed the input's last dimension ({d}) but got {dims}."
        )));
    }
    if let Some(f) = &freqs {
        if f.ndim() != 1 || f.shape()[0] != dims / 2 {
            return Err(Error::value(format!(
                "[rope] freqs must be one dimensional with size {} but got shape {}.",
                dims / 2,
                fmt_shape(f.shape())
            )));
        }
    }
    let offset = if offset.dtype().size() != 4 {
        astype(offset, Dtype::Int32, Some(s))?
    } else {
        offset.clone()
    };
    let mut inputs = vec![x.clone(), offset];
    inputs.extend(freqs);
    Ok(Array::from_op(
        x.shape().to_vec(),
        x.dtype(),
        s,
        Arc::new(Rope {
            dims: dims as usize,
            traditional,
            base: base.unwrap_or(1.0),
            scale,
            forward: true,
        }),
        inputs,
    ))
}

/// The mask of [`scaled_dot_product_attention`].
#[derive(Clone, Debug, Default)]
pub enum SdpaMask {
    /// No mask.
    #[default]
    None,
    /// Lower-right aligned causal mask.
    Causal,
    /// A boolean (keep where true) or additive mask broadcastable to
    /// `(B, Hq, Lq, Lk)`.
    Array(Array),
}

const SDPA: &str = "scaled_dot_product_attention";

/// `softmax(scale * q @ k^T + mask) @ v` per head: `q` `(B, Hq, Lq, D)`,
/// `k` `(B, Hkv, Lk, D)`, `v` `(B, Hkv, Lk, Dv)` with `Hq` a multiple of
/// `Hkv`; `sinks` (`(Hq,)`) join every softmax as an extra logit.
pub fn scaled_dot_product_attention(
    q: &Array,
    k: &Array,
    v: &Array,
    scale: f32,
    mask: &SdpaMask,
    sinks: Option<&Array>,
    s: Option<Stream>,
) -> Result<Array> {
    for t in [q, k, v] {
        if t.ndim() != 4 {
            return Err(Error::value(format!(
                "[{SDPA}] input with shape {} expected to be rank 4",
                fmt_shape(t.shape())
            )));
        }
    }
    if let SdpaMask::Array(m) = mask {
        if m.ndim() > 4 {
            return Err(Error::value(format!(
                "[{SDPA}] the mask with shape {} expected to have at most rank 4.",
                fmt_shape(m.shape())
            )));
        }
    }
    for t in [k, v] {
        if t.shape()[0] != q.shape()[0] {
            return Err(Error::value(format!(
                "[{SDPA}] mismatching batch dimension for input with shape {}.",
                fmt_shape(t.shape())
            )));
        }
    }
    if q.shape()[3] != k.shape()[3] {
        return Err(Error::value(format!(
            "[{SDPA}] query, keys expected to have matching last dimension; found query shape {} for keys shape {}.",
            fmt_shape(q.shape()),
            fmt_shape(k.shape())
        )));
    }
    let (hq, hkv) = (q.shape()[1], k.shape()[1]);
    if hkv != v.shape()[1] {
        return Err(Error::value(format!(
            "[{SDPA}] keys, values expected to have matching n_kv_heads; found keys with n_heads {hkv} for values with n_heads {}.",
            v.shape()[1]
        )));
    }
    if hkv == 0 || hq % hkv != 0 {
        return Err(Error::value(format!(
            "[{SDPA}] n_heads must be a multiple of n_kv_heads, found n_heads {hq} for n_kv_heads {hkv}."
        )));
    }
    if k.shape()[2] != v.shape()[2] {
        return Err(Error::value(format!(
            "[{SDPA}] keys, values expected to have the same sequence length; found keys shape {} for values shape {}.",
            fmt_shape(k.shape()),
            fmt_shape(v.shape())
        )));
    }
    let dt = result_type(&[q.dtype(), k.dtype(), v.dtype()]);
    if !dt.is_floating() {
        return Err(unsupported(SDPA, dt));
    }
    let s = resolve_stream(s, SDPA)?;
    let mut inputs = vec![
        astype(q, dt, Some(s))?,
        astype(k, dt, Some(s))?,
        astype(v, dt, Some(s))?,
    ];
    if let SdpaMask::Array(m) = mask {
        if promote_types(m.dtype(), dt) != dt {
            return Err(Error::value(format!(
                "[{SDPA}] Mask type must promote to output type {dt}."
            )));
        }
        let m = if m.dtype() == Dtype::Bool {
            m.clone()
        } else {
            astype(m, dt, Some(s))?
        };
        let mut shape = q.shape().to_vec();
        shape[3] = k.shape()[2];
        inputs.push(broadcast_to(&m, &shape, Some(s))?);
    }
    if let Some(sk) = sinks {
        if promote_types(sk.dtype(), dt) != dt {
            return Err(Error::value(format!(
                "[{SDPA}] Type of sinks must promote to output type {dt}."
            )));
        }
        if sk.ndim() != 1 || sk.shape()[0] != hq {
            return Err(Error::value(format!(
                "[{SDPA}] Received invalid shape for sinks {}.",
                fmt_shape(sk.shape())
            )));
        }
        inputs.push(astype(sk, dt, Some(s))?);
    }
    let shape = vec![q.shape()[0], hq, q.shape()[2], v.shape()[3]];
    Ok(Array::from_op(
        shape,
        dt,
        s,
        Arc::new(Sdpa {
            scale,
            causal: matches!(mask, SdpaMask::Causal),
            has_mask: matches!(mask, SdpaMask::Array(_)),
            has_sinks: sinks.is_some(),
        }),
        inputs,
    ))
}

/// `logsumexp(logits, -1) - logits[..., targets]` in float32: the
/// cross-entropy of class indices `targets` (shape of `logits` without its
/// last axis).
pub fn cross_entropy(logits: &Array, targets: &Array, s: Option<Stream>) -> Result<Array> {
    let op = "cross_entropy";
    if logits.ndim() == 0 {
        return Err(Error::value(
            "[cross_entropy] logits must have at least 1 dimension but got input with 0 dimensions.",
        ));
    }
    if !logits.dtype().is_floating() {
        return Err(unsupported(op, logits.dtype()));
    }
    if !targets.dtype().is_integer() {
        return Err(Error::value(format!(
            "[cross_entropy] targets must be integer class indices but got {}.",
            targets.dtype()
        )));
    }
    let rows = &logits.shape()[..logits.ndim() - 1];
    if targets.shape() != rows {
        return Err(Error::value(format!(
            "[cross_entropy] targets shape {} does not match logits shape {} with the last axis removed.",
            fmt_shape(targets.shape()),
            fmt_shape(logits.shape())
        )));
    }
    let s = resolve_stream(s, op)?;
    Ok(Array::from_op(
        rows.to_vec(),
        Dtype::Float32,
        s,
        Arc::new(CrossEntropy),
        vec![logits.clone(), targets.clone()],
    ))
}
