//! `rmlx.core.fft`: MLX's Fast Fourier Transform module with its
//! signatures, defaults and argument checking (`fft` ... `irfftn`,
//! `fftfreq`, `rfftfreq`, `fftshift`, `ifftshift`, `stft`, `istft`).

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyString};
use rmlx::ops::fft as f;
use rmlx::ops::fft::FftNorm;
use rmlx::Array;

use crate::array::PyArray;
use crate::convert::stream_arg;
use crate::errors::PyResultExt;

type Opt<'a, 'py> = Option<&'a Bound<'py, PyAny>>;

fn norm_arg(fname: &str, norm: &str) -> PyResult<FftNorm> {
    FftNorm::from_name(norm).ok_or_else(|| {
        PyValueError::new_err(format!(
            "[{fname}] Invalid norm. Expected one of {{'backward', 'ortho', 'forward'}}."
        ))
    })
}

fn wrap(r: rmlx::Result<Array>) -> PyResult<PyArray> {
    Ok(PyArray::new(r.py()?))
}

macro_rules! one_d_fns {
    ($($name:ident),*) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, n = None, axis = -1, norm = "backward", stream = None))]
        fn $name(
            a: PyRef<'_, PyArray>,
            n: Option<i64>,
            axis: i64,
            norm: &str,
            stream: Opt<'_, '_>,
        ) -> PyResult<PyArray> {
            let norm = norm_arg(stringify!($name), norm)?;
            wrap(f::$name(&a.inner, n, axis, norm, stream_arg(stream)?))
        }
    )*};
}

one_d_fns!(fft, ifft, rfft, irfft);

// `axes` omitted means `[-2, -1]` for the two-dimensional transforms and
// all axes for the n-dimensional ones; an explicit `None` means all axes.
macro_rules! many_d_fns {
    ($($name:ident => $default:expr),*) => {$(
        #[pyfunction]
        #[pyo3(signature = (a, s = None, axes = $default, norm = "backward", stream = None))]
        fn $name(
            a: PyRef<'_, PyArray>,
            s: Option<Vec<i64>>,
            axes: Option<Vec<i64>>,
            norm: &str,
            stream: Opt<'_, '_>,
        ) -> PyResult<PyArray> {
            let norm = norm_arg(stringify!($name), norm)?;
            wrap(f::$name(
                &a.inner,
                s.as_deref(),
                axes.as_deref(),
                norm,
                stream_arg(stream)?,
            ))
        }
    )*};
}

many_d_fns!(fftn => None, ifftn => None, rfftn => None, irfftn => None);
many_d_fns!(
    fft2 => Some(vec![-2, -1]),
    ifft2 => Some(vec![-2, -1]),
    rfft2 => Some(vec![-2, -1]),
    irfft2 => Some(vec![-2, -1])
);

#[pyfunction]
#[pyo3(signature = (n, d = 1.0, stream = None))]
fn fftfreq(n: i64, d: f64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(f::fftfreq(n, d, stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (n, d = 1.0, stream = None))]
fn rfftfreq(n: i64, d: f64, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    wrap(f::rfftfreq(n, d, stream_arg(stream)?))
}

/// `axes`: None, an int or a sequence of ints.
fn shift_axes(axes: Opt<'_, '_>) -> PyResult<Option<Vec<i64>>> {
    match axes {
        Some(o) if !o.is_none() => {
            if o.is_instance_of::<PyString>() || o.is_instance_of::<PyFloat>() {
                return Err(PyTypeError::new_err(format!(
                    "axes must be an int or a sequence of ints, got {}.",
                    o.get_type().qualname()?
                )));
            }
            if let Ok(i) = o.extract::<i64>() {
                return Ok(Some(vec![i]));
            }
            Ok(Some(o.extract::<Vec<i64>>()?))
        }
        _ => Ok(None),
    }
}

#[pyfunction]
#[pyo3(signature = (a, axes = None, stream = None))]
fn fftshift(a: PyRef<'_, PyArray>, axes: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let axes = shift_axes(axes)?;
    wrap(f::fftshift(&a.inner, axes.as_deref(), stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (a, axes = None, stream = None))]
fn ifftshift(a: PyRef<'_, PyArray>, axes: Opt<'_, '_>, stream: Opt<'_, '_>) -> PyResult<PyArray> {
    let axes = shift_axes(axes)?;
    wrap(f::ifftshift(&a.inner, axes.as_deref(), stream_arg(stream)?))
}

#[pyfunction]
#[pyo3(signature = (x, n_fft = 2048, hop_length = None, win_length = None, window = None, center = true, pad_mode = "reflect", norm = "backward", onesided = None, stream = None))]
#[allow(clippy::too_many_arguments)]
fn stft(
    x: PyRef<'_, PyArray>,
    n_fft: i64,
    hop_length: Option<i64>,
    win_length: Option<i64>,
    window: Option<PyRef<'_, PyArray>>,
    center: bool,
    pad_mode: &str,
    norm: &str,
    onesided: Option<bool>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let norm = norm_arg("stft", norm)?;
    wrap(f::stft(
        &x.inner,
        n_fft,
        hop_length,
        win_length,
        window.as_ref().map(|w| &w.inner),
        center,
        pad_mode,
        norm,
        onesided,
        stream_arg(stream)?,
    ))
}

#[pyfunction]
#[pyo3(signature = (stft_matrix, n_fft = None, hop_length = None, win_length = None, window = None, center = true, norm = "backward", onesided = None, length = None, stream = None))]
#[allow(clippy::too_many_arguments)]
fn istft(
    stft_matrix: PyRef<'_, PyArray>,
    n_fft: Option<i64>,
    hop_length: Option<i64>,
    win_length: Option<i64>,
    window: Option<PyRef<'_, PyArray>>,
    center: bool,
    norm: &str,
    onesided: Option<bool>,
    length: Option<i64>,
    stream: Opt<'_, '_>,
) -> PyResult<PyArray> {
    let norm = norm_arg("istft", norm)?;
    wrap(f::istft(
        &stft_matrix.inner,
        n_fft,
        hop_length,
        win_length,
        window.as_ref().map(|w| &w.inner),
        center,
        norm,
        onesided,
        length,
        stream_arg(stream)?,
    ))
}

/// Registers the `fft` submodule (also as `rmlx.core.fft` in
/// `sys.modules`, so it can be imported by name).
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    // MLX names its submodules in full (`mlx.core.fft`).
    let sub = PyModule::new(py, "rmlx.core.fft")?;
    sub.setattr("__doc__", "rmlx.core.fft: Fast Fourier Transforms.")?;
    macro_rules! add {
        ($($f:ident),*) => { $( sub.add_function(wrap_pyfunction!($f, &sub)?)?; )* };
    }
    add!(fft, ifft, rfft, irfft, fft2, ifft2, rfft2, irfft2);
    add!(fftn, ifftn, rfftn, irfftn, fftfreq, rfftfreq, fftshift, ifftshift);
    add!(stft, istft);
    m.add("fft", &sub)?;
    py.import("sys")?
        .getattr("modules")?
        .set_item("rmlx.core.fft", &sub)?;
    Ok(())
}
