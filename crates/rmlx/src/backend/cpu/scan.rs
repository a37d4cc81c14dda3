//! CPU kernels of the scan family. The input is viewed as
//! `(outer, n, inner)` around the scanned axis: with `inner == 1` each row
//! is scanned sequentially; otherwise whole `inner`-long rows are combined
//! elementwise (vectorisable), never walked with a stride. Work is split
//! across cores over rows and column chunks. Accumulation happens in the
//! element type, as MLX does (float16 saturates like MLX's).

use half::{bf16, f16};
use num_complex::Complex32;

use super::binary::Arith;
use super::{par_range, SyncPtr};
use crate::array::Data;
use crate::dtype::Dtype;
use crate::error::Result;
use crate::primitives::scan::{Scan, ScanOp};

#[derive(Clone, Copy)]
struct Geo {
    outer: usize,
    n: usize,
    inner: usize,
    reverse: bool,
    inclusive: bool,
}

/// Scans `src` into `dst` (both row-contiguous) with `f`, starting
/// exclusive scans from `init`.
fn drive<T: Copy + Send + Sync, F: Fn(T, T) -> T + Copy + Send + Sync>(
    g: Geo,
    src: *const T,
    dst: *mut T,
    init: T,
    f: F,
) {
    let (src, dst) = (SyncPtr(src as *mut T), SyncPtr(dst));
    let Geo {
        outer,
        n,
        inner,
        reverse,
        inclusive,
    } = g;
    // Position k of the scan order -> index along the axis.
    let at = move |k: usize| if reverse { n - 1 - k } else { k };
    if inner == 1 {
        par_range(outer * n, |a, b| {
            let (src, dst) = (src, dst);
            for o in a.div_ceil(n)..b.div_ceil(n).min(outer) {
                // SAFETY: row o has n elements in both buffers.
                unsafe {
                    let (p, q) = (src.0.add(o * n), dst.0.add(o * n));
                    let mut acc = init;
                    for k in 0..n {
                        let i = at(k);
                        if inclusive {
                            acc = if k == 0 { *p.add(i) } else { f(acc, *p.add(i)) };
                            *q.add(i) = acc;
                        } else {
                            *q.add(i) = acc;
                            acc = f(acc, *p.add(i));
                        }
                    }
                }
            }
        });
        return;
    }
    let cw = inner.min(4096);
    let chunks = inner.div_ceil(cw);
    let tasks = outer * chunks;
    par_range(tasks * n * cw, |a, b| {
        let (src, dst) = (src, dst);
        let per = n * cw;
        for t in a.div_ceil(per)..b.div_ceil(per).min(tasks) {
            let (o, c) = (t / chunks, t % chunks);
            let (c0, c1) = (c * cw, ((c + 1) * cw).min(inner));
            let w = c1 - c0;
            // SAFETY: every row pointer addresses w columns of block o.
            unsafe {
                let row = |ptr: *mut T, i: usize| ptr.add(o * n * inner + i * inner + c0);
                for k in 0..n {
                    let i = at(k);
                    let q = row(dst.0, i);
                    if k == 0 {
                        if inclusive {
                            std::ptr::copy_nonoverlapping(row(src.0, i) as *const T, q, w);
                        } else {
                            for j in 0..w {
                                *q.add(j) = init;
                            }
                        }
                        continue;
                    }
                    let prev = row(dst.0, at(k - 1)) as *const T;
                    let x = row(src.0, if inclusive { i } else { at(k - 1) }) as *const T;
                    for j in 0..w {
                        *q.add(j) = f(*prev.add(j), *x.add(j));
                    }
                }
            }
        }
    });
}

/// `log(exp(a) + exp(b))` computed stably in f64 or f32.
macro_rules! lae {
    ($name:ident, $t:ty) => {
        #[inline(always)]
        fn $name(a: $t, b: $t) -> $t {
            if a.is_nan() || b.is_nan() {
                return <$t>::NAN;
            }
            let m = a.max(b);
            if m.is_infinite() {
                return m;
            }
            m + (-(a - b).abs()).exp().ln_1p()
        }
    };
}
lae!(lae32, f32);
lae!(lae64, f64);

fn clae(a: Complex32, b: Complex32) -> Complex32 {
    let (m, o) = if a.re >= b.re { (a, b) } else { (b, a) };
    if m.re == f32::NEG_INFINITY {
        return m;
    }
    m + (Complex32::new(1.0, 0.0) + (o - m).exp()).ln()
}

fn ccmp_gt(a: Complex32, b: Complex32) -> bool {
    a.re > b.re || (a.re == b.re && a.im > b.im)
}

/// A binary scan step.
type Bin<T> = fn(T, T) -> T;

/// Per-type pieces of a scan beyond [`Arith`].
struct Extra<T> {
    /// Exclusive start of max.
    lo: T,
    /// Exclusive start of min.
    hi: T,
    /// Additive identity.
    zero: T,
    /// Multiplicative identity.
    one: T,
    /// Log-add-exp (`None`: not defined for the type).
    lae: Option<Bin<T>>,
    /// NaN-propagating (max, min) replacing `Arith`'s.
    minmax: Option<(Bin<T>, Bin<T>)>,
}

/// Scan of an [`Arith`] type.
fn arith_scan<T: Arith + Send + Sync>(op: ScanOp, g: Geo, src: *const T, dst: *mut T, x: Extra<T>) {
    let (mx, mn): (Bin<T>, Bin<T>) = x.minmax.unwrap_or((T::max, T::min));
    let (lo, hi, zero, one, lae) = (x.lo, x.hi, x.zero, x.one, x.lae);
    match op {
        ScanOp::Sum => drive(g, src, dst, zero, T::add),
        ScanOp::Prod => drive(g, src, dst, one, T::mul),
        ScanOp::Max => drive(g, src, dst, lo, mx),
        ScanOp::Min => drive(g, src, dst, hi, mn),
        ScanOp::LogAddExp => {
            if let Some(f) = lae {
                drive(g, src, dst, lo, f)
            }
        }
    }
}

macro_rules! int_scan {
    ($op:expr, $g:expr, $s:expr, $d:expr, $t:ty) => {
        arith_scan::<$t>(
            $op,
            $g,
            $s as *const $t,
            $d as *mut $t,
            Extra {
                lo: <$t>::MIN,
                hi: <$t>::MAX,
                zero: 0,
                one: 1,
                lae: None,
                minmax: None,
            },
        )
    };
}

/// Runs `scan` over the view `input` (dtype `dt`, `shape`) into the
/// row-contiguous `out` of the same dtype.
pub fn scan(scan: &Scan, dt: Dtype, input: &Data, shape: &[i64], out: &Data) -> Result<()> {
    let size = shape.iter().product::<i64>() as usize;
    if size == 0 {
        return Ok(());
    }
    let src = if input.is_row_contiguous(shape) {
        input.clone()
    } else {
        let tmp = Data::alloc(shape, dt)?;
        super::copy::copy_to_contiguous(input, shape, dt.size(), tmp.byte_ptr(dt));
        tmp
    };
    let n = shape[scan.axis] as usize;
    let inner = shape[scan.axis + 1..].iter().product::<i64>() as usize;
    let g = Geo {
        outer: size / (n * inner),
        n,
        inner,
        reverse: scan.reverse,
        inclusive: scan.inclusive,
    };
    let (s, d) = (src.byte_ptr(dt), out.byte_ptr(dt));
    let op = scan.op;
    match dt {
        Dtype::Bool => {
            let x = Extra {
                lo: false,
                hi: true,
                zero: false,
                one: true,
                lae: None,
                minmax: None,
            };
            arith_scan::<bool>(op, g, s as *const bool, d as *mut bool, x)
        }
        Dtype::Uint8 => int_scan!(op, g, s, d, u8),
        Dtype::Uint16 => int_scan!(op, g, s, d, u16),
        Dtype::Uint32 => int_scan!(op, g, s, d, u32),
        Dtype::Uint64 => int_scan!(op, g, s, d, u64),
        Dtype::Int8 => int_scan!(op, g, s, d, i8),
        Dtype::Int16 => int_scan!(op, g, s, d, i16),
        Dtype::Int32 => int_scan!(op, g, s, d, i32),
        Dtype::Int64 => int_scan!(op, g, s, d, i64),
        Dtype::Float32 => {
            let x = Extra {
                lo: f32::NEG_INFINITY,
                hi: f32::INFINITY,
                zero: 0.0,
                one: 1.0,
                lae: Some(lae32 as fn(f32, f32) -> f32),
                minmax: None,
            };
            arith_scan::<f32>(op, g, s as *const f32, d as *mut f32, x)
        }
        Dtype::Float64 => {
            let x = Extra {
                lo: f64::NEG_INFINITY,
                hi: f64::INFINITY,
                zero: 0.0,
                one: 1.0,
                lae: Some(lae64 as fn(f64, f64) -> f64),
                minmax: None,
            };
            arith_scan::<f64>(op, g, s as *const f64, d as *mut f64, x)
        }
        Dtype::Float16 => {
            let x = Extra {
                lo: f16::NEG_INFINITY,
                hi: f16::INFINITY,
                zero: f16::ZERO,
                one: f16::ONE,
                lae: Some(|x: f16, y: f16| f16::from_f32(lae32(x.to_f32(), y.to_f32()))),
                minmax: Some((
                    |a: f16, b: f16| if b > a || b.is_nan() { b } else { a },
                    |a: f16, b: f16| if b < a || b.is_nan() { b } else { a },
                )),
            };
            arith_scan::<f16>(op, g, s as *const f16, d as *mut f16, x)
        }
        Dtype::Bfloat16 => {
            let x = Extra {
                lo: bf16::NEG_INFINITY,
                hi: bf16::INFINITY,
                zero: bf16::ZERO,
                one: bf16::ONE,
                lae: Some(|x: bf16, y: bf16| bf16::from_f32(lae32(x.to_f32(), y.to_f32()))),
                minmax: Some((
                    |a: bf16, b: bf16| if b > a || b.is_nan() { b } else { a },
                    |a: bf16, b: bf16| if b < a || b.is_nan() { b } else { a },
                )),
            };
            arith_scan::<bf16>(op, g, s as *const bf16, d as *mut bf16, x)
        }
        Dtype::Complex64 => {
            type C = Complex32;
            let (s, d) = (s as *const C, d as *mut C);
            let inf = f32::INFINITY;
            match op {
                ScanOp::Sum => drive(g, s, d, C::new(0.0, 0.0), |a, b| a + b),
                ScanOp::Prod => drive(g, s, d, C::new(1.0, 0.0), |a, b| a * b),
                ScanOp::Max => drive(g, s, d, C::new(-inf, -inf), |a, b| {
                    if ccmp_gt(b, a) {
                        b
                    } else {
                        a
                    }
                }),
                ScanOp::Min => drive(
                    g,
                    s,
                    d,
                    C::new(inf, inf),
                    |a, b| if ccmp_gt(a, b) { b } else { a },
                ),
                ScanOp::LogAddExp => drive(g, s, d, C::new(-inf, 0.0), clae),
            }
        }
    }
    Ok(())
}
