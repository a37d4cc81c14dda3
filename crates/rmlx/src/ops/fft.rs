//! Public ops of `mlx.core.fft`: the complex and real transforms in one,
//! two and n dimensions (`fft` ... `irfftn`, with `n` / `s` cropping or
//! zero-padding the input and MLX's `norm`), the sample frequencies
//! (`fftfreq`, `rfftfreq`), `fftshift` / `ifftshift`, and the short-time
//! transforms `stft` / `istft`.
//!
//! Dtypes follow MLX: transforms compute in single precision, so complex
//! outputs are complex64 and real outputs float32 whatever the input
//! (float64 included); a real forward transform of a complex input takes
//! its real part. The module is not glob-exported from `ops` (its names
//! would shadow nothing, but `ops::fft::fft` reads better).

use super::{normalize_axis, pad, slice_strided};
use crate::array::Array;
use crate::device::{resolve_stream, Stream};
use crate::dtype::{promote_types, Dtype};
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::ops;
use crate::primitives::fft::{fft_node, frame, overlap_add, Fft};
use crate::primitives::shape::PadMode;

pub use crate::primitives::fft::FftNorm;

fn fmt_list(v: &[i64]) -> String {
    super::fmt_shape(v)
}

/// The engine of every transform: `n[i]` is the transform length along
/// `axes[i]` (for a real inverse transform, the output length along the
/// last listed axis). The input is cropped or zero-padded to it (MLX
/// `fft_impl`).
fn fft_impl(
    a: &Array,
    n: &[i64],
    axes: &[i64],
    real: bool,
    inverse: bool,
    norm: FftNorm,
    s: Stream,
) -> Result<Array> {
    let nd = a.ndim();
    if nd < 1 {
        return Err(Error::value(
            "[fftn] Requires array with at least one dimension.",
        ));
    }
    if n.len() != axes.len() {
        return Err(Error::value("[fftn] Shape and axes have different sizes."));
    }
    if axes.is_empty() {
        return Ok(a.clone());
    }
    let mut valid = Vec::with_capacity(axes.len());
    for &ax in axes {
        let v = if ax < 0 { ax + nd as i64 } else { ax };
        if valid.contains(&v) {
            return Err(Error::value(format!(
                "[fftn] Duplicated axis received {}",
                fmt_list(axes)
            )));
        }
        valid.push(v);
    }
    if valid.iter().any(|&v| v < 0 || v >= nd as i64) {
        return Err(Error::index(format!(
            "[fftn] Invalid axis received for array with {nd} dimensions."
        )));
    }
    if n.iter().any(|&k| k <= 0) {
        return Err(Error::value(format!(
            "[fftn] Invalid FFT output size requested {}",
            fmt_list(n)
        )));
    }
    let valid: Vec<usize> = valid.iter().map(|&v| v as usize).collect();
    let last = *valid.last().expect("axes is not empty");
    let mut in_shape = a.shape().to_vec();
    for (&ax, &k) in valid.iter().zip(n) {
        in_shape[ax] = k;
    }
    if real && inverse {
        in_shape[last] = n[n.len() - 1] / 2 + 1;
    }
    let mut x = a.clone();
    if in_shape.iter().zip(a.shape()).any(|(i, o)| i < o) {
        let count: Vec<i64> = in_shape
            .iter()
            .zip(a.shape())
            .map(|(&i, &o)| i.min(o))
            .collect();
        x = slice_strided(&x, &vec![0; nd], &vec![1; nd], &count, Some(s))?;
    }
    if in_shape.iter().zip(x.shape()).any(|(i, o)| i > o) {
        let widths: Vec<(i64, i64)> = in_shape
            .iter()
            .zip(x.shape())
            .map(|(&i, &o)| (0, i - o))
            .collect();
        let zero = Array::from_scalar(Scalar::Int(0), x.dtype())?;
        x = pad(&x, &widths, PadMode::Constant, &zero, Some(s))?;
    }
    let p = Fft {
        axes: valid,
        inverse,
        real,
        norm,
        real_len: if real && inverse { n[n.len() - 1] } else { 0 },
    };
    fft_node(&x, p, s)
}

/// Transform lengths `s` (default: the input's extents along `axes`,
/// with `(m - 1) * 2` on the last axis of a real inverse transform) and
/// axes (default: all; `s` without `axes` is an error, as in MLX).
fn sizes_and_axes(
    a: &Array,
    s: Option<&[i64]>,
    axes: Option<&[i64]>,
    real_inverse: bool,
    op: &str,
) -> Result<(Vec<i64>, Vec<i64>)> {
    let axes: Vec<i64> = match axes {
        Some(ax) => ax.to_vec(),
        None if s.is_some() => {
            return Err(Error::value(format!(
                "[{op}] `axes` should not be `None` if `s` is not `None`."
            )))
        }
        None => (0..a.ndim() as i64).collect(),
    };
    let n = match s {
        Some(s) => s.to_vec(),
        None => {
            let nd = a.ndim();
            let mut n = Vec::with_capacity(axes.len());
            for &ax in &axes {
                if ax < -(nd as i64) || ax >= nd as i64 {
                    return Err(Error::index(format!(
                        "[fftn] Invalid axis received for array with {nd} dimensions."
                    )));
                }
                n.push(a.dim(ax as isize));
            }
            if real_inverse {
                if let Some(l) = n.last_mut() {
                    *l = (*l - 1) * 2;
                }
            }
            n
        }
    };
    Ok((n, axes))
}

macro_rules! nd_transform {
    ($(#[$doc:meta])* $name:ident, $real:expr, $inverse:expr) => {
        $(#[$doc])*
        pub fn $name(
            a: &Array,
            s: Option<&[i64]>,
            axes: Option<&[i64]>,
            norm: FftNorm,
            stream: Option<Stream>,
        ) -> Result<Array> {
            let st = resolve_stream(stream, stringify!($name))?;
            let (n, axes) =
                sizes_and_axes(a, s, axes, $real && $inverse, stringify!($name))?;
            fft_impl(a, &n, &axes, $real, $inverse, norm, st)
        }
    };
}

nd_transform!(
    /// n-dimensional discrete Fourier transform over `axes` (default: all),
    /// each cropped or zero-padded to `s` (MLX `fft.fftn`).
    fftn, false, false
);
nd_transform!(
    /// n-dimensional inverse discrete Fourier transform (MLX `fft.ifftn`).
    ifftn, false, true
);
nd_transform!(
    /// n-dimensional transform of a real input: the last of `axes` keeps
    /// `s[-1] / 2 + 1` non-negative frequencies (MLX `fft.rfftn`).
    rfftn, true, false
);
nd_transform!(
    /// The inverse of [`rfftn`]: a real output with `s[-1]` (default
    /// `2 * (m - 1)`) points along the last of `axes` (MLX `fft.irfftn`).
    irfftn, true, true
);

macro_rules! one_d_transform {
    ($(#[$doc:meta])* $name:ident, $nd:ident) => {
        $(#[$doc])*
        pub fn $name(
            a: &Array,
            n: Option<i64>,
            axis: i64,
            norm: FftNorm,
            s: Option<Stream>,
        ) -> Result<Array> {
            let n = n.map(|n| [n]);
            $nd(a, n.as_ref().map(|n| &n[..]), Some(&[axis]), norm, s)
        }
    };
}

one_d_transform!(
    /// One-dimensional transform along `axis`, cropped or zero-padded to
    /// `n` points (MLX `fft.fft`).
    fft, fftn
);
one_d_transform!(
    /// One-dimensional inverse transform (MLX `fft.ifft`).
    ifft, ifftn
);
one_d_transform!(
    /// One-dimensional transform of a real input (MLX `fft.rfft`).
    rfft, rfftn
);
one_d_transform!(
    /// The inverse of [`rfft`], with `n` output points (default
    /// `2 * (m - 1)`) (MLX `fft.irfft`).
    irfft, irfftn
);

macro_rules! two_d_transform {
    ($(#[$doc:meta])* $name:ident, $nd:ident) => {
        $(#[$doc])*
        pub fn $name(
            a: &Array,
            s: Option<&[i64]>,
            axes: Option<&[i64]>,
            norm: FftNorm,
            stream: Option<Stream>,
        ) -> Result<Array> {
            $nd(a, s, axes, norm, stream)
        }
    };
}

two_d_transform!(
    /// Two-dimensional transform (MLX `fft.fft2`; pass `Some(&[-2, -1])`
    /// for MLX's default axes, `None` for all axes).
    fft2, fftn
);
two_d_transform!(
    /// Two-dimensional inverse transform (MLX `fft.ifft2`).
    ifft2, ifftn
);
two_d_transform!(
    /// Two-dimensional transform of a real input (MLX `fft.rfft2`).
    rfft2, rfftn
);
two_d_transform!(
    /// The inverse of [`rfft2`] (MLX `fft.irfft2`).
    irfft2, irfftn
);

/// Sample frequencies of an `n`-point transform with sample spacing `d`:
/// `[0, 1, ..., -(n / 2), ..., -1] / (n * d)` (MLX `fft.fftfreq`).
pub fn fftfreq(n: i64, d: f64, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "fftfreq")?;
    if n <= 0 {
        return Err(Error::value("[fftfreq] `n` must be greater than 0."));
    }
    if d == 0.0 {
        return Err(Error::value("[fftfreq] `d` must be non-zero."));
    }
    let pos = (n + 1) / 2;
    let v: Vec<f32> = (0..n)
        .map(|i| {
            let k = if i < pos { i } else { i - n };
            (k as f64 / (n as f64 * d)) as f32
        })
        .collect();
    on_stream(Array::from_slice(&v, &[n])?, s)
}

/// Sample frequencies of an `n`-point real transform: `[0, 1, ..., n / 2]
/// / (n * d)` (MLX `fft.rfftfreq`).
pub fn rfftfreq(n: i64, d: f64, s: Option<Stream>) -> Result<Array> {
    let s = resolve_stream(s, "rfftfreq")?;
    if n <= 0 {
        return Err(Error::value("[rfftfreq] `n` must be greater than 0."));
    }
    if d == 0.0 {
        return Err(Error::value("[rfftfreq] `d` must be non-zero."));
    }
    let v: Vec<f32> = (0..n / 2 + 1)
        .map(|i| (i as f64 / (n as f64 * d)) as f32)
        .collect();
    on_stream(Array::from_slice(&v, &[n / 2 + 1])?, s)
}

/// `a` placed on stream `s` (a host-built constant).
fn on_stream(a: Array, s: Stream) -> Result<Array> {
    if a.stream() == s {
        return Ok(a);
    }
    Ok(Array::from_data(a.shape(), a.dtype(), a.data().clone(), s))
}

fn shift(
    a: &Array,
    axes: Option<&[i64]>,
    op: &str,
    inverse: bool,
    s: Option<Stream>,
) -> Result<Array> {
    let nd = a.ndim();
    let all: Vec<i64> = (0..nd as i64).collect();
    let axes = axes.unwrap_or(&all);
    if axes.is_empty() {
        return Ok(a.clone());
    }
    let mut shifts = Vec::with_capacity(axes.len());
    for &ax in axes {
        let i = normalize_axis("", ax, nd).map_err(|_| {
            Error::index(format!(
                "[{op}] Invalid axis {ax} for array with {nd} dimensions."
            ))
        })?;
        let n = a.shape()[i];
        shifts.push(if inverse { (n + 1) / 2 } else { n / 2 });
    }
    ops::roll(a, &shifts, Some(axes), s)
}

/// Moves the zero frequency to the centre along `axes` (default: all)
/// (MLX `fft.fftshift`).
pub fn fftshift(a: &Array, axes: Option<&[i64]>, s: Option<Stream>) -> Result<Array> {
    shift(a, axes, "fftshift", false, s)
}

/// The inverse of [`fftshift`] (MLX `fft.ifftshift`).
pub fn ifftshift(a: &Array, axes: Option<&[i64]>, s: Option<Stream>) -> Result<Array> {
    shift(a, axes, "ifftshift", true, s)
}

/// The analysis window: `window` (or a rectangle of `win_length`, default
/// `n_fft`) centred and zero-padded to `n_fft`, in at least float32.
fn stft_window(
    op: &str,
    n_fft: i64,
    win_length: Option<i64>,
    window: Option<&Array>,
    s: Stream,
) -> Result<Array> {
    let w = match window {
        Some(w) => {
            if w.ndim() != 1 {
                return Err(Error::value(format!(
                    "[{op}] window must be a one-dimensional array."
                )));
            }
            let dt = promote_types(w.dtype(), Dtype::Float32);
            ops::astype(w, dt, Some(s))?
        }
        None => ops::ones(&[win_length.unwrap_or(n_fft)], Dtype::Float32, Some(s))?,
    };
    let wl = w.shape()[0];
    if wl > n_fft {
        return Err(Error::value(format!(
            "[{op}] window length must not exceed n_fft."
        )));
    }
    let lp = (n_fft - wl) / 2;
    let zero = Array::from_scalar(Scalar::Int(0), w.dtype())?;
    pad(
        &w,
        &[(lp, n_fft - wl - lp)],
        PadMode::Constant,
        &zero,
        Some(s),
    )
}

fn stft_hop(op: &str, n_fft: i64, hop_length: Option<i64>) -> Result<i64> {
    if n_fft <= 0 {
        return Err(Error::value(format!("[{op}] n_fft must be positive.")));
    }
    let hop = hop_length.unwrap_or(n_fft / 4);
    if hop <= 0 {
        return Err(Error::value(format!("[{op}] hop_length must be positive.")));
    }
    Ok(hop)
}

/// Short-time Fourier transform of the last axis of `x` (MLX `fft.stft`):
/// frames of `n_fft` samples `hop_length` (default `n_fft / 4`) apart,
/// multiplied by the window (default: a rectangle of `win_length`,
/// default `n_fft`; centred and zero-padded to `n_fft`), transformed with
/// `norm`. `center` pads `n_fft / 2` samples at both ends with `pad_mode`
/// (`"reflect"`, `"constant"`, `"edge"` or `"symmetric"`). `onesided`
/// (default: for real `x`) keeps the `n_fft / 2 + 1` non-negative
/// frequencies (of the real part, for complex `x`). Output: complex64
/// `(..., n_freq, n_frames)`.
#[allow(clippy::too_many_arguments)]
pub fn stft(
    x: &Array,
    n_fft: i64,
    hop_length: Option<i64>,
    win_length: Option<i64>,
    window: Option<&Array>,
    center: bool,
    pad_mode: &str,
    norm: FftNorm,
    onesided: Option<bool>,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "stft")?;
    if x.ndim() < 1 {
        return Err(Error::value(
            "[stft] Input must have at least one dimension.",
        ));
    }
    let hop = stft_hop("stft", n_fft, hop_length)?;
    let w = stft_window("stft", n_fft, win_length, window, s)?;
    let complex = x.dtype() == Dtype::Complex64;
    let onesided = onesided.unwrap_or(!complex);
    let mode = PadMode::from_name(pad_mode)
        .ok_or_else(|| Error::value(format!("Invalid padding mode ({pad_mode}) passed to pad")))?;
    let nd = x.ndim();
    if x.shape()[nd - 1] == 0 {
        return Err(Error::value("[stft] Cannot frame an empty last axis."));
    }
    let mut x = ops::astype(
        x,
        if complex {
            Dtype::Complex64
        } else {
            Dtype::Float32
        },
        Some(s),
    )?;
    if center {
        let mut widths = vec![(0i64, 0i64); nd];
        widths[nd - 1] = (n_fft / 2, n_fft / 2);
        let zero = Array::from_scalar(Scalar::Int(0), x.dtype())?;
        x = pad(&x, &widths, mode, &zero, Some(s))?;
    }
    let len = x.shape()[nd - 1];
    if len < n_fft {
        return Err(Error::value(
            "[stft] Input is too short for the given n_fft.",
        ));
    }
    let count = 1 + (len - n_fft) / hop;
    let frames = ops::multiply(&frame(&x, n_fft, hop, count, s)?, &w, Some(s))?;
    let spec = if onesided {
        rfft(&frames, None, -1, norm, Some(s))?
    } else {
        fft(&frames, None, -1, norm, Some(s))?
    };
    ops::swapaxes(&spec, -1, -2, Some(s))
}

/// Inverse short-time Fourier transform (MLX `fft.istft`): the inverse
/// transform of each frame of `stft_matrix` (`(..., n_freq, n_frames)`;
/// `n_fft` defaults to `2 * (n_freq - 1)` when `onesided` (the default),
/// `n_freq` otherwise), multiplied by the window and overlap-added,
/// divided by the overlap-added squared window (at least `1e-8`). `center`
/// drops `n_fft / 2` samples at both ends; `length` trims or zero-pads the
/// result. Float32 (the window's dtype if wider).
#[allow(clippy::too_many_arguments)]
pub fn istft(
    stft_matrix: &Array,
    n_fft: Option<i64>,
    hop_length: Option<i64>,
    win_length: Option<i64>,
    window: Option<&Array>,
    center: bool,
    norm: FftNorm,
    onesided: Option<bool>,
    length: Option<i64>,
    s: Option<Stream>,
) -> Result<Array> {
    let s = resolve_stream(s, "istft")?;
    let m = stft_matrix;
    let nd = m.ndim();
    if nd < 2 {
        return Err(Error::value(
            "[istft] Input must have at least two dimensions (freq, frames).",
        ));
    }
    let onesided = onesided.unwrap_or(true);
    let n_freq = m.shape()[nd - 2];
    let n_fft = n_fft.unwrap_or(if onesided { 2 * (n_freq - 1) } else { n_freq });
    let hop = stft_hop("istft", n_fft, hop_length)?;
    let w = stft_window("istft", n_fft, win_length, window, s)?;
    let count = m.shape()[nd - 1];
    if count == 0 {
        return Err(Error::value("[istft] Input has no frames."));
    }
    let spec = ops::swapaxes(m, -1, -2, Some(s))?;
    let frames = if onesided {
        irfft(&spec, Some(n_fft), -1, norm, Some(s))?
    } else {
        ops::real(&ifft(&spec, Some(n_fft), -1, norm, Some(s))?, Some(s))?
    };
    let frames = ops::multiply(&frames, &w, Some(s))?;
    let total = n_fft + (count - 1) * hop;
    let y = overlap_add(&frames, hop, total, s)?;
    let w2 = ops::multiply(&w, &w, Some(s))?;
    let w2 = ops::broadcast_to(&w2, &[count, n_fft], Some(s))?;
    let env = overlap_add(&w2, hop, total, s)?;
    let start = if center { n_fft / 2 } else { 0 };
    let end = match length {
        Some(l) => (start + l.max(0)).min(total),
        None if center => total - n_fft / 2,
        None => total,
    };
    let take = |a: &Array| -> Result<Array> {
        let k = a.ndim();
        let mut st = vec![0i64; k];
        st[k - 1] = start;
        let mut count = a.shape().to_vec();
        count[k - 1] = end - start;
        slice_strided(a, &st, &vec![1; k], &count, Some(s))
    };
    let floor = Array::from_scalar(Scalar::Float(1e-8), env.dtype())?;
    let env = ops::maximum(&take(&env)?, &floor, Some(s))?;
    let mut y = ops::divide(&take(&y)?, &env, Some(s))?;
    if let Some(l) = length {
        let have = end - start;
        if l > have {
            let k = y.ndim();
            let mut widths = vec![(0i64, 0i64); k];
            widths[k - 1] = (0, l - have);
            let zero = Array::from_scalar(Scalar::Int(0), y.dtype())?;
            y = pad(&y, &widths, PadMode::Constant, &zero, Some(s))?;
        }
    }
    Ok(y)
}
