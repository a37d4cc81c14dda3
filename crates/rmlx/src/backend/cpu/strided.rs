//! Strided iteration: collapsing axes that are contiguous for every operand,
//! and walking the "rows" (all axes but the last) of an n-d view from any
//! starting row, so that kernels can split rows across threads.

/// Merges adjacent axes that are contiguous in every operand and drops
/// size-1 axes. Returns the new shape and one stride list per operand.
pub fn collapse<const N: usize>(shape: &[i64], strides: [&[i64]; N]) -> (Vec<i64>, [Vec<i64>; N]) {
    let mut out_shape: Vec<i64> = Vec::with_capacity(shape.len());
    let mut out_strides: [Vec<i64>; N] = std::array::from_fn(|_| Vec::with_capacity(shape.len()));
    for (ax, &d) in shape.iter().enumerate() {
        if d == 1 {
            continue;
        }
        let mergeable = !out_shape.is_empty()
            && (0..N).all(|k| {
                let prev = *out_strides[k].last().expect("non-empty");
                prev == strides[k][ax] * d
            });
        if mergeable {
            *out_shape.last_mut().expect("non-empty") *= d;
            for k in 0..N {
                *out_strides[k].last_mut().expect("non-empty") = strides[k][ax];
            }
        } else {
            out_shape.push(d);
            for k in 0..N {
                out_strides[k].push(strides[k][ax]);
            }
        }
    }
    if out_shape.is_empty() {
        out_shape.push(1);
        for s in out_strides.iter_mut() {
            s.push(0);
        }
    }
    (out_shape, out_strides)
}

/// Walks rows of a collapsed view: `for_rows(shape, strides, r0, r1, f)`
/// calls `f(row, offsets)` for rows `r0..r1`, where a row is one index of
/// every axis but the last and `offsets[k]` is operand k's element offset.
pub fn for_rows<const N: usize>(
    shape: &[i64],
    strides: &[Vec<i64>; N],
    r0: usize,
    r1: usize,
    mut f: impl FnMut(usize, [isize; N]),
) {
    let outer = &shape[..shape.len() - 1];
    let nd = outer.len();
    let mut idx = vec![0i64; nd];
    let mut rem = r0 as i64;
    for ax in (0..nd).rev() {
        idx[ax] = rem % outer[ax];
        rem /= outer[ax];
    }
    let mut off = [0isize; N];
    for k in 0..N {
        off[k] = (0..nd).map(|ax| idx[ax] * strides[k][ax]).sum::<i64>() as isize;
    }
    for row in r0..r1 {
        f(row, off);
        // Increment the multi-index, odometer style.
        let mut ax = nd;
        while ax > 0 {
            ax -= 1;
            idx[ax] += 1;
            for k in 0..N {
                off[k] += strides[k][ax] as isize;
            }
            if idx[ax] < outer[ax] {
                break;
            }
            for k in 0..N {
                off[k] -= (strides[k][ax] * outer[ax]) as isize;
            }
            idx[ax] = 0;
        }
    }
}

/// Number of rows of a collapsed shape.
pub fn num_rows(shape: &[i64]) -> usize {
    shape[..shape.len() - 1].iter().product::<i64>() as usize
}
