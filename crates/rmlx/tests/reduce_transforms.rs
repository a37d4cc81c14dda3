//! Transformation rules of the reduce and scan families (`sum` ... `min`,
//! `all`/`any`, `argmin`/`argmax`, `logsumexp`, `softmax`, the cumulative
//! scans) and of the composites built on them (`mean`, `var`, `std`): vjp
//! and jvp against central finite differences in float64, MLX's tie and
//! zero conventions, the non-differentiable zero rules, vmap against a loop,
//! and nested transformations.

use rmlx::transforms::{grad, jvp, vjp, vmap};
use rmlx::{ops, Array, Dtype, Result};

type Fun = dyn Fn(&Array) -> Result<Array>;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
    fn array(&mut self, shape: &[i64], lo: f64, hi: f64) -> Array {
        let n = shape.iter().product::<i64>() as usize;
        let v: Vec<f64> = (0..n).map(|_| lo + (hi - lo) * self.uniform()).collect();
        Array::from_slice(&v, shape).unwrap()
    }
}

fn vals(a: &Array) -> Vec<f64> {
    ops::astype(a, Dtype::Float64, None)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

fn f64s(v: &[f64], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = g == w || (g - w).abs() <= tol * (1.0 + w.abs()) || (g.is_nan() && w.is_nan());
        assert!(
            ok,
            "{what}: element {i}: got {g}, want {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

/// Checks vjp and jvp of `f` (float64) at `x` against the Jacobian from
/// central differences. `x` may be a non-contiguous view.
fn check_fd(f: &Fun, x: &Array, rng: &mut Rng, what: &str) {
    let out = f(x).unwrap();
    let base = vals(x);
    let h = 1e-6;
    // jac[j][o] = d out_o / d x_j
    let jac: Vec<Vec<f64>> = (0..base.len())
        .map(|j| {
            let at = |d: f64| {
                let mut v = base.clone();
                v[j] += d;
                vals(&f(&f64s(&v, x.shape())).unwrap())
            };
            let (p, m) = (at(h), at(-h));
            // Equal values (infinite ones included) do not change.
            p.iter()
                .zip(&m)
                .map(|(p, m)| if p == m { 0.0 } else { (p - m) / (2.0 * h) })
                .collect()
        })
        .collect();
    let cot = rng.array(out.shape(), -1.0, 1.0);
    let c = vals(&cot);
    let (_, g) = vjp(|a| Ok(vec![f(&a[0])?]), std::slice::from_ref(x), &[cot]).unwrap();
    assert_eq!(g[0].shape(), x.shape(), "{what}: vjp shape");
    assert_eq!(g[0].dtype(), x.dtype(), "{what}: vjp dtype");
    let want: Vec<f64> = jac
        .iter()
        .map(|col| col.iter().zip(&c).map(|(d, c)| d * c).sum())
        .collect();
    assert_close(&vals(&g[0]), &want, 1e-6, &format!("{what}: vjp"));
    let tan = rng.array(x.shape(), -1.0, 1.0);
    let t = vals(&tan);
    let (_, jv) = jvp(|a| Ok(vec![f(&a[0])?]), std::slice::from_ref(x), &[tan]).unwrap();
    assert_eq!(jv[0].shape(), out.shape(), "{what}: jvp shape");
    assert_eq!(jv[0].dtype(), out.dtype(), "{what}: jvp dtype");
    let want: Vec<f64> = (0..out.size())
        .map(|o| (0..t.len()).map(|j| jac[j][o] * t[j]).sum())
        .collect();
    assert_close(&vals(&jv[0]), &want, 1e-6, &format!("{what}: jvp"));
}

/// Element `i` of `x` along `axis` (the axis dropped).
fn take(x: &Array, axis: usize, i: i64) -> Array {
    let nd = x.ndim();
    let mut start = vec![0; nd];
    start[axis] = i;
    let mut count = x.shape().to_vec();
    count[axis] = 1;
    let s = ops::slice_strided(x, &start, &vec![1; nd], &count, None).unwrap();
    ops::squeeze(&s, Some(&[axis as i64]), None).unwrap()
}

/// Checks `vmap(f)` over axis `ax` of `x` against a loop and `stack`.
fn check_vmap(f: &Fun, x: &Array, ax: usize, what: &str) {
    let got = vmap(
        |a| Ok(vec![f(&a[0])?]),
        std::slice::from_ref(x),
        &[Some(ax as i64)],
        &[Some(0)],
    )
    .unwrap()
    .remove(0);
    let rows: Vec<Array> = (0..x.shape()[ax])
        .map(|i| f(&take(x, ax, i)).unwrap())
        .collect();
    let want = ops::stack(&rows, 0, None).unwrap();
    assert_eq!(got.shape(), want.shape(), "{what}: vmap shape");
    assert_eq!(got.dtype(), want.dtype(), "{what}: vmap dtype");
    assert_close(&vals(&got), &vals(&want), 1e-12, &format!("{what}: vmap"));
}

/// Axis selections and keepdims to try on a rank-3 input.
const AXES: [(Option<&[i64]>, bool); 7] = [
    (Some(&[0]), false),
    (Some(&[1]), true),
    (Some(&[-1]), false),
    (Some(&[0, 2]), false),
    (Some(&[2, 0]), true),
    (None, false),
    (None, true),
];

type ReduceFn = fn(&Array, Option<&[i64]>, bool, Option<rmlx::Stream>) -> Result<Array>;

fn reductions() -> Vec<(&'static str, ReduceFn)> {
    vec![
        ("sum", ops::sum),
        ("prod", ops::prod),
        ("max", ops::max),
        ("min", ops::min),
        ("logsumexp", ops::logsumexp),
        ("mean", ops::mean),
    ]
}

#[test]
fn reductions_match_finite_differences() {
    let mut rng = Rng(0x5eed_0001_2345_6789);
    for (name, op) in reductions() {
        for (axes, keep) in AXES {
            let x = rng.array(&[3, 4, 5], -1.5, 1.5);
            let f = move |a: &Array| op(a, axes, keep, None);
            check_fd(
                &f,
                &x,
                &mut rng,
                &format!("{name} {axes:?} keepdims={keep}"),
            );
        }
        // A transposed (non-contiguous) input and size-1 axes.
        let x = ops::transpose(&rng.array(&[4, 1, 3], -1.5, 1.5), None, None).unwrap();
        let f = move |a: &Array| op(a, Some(&[0, 1]), false, None);
        check_fd(&f, &x, &mut rng, &format!("{name} transposed"));
    }
}

#[test]
fn prod_handles_zeros_without_division() {
    let mut rng = Rng(7);
    for zeros in [&[1usize][..], &[1, 4], &[0, 2, 5]] {
        let mut v: Vec<f64> = (0..6).map(|_| 0.5 + rng.uniform()).collect();
        for &z in zeros {
            v[z] = 0.0;
        }
        let x = f64s(&v, &[2, 3]);
        for axes in [None, Some(&[1i64][..])] {
            let f = move |a: &Array| ops::prod(a, axes, false, None);
            check_fd(
                &f,
                &x,
                &mut rng,
                &format!("prod zeros at {zeros:?} axes {axes:?}"),
            );
        }
    }
}

#[test]
fn max_shares_cotangent_among_ties_and_jvp_takes_the_first() {
    // MLX: the vjp splits the cotangent equally among tied extrema, the jvp
    // takes the tangent of the first one (argmax).
    let x = f64s(&[1., 3., 2., 3., 0.5, 3.], &[6]);
    let c = Array::scalar(6.0f64);
    let (_, g) = vjp(
        |a| Ok(vec![ops::max(&a[0], None, false, None)?]),
        std::slice::from_ref(&x),
        &[c],
    )
    .unwrap();
    assert_eq!(vals(&g[0]), vec![0., 2., 0., 2., 0., 2.]);
    let t = f64s(&[1., 10., 100., 1000., 10000., 100000.], &[6]);
    let (_, jv) = jvp(
        |a| Ok(vec![ops::max(&a[0], None, false, None)?]),
        std::slice::from_ref(&x),
        std::slice::from_ref(&t),
    )
    .unwrap();
    assert_eq!(vals(&jv[0]), vec![10.]);
    let (_, jv) = jvp(|a| Ok(vec![ops::min(&a[0], None, true, None)?]), &[x], &[t]).unwrap();
    assert_eq!(jv[0].shape(), &[1]);
    assert_eq!(vals(&jv[0]), vec![10000.]);
}

#[test]
fn boolean_and_index_reductions_have_zero_derivatives() {
    let x = f64s(&[1., -2., 0., 4., 5., -6.], &[2, 3]);
    let ones = |a: &Array| ops::ones_like(a, None, None).unwrap();
    type Op = fn(&Array) -> Result<Array>;
    let cases: Vec<(&str, Op, Dtype)> = vec![
        ("all", |a| ops::all(a, Some(&[1]), false, None), Dtype::Bool),
        ("any", |a| ops::any(a, Some(&[0]), true, None), Dtype::Bool),
        (
            "argmax",
            |a| ops::argmax(a, Some(1), false, None),
            Dtype::Uint32,
        ),
        (
            "argmin",
            |a| ops::argmin(a, Some(0), true, None),
            Dtype::Uint32,
        ),
        (
            "argmax flat",
            |a| ops::argmax(a, None, false, None),
            Dtype::Uint32,
        ),
    ];
    for (name, op, dt) in cases {
        let out = op(&x).unwrap();
        let (_, g) = vjp(
            |a| Ok(vec![op(&a[0])?]),
            std::slice::from_ref(&x),
            &[ones(&out)],
        )
        .unwrap();
        assert_eq!(
            (g[0].shape(), g[0].dtype()),
            (x.shape(), x.dtype()),
            "{name}"
        );
        assert!(vals(&g[0]).iter().all(|&v| v == 0.0), "{name}: vjp");
        let (_, t) = jvp(
            |a| Ok(vec![op(&a[0])?]),
            std::slice::from_ref(&x),
            &[ones(&x)],
        )
        .unwrap();
        assert_eq!(
            (t[0].shape(), t[0].dtype()),
            (out.shape(), dt),
            "{name}: jvp"
        );
        assert!(vals(&t[0]).iter().all(|&v| v == 0.0), "{name}: jvp");
    }
}

#[test]
fn integer_sum_differentiates_in_the_integer_dtype() {
    // MLX's Reduce::vjp broadcasts the cotangent for sums whatever the dtype.
    let x = Array::from_slice(&[1i32, 2, 3, 4], &[2, 2]).unwrap();
    let sum = |a: &[Array]| Ok(vec![ops::sum(&a[0], Some(&[1]), false, None)?]);
    let c = Array::from_slice(&[5i32, 7], &[2]).unwrap();
    let (_, g) = vjp(sum, std::slice::from_ref(&x), &[c]).unwrap();
    assert_eq!(g[0].dtype(), Dtype::Int32);
    assert_eq!(g[0].to_vec::<i32>().unwrap(), vec![5, 5, 7, 7]);
}

#[test]
fn integer_inputs_have_zero_derivatives() {
    let x = Array::from_slice(&[1i32, 2, 3, 4], &[2, 2]).unwrap();
    type Op = fn(&Array) -> Result<Array>;
    let cases: Vec<(&str, Op)> = vec![
        ("prod", |a| ops::prod(a, None, false, None)),
        ("max", |a| ops::max(a, Some(&[0]), true, None)),
        ("cumsum", |a| ops::cumsum(a, Some(1), false, true, None)),
        ("cummax", |a| ops::cummax(a, Some(0), true, false, None)),
    ];
    for (name, op) in cases {
        let out = op(&x).unwrap();
        let c = ops::ones_like(&out, None, None).unwrap();
        let (_, g) = vjp(|a| Ok(vec![op(&a[0])?]), std::slice::from_ref(&x), &[c]).unwrap();
        assert_eq!(
            (g[0].shape(), g[0].dtype()),
            (x.shape(), Dtype::Int32),
            "{name}"
        );
        assert_eq!(g[0].to_vec::<i32>().unwrap(), vec![0; 4], "{name}");
        let t = ops::ones_like(&x, None, None).unwrap();
        let (_, jv) = jvp(|a| Ok(vec![op(&a[0])?]), std::slice::from_ref(&x), &[t]).unwrap();
        assert_eq!(
            (jv[0].shape(), jv[0].dtype()),
            (out.shape(), out.dtype()),
            "{name}"
        );
        assert!(vals(&jv[0]).iter().all(|&v| v == 0.0), "{name}: jvp");
    }
}

#[test]
fn logsumexp_is_stable_for_large_inputs() {
    let x = f64s(&[1000., 1001., 999., -1000.], &[4]);
    let (_, g) = vjp(
        |a| Ok(vec![ops::logsumexp(&a[0], None, false, None)?]),
        std::slice::from_ref(&x),
        &[Array::scalar(1.0f64)],
    )
    .unwrap();
    let e: Vec<f64> = [0., 1., -1.].iter().map(|d: &f64| d.exp()).collect();
    let s: f64 = e.iter().sum();
    assert_close(
        &vals(&g[0]),
        &[e[0] / s, e[1] / s, e[2] / s, 0.],
        1e-12,
        "logsumexp vjp",
    );
    let (_, t) = jvp(
        |a| Ok(vec![ops::logsumexp(&a[0], None, false, None)?]),
        &[x],
        &[f64s(&[1., 1., 1., 1.], &[4])],
    )
    .unwrap();
    assert_close(&vals(&t[0]), &[1.], 1e-12, "logsumexp jvp");
}

#[test]
fn softmax_matches_finite_differences_on_every_axis() {
    let mut rng = Rng(0xfeed_beef);
    for axes in [Some(&[-1i64][..]), Some(&[0]), Some(&[0, 2]), None] {
        for precise in [false, true] {
            let x = rng.array(&[2, 3, 4], -2.0, 2.0);
            let f = move |a: &Array| ops::softmax(a, axes, precise, None);
            check_fd(&f, &x, &mut rng, &format!("softmax {axes:?}"));
        }
    }
    let x = ops::transpose(&rng.array(&[5, 3], -2.0, 2.0), None, None).unwrap();
    check_fd(
        &|a: &Array| ops::softmax(a, Some(&[-1]), false, None),
        &x,
        &mut rng,
        "softmax T",
    );
}

type ScanFn = fn(&Array, Option<i64>, bool, bool, Option<rmlx::Stream>) -> Result<Array>;

fn scans() -> Vec<(&'static str, ScanFn)> {
    vec![
        ("cumsum", ops::cumsum),
        ("cumprod", ops::cumprod),
        ("cummax", ops::cummax),
        ("cummin", ops::cummin),
        ("logcumsumexp", ops::logcumsumexp),
    ]
}

#[test]
fn scans_match_finite_differences() {
    let mut rng = Rng(0xabcd_ef01_2345);
    for (name, op) in scans() {
        for reverse in [false, true] {
            for inclusive in [true, false] {
                for (shape, axis) in [(&[3, 7][..], Some(1)), (&[5, 2, 3], Some(0)), (&[9], None)] {
                    let x = rng.array(shape, -1.5, 1.5);
                    let f = move |a: &Array| op(a, axis, reverse, inclusive, None);
                    let what =
                        format!("{name} {shape:?} axis {axis:?} rev={reverse} inc={inclusive}");
                    check_fd(&f, &x, &mut rng, &what);
                }
                let x = ops::transpose(&rng.array(&[6, 2], -1.5, 1.5), None, None).unwrap();
                let f = move |a: &Array| op(a, Some(-1), reverse, inclusive, None);
                check_fd(&f, &x, &mut rng, &format!("{name} transposed"));
            }
        }
    }
}

#[test]
fn cumprod_handles_zeros() {
    let mut rng = Rng(99);
    for zeros in [&[1usize][..], &[1, 3], &[0, 5], &[6]] {
        let mut v: Vec<f64> = (0..7).map(|_| 0.5 + rng.uniform()).collect();
        for &z in zeros {
            v[z] = 0.0;
        }
        let x = f64s(&v, &[7]);
        for reverse in [false, true] {
            for inclusive in [true, false] {
                let f = move |a: &Array| ops::cumprod(a, Some(0), reverse, inclusive, None);
                let what = format!("cumprod zeros {zeros:?} rev={reverse} inc={inclusive}");
                check_fd(&f, &x, &mut rng, &what);
            }
        }
    }
}

#[test]
fn cummax_and_cummin_send_ties_to_the_latest_scanned() {
    // Expected values from MLX 0.32.4 (cotangent 10^i at output i).
    let x = f64s(&[1., 3., 2., 3., 0.5, 3.], &[6]);
    let c = f64s(&[1., 10., 100., 1000., 10000., 100000.], &[6]);
    let cases: [(ScanFn, bool, bool, [f64; 6]); 8] = [
        (
            ops::cummax,
            false,
            true,
            [1., 110., 0., 11000., 0., 100000.],
        ),
        (ops::cummin, false, true, [1111., 0., 0., 0., 110000., 0.]),
        (ops::cummax, false, false, [10., 1100., 0., 110000., 0., 0.]),
        (ops::cummin, false, false, [11110., 0., 0., 0., 100000., 0.]),
        (ops::cummax, true, true, [0., 11., 0., 1100., 0., 110000.]),
        (ops::cummin, true, true, [0., 0., 0., 0., 11111., 100000.]),
        (ops::cummax, true, false, [0., 1., 0., 110., 0., 11000.]),
        (ops::cummin, true, false, [0., 0., 0., 0., 1111., 10000.]),
    ];
    for (op, rev, inc, want) in cases {
        let f = move |a: &[Array]| Ok(vec![op(&a[0], Some(0), rev, inc, None)?]);
        let (_, g) = vjp(f, std::slice::from_ref(&x), std::slice::from_ref(&c)).unwrap();
        assert_eq!(vals(&g[0]), want.to_vec(), "rev={rev} inc={inc}");
        // The jvp is the transpose: <vjp(c), t> == <c, jvp(t)>.
        let t = f64s(&[3., -1., 4., 1., -5., 9.], &[6]);
        let (_, jv) = jvp(f, std::slice::from_ref(&x), std::slice::from_ref(&t)).unwrap();
        let lhs: f64 = want.iter().zip(vals(&t)).map(|(a, b)| a * b).sum();
        let rhs: f64 = vals(&c).iter().zip(vals(&jv[0])).map(|(a, b)| a * b).sum();
        assert_eq!(lhs, rhs, "transpose rev={rev} inc={inc}");
    }
}

#[test]
fn logcumsumexp_is_stable_and_empty_prefixes_give_zero() {
    let x = f64s(&[1000., 1001., -1000., 999.], &[4]);
    let f = |a: &[Array]| Ok(vec![ops::logcumsumexp(&a[0], Some(0), false, false, None)?]);
    let (_, jv) = jvp(
        f,
        std::slice::from_ref(&x),
        &[f64s(&[1., 1., 1., 1.], &[4])],
    )
    .unwrap();
    assert_close(&vals(&jv[0]), &[0., 1., 1., 1.], 1e-12, "exclusive jvp");
    let c = f64s(&[5., 1., -1., 2.], &[4]);
    let (_, g) = vjp(f, std::slice::from_ref(&x), &[c]).unwrap();
    let g = vals(&g[0]);
    assert!(g.iter().all(|v| v.is_finite()), "{g:?}");
    assert_eq!(g[3], 0.0);
    let mut rng = Rng(5);
    let xl = ops::add(&rng.array(&[6], -2.0, 2.0), &Array::scalar(500.0f64), None).unwrap();
    let f = |a: &Array| ops::logcumsumexp(a, Some(0), true, true, None);
    check_fd(&f, &xl, &mut rng, "logcumsumexp large");
}

#[test]
fn composites_differentiate_through_their_building_blocks() {
    let mut rng = Rng(0x77);
    type Op = Box<Fun>;
    let cases: Vec<(&str, Op)> = vec![
        ("mean", Box::new(|a| ops::mean(a, Some(&[1]), false, None))),
        ("var", Box::new(|a| ops::var(a, None, false, 0, None))),
        (
            "var ddof",
            Box::new(|a| ops::var(a, Some(&[0, 2]), true, 1, None)),
        ),
        (
            "std",
            Box::new(|a| ops::std(a, Some(&[-1]), false, 0, None)),
        ),
        ("std ddof", Box::new(|a| ops::std(a, None, true, 1, None))),
        (
            "minmax",
            Box::new(|a| {
                let (lo, hi) = ops::minmax(a, Some(&[1]), false, None)?;
                ops::subtract(&hi, &lo, None)
            }),
        ),
        (
            "count_nonzero",
            Box::new(|a| {
                let n = ops::count_nonzero(a, Some(&[0]), false, None)?;
                ops::multiply(
                    &ops::astype(&n, Dtype::Float64, None)?,
                    &ops::sum(a, Some(&[0]), false, None)?,
                    None,
                )
            }),
        ),
    ];
    for (name, f) in cases {
        let x = rng.array(&[3, 4, 2], -1.5, 1.5);
        check_fd(f.as_ref(), &x, &mut rng, name);
    }
}

#[test]
fn vmap_matches_a_loop() {
    let mut rng = Rng(0x1111);
    let mut fs: Vec<(String, Box<Fun>)> = Vec::new();
    for (name, op) in reductions() {
        for (axes, keep) in [
            (Some(&[0i64][..]), false),
            (Some(&[-1]), true),
            (None, false),
        ] {
            fs.push((
                format!("{name} {axes:?} {keep}"),
                Box::new(move |a| op(a, axes, keep, None)),
            ));
        }
    }
    fs.push((
        "all".into(),
        Box::new(|a| {
            ops::all(
                &ops::greater(a, &Array::scalar(0.0f64), None)?,
                Some(&[1]),
                false,
                None,
            )
        }),
    ));
    fs.push((
        "any".into(),
        Box::new(|a| {
            ops::any(
                &ops::greater(a, &Array::scalar(0.0f64), None)?,
                None,
                true,
                None,
            )
        }),
    ));
    fs.push((
        "argmax".into(),
        Box::new(|a| ops::argmax(a, Some(-1), false, None)),
    ));
    fs.push((
        "argmin".into(),
        Box::new(|a| ops::argmin(a, Some(0), true, None)),
    ));
    fs.push((
        "argmax flat".into(),
        Box::new(|a| ops::argmax(a, None, false, None)),
    ));
    for axes in [Some(&[-1i64][..]), Some(&[0]), None] {
        fs.push((
            format!("softmax {axes:?}"),
            Box::new(move |a| ops::softmax(a, axes, false, None)),
        ));
    }
    for (name, op) in scans() {
        for (axis, rev, inc) in [
            (Some(0), false, true),
            (Some(-1), true, false),
            (None, false, false),
        ] {
            fs.push((
                format!("{name} {axis:?} {rev} {inc}"),
                Box::new(move |a| op(a, axis, rev, inc, None)),
            ));
        }
    }
    for (name, f) in &fs {
        let x = rng.array(&[3, 4, 5], -1.5, 1.5);
        for ax in 0..3 {
            check_vmap(f.as_ref(), &x, ax, &format!("{name} in_axis {ax}"));
        }
    }
}

#[test]
fn vmap_with_an_unbatched_argument_and_out_axis() {
    let mut rng = Rng(0x2222);
    let x = rng.array(&[4, 3], -1.0, 1.0);
    let w = rng.array(&[4], -1.0, 1.0);
    let got = vmap(
        |a| {
            Ok(vec![ops::cumsum(
                &ops::multiply(&a[0], &a[1], None)?,
                Some(0),
                false,
                true,
                None,
            )?])
        },
        &[x.clone(), w.clone()],
        &[Some(1), None],
        &[Some(1)],
    )
    .unwrap()
    .remove(0);
    let want = ops::cumsum(
        &ops::multiply(&x, &ops::reshape(&w, &[4, 1], None).unwrap(), None).unwrap(),
        Some(0),
        false,
        true,
        None,
    )
    .unwrap();
    assert_close(&vals(&got), &vals(&want), 1e-12, "vmap in_axes (1, None)");
}

/// Finite-difference check of `x -> grad(f)(x)` against `grad(grad(...))`
/// in the form of a Hessian-vector product.
fn check_second_order(f: &'static Fun, x: &Array, what: &str) {
    let g = |a: &Array| -> Result<Array> {
        Ok(grad(|b| Ok(vec![f(&b[0])?]), std::slice::from_ref(a), &[0])?.remove(0))
    };
    let v = Rng(3).array(x.shape(), -1.0, 1.0);
    // d/dx <grad f(x), v>
    let hv = grad(
        |b| {
            Ok(vec![ops::sum(
                &ops::multiply(&g(&b[0])?, &v, None)?,
                None,
                false,
                None,
            )?])
        },
        std::slice::from_ref(x),
        &[0],
    )
    .unwrap()
    .remove(0);
    let h = 1e-5;
    let shifted = |d: f64| {
        let xd = ops::add(
            x,
            &ops::multiply(&v, &Array::scalar(d), None).unwrap(),
            None,
        )
        .unwrap();
        vals(&g(&xd).unwrap())
    };
    let (p, m) = (shifted(h), shifted(-h));
    let want: Vec<f64> = p.iter().zip(&m).map(|(p, m)| (p - m) / (2.0 * h)).collect();
    assert_close(&vals(&hv), &want, 1e-5, &format!("{what}: grad of grad"));
}

#[test]
fn grad_of_grad() {
    let mut rng = Rng(0x3333);
    let x = rng.array(&[3, 4], 0.3, 1.5);
    let cases: Vec<(&str, &'static Fun)> = vec![
        ("prod", &|a| {
            ops::sum(&ops::prod(a, Some(&[1]), false, None)?, None, false, None)
        }),
        ("logsumexp", &|a| ops::logsumexp(a, None, false, None)),
        ("softmax", &|a| {
            let s = ops::softmax(a, Some(&[0]), false, None)?;
            ops::sum(
                &ops::multiply(&s, &ops::sin(a, None)?, None)?,
                None,
                false,
                None,
            )
        }),
        ("cumprod", &|a| {
            ops::sum(
                &ops::cumprod(a, Some(1), true, false, None)?,
                None,
                false,
                None,
            )
        }),
        ("logcumsumexp", &|a| {
            let l = ops::logcumsumexp(a, Some(0), false, true, None)?;
            ops::sum(&ops::square(&l, None)?, None, false, None)
        }),
        ("cummax", &|a| {
            let m = ops::cummax(a, Some(1), false, true, None)?;
            ops::sum(&ops::square(&m, None)?, None, false, None)
        }),
        ("var", &|a| {
            ops::sum(&ops::std(a, Some(&[1]), false, 1, None)?, None, false, None)
        }),
    ];
    for (name, f) in cases {
        check_second_order(f, &x, name);
    }
}

#[test]
fn vmap_of_grad() {
    let mut rng = Rng(0x4444);
    let x = rng.array(&[3, 5], 0.3, 1.5);
    type Op = fn(&Array) -> Result<Array>;
    let cases: Vec<(&str, Op)> = vec![
        ("cumprod", |a| {
            ops::sum(
                &ops::cumprod(a, Some(0), false, true, None)?,
                None,
                false,
                None,
            )
        }),
        ("cummin", |a| {
            ops::sum(
                &ops::square(&ops::cummin(a, Some(0), true, false, None)?, None)?,
                None,
                false,
                None,
            )
        }),
        ("logsumexp", |a| ops::logsumexp(a, None, false, None)),
        ("max", |a| ops::max(a, None, false, None)),
    ];
    for (name, f) in cases {
        let g = move |a: &Array| -> Result<Array> {
            Ok(grad(|b| Ok(vec![f(&b[0])?]), std::slice::from_ref(a), &[0])?.remove(0))
        };
        check_vmap(&g, &x, 0, &format!("{name}: vmap of grad"));
        check_vmap(&g, &x, 1, &format!("{name}: vmap of grad"));
    }
}
