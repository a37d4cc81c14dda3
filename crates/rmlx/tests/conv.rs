//! The convolution ops through the Rust API: conv1d/conv2d/conv_general
//! against a direct loop (strides, padding, dilations, groups, flip, every
//! kernel path), transposed convolution and convolve on known values, MLX's
//! errors, vjp/jvp against finite differences and vmap against a loop.

use rmlx::transforms::{jvp, vjp, vmap};
use rmlx::{ops, Array, Dtype, ErrorKind};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    fn vec(&mut self, n: usize) -> Vec<f64> {
        (0..n).map(|_| self.next()).collect()
    }
}

fn size(shape: &[i64]) -> usize {
    shape.iter().product::<i64>() as usize
}

fn arr(v: &[f64], shape: &[i64], dt: Dtype) -> Array {
    ops::astype(&Array::from_slice(v, shape).unwrap(), dt, None).unwrap()
}

fn vals(a: &Array) -> Vec<f64> {
    ops::astype(a, Dtype::Float64, None)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * (1.0 + w.abs()),
            "{what}: element {i}: got {g}, want {w}"
        );
    }
}

/// Parameters of one 2-D convolution for the reference loop.
struct P2 {
    stride: [i64; 2],
    lo: [i64; 2],
    hi: [i64; 2],
    kd: [i64; 2],
    id: [i64; 2],
    groups: i64,
    flip: bool,
}

/// A [`P2`] from its fields in declaration order (keeps each test case on
/// one line).
fn p2(
    stride: [i64; 2],
    lo: [i64; 2],
    hi: [i64; 2],
    kd: [i64; 2],
    id: [i64; 2],
    groups: i64,
    flip: bool,
) -> P2 {
    P2 {
        stride,
        lo,
        hi,
        kd,
        id,
        groups,
        flip,
    }
}

/// conv_general in 2-D by direct loops (non-negative padding).
fn reference(x: &[f64], xs: &[i64], w: &[f64], ws: &[i64], p: &P2) -> (Vec<f64>, Vec<i64>) {
    let (n, c, o) = (xs[0], xs[3], ws[0]);
    let cg = ws[3];
    let og = o / p.groups;
    let mut outs = [0i64; 2];
    for i in 0..2 {
        let dil = (xs[i + 1] - 1) * p.id[i] + 1;
        outs[i] = (dil + p.lo[i] + p.hi[i] - (ws[i + 1] - 1) * p.kd[i] - 1) / p.stride[i] + 1;
    }
    let shape = vec![n, outs[0], outs[1], o];
    let mut out = vec![0.0; size(&shape)];
    for b in 0..n {
        for oy in 0..outs[0] {
            for ox in 0..outs[1] {
                for co in 0..o {
                    let g = co / og;
                    let mut acc = 0.0;
                    for ky in 0..ws[1] {
                        for kx in 0..ws[2] {
                            let py = oy * p.stride[0] + ky * p.kd[0] - p.lo[0];
                            let px = ox * p.stride[1] + kx * p.kd[1] - p.lo[1];
                            if py < 0 || px < 0 || py % p.id[0] != 0 || px % p.id[1] != 0 {
                                continue;
                            }
                            let (iy, ix) = (py / p.id[0], px / p.id[1]);
                            if iy >= xs[1] || ix >= xs[2] {
                                continue;
                            }
                            let (wy, wx) = if p.flip {
                                (ws[1] - 1 - ky, ws[2] - 1 - kx)
                            } else {
                                (ky, kx)
                            };
                            for ci in 0..cg {
                                let xv =
                                    x[(((b * xs[1] + iy) * xs[2] + ix) * c + g * cg + ci) as usize];
                                let wv = w[(((co * ws[1] + wy) * ws[2] + wx) * cg + ci) as usize];
                                acc += xv * wv;
                            }
                        }
                    }
                    out[(((b * outs[0] + oy) * outs[1] + ox) * o + co) as usize] = acc;
                }
            }
        }
    }
    (out, shape)
}

fn run(x: &Array, w: &Array, p: &P2) -> Array {
    ops::conv_general(
        x, w, &p.stride, &p.lo, &p.hi, &p.kd, &p.id, p.groups, p.flip, None,
    )
    .unwrap()
}

#[test]
fn conv_general_matches_direct_loop() {
    let mut rng = Rng(0x9e3779b97f4a7c15);
    // (x shape, w shape, params): implicit GEMM, im2col, depthwise and
    // phase-split paths, groups, flip, asymmetric padding. One case a line:
    // the table reads better unwrapped.
    #[rustfmt::skip]
    let cases: Vec<([i64; 4], [i64; 4], P2)> = vec![
        ([2, 9, 8, 5],   [4, 3, 3, 5],   p2([1, 1], [1, 1], [1, 1], [1, 1], [1, 1], 1, false)),
        ([2, 9, 8, 6],   [4, 3, 2, 3],   p2([2, 1], [1, 0], [0, 2], [1, 2], [1, 1], 2, true)),
        ([1, 7, 7, 4],   [8, 3, 3, 1],   p2([1, 2], [2, 1], [1, 1], [2, 1], [1, 1], 4, false)),
        ([2, 5, 4, 3],   [2, 3, 2, 3],   p2([1, 1], [2, 1], [2, 2], [1, 1], [2, 3], 1, true)),
        ([1, 5, 6, 4],   [4, 2, 3, 2],   p2([2, 1], [0, 3], [1, 0], [3, 2], [2, 2], 2, false)),
        ([3, 12, 10, 40], [40, 3, 3, 40], p2([1, 1], [1, 1], [1, 1], [1, 1], [1, 1], 1, false)),
    ];
    for (k, (xs, ws, p)) in cases.iter().enumerate() {
        let (xv, wv) = (rng.vec(size(xs)), rng.vec(size(ws)));
        let (want, shape) = reference(&xv, xs, &wv, ws, p);
        for (dt, tol) in [
            (Dtype::Float64, 1e-12),
            (Dtype::Float32, 1e-5),
            (Dtype::Bfloat16, 3e-2),
        ] {
            let (xa, wa) = if dt == Dtype::Bfloat16 {
                // Round the inputs first so that only the output rounding differs.
                let (xa, wa) = (arr(&xv, xs, dt), arr(&wv, ws, dt));
                let (xr, wr) = (vals(&xa), vals(&wa));
                let (want, _) = reference(&xr, xs, &wr, ws, p);
                let got = run(&xa, &wa, p);
                assert_eq!(got.dtype(), dt);
                assert_close(&vals(&got), &want, tol, &format!("case {k} {dt:?}"));
                continue;
            } else {
                (arr(&xv, xs, dt), arr(&wv, ws, dt))
            };
            let got = run(&xa, &wa, p);
            assert_eq!(got.shape(), &shape[..], "case {k}");
            assert_eq!(got.dtype(), dt);
            assert_close(&vals(&got), &want, tol, &format!("case {k} {dt:?}"));
        }
    }
}

#[test]
fn conv1d_transpose_and_convolve_known_values() {
    let x = arr(&[1.0, 2.0, 3.0, 4.0], &[1, 4, 1], Dtype::Float32);
    let w = arr(&[1.0, 0.0, -1.0], &[1, 3, 1], Dtype::Float32);
    let y = ops::conv1d(&x, &w, 1, 1, 1, 1, None).unwrap();
    assert_eq!(vals(&y), vec![-2.0, -2.0, -2.0, 3.0]);
    // A transposed convolution scatters each input times the flipped kernel.
    let t = ops::conv_transpose1d(&x, &w, 2, 0, 1, 1, 1, None).unwrap();
    assert_eq!(t.shape(), &[1, 10, 1]);
    assert_eq!(
        vals(&t),
        vec![1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.0, -4.0, 0.0]
    );
    let a = arr(&[1.0, 2.0, 3.0], &[3], Dtype::Float32);
    let v = arr(&[0.0, 1.0, 0.5], &[3], Dtype::Float32);
    assert_eq!(
        vals(&ops::convolve(&a, &v, "full", None).unwrap()),
        vec![0.0, 1.0, 2.5, 4.0, 1.5]
    );
    assert_eq!(
        vals(&ops::convolve(&a, &v, "same", None).unwrap()),
        vec![1.0, 2.5, 4.0]
    );
    assert_eq!(
        vals(&ops::convolve(&a, &v, "valid", None).unwrap()),
        vec![2.5]
    );
}

#[test]
fn errors_as_mlx() {
    let x = ops::ones(&[1, 5, 3], Dtype::Float32, None).unwrap();
    let w = ops::ones(&[2, 3, 2], Dtype::Float32, None).unwrap();
    let e = ops::conv1d(&x, &w, 1, 0, 1, 1, None).err().unwrap();
    assert_eq!(e.kind, ErrorKind::Value);
    assert_eq!(
        e.message,
        "[conv] Expect the input channels in the input and weight array to match but got shapes - input: (1,5,3) and weight: (2,3,2)"
    );
    let w = ops::ones(&[2, 7, 3], Dtype::Float32, None).unwrap();
    let e = ops::conv1d(&x, &w, 1, 0, 1, 1, None).err().unwrap();
    assert!(e.message.starts_with(
        "[conv] Spatial dimensions of input after padding cannot be smaller than weight spatial dimensions. Got error at axis 1"
    ));
    let xi = ops::ones(&[1, 5, 3], Dtype::Int32, None).unwrap();
    let e = ops::conv1d(&xi, &w, 1, 0, 1, 1, None).err().unwrap();
    assert_eq!(
        e.message,
        "[conv] Invalid input array with type int32. Convolution currently only supports floating point types"
    );
    let w = ops::ones(&[2, 3, 3], Dtype::Float32, None).unwrap();
    let e = ops::conv1d(&x, &w, 0, 0, 1, 1, None).err().unwrap();
    assert_eq!(
        e.message,
        "[conv] Stride sizes must be positive. Got strides (0)."
    );
    let e = ops::conv2d(&x, &w, [1, 1], [0, 0], [1, 1], 1, None)
        .err()
        .unwrap();
    assert_eq!(
        e.message,
        "[conv] Invalid strides (1,1) for 1D convolution."
    );
}

/// `sum(conv(x, w) * c)` in float64 and its gradient from vjp, against
/// central differences along random directions; jvp against the same.
#[test]
fn vjp_and_jvp_against_finite_differences() {
    let mut rng = Rng(12345);
    let (xs, ws) = (vec![2i64, 6, 5, 4], vec![4i64, 3, 2, 2]);
    let p = p2([2, 1], [1, 0], [2, 1], [1, 2], [2, 1], 2, true);
    let (xv, wv) = (rng.vec(size(&xs)), rng.vec(size(&ws)));
    let f = |x: &Array, w: &Array| run(x, w, &p);
    let x = arr(&xv, &xs, Dtype::Float64);
    let w = arr(&wv, &ws, Dtype::Float64);
    let out = f(&x, &w);
    let cv = rng.vec(out.size());
    let c = arr(&cv, out.shape(), Dtype::Float64);
    let (_, g) = vjp(
        |a: &[Array]| Ok(vec![f(&a[0], &a[1])]),
        &[x.clone(), w.clone()],
        &[c],
    )
    .unwrap();
    let loss = |xv: &[f64], wv: &[f64]| -> f64 {
        let y = vals(&f(
            &arr(xv, &xs, Dtype::Float64),
            &arr(wv, &ws, Dtype::Float64),
        ));
        y.iter().zip(&cv).map(|(a, b)| a * b).sum()
    };
    let (gx, gw) = (vals(&g[0]), vals(&g[1]));
    let eps = 1e-3;
    for _ in 0..3 {
        let (tx, tw) = (rng.vec(xv.len()), rng.vec(wv.len()));
        let shift = |v: &[f64], t: &[f64], s: f64| -> Vec<f64> {
            v.iter().zip(t).map(|(a, b)| a + s * b).collect()
        };
        let fd_x =
            (loss(&shift(&xv, &tx, eps), &wv) - loss(&shift(&xv, &tx, -eps), &wv)) / (2.0 * eps);
        let fd_w =
            (loss(&xv, &shift(&wv, &tw, eps)) - loss(&xv, &shift(&wv, &tw, -eps))) / (2.0 * eps);
        let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(p, q)| p * q).sum() };
        assert_close(&[dot(&gx, &tx)], &[fd_x], 1e-8, "vjp x");
        assert_close(&[dot(&gw, &tw)], &[fd_w], 1e-8, "vjp w");
        let (_, t) = jvp(
            |a: &[Array]| Ok(vec![f(&a[0], &a[1])]),
            &[x.clone(), w.clone()],
            &[arr(&tx, &xs, Dtype::Float64), arr(&tw, &ws, Dtype::Float64)],
        )
        .unwrap();
        let up = vals(&f(
            &arr(&shift(&xv, &tx, eps), &xs, Dtype::Float64),
            &arr(&shift(&wv, &tw, eps), &ws, Dtype::Float64),
        ));
        let dn = vals(&f(
            &arr(&shift(&xv, &tx, -eps), &xs, Dtype::Float64),
            &arr(&shift(&wv, &tw, -eps), &ws, Dtype::Float64),
        ));
        let fd: Vec<f64> = up
            .iter()
            .zip(&dn)
            .map(|(a, b)| (a - b) / (2.0 * eps))
            .collect();
        assert_close(&vals(&t[0]), &fd, 1e-7, "jvp");
    }
}

#[test]
fn vmap_against_loop() {
    let mut rng = Rng(777);
    let b = 3i64;
    let (xs, ws) = (vec![b, 2, 7, 4], vec![b, 6, 3, 2]);
    let xa = arr(&rng.vec(size(&xs)), &xs, Dtype::Float32);
    let wa = arr(&rng.vec(size(&ws)), &ws, Dtype::Float32);
    let conv = |x: &Array, w: &Array| ops::conv1d(x, w, 2, 1, 1, 2, None).unwrap();
    let item = |a: &Array, i: i64| ops::take(a, &Array::scalar(i as i32), Some(0), None).unwrap();
    // A batched operand is the whole stack, item `i` in call `i`; an
    // unbatched one is item 0 in every call.
    let operand = |a: &Array, ax: Option<i64>| if ax.is_some() { a.clone() } else { item(a, 0) };
    let call_operand =
        |a: &Array, ax: Option<i64>, i: i64| item(a, if ax.is_some() { i } else { 0 });
    for (ax, aw) in [(Some(0), None), (None, Some(0)), (Some(0), Some(0))] {
        let (x_in, w_in) = (operand(&xa, ax), operand(&wa, aw));
        let out = vmap(
            |a: &[Array]| Ok(vec![conv(&a[0], &a[1])]),
            &[x_in.clone(), w_in.clone()],
            &[ax, aw],
            &[Some(0)],
        )
        .unwrap();
        for i in 0..b {
            let (xi, wi) = (call_operand(&xa, ax, i), call_operand(&wa, aw, i));
            let want = vals(&conv(&xi, &wi));
            let got = vals(&item(&out[0], i));
            assert_close(&got, &want, 1e-5, &format!("vmap {ax:?} {aw:?} item {i}"));
        }
    }
}
