//! The FFT family: [`Fft`] (complex, real-to-complex and complex-to-real
//! transforms over any set of axes, normalisation included) and the two
//! framing primitives behind `stft` / `istft`: [`Frame`] (overlapping
//! windows of the last axis, a strided view) and [`OverlapAdd`] (its
//! transpose). Kernels: `backend/cpu/fft.rs`.
//!
//! Every primitive here is linear, so its jvp is the primitive applied to
//! the tangent and its vjp is the adjoint map (MLX 0.32's convention for
//! complex values: the cotangent of `z = x + iy` is `dL/dx + i dL/dy`):
//! - complex transform: the transform in the other direction with the
//!   dual normalisation (`backward` <-> `forward`, `ortho` unchanged);
//! - real forward (`rfftn`): the cotangent zero-padded to the full length
//!   along the real axis, inverse complex transform, real part;
//! - real inverse (`irfftn`): the real forward transform of the cotangent
//!   with weights 1 on the zero (and even-length Nyquist) frequency, 2
//!   elsewhere, as each kept frequency stands for itself and its mirror;
//! - `Frame` <-> `OverlapAdd`.

use std::any::Any;
use std::sync::Arc;

use super::shape::PadMode;
use super::Primitive;
use crate::array::{Array, Data};
use crate::device::Stream;
use crate::dtype::Dtype;
use crate::element::Scalar;
use crate::error::{Error, Result};
use crate::eval::EvalCtx;
use crate::ops;

/// FFT normalisation, as NumPy and MLX name them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum FftNorm {
    /// Forward unscaled, inverse scaled by `1/n`.
    #[default]
    Backward,
    /// Both directions scaled by `1/sqrt(n)`.
    Ortho,
    /// Forward scaled by `1/n`, inverse unscaled.
    Forward,
}

impl FftNorm {
    /// Parses `"backward"`, `"ortho"` or `"forward"`.
    pub fn from_name(s: &str) -> Option<FftNorm> {
        Some(match s {
            "backward" => FftNorm::Backward,
            "ortho" => FftNorm::Ortho,
            "forward" => FftNorm::Forward,
            _ => return None,
        })
    }

    /// The MLX name.
    pub fn name(self) -> &'static str {
        match self {
            FftNorm::Backward => "backward",
            FftNorm::Ortho => "ortho",
            FftNorm::Forward => "forward",
        }
    }

    /// The normalisation whose transform in the other direction is the
    /// adjoint of this one's.
    pub fn dual(self) -> FftNorm {
        match self {
            FftNorm::Backward => FftNorm::Forward,
            FftNorm::Ortho => FftNorm::Ortho,
            FftNorm::Forward => FftNorm::Backward,
        }
    }

    /// The factor applied to an unnormalised transform of `n` points.
    pub fn factor(self, n: f64, inverse: bool) -> f64 {
        match (self, inverse) {
            (FftNorm::Ortho, _) => 1.0 / n.sqrt(),
            (FftNorm::Backward, true) | (FftNorm::Forward, false) => 1.0 / n,
            _ => 1.0,
        }
    }
}

/// A discrete Fourier transform over `axes`. Complex transforms map
/// complex64 to complex64 of the same shape. A real forward transform maps
/// float32 of length `n` on the last listed axis to complex64 of length
/// `n / 2 + 1` there; a real inverse transform maps complex64 of length
/// `real_len / 2 + 1` on the last listed axis to float32 of length
/// `real_len` (the other axes get complex transforms).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fft {
    /// Transformed axes (non-negative, distinct); the real axis is the last.
    pub axes: Vec<usize>,
    /// Inverse (`+i` exponent) rather than forward transform.
    pub inverse: bool,
    /// Real-to-complex (forward) or complex-to-real (inverse).
    pub real: bool,
    /// Normalisation.
    pub norm: FftNorm,
    /// Real inverse only: the output length along the real axis (0 else).
    pub real_len: i64,
}

impl Fft {
    fn real_axis(&self) -> usize {
        *self.axes.last().expect("an FFT has at least one axis")
    }

    /// The dtype the input must have.
    pub fn in_dtype(&self) -> Dtype {
        if self.real && !self.inverse {
            Dtype::Float32
        } else {
            Dtype::Complex64
        }
    }

    /// The output dtype.
    pub fn out_dtype(&self) -> Dtype {
        if self.real && self.inverse {
            Dtype::Float32
        } else {
            Dtype::Complex64
        }
    }

    /// The output shape for an input of `shape`.
    pub fn output_shape(&self, shape: &[i64]) -> Vec<i64> {
        let mut out = shape.to_vec();
        if self.real {
            let ax = self.real_axis();
            out[ax] = if self.inverse {
                self.real_len
            } else {
                shape[ax] / 2 + 1
            };
        }
        out
    }

    /// The factor applied to the unnormalised transform of an input of
    /// `shape` (the number of points counts the real signal's length).
    pub fn scale(&self, shape: &[i64]) -> f64 {
        let n: f64 = self
            .axes
            .iter()
            .map(|&ax| {
                if self.real && self.inverse && ax == self.real_axis() {
                    self.real_len as f64
                } else {
                    shape[ax] as f64
                }
            })
            .product();
        self.norm.factor(n, self.inverse)
    }
}

/// The node computing `p` of `x` (cast to the input dtype `p` needs).
pub(crate) fn fft_node(x: &Array, p: Fft, s: Stream) -> Result<Array> {
    let x = ops::astype(x, p.in_dtype(), Some(s))?;
    Ok(Array::from_op(
        p.output_shape(x.shape()),
        p.out_dtype(),
        s,
        Arc::new(p),
        vec![x],
    ))
}

/// Weights of the kept frequencies of a real signal of length `n` (see the
/// module doc), shaped to broadcast along `axis` of an `nd`-d array.
fn hermitian_weights(n: i64, axis: usize, nd: usize) -> Result<Array> {
    let m = n / 2 + 1;
    let w: Vec<f32> = (0..m)
        .map(|k| {
            if k == 0 || (n % 2 == 0 && k == n / 2) {
                1.0
            } else {
                2.0
            }
        })
        .collect();
    let mut shape = vec![1i64; nd];
    shape[axis] = m;
    Array::from_slice(&w, &shape)
}

impl Primitive for Fft {
    fn name(&self) -> &'static str {
        "FFT"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = if self.real {
            ctx.alloc(0)?
        } else {
            ctx.donate_or_alloc(&[0], 0)?
        };
        crate::backend::cpu::fft::fft(self, a.data(), a.shape(), &out, ctx.outputs[0].shape)?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        _: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        let (x, c) = (&primals[0], &cotangents[0]);
        let s = x.stream();
        let dual = |inverse: bool, real: bool| Fft {
            axes: self.axes.clone(),
            inverse,
            real,
            norm: self.norm.dual(),
            real_len: 0,
        };
        let g = match (self.real, self.inverse) {
            (false, inverse) => fft_node(c, dual(!inverse, false), s)?,
            (true, false) => {
                let ax = self.real_axis();
                let c = ops::astype(c, Dtype::Complex64, Some(s))?;
                let mut widths = vec![(0i64, 0i64); c.ndim()];
                widths[ax] = (0, x.shape()[ax] - c.shape()[ax]);
                let zero = Array::from_scalar(Scalar::Int(0), Dtype::Complex64)?;
                let full = ops::pad(&c, &widths, PadMode::Constant, &zero, Some(s))?;
                ops::real(&fft_node(&full, dual(true, false), s)?, Some(s))?
            }
            (true, true) => {
                let ax = self.real_axis();
                let r = fft_node(c, dual(false, true), s)?;
                let w = hermitian_weights(self.real_len, ax, r.ndim())?;
                ops::multiply(&r, &w, Some(s))?
            }
        };
        Ok(vec![g])
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        Ok(vec![fft_node(
            &tangents[0],
            self.clone(),
            primals[0].stream(),
        )?])
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let x = &inputs[0];
        let mut p = self.clone();
        if let Some(b) = axes[0] {
            for ax in &mut p.axes {
                if *ax >= b {
                    *ax += 1;
                }
            }
        }
        Ok((vec![fft_node(x, p, x.stream())?], vec![axes[0]]))
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<Fft>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `count` overlapping windows of `size` elements, `hop` apart, along the
/// last axis: `(..., L)` to `(..., count, size)` with
/// `(count - 1) * hop + size <= L`. The result is a view (no copy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Window length.
    pub size: i64,
    /// Distance between window starts.
    pub hop: i64,
    /// Number of windows.
    pub count: i64,
}

/// Sums `(..., count, size)` windows placed `hop` apart into `(..., len)`
/// (zeros where no window reaches): the transpose of [`Frame`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverlapAdd {
    /// Distance between window starts.
    pub hop: i64,
    /// Output length, at least `(count - 1) * hop + size`.
    pub len: i64,
}

/// The [`Frame`] node of `x` (at least 1-d, long enough).
pub(crate) fn frame(x: &Array, size: i64, hop: i64, count: i64, s: Stream) -> Result<Array> {
    let nd = x.ndim();
    let l = x.shape()[nd - 1];
    if size <= 0 || hop <= 0 || count < 0 || (count > 0 && (count - 1) * hop + size > l) {
        return Err(Error::value(format!(
            "[frame] Cannot take {count} windows of {size} with hop {hop} from length {l}."
        )));
    }
    let mut shape = x.shape()[..nd - 1].to_vec();
    shape.extend([count, size]);
    Ok(Array::from_op(
        shape,
        x.dtype(),
        s,
        Arc::new(Frame { size, hop, count }),
        vec![x.clone()],
    ))
}

/// The [`OverlapAdd`] node of `x` (at least 2-d; float32, float64 or
/// complex64).
pub(crate) fn overlap_add(x: &Array, hop: i64, len: i64, s: Stream) -> Result<Array> {
    let nd = x.ndim();
    let (count, size) = (x.shape()[nd - 2], x.shape()[nd - 1]);
    if hop <= 0 || (count > 0 && (count - 1) * hop + size > len) {
        return Err(Error::value(format!(
            "[overlap_add] {count} windows of {size} with hop {hop} do not fit length {len}."
        )));
    }
    if !matches!(
        x.dtype(),
        Dtype::Float32 | Dtype::Float64 | Dtype::Complex64
    ) {
        return Err(Error::type_(format!(
            "[overlap_add] Unsupported dtype {:?}.",
            x.dtype()
        )));
    }
    let mut shape = x.shape()[..nd - 2].to_vec();
    shape.push(len);
    Ok(Array::from_op(
        shape,
        x.dtype(),
        s,
        Arc::new(OverlapAdd { hop, len }),
        vec![x.clone()],
    ))
}

/// `x` with its batch axis `b` moved to the front (the framing primitives
/// act on the trailing axes).
fn batch_first(x: &Array, b: Option<usize>) -> Result<(Array, Option<usize>)> {
    match b {
        Some(b) if b != 0 => Ok((ops::moveaxis(x, b as i64, 0, Some(x.stream()))?, Some(0))),
        _ => Ok((x.clone(), b)),
    }
}

impl Primitive for Frame {
    fn name(&self) -> &'static str {
        "Frame"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let d = ctx.inputs[0].data();
        let nd = d.strides.len();
        let last = d.strides[nd - 1];
        let mut strides = d.strides[..nd - 1].to_vec();
        strides.extend([self.hop * last, last]);
        Ok(vec![Data {
            buf: d.buf.clone(),
            offset: d.offset,
            strides: strides.into_boxed_slice(),
        }])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        _: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        let x = &primals[0];
        let len = x.shape()[x.ndim() - 1];
        Ok(vec![overlap_add(
            &cotangents[0],
            self.hop,
            len,
            x.stream(),
        )?])
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        let s = primals[0].stream();
        Ok(vec![frame(
            &tangents[0],
            self.size,
            self.hop,
            self.count,
            s,
        )?])
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let (x, b) = batch_first(&inputs[0], axes[0])?;
        let s = x.stream();
        Ok((
            vec![frame(&x, self.size, self.hop, self.count, s)?],
            vec![b],
        ))
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<Frame>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

impl Primitive for OverlapAdd {
    fn name(&self) -> &'static str {
        "OverlapAdd"
    }

    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let a = &ctx.inputs[0];
        let out = ctx.alloc(0)?;
        crate::backend::cpu::fft::overlap_add(
            a.dtype(),
            a.data(),
            a.shape(),
            &out,
            self.hop as usize,
            self.len as usize,
        )?;
        Ok(vec![out])
    }

    fn vjp(
        &self,
        primals: &[Array],
        cotangents: &[Array],
        _: &[usize],
        _: &[Array],
    ) -> Result<Vec<Array>> {
        let x = &primals[0];
        let nd = x.ndim();
        let (count, size) = (x.shape()[nd - 2], x.shape()[nd - 1]);
        let c = ops::astype(&cotangents[0], x.dtype(), Some(x.stream()))?;
        Ok(vec![frame(&c, size, self.hop, count, x.stream())?])
    }

    fn jvp(&self, primals: &[Array], tangents: &[Array], _: &[usize]) -> Result<Vec<Array>> {
        let x = &primals[0];
        let t = ops::astype(&tangents[0], x.dtype(), Some(x.stream()))?;
        Ok(vec![overlap_add(&t, self.hop, self.len, x.stream())?])
    }

    fn vmap(
        &self,
        inputs: &[Array],
        axes: &[Option<usize>],
    ) -> Result<(Vec<Array>, Vec<Option<usize>>)> {
        let (x, b) = batch_first(&inputs[0], axes[0])?;
        let s = x.stream();
        Ok((vec![overlap_add(&x, self.hop, self.len, s)?], vec![b]))
    }

    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other
            .as_any()
            .downcast_ref::<OverlapAdd>()
            .is_some_and(|o| o == self)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
