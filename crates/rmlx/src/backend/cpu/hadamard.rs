//! The Walsh-Hadamard transform along the last axis, in place. An axis of
//! length `m * 2^j` (`m` in 1, 12, 20, 28) is viewed as an `m x 2^j` block:
//! the fast butterfly transform runs on each row of `2^j`, then the dense
//! `m`-point Hadamard matrix (Sloane's tables, as MLX uses) mixes the rows.
//! Half types compute in float32 and round once; float64 stays in float64.

use half::{bf16, f16};

use super::{par_range, SyncPtr};
use crate::array::Data;
use crate::dtype::Dtype;
use crate::error::{Error, Result};

// From http://neilsloane.com/hadamard/ (the matrices MLX uses).
const H12: &str = "+-++++++++++ --+-+-+-+-+- +++-++----++ +---+--+-++- +++++-++---- +-+---+--+-+ \
++--+++-++-- +--++---+--+ ++----+++-++ +--+-++---+- ++++----+++- +-+--+-++---";
const H20: &str = "+----+----++--++-++- -+----+---+++---+-++ --+----+---+++-+-+-+ \
---+----+---+++++-+- ----+----++--++-++-+ -+++++-----+--+++--+ +-+++-+---+-+--+++-- \
++-++--+---+-+--+++- +++-+---+---+-+--+++ ++++-----++--+-+--++ --++-+-++-+-----++++ \
---++-+-++-+---+-+++ +---++-+-+--+--++-++ ++---++-+----+-+++-+ -++---++-+----+++++- \
-+--+--++-+----+---- +-+-----++-+----+--- -+-+-+---+--+----+-- --+-+++------+----+- \
+--+--++------+----+";
const H28: &str = "+------++----++-+--+-+--++-- -+-----+++-----+-+--+-+--++- \
--+-----+++---+-+-+----+--++ ---+-----+++---+-+-+-+--+--+ ----+-----+++---+-+-+++--+-- \
-----+-----++++--+-+--++--+- ------++----++-+--+-+--++--+ --++++-+-------++--+++-+--+- \
---++++-+-----+-++--+-+-+--+ +---+++--+----++-++--+-+-+-- ++---++---+----++-++--+-+-+- \
+++---+----+----++-++--+-+-+ ++++--------+-+--++-++--+-+- -++++--------+++--++--+--+-+ \
-+-++-++--++--+--------++++- +-+-++--+--++--+--------++++ -+-+-++--+--++--+----+---+++ \
+-+-+-++--+--+---+---++---++ ++-+-+-++--+------+--+++---+ -++-+-+-++--+------+-++++--- \
+-++-+---++--+------+-++++-- -++--++-+-++-+++----++------ +-++--++-+-++-+++-----+----- \
++-++---+-+-++-+++-----+---- -++-++-+-+-+-+--+++-----+--- --++-++++-+-+----+++-----+-- \
+--++-+-++-+-+----+++-----+- ++--++-+-++-+-+----++------+";

/// Splits `n` into `(2^j, m)` with `n = m * 2^j`, MLX's supported sizes.
pub fn decompose(n: usize) -> Result<(usize, usize)> {
    let mut m = 1;
    let mut p = n;
    if !n.is_power_of_two() {
        for f in [12, 20, 28] {
            if n.is_multiple_of(f) && (n / f).is_power_of_two() {
                m = f;
                p = n / f;
                break;
            }
        }
        if m == 1 {
            return Err(Error::value(
                "[hadamard] Only supports n = m*2^k where m in (1, 12, 20, 28).",
            ));
        }
    }
    if p > (1 << 26) {
        return Err(Error::value(
            "[hadamard] Only supports n = m*2^k where k <= 26",
        ));
    }
    Ok((p, m))
}

/// The `m x m` matrix as signs (row-major), transposed when asked.
fn signs(m: usize, transpose: bool) -> Vec<bool> {
    let table = match m {
        12 => H12,
        20 => H20,
        _ => H28,
    };
    let rows: Vec<&[u8]> = table.split_whitespace().map(str::as_bytes).collect();
    let mut out = vec![false; m * m];
    for i in 0..m {
        for j in 0..m {
            let c = if transpose { rows[j][i] } else { rows[i][j] };
            out[i * m + j] = c == b'+';
        }
    }
    out
}

trait Work:
    Copy
    + Send
    + Sync
    + Default
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
{
    fn of(v: f64) -> Self;
}
impl Work for f32 {
    fn of(v: f64) -> Self {
        v as f32
    }
}
impl Work for f64 {
    fn of(v: f64) -> Self {
        v
    }
}

/// Transforms one row `x` (length `p * m`) in place.
fn row<W: Work>(x: &mut [W], p: usize, m: usize, hm: &[bool], scale: W, tmp: &mut [W]) {
    for blk in x.chunks_exact_mut(p) {
        let mut h = 1;
        while h < p {
            for i in (0..p).step_by(2 * h) {
                for j in i..i + h {
                    let (a, b) = (blk[j], blk[j + h]);
                    blk[j] = a + b;
                    blk[j + h] = a - b;
                }
            }
            h *= 2;
        }
    }
    if m > 1 {
        for i in 0..p {
            for r in 0..m {
                let mut acc = W::default();
                for c in 0..m {
                    let v = x[c * p + i];
                    acc = if hm[r * m + c] { acc + v } else { acc - v };
                }
                tmp[r] = acc;
            }
            for r in 0..m {
                x[r * p + i] = tmp[r];
            }
        }
    }
    for v in x.iter_mut() {
        *v = *v * scale;
    }
}

fn run<T: Copy + Send + Sync, W: Work>(
    ptr: *mut T,
    size: usize,
    n: usize,
    scale: f64,
    transpose: bool,
    load: fn(T) -> W,
    store: fn(W) -> T,
) -> Result<()> {
    let (p, m) = decompose(n)?;
    let hm = if m > 1 {
        signs(m, transpose)
    } else {
        Vec::new()
    };
    let rows = size / n;
    let ptr = SyncPtr(ptr);
    let scale = W::of(scale);
    par_range(rows * n, |a, b| {
        // Rebinding makes the closure capture the Sync wrapper, not its raw field.
        #[allow(clippy::redundant_locals)]
        let ptr = ptr;
        let mut buf = vec![W::default(); n];
        let mut tmp = vec![W::default(); m];
        for r in a.div_ceil(n)..b.div_ceil(n).min(rows) {
            // SAFETY: row r lies inside the buffer and belongs to this chunk.
            let x = unsafe { std::slice::from_raw_parts_mut(ptr.0.add(r * n), n) };
            for (d, s) in buf.iter_mut().zip(x.iter()) {
                *d = load(*s);
            }
            row(&mut buf, p, m, &hm, scale, &mut tmp);
            for (d, s) in x.iter_mut().zip(buf.iter()) {
                *d = store(*s);
            }
        }
    });
    Ok(())
}

/// Transforms the row-contiguous `data` (`size` elements, last axis `n`)
/// in place.
pub fn hadamard_in_place(
    dtype: Dtype,
    data: &Data,
    size: usize,
    n: usize,
    scale: f64,
    transpose: bool,
) -> Result<()> {
    if size == 0 || n == 0 {
        return Ok(());
    }
    match dtype {
        Dtype::Float32 => run::<f32, f32>(data.ptr(), size, n, scale, transpose, |v| v, |v| v),
        Dtype::Float64 => run::<f64, f64>(data.ptr(), size, n, scale, transpose, |v| v, |v| v),
        Dtype::Float16 => run::<f16, f32>(
            data.ptr(),
            size,
            n,
            scale,
            transpose,
            f16::to_f32,
            f16::from_f32,
        ),
        Dtype::Bfloat16 => run::<bf16, f32>(
            data.ptr(),
            size,
            n,
            scale,
            transpose,
            bf16::to_f32,
            bf16::from_f32,
        ),
        dt => Err(Error::value(format!("[hadamard] Unsupported type {dt}."))),
    }
}
