//! CPU kernels of the reduce family, continued: the per-dtype semantics
//! of `reduce` (accumulation types, identities, NaN rules) and the arg
//! reductions.

use half::{bf16, f16};
use num_complex::Complex32;

use super::{drive, plan, prod, walker, Mode, Plan, RedKern};
use crate::array::Data;
use crate::backend::cpu::strided::for_rows;
use crate::backend::cpu::{par_range, SyncPtr};
use crate::dtype::Dtype;
use crate::error::{Error, Result};
use crate::primitives::reduce::{reduce_dtype, ArgReduceOp, ReduceOp};

// ---------------------------------------------------------------------------
// Per-dtype semantics.

trait Bounds: Copy {
    const LOWEST: Self;
    const HIGHEST: Self;
}
macro_rules! bounds {
    ($($t:ty: $lo:expr, $hi:expr);* $(;)?) => {$( impl Bounds for $t { const LOWEST: Self = $lo; const HIGHEST: Self = $hi; } )*};
}
bounds! {
    bool: false, true;
    u8: u8::MIN, u8::MAX; u16: u16::MIN, u16::MAX; u32: u32::MIN, u32::MAX; u64: u64::MIN, u64::MAX;
    i8: i8::MIN, i8::MAX; i16: i16::MIN, i16::MAX; i32: i32::MIN, i32::MAX; i64: i64::MIN, i64::MAX;
    f32: f32::NEG_INFINITY, f32::INFINITY; f64: f64::NEG_INFINITY, f64::INFINITY;
    Complex32: Complex32::new(f32::NEG_INFINITY, f32::NEG_INFINITY), Complex32::new(f32::INFINITY, f32::INFINITY);
}

/// NaN-propagating max/min of floats (a NaN accumulator stays NaN).
#[inline(always)]
pub(super) fn fmax<F: PartialOrd + Copy>(a: F, x: F) -> F {
    #[allow(clippy::eq_op)]
    if x > a || x != x {
        x
    } else {
        a
    }
}
#[inline(always)]
pub(super) fn fmin<F: PartialOrd + Copy>(a: F, x: F) -> F {
    #[allow(clippy::eq_op)]
    if x < a || x != x {
        x
    } else {
        a
    }
}
#[inline(always)]
pub(super) fn cgt(a: Complex32, b: Complex32) -> bool {
    a.re > b.re || (a.re == b.re && a.im > b.im)
}

/// Integer reductions (sum/prod widen through `$acc`, wrapping).
macro_rules! int_reduce {
    ($op:expr, $plan:expr, $out:expr, $t:ty, $acc:ty) => {{
        type T = $t;
        type A = $acc;
        let o = $out;
        match $op {
            ReduceOp::Sum => drive::<T, A, A, _, _, _>(
                $plan,
                o as *mut A,
                0,
                |a, x| a.wrapping_add(x as A),
                A::wrapping_add,
                |a| a,
            ),
            ReduceOp::Prod => drive::<T, A, A, _, _, _>(
                $plan,
                o as *mut A,
                1,
                |a, x| a.wrapping_mul(x as A),
                A::wrapping_mul,
                |a| a,
            ),
            ReduceOp::Max => drive::<T, T, T, _, _, _>(
                $plan,
                o as *mut T,
                T::LOWEST,
                |a, x| a.max(x),
                T::max,
                |a| a,
            ),
            ReduceOp::Min => drive::<T, T, T, _, _, _>(
                $plan,
                o as *mut T,
                T::HIGHEST,
                |a, x| a.min(x),
                T::min,
                |a| a,
            ),
            ReduceOp::And => drive::<T, bool, bool, _, _, _>(
                $plan,
                o as *mut bool,
                true,
                |a, x| a & (x != 0),
                |a, b| a & b,
                |a| a,
            ),
            ReduceOp::Or => drive::<T, bool, bool, _, _, _>(
                $plan,
                o as *mut bool,
                false,
                |a, x| a | (x != 0),
                |a, b| a | b,
                |a| a,
            ),
        }
    }};
}

/// Float reductions; `$w` widens to the accumulator, `$n` narrows back.
macro_rules! float_reduce {
    ($op:expr, $plan:expr, $out:expr, $t:ty, $acc:ty, $w:expr, $n:expr) => {{
        type T = $t;
        type A = $acc;
        let o = $out as *mut T;
        let (w, n) = ($w, $n);
        let zero = <T as Default>::default();
        match $op {
            ReduceOp::Sum => {
                drive::<T, A, T, _, _, _>($plan, o, 0.0, move |a, x| a + w(x), |a, b| a + b, n)
            }
            ReduceOp::Prod => {
                drive::<T, A, T, _, _, _>($plan, o, 1.0, move |a, x| a * w(x), |a, b| a * b, n)
            }
            ReduceOp::Max => drive::<T, A, T, _, _, _>(
                $plan,
                o,
                A::NEG_INFINITY,
                move |a, x| fmax(a, w(x)),
                fmax,
                n,
            ),
            ReduceOp::Min => {
                drive::<T, A, T, _, _, _>($plan, o, A::INFINITY, move |a, x| fmin(a, w(x)), fmin, n)
            }
            ReduceOp::And => drive::<T, bool, bool, _, _, _>(
                $plan,
                $out as *mut bool,
                true,
                move |a, x| a & (x != zero),
                |a, b| a & b,
                |a| a,
            ),
            ReduceOp::Or => drive::<T, bool, bool, _, _, _>(
                $plan,
                $out as *mut bool,
                false,
                move |a, x| a | (x != zero),
                |a, b| a | b,
                |a| a,
            ),
        }
    }};
}

fn bool_reduce(op: ReduceOp, plan: &Plan, out: *mut u8) {
    type T = bool;
    match op {
        ReduceOp::Sum => drive::<T, i32, i32, _, _, _>(
            plan,
            out as *mut i32,
            0,
            |a, x| a.wrapping_add(x as i32),
            i32::wrapping_add,
            |a| a,
        ),
        ReduceOp::Prod => drive::<T, i32, i32, _, _, _>(
            plan,
            out as *mut i32,
            1,
            |a, x| a * (x as i32),
            |a, b| a * b,
            |a| a,
        ),
        ReduceOp::Max | ReduceOp::Or => drive::<T, bool, bool, _, _, _>(
            plan,
            out as *mut bool,
            false,
            |a, x| a | x,
            |a, b| a | b,
            |a| a,
        ),
        ReduceOp::Min | ReduceOp::And => drive::<T, bool, bool, _, _, _>(
            plan,
            out as *mut bool,
            true,
            |a, x| a & x,
            |a, b| a & b,
            |a| a,
        ),
    }
}

fn complex_reduce(op: ReduceOp, plan: &Plan, out: *mut u8) {
    type T = Complex32;
    let o = out as *mut T;
    let zero = T::default();
    let cmax = |a: T, x: T| if cgt(x, a) { x } else { a };
    let cmin = |a: T, x: T| if cgt(a, x) { x } else { a };
    match op {
        ReduceOp::Sum => {
            drive::<T, T, T, _, _, _>(plan, o, zero, |a, x| a + x, |a, b| a + b, |a| a)
        }
        ReduceOp::Prod => {
            drive::<T, T, T, _, _, _>(plan, o, T::new(1.0, 0.0), |a, x| a * x, |a, b| a * b, |a| a)
        }
        ReduceOp::Max => drive::<T, T, T, _, _, _>(plan, o, T::LOWEST, cmax, cmax, |a| a),
        ReduceOp::Min => drive::<T, T, T, _, _, _>(plan, o, T::HIGHEST, cmin, cmin, |a| a),
        ReduceOp::And => drive::<T, bool, bool, _, _, _>(
            plan,
            out as *mut bool,
            true,
            move |a, x| a & (x != zero),
            |a, b| a & b,
            |a| a,
        ),
        ReduceOp::Or => drive::<T, bool, bool, _, _, _>(
            plan,
            out as *mut bool,
            false,
            move |a, x| a | (x != zero),
            |a, b| a | b,
            |a| a,
        ),
    }
}

/// Writes `op` of the view `input` (dtype `dt`, `shape`) over the sorted
/// `axes` into the row-contiguous `out` of dtype `dt_out`, which must be
/// [`reduce_dtype`]`(op, dt)`.
pub fn reduce(
    op: ReduceOp,
    dt: Dtype,
    dt_out: Dtype,
    input: &Data,
    shape: &[i64],
    axes: &[usize],
    out: &Data,
) -> Result<()> {
    if reduce_dtype(op, dt) != dt_out {
        return Err(Error::runtime(format!(
            "[{}] internal error: {dt} reduces to {}, not {dt_out}.",
            op.name(),
            reduce_dtype(op, dt)
        )));
    }
    let nout = shape
        .iter()
        .enumerate()
        .filter(|(i, _)| axes.binary_search(i).is_err())
        .map(|(_, &d)| d)
        .product::<i64>() as usize;
    if nout == 0 {
        return Ok(());
    }
    let o = out.byte_ptr(dt_out);
    if axes.iter().any(|&ax| shape[ax] == 0) {
        // Reducing over nothing gives the identity.
        let (sum, prod) = (op == ReduceOp::Sum, op == ReduceOp::Prod);
        if op == ReduceOp::And || op == ReduceOp::Or {
            fill(o as *mut bool, nout, op == ReduceOp::And);
            return Ok(());
        }
        if !(sum || prod) {
            return Err(Error::value(format!(
                "[{}] Cannot {} reduce over an empty axis.",
                op.name(),
                op.name()
            )));
        }
        let v = crate::element::Scalar::Int(i64::from(prod));
        for i in 0..nout {
            // SAFETY: the output holds nout elements of dt_out.
            unsafe { crate::element::write_scalar(o, dt_out, i, v) };
        }
        return Ok(());
    }
    let plan = plan(input, shape, axes, dt, false)?;
    match dt {
        Dtype::Bool => bool_reduce(op, &plan, o),
        Dtype::Uint8 => int_reduce!(op, &plan, o, u8, u32),
        Dtype::Uint16 => int_reduce!(op, &plan, o, u16, u32),
        Dtype::Uint32 => int_reduce!(op, &plan, o, u32, u32),
        Dtype::Uint64 => int_reduce!(op, &plan, o, u64, u64),
        Dtype::Int8 => int_reduce!(op, &plan, o, i8, i32),
        Dtype::Int16 => int_reduce!(op, &plan, o, i16, i32),
        Dtype::Int32 => int_reduce!(op, &plan, o, i32, i32),
        Dtype::Int64 => int_reduce!(op, &plan, o, i64, i64),
        Dtype::Float16 => float_reduce!(op, &plan, o, f16, f32, |x: f16| x.to_f32(), |a: f32| {
            f16::from_f32(a)
        }),
        Dtype::Bfloat16 => {
            float_reduce!(op, &plan, o, bf16, f32, |x: bf16| x.to_f32(), |a: f32| {
                bf16::from_f32(a)
            })
        }
        Dtype::Float32 => float_reduce!(op, &plan, o, f32, f32, |x: f32| x, |a: f32| a),
        Dtype::Float64 => float_reduce!(op, &plan, o, f64, f64, |x: f64| x, |a: f64| a),
        Dtype::Complex64 => complex_reduce(op, &plan, o),
    }
    Ok(())
}

/// Fills the first `n` outputs with one value (reductions over nothing).
fn fill<O: Copy>(out: *mut O, n: usize, v: O) {
    for i in 0..n {
        // SAFETY: the output holds n elements.
        unsafe { *out.add(i) = v };
    }
}

// ---------------------------------------------------------------------------
// Arg reductions.

/// Runs an arg-reduction over `plan` (one reduced axis). `key` maps an
/// element to an ordered key, `better(k, best)` says whether `k` replaces
/// the running best (strictly: ties keep the first index), `ext` is the
/// matching NaN-propagating extreme, `init` its identity and `nan` tests
/// for NaN keys.
#[allow(clippy::too_many_arguments)]
fn arg_drive<T, K, FK, B, E, N>(
    plan: &Plan,
    out: *mut u32,
    init: K,
    key: FK,
    better: B,
    ext: E,
    nan: N,
) where
    T: RedKern,
    K: Copy + PartialEq + Send + Sync,
    FK: Fn(T) -> K + Copy + Send + Sync,
    B: Fn(K, K) -> bool + Copy + Send + Sync,
    E: Fn(K, K) -> K + Copy + Send + Sync,
    N: Fn(K) -> bool + Copy + Send + Sync,
{
    let src = SyncPtr(plan.data.ptr::<T>());
    let out = SyncPtr(out);
    let nout = prod(plan.kdims.iter().map(|d| d.0)) as usize;
    let (kshape, kstrides) = walker(&plan.kdims);
    match plan.mode {
        Mode::Rows(n) => {
            par_range(nout * n, |a, b| {
                let (src, out) = (src, out);
                let (o0, o1) = (a.div_ceil(n), b.div_ceil(n).min(nout));
                for_rows(&kshape, &kstrides, o0, o1, |o, [base]| {
                    // SAFETY: the run of n elements at base lies in the input.
                    let i = unsafe {
                        let p = src.0.offset(base);
                        let m = T::row(init, p, n, move |a, x| ext(a, key(x)), ext);
                        if nan(m) {
                            T::find(p, n, move |x| nan(key(x)))
                        } else {
                            T::find(p, n, move |x| key(x) == m)
                        }
                    };
                    // SAFETY: o < nout.
                    unsafe { *out.0.add(o) = i.min(n.saturating_sub(1)) as u32 };
                });
            });
        }
        Mode::Cols(inner) => {
            let (n, rstride) = plan.rdims.first().copied().unwrap_or((1, 0));
            let n = n as usize;
            let threads = rayon::current_num_threads().max(1);
            let cw = if nout >= 2 * threads {
                inner.min(1024)
            } else {
                inner
                    .div_ceil(threads * 2)
                    .next_multiple_of(16)
                    .clamp(16, 1024)
                    .min(inner)
            };
            let chunks = inner.div_ceil(cw);
            let tasks = nout * chunks;
            par_range(tasks * n * cw, |a, b| {
                let (src, out) = (src, out);
                let per = n * cw;
                let (t0, t1) = (a.div_ceil(per), b.div_ceil(per).min(tasks));
                if t0 >= t1 {
                    return;
                }
                let mut best = vec![init; cw];
                let (o0, o1) = (t0 / chunks, (t1 - 1) / chunks + 1);
                for_rows(&kshape, &kstrides, o0, o1, |o, [base]| {
                    for c in 0..chunks {
                        let t = o * chunks + c;
                        if t < t0 || t >= t1 {
                            continue;
                        }
                        let (c0, c1) = (c * cw, ((c + 1) * cw).min(inner));
                        let w = c1 - c0;
                        best[..w].fill(init);
                        // SAFETY: output row o has `inner` columns.
                        let idx = unsafe { out.0.add(o * inner + c0) };
                        for j in 0..w {
                            // SAFETY: as above.
                            unsafe { *idx.add(j) = 0 };
                        }
                        for k in 0..n {
                            // SAFETY: row k of this column chunk lies in the input.
                            unsafe {
                                let p = src
                                    .0
                                    .offset(base + k as isize * rstride as isize + c0 as isize);
                                T::argcol(best.as_mut_ptr(), idx, p, w, k as u32, key, better);
                            }
                        }
                    }
                });
            });
        }
    }
}

macro_rules! arg_real {
    ($op:expr, $plan:expr, $out:expr, $t:ty, $k:ty, $key:expr, $nan:expr, $lo:expr, $hi:expr) => {{
        type T = $t;
        type K = $k;
        let (key, nan) = ($key, $nan);
        match $op {
            ArgReduceOp::ArgMax => arg_drive::<T, K, _, _, _, _>(
                $plan,
                $out,
                $lo,
                key,
                move |k: K, b: K| k > b || (nan(k) && !nan(b)),
                move |a: K, x: K| if x > a || (nan(x) && !nan(a)) { x } else { a },
                nan,
            ),
            ArgReduceOp::ArgMin => arg_drive::<T, K, _, _, _, _>(
                $plan,
                $out,
                $hi,
                key,
                move |k: K, b: K| k < b || (nan(k) && !nan(b)),
                move |a: K, x: K| if x < a || (nan(x) && !nan(a)) { x } else { a },
                nan,
            ),
        }
    }};
}

/// Writes argmin/argmax along `axis` of the view `input` (dtype `dt`,
/// `shape`) as uint32 into the row-contiguous `out`.
pub fn arg_reduce(
    op: ArgReduceOp,
    dt: Dtype,
    input: &Data,
    shape: &[i64],
    axis: usize,
    out: &Data,
) -> Result<()> {
    let n = shape[axis];
    let nout = shape
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != axis)
        .map(|(_, &d)| d)
        .product::<i64>() as usize;
    if n == 0 {
        if nout == 0 {
            return Ok(());
        }
        return Err(Error::value(format!(
            "[{}] Cannot {} reduce zero size array.",
            op.name(),
            op.name()
        )));
    }
    if nout == 0 {
        return Ok(());
    }
    let plan = plan(input, shape, &[axis], dt, false)?;
    let o = out.ptr::<u32>();
    #[allow(clippy::eq_op)]
    match dt {
        Dtype::Bool => arg_real!(
            op,
            &plan,
            o,
            bool,
            u8,
            |x: bool| x as u8,
            |_: u8| false,
            0,
            1
        ),
        Dtype::Uint8 => arg_real!(
            op,
            &plan,
            o,
            u8,
            u8,
            |x: u8| x,
            |_: u8| false,
            u8::MIN,
            u8::MAX
        ),
        Dtype::Uint16 => arg_real!(
            op,
            &plan,
            o,
            u16,
            u16,
            |x: u16| x,
            |_: u16| false,
            u16::MIN,
            u16::MAX
        ),
        Dtype::Uint32 => arg_real!(
            op,
            &plan,
            o,
            u32,
            u32,
            |x: u32| x,
            |_: u32| false,
            u32::MIN,
            u32::MAX
        ),
        Dtype::Uint64 => arg_real!(
            op,
            &plan,
            o,
            u64,
            u64,
            |x: u64| x,
            |_: u64| false,
            u64::MIN,
            u64::MAX
        ),
        Dtype::Int8 => arg_real!(
            op,
            &plan,
            o,
            i8,
            i8,
            |x: i8| x,
            |_: i8| false,
            i8::MIN,
            i8::MAX
        ),
        Dtype::Int16 => arg_real!(
            op,
            &plan,
            o,
            i16,
            i16,
            |x: i16| x,
            |_: i16| false,
            i16::MIN,
            i16::MAX
        ),
        Dtype::Int32 => arg_real!(
            op,
            &plan,
            o,
            i32,
            i32,
            |x: i32| x,
            |_: i32| false,
            i32::MIN,
            i32::MAX
        ),
        Dtype::Int64 => arg_real!(
            op,
            &plan,
            o,
            i64,
            i64,
            |x: i64| x,
            |_: i64| false,
            i64::MIN,
            i64::MAX
        ),
        Dtype::Float16 => arg_real!(
            op,
            &plan,
            o,
            f16,
            f32,
            |x: f16| x.to_f32(),
            |k: f32| k != k,
            f32::NEG_INFINITY,
            f32::INFINITY
        ),
        Dtype::Bfloat16 => arg_real!(
            op,
            &plan,
            o,
            bf16,
            f32,
            |x: bf16| x.to_f32(),
            |k: f32| k != k,
            f32::NEG_INFINITY,
            f32::INFINITY
        ),
        Dtype::Float32 => arg_real!(
            op,
            &plan,
            o,
            f32,
            f32,
            |x: f32| x,
            |k: f32| k != k,
            f32::NEG_INFINITY,
            f32::INFINITY
        ),
        Dtype::Float64 => arg_real!(
            op,
            &plan,
            o,
            f64,
            f64,
            |x: f64| x,
            |k: f64| k != k,
            f64::NEG_INFINITY,
            f64::INFINITY
        ),
        Dtype::Complex64 => {
            let (lo, hi) = (
                (f32::NEG_INFINITY, f32::NEG_INFINITY),
                (f32::INFINITY, f32::INFINITY),
            );
            arg_real!(
                op,
                &plan,
                o,
                Complex32,
                (f32, f32),
                |x: Complex32| (x.re, x.im),
                |_: (f32, f32)| false,
                lo,
                hi
            )
        }
    }
    Ok(())
}
