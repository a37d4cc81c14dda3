//! CPU kernel of `fast.rope`: rotary position encoding of the first `dims`
//! features of each row of `x` (shape `(B, ..., T, D)`). The angles of
//! every (offset, position, frequency) are tabulated once per call (in
//! float32 like MLX's fallback, float64 for float64 inputs), then each row
//! is rotated in one pass; float16/bfloat16 rows go through float32.

use half::{bf16, f16};

use super::fast_norm::{by_rows, contig, to_f64_vec, to_i64_vec, Acc};
use crate::array::{Array, Data};
use crate::backend::cpu::SyncPtr;
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::fast::Rope;

/// cos/sin of every `(offset, t, i)`: `n_off * t * half` pairs.
struct Table<T> {
    cos: Vec<T>,
    sin: Vec<T>,
}

fn table<T: Acc>(
    p: &Rope,
    offsets: &[i64],
    t: usize,
    freqs: Option<&[f64]>,
    wide: bool,
) -> Table<T> {
    let half = p.dims / 2;
    let inv: Vec<f64> = (0..half)
        .map(|i| match freqs {
            Some(f) if wide => 1.0 / f[i],
            Some(f) => (1.0 / f[i] as f32) as f64,
            None if wide => (-(i as f64) * (p.base as f64).ln() / half as f64).exp(),
            None => {
                let step = (p.base as f64).ln() as f32 / half as f32;
                ((-(i as f32)) * step).exp() as f64
            }
        })
        .collect();
    let n = offsets.len() * t * half;
    let (mut cos, mut sin) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for &off in offsets {
        for ti in 0..t {
            for &f in &inv {
                if wide {
                    let th = (ti as f64 + off as f64) * p.scale as f64 * f;
                    cos.push(T::of(th.cos()));
                    sin.push(T::of(th.sin()));
                } else {
                    let pos = (ti as f32 + off as f32) * p.scale;
                    let th = pos * f as f32;
                    cos.push(T::of(th.cos() as f64));
                    sin.push(T::of(th.sin() as f64));
                }
            }
        }
    }
    Table { cos, sin }
}

/// Rotates one row (`x` and `o` of length D) with the angles `c`/`s`.
#[inline(always)]
fn rope_row<T: Acc>(p: &Rope, x: &[T], o: &mut [T], c: &[T], s: &[T]) {
    let half = p.dims / 2;
    for i in 0..half {
        let (i1, i2) = if p.traditional {
            (2 * i, 2 * i + 1)
        } else {
            (i, i + half)
        };
        let (x1, x2) = (x[i1], x[i2]);
        let (c, s) = (c[i], s[i]);
        if p.forward {
            o[i1] = x1 * c - x2 * s;
            o[i2] = x1 * s + x2 * c;
        } else {
            o[i1] = x2 * s + x1 * c;
            o[i2] = x2 * c - x1 * s;
        }
    }
    o[p.dims..].copy_from_slice(&x[p.dims..]);
}

/// Where row `r`'s angles start in the table.
struct Rows {
    per_batch: usize,
    t: usize,
    half: usize,
    per_batch_offsets: bool,
}

impl Rows {
    fn angle_base(&self, r: usize) -> usize {
        let b = if self.per_batch_offsets {
            r / self.per_batch
        } else {
            0
        };
        (b * self.t + r % self.t) * self.half
    }
}

/// Applies [`Rope`] to `x` (with `offset` and optional `freqs`) into the
/// row-contiguous `out`.
pub fn rope(p: &Rope, x: &Array, offset: &Array, freqs: Option<&Array>, out: &Data) -> Result<()> {
    let shape = x.shape();
    let d = *shape.last().unwrap_or(&1) as usize;
    if x.size() == 0 || d == 0 {
        return Ok(());
    }
    let t = shape[shape.len() - 2] as usize;
    let nrows = x.size() / d;
    let offsets = to_i64_vec(offset)?;
    let freqs = freqs.map(to_f64_vec).transpose()?;
    let rows = Rows {
        per_batch: nrows / shape[0].max(1) as usize,
        t,
        half: p.dims / 2,
        per_batch_offsets: offsets.len() > 1,
    };
    let xd = contig(x)?;
    let dt = x.dtype();
    let wide = dt == Dtype::Float64;
    macro_rules! run {
        ($T:ty, $S:ty, $load:expr, $store:expr) => {{
            let tb = table::<$T>(p, &offsets, t, freqs.as_deref(), wide);
            let (xp, op) = (SyncPtr(xd.ptr::<$S>()), SyncPtr(out.ptr::<$S>()));
            let (tb, rows) = (&tb, &rows);
            by_rows(nrows, d, |r0, cnt| {
                let (xp, op) = (xp, op);
                let mut xi = vec![<$T>::ZERO; d];
                let mut xo = vec![<$T>::ZERO; d];
                for r in r0..r0 + cnt {
                    let a = rows.angle_base(r);
                    let (c, s) = (&tb.cos[a..a + rows.half], &tb.sin[a..a + rows.half]);
                    // SAFETY: row r lies in both buffers; blocks are disjoint.
                    unsafe {
                        let src = std::slice::from_raw_parts(xp.0.add(r * d), d);
                        let dst = std::slice::from_raw_parts_mut(op.0.add(r * d), d);
                        for (v, s) in xi.iter_mut().zip(src) {
                            *v = $load(*s);
                        }
                        rope_row(p, &xi, &mut xo, c, s);
                        for (o, &v) in dst.iter_mut().zip(&xo) {
                            *o = $store(v);
                        }
                    }
                }
            });
        }};
    }
    match dt {
        Dtype::Float32 => run!(f32, f32, |v: f32| v, |v: f32| v),
        Dtype::Float64 => run!(f64, f64, |v: f64| v, |v: f64| v),
        Dtype::Float16 => run!(f32, f16, |v: f16| v.to_f32(), f16::from_f32),
        Dtype::Bfloat16 => run!(f32, bf16, |v: bf16| v.to_f32(), bf16::from_f32),
        _ => return Err(Error::type_(format!("[rope] Unsupported dtype {dt:?}."))),
    }
    Ok(())
}
