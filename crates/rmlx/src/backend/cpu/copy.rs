//! Copies between strided views. Copies depend only on the element size, so
//! one instantiation per size (1, 2, 4, 8 bytes) serves all dtypes.

use super::strided::{collapse, for_rows, num_rows};
use super::{par_range, SyncPtr};
use crate::array::{row_strides, Data};

#[inline(always)]
unsafe fn copy_row<T: Copy>(src: *const T, s: isize, dst: *mut T, d: isize, n: usize) {
    if s == 1 && d == 1 {
        std::ptr::copy_nonoverlapping(src, dst, n);
    } else if s == 0 {
        let v = *src;
        for i in 0..n as isize {
            *dst.offset(i * d) = v;
        }
    } else {
        for i in 0..n as isize {
            *dst.offset(i * d) = *src.offset(i * s);
        }
    }
}

/// Copies the view `src` (element size `esize`) of `shape` into `dst`
/// with strides `dst_strides`.
pub fn copy_strided(src: &Data, shape: &[i64], esize: usize, dst: *mut u8, dst_strides: &[i64]) {
    match esize {
        1 => copy_typed::<u8>(src.ptr(), &src.strides, shape, dst, dst_strides),
        2 => copy_typed::<u16>(src.ptr(), &src.strides, shape, dst as *mut u16, dst_strides),
        4 => copy_typed::<u32>(src.ptr(), &src.strides, shape, dst as *mut u32, dst_strides),
        8 => copy_typed::<u64>(src.ptr(), &src.strides, shape, dst as *mut u64, dst_strides),
        _ => unreachable!("element size {esize}"),
    }
}

/// Copies the view `src` of `shape` into a row-major block at `dst`.
pub fn copy_to_contiguous(src: &Data, shape: &[i64], esize: usize, dst: *mut u8) {
    if shape.contains(&0) {
        return;
    }
    copy_strided(src, shape, esize, dst, &row_strides(shape));
}

const TILE: i64 = 32;

fn copy_typed<T: Copy + Send + Sync>(
    src: *const T,
    ss: &[i64],
    shape: &[i64],
    dst: *mut T,
    ds: &[i64],
) {
    if shape.contains(&0) {
        return;
    }
    let (shape, [ss, ds]) = collapse(shape, [ss, ds]);
    let nd = shape.len();
    let src = SyncPtr(src as *mut T);
    let dst = SyncPtr(dst);
    // Transpose-like copies: the source's last axis is not its fastest one,
    // but a fastest axis exists; copy in tiles so both sides stay in cache.
    if nd >= 2 && ss[nd - 1] != 1 && ss[nd - 2] == 1 && ds[nd - 1] == 1 {
        let (rows, cols) = (shape[nd - 2], shape[nd - 1]);
        let outer: usize = shape[..nd - 2].iter().product::<i64>() as usize;
        let tiles_r = ((rows + TILE - 1) / TILE) as usize;
        par_range(outer * tiles_r * (TILE * TILE) as usize, |a, b| {
            let (src, dst) = (src, dst);
            let (a, b) = (
                a.div_ceil((TILE * TILE) as usize),
                b.div_ceil((TILE * TILE) as usize),
            );
            for t in a..b.min(outer * tiles_r) {
                let (o, tr) = (t / tiles_r, (t % tiles_r) as i64);
                let mut so = 0i64;
                let mut dof = 0i64;
                let mut rem = o as i64;
                for ax in (0..nd - 2).rev() {
                    let i = rem % shape[ax];
                    rem /= shape[ax];
                    so += i * ss[ax];
                    dof += i * ds[ax];
                }
                let r0 = tr * TILE;
                let r1 = (r0 + TILE).min(rows);
                let mut c0 = 0;
                while c0 < cols {
                    let c1 = (c0 + TILE).min(cols);
                    if std::mem::size_of::<T>() == 4 && ss[nd - 2] == 1 {
                        // SAFETY: the tile lies within both views.
                        unsafe {
                            super::transpose::transpose_u32(
                                src.0.offset((so + r0 + c0 * ss[nd - 1]) as isize) as *const u32,
                                ss[nd - 1] as isize,
                                dst.0.offset((dof + r0 * ds[nd - 2] + c0) as isize) as *mut u32,
                                ds[nd - 2] as isize,
                                (r1 - r0) as usize,
                                (c1 - c0) as usize,
                            )
                        };
                        c0 = c1;
                        continue;
                    }
                    for r in r0..r1 {
                        for c in c0..c1 {
                            // SAFETY: indices are within the views.
                            unsafe {
                                *dst.0.offset((dof + r * ds[nd - 2] + c) as isize) = *src
                                    .0
                                    .offset((so + r * ss[nd - 2] + c * ss[nd - 1]) as isize);
                            }
                        }
                    }
                    c0 = c1;
                }
            }
        });
        return;
    }
    let n = shape[nd - 1] as usize;
    let rows = num_rows(&shape);
    let strides = [ss, ds];
    let (si, di) = (strides[0][nd - 1] as isize, strides[1][nd - 1] as isize);
    par_range(rows * n, |a, b| {
        let (src, dst) = (src, dst);
        let (r0, r1) = (a.div_ceil(n), b.div_ceil(n).min(rows));
        for_rows(&shape, &strides, r0, r1, |_, [so, dof]| {
            // SAFETY: offsets come from the views' own strides.
            unsafe { copy_row(src.0.offset(so), si, dst.0.offset(dof), di, n) };
        });
    });
}
