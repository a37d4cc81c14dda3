//! Creation primitives that compute their data from parameters alone:
//! `arange`, `linspace`, and the band matrices behind `eye` and `tri`.
//! Fills (`zeros`, `full` ...) are broadcasts of a scalar and need no
//! primitive. The kernels are small and live here.

use std::any::Any;

use super::Primitive;
use crate::array::Data;
use crate::backend::cpu::binary::Arith;
use crate::backend::cpu::{par_range, SyncPtr};
use crate::element::{Element, Scalar};
use crate::error::Result;
use crate::eval::EvalCtx;

/// `start, start + step, ...` with MLX's arithmetic: `start` and
/// `start + step` are converted to the output type, their difference is
/// the increment, and floats accumulate it element after element (so the
/// values carry the same rounding as MLX's).
#[derive(Debug, Clone, PartialEq)]
pub struct Arange {
    /// First value.
    pub start: f64,
    /// Increment.
    pub step: f64,
}

fn fill_arange<T: Arith>(out: &Data, n: usize, start: f64, step: f64) {
    let p = SyncPtr(out.ptr::<T>());
    let s0 = T::from_scalar(Scalar::Float(start));
    let inc = T::sub(T::from_scalar(Scalar::Float(start + step)), s0);
    if T::DTYPE.is_inexact() {
        let mut v = s0;
        for i in 0..n {
            // SAFETY: the output holds n elements.
            unsafe { *p.0.add(i) = v };
            v = T::add(v, inc);
        }
    } else {
        // Integers: the wrapping closed form equals the accumulation.
        par_range(n, move |a, b| {
            let p = p;
            for i in a..b {
                // SAFETY: a..b lies within the output.
                unsafe {
                    *p.0.add(i) = T::add(s0, T::mul(inc, T::from_scalar(Scalar::UInt(i as u64))))
                };
            }
        });
    }
}

fn fill_arange_complex(out: &Data, n: usize, start: f64, step: f64) {
    let p = out.ptr::<num_complex::Complex32>();
    let s0 = num_complex::Complex32::new(start as f32, 0.0);
    let inc = num_complex::Complex32::new((start + step) as f32, 0.0) - s0;
    let mut v = s0;
    for i in 0..n {
        // SAFETY: the output holds n elements.
        unsafe { *p.add(i) = v };
        v += inc;
    }
}

impl Primitive for Arange {
    fn name(&self) -> &'static str {
        "arange"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let n = ctx.outputs[0].shape[0] as usize;
        crate::dispatch_real!(
            ctx.outputs[0].dtype,
            T => fill_arange::<T>(&out, n, self.start, self.step),
            fill_arange_complex(&out, n, self.start, self.step)
        );
        Ok(vec![out])
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Arange>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `num` evenly spaced values: element i is `(1 - t) * start + t * stop`
/// with `t = i / den`, computed in float32 (float64 when `wide`) and
/// converted to the output dtype, as MLX does.
#[derive(Debug, Clone, PartialEq)]
pub struct Linspace {
    /// First value.
    pub start: f64,
    /// Value at `t = 1`.
    pub stop: f64,
    /// Divisor of the index (`num - 1` with the endpoint, `num` without).
    pub den: f64,
    /// Compute in float64 instead of float32.
    pub wide: bool,
}

fn fill_linspace<T: Element>(out: &Data, n: usize, lin: &Linspace) {
    let p = SyncPtr(out.ptr::<T>());
    let (start, stop, den, wide) = (lin.start, lin.stop, lin.den, lin.wide);
    par_range(n, move |a, b| {
        let p = p;
        for i in a..b {
            let v = if wide {
                let t = i as f64 / den;
                (1.0 - t) * start + t * stop
            } else {
                let t = i as f32 / den as f32;
                ((1.0 - t) * start as f32 + t * stop as f32) as f64
            };
            // SAFETY: a..b lies within the output.
            unsafe { *p.0.add(i) = T::from_scalar(Scalar::Float(v)) };
        }
    });
}

impl Primitive for Linspace {
    fn name(&self) -> &'static str {
        "linspace"
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let n = ctx.outputs[0].shape[0] as usize;
        crate::dispatch!(ctx.outputs[0].dtype, T => fill_linspace::<T>(&out, n, self));
        Ok(vec![out])
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Linspace>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// A 2-d matrix of ones and zeros: ones where `j - i == k` (`eye`) or
/// `j - i <= k` (`tri`), for row `i` and column `j`.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Diagonal offset (positive: above the main diagonal).
    pub k: i64,
    /// Only the k-th diagonal (`eye`) rather than everything on or below it (`tri`).
    pub diagonal_only: bool,
}

fn fill_band<T: Element>(out: &Data, rows: usize, cols: usize, k: i64, diagonal_only: bool) {
    let p = SyncPtr(out.ptr::<T>());
    let (one, zero) = (
        T::from_scalar(Scalar::Bool(true)),
        T::from_scalar(Scalar::Bool(false)),
    );
    if rows == 0 || cols == 0 {
        return;
    }
    par_range(rows * cols, move |a, b| {
        let p = p;
        for r in a / cols..b.div_ceil(cols).min(rows) {
            let lo = a.saturating_sub(r * cols).min(cols);
            let hi = (b - r * cols).min(cols);
            // Columns j with j - r <= k are ones (tri); only j - r == k (eye).
            let d = r as i64 + k;
            let edge = if diagonal_only {
                lo
            } else {
                ((d + 1).clamp(0, cols as i64) as usize).clamp(lo, hi)
            };
            // SAFETY: row r, columns lo..hi lie within the output.
            unsafe {
                let row = p.0.add(r * cols);
                for j in lo..edge {
                    *row.add(j) = one;
                }
                for j in edge..hi {
                    *row.add(j) = zero;
                }
                if diagonal_only && d >= lo as i64 && d < hi as i64 {
                    *row.add(d as usize) = one;
                }
            }
        }
    });
}

impl Primitive for Band {
    fn name(&self) -> &'static str {
        if self.diagonal_only {
            "eye"
        } else {
            "tri"
        }
    }
    fn eval_cpu(&self, ctx: &EvalCtx) -> Result<Vec<Data>> {
        let out = ctx.alloc(0)?;
        let shape = ctx.outputs[0].shape;
        let (r, c) = (shape[0] as usize, shape[1] as usize);
        crate::dispatch!(ctx.outputs[0].dtype, T => fill_band::<T>(&out, r, c, self.k, self.diagonal_only));
        Ok(vec![out])
    }
    fn is_equivalent(&self, other: &dyn Primitive) -> bool {
        other.as_any().downcast_ref::<Band>() == Some(self)
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}
