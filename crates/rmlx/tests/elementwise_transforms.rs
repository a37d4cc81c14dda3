//! Transformation rules of the elementwise families (unary, binary,
//! `divmod`, `stop_gradient`, `astype`, `view`): vjp and jvp against central
//! finite differences in float64, zero rules for the non-differentiable ops
//! and integer dtypes, the complex convention, vmap against a loop, and
//! nested transformations (grad of grad, jvp of vjp, vmap of vjp).

use num_complex::Complex32;
use rmlx::transforms::{jvp, vjp, vmap};
use rmlx::{ops, Array, Dtype, ErrorKind, Result, Stream};

type Fun = dyn Fn(&[Array]) -> Result<Vec<Array>>;
type UnaryFn = fn(&Array, Option<Stream>) -> Result<Array>;
type BinaryFn = fn(&Array, &Array, Option<Stream>) -> Result<Array>;
type Domain = (f64, f64);
/// An operand shape and its batch axis.
type Mapped = (&'static [i64], Option<i64>);

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

fn un(op: UnaryFn) -> impl Fn(&[Array]) -> Result<Vec<Array>> + Copy {
    move |a| Ok(vec![op(&a[0], None)?])
}

fn bin(op: BinaryFn) -> impl Fn(&[Array]) -> Result<Vec<Array>> + Copy {
    move |a| Ok(vec![op(&a[0], &a[1], None)?])
}

/// The input cotangents of `f` at `xs`.
fn grads(f: &Fun, xs: &[Array], cots: &[Array]) -> Vec<Array> {
    vjp(f, xs, cots).unwrap().1
}

/// The output tangents of `f` at `xs`.
fn tangents(f: &Fun, xs: &[Array], tans: &[Array]) -> Vec<Array> {
    jvp(f, xs, tans).unwrap().1
}

fn ones(a: &Array) -> Array {
    ops::ones_like(a, None, None).unwrap()
}

fn f64s(v: &[f64]) -> Array {
    Array::from_slice(v, &[v.len() as i64]).unwrap()
}

fn c64s(v: &[(f32, f32)]) -> Array {
    let v: Vec<Complex32> = v.iter().map(|&(r, i)| Complex32::new(r, i)).collect();
    Array::from_slice(&v, &[v.len() as i64]).unwrap()
}

fn vals(a: &Array) -> Vec<f64> {
    ops::astype(a, Dtype::Float64, None)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

fn cvals(a: &Array) -> Vec<Complex32> {
    a.to_vec::<Complex32>().unwrap()
}

fn assert_close(got: &[f64], want: &[f64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        let ok = (g - w).abs() <= tol * (1.0 + w.abs()) || (g.is_nan() && w.is_nan());
        assert!(
            ok,
            "{what}: element {i}: got {g}, want {w}\n got {got:?}\nwant {want:?}"
        );
    }
}

fn assert_close_c(got: &[Complex32], want: &[Complex32], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (g, w) in got.iter().zip(want) {
        assert!(
            (g - w).norm() < 1e-5 * (1.0 + w.norm()),
            "{what}: {g} vs {w}"
        );
    }
}

/// Checks `vjp` and `jvp` of `f` (float64 inputs and outputs) at `xs`
/// against the Jacobian from central differences.
fn check_fd(f: &Fun, xs: &[Array], rng: &mut Rng, what: &str) {
    let outs = f(xs).unwrap();
    let h = 1e-6;
    let base: Vec<Vec<f64>> = xs.iter().map(vals).collect();
    // jac[k][j][o][i] = d out_o[i] / d xs[k][j]
    let mut jac: Vec<Vec<Vec<Vec<f64>>>> = Vec::new();
    for (k, x) in xs.iter().enumerate() {
        let mut cols = Vec::new();
        for j in 0..base[k].len() {
            let eval_at = |d: f64| {
                let mut v = base[k].clone();
                v[j] += d;
                let mut args = xs.to_vec();
                args[k] = Array::from_slice(&v, x.shape()).unwrap();
                f(&args).unwrap().iter().map(vals).collect::<Vec<_>>()
            };
            let (p, m) = (eval_at(h), eval_at(-h));
            let col = p.iter().zip(&m);
            cols.push(
                col.map(|(p, m)| p.iter().zip(m).map(|(p, m)| (p - m) / (2.0 * h)).collect())
                    .collect(),
            );
        }
        jac.push(cols);
    }
    let cots: Vec<Array> = outs
        .iter()
        .map(|o| rng.array(o.shape(), -1.0, 1.0))
        .collect();
    let cv: Vec<Vec<f64>> = cots.iter().map(vals).collect();
    for (k, g) in grads(f, xs, &cots).iter().enumerate() {
        assert_eq!(g.shape(), xs[k].shape(), "{what}: vjp shape of input {k}");
        assert_eq!(g.dtype(), xs[k].dtype(), "{what}: vjp dtype of input {k}");
        let dot = |col: &Vec<Vec<f64>>| -> f64 {
            col.iter()
                .zip(&cv)
                .map(|(d, c)| d.iter().zip(c).map(|(d, c)| d * c).sum::<f64>())
                .sum()
        };
        let want: Vec<f64> = jac[k].iter().map(dot).collect();
        assert_close(&vals(g), &want, 1e-6, &format!("{what}: vjp of input {k}"));
    }
    let tans: Vec<Array> = xs.iter().map(|x| rng.array(x.shape(), -1.0, 1.0)).collect();
    let tv: Vec<Vec<f64>> = tans.iter().map(vals).collect();
    for (o, t) in tangents(f, xs, &tans).iter().enumerate() {
        assert_eq!(
            t.shape(),
            outs[o].shape(),
            "{what}: jvp shape of output {o}"
        );
        assert_eq!(
            t.dtype(),
            outs[o].dtype(),
            "{what}: jvp dtype of output {o}"
        );
        let at = |i: usize| -> f64 {
            (0..xs.len())
                .map(|k| {
                    (0..tv[k].len())
                        .map(|j| jac[k][j][o][i] * tv[k][j])
                        .sum::<f64>()
                })
                .sum()
        };
        let want: Vec<f64> = (0..outs[o].size()).map(at).collect();
        assert_close(&vals(t), &want, 1e-6, &format!("{what}: jvp of output {o}"));
    }
}

/// The differentiable unary ops with a domain where they are smooth.
fn smooth_unary() -> Vec<(&'static str, UnaryFn, f64, f64)> {
    vec![
        ("abs", ops::abs, -2.0, 2.0),
        ("negative", ops::negative, -2.0, 2.0),
        ("sqrt", ops::sqrt, 0.2, 3.0),
        ("rsqrt", ops::rsqrt, 0.2, 3.0),
        ("square", ops::square, -2.0, 2.0),
        ("reciprocal", ops::reciprocal, 0.3, 2.0),
        ("exp", ops::exp, -2.0, 2.0),
        ("expm1", ops::expm1, -2.0, 2.0),
        ("log", ops::log, 0.2, 3.0),
        ("log1p", ops::log1p, -0.5, 2.0),
        ("log2", ops::log2, 0.2, 3.0),
        ("log10", ops::log10, 0.2, 3.0),
        ("sin", ops::sin, -3.0, 3.0),
        ("cos", ops::cos, -3.0, 3.0),
        ("tan", ops::tan, -1.2, 1.2),
        ("arcsin", ops::arcsin, -0.9, 0.9),
        ("arccos", ops::arccos, -0.9, 0.9),
        ("arctan", ops::arctan, -3.0, 3.0),
        ("sinh", ops::sinh, -2.0, 2.0),
        ("cosh", ops::cosh, -2.0, 2.0),
        ("tanh", ops::tanh, -2.0, 2.0),
        ("arcsinh", ops::arcsinh, -2.0, 2.0),
        ("arccosh", ops::arccosh, 1.2, 3.0),
        ("arctanh", ops::arctanh, -0.9, 0.9),
        ("erf", ops::erf, -2.0, 2.0),
        ("erfinv", ops::erfinv, -0.9, 0.9),
        ("sigmoid", ops::sigmoid, -3.0, 3.0),
    ]
}

/// The differentiable binary ops with operand domains where they are smooth.
fn smooth_binary() -> Vec<(&'static str, BinaryFn, Domain, Domain)> {
    vec![
        ("add", ops::add, (-2.0, 2.0), (-2.0, 2.0)),
        ("subtract", ops::subtract, (-2.0, 2.0), (-2.0, 2.0)),
        ("multiply", ops::multiply, (-2.0, 2.0), (-2.0, 2.0)),
        ("divide", ops::divide, (-2.0, 2.0), (0.5, 2.0)),
        ("remainder", ops::remainder, (-3.0, 3.0), (0.7, 1.9)),
        ("power", ops::power, (0.3, 2.0), (-1.5, 2.5)),
        ("maximum", ops::maximum, (-2.0, 2.0), (-2.0, 2.0)),
        ("minimum", ops::minimum, (-2.0, 2.0), (-2.0, 2.0)),
        ("arctan2", ops::arctan2, (-2.0, 2.0), (-2.0, 2.0)),
        ("logaddexp", ops::logaddexp, (-3.0, 3.0), (-3.0, 3.0)),
    ]
}

/// Operand shape pairs, broadcasting in every way.
const SHAPES: [(&[i64], &[i64]); 6] = [
    (&[2, 3], &[2, 3]),
    (&[2, 3, 4], &[4]),
    (&[3, 1], &[2, 1, 5]),
    (&[], &[3, 2]),
    (&[1, 4], &[3, 1]),
    (&[2, 3], &[]),
];

#[test]
fn unary_vjp_and_jvp_match_finite_differences() {
    let mut rng = Rng(0x1234_5678_9abc_def1);
    for (name, op, lo, hi) in smooth_unary() {
        for shape in [&[3, 5][..], &[7], &[]] {
            let x = rng.array(shape, lo, hi);
            check_fd(&un(op), &[x], &mut rng, name);
        }
    }
}

#[test]
fn binary_vjp_and_jvp_match_finite_differences_with_broadcasting() {
    let mut rng = Rng(0x0dd_ba11_cafe_f00d);
    for (name, op, (alo, ahi), (blo, bhi)) in smooth_binary() {
        for (sa, sb) in SHAPES {
            let xs = [rng.array(sa, alo, ahi), rng.array(sb, blo, bhi)];
            check_fd(&bin(op), &xs, &mut rng, &format!("{name} {sa:?} {sb:?}"));
        }
    }
}

#[test]
fn one_sided_tangents_broadcast_to_the_output() {
    let mut rng = Rng(7);
    let a = rng.array(&[4], -1.0, 1.0);
    let b = rng.array(&[3, 4], -1.0, 1.0);
    for op in [ops::add as BinaryFn, ops::subtract, ops::remainder] {
        let bb = b.clone();
        let f = move |x: &[Array]| Ok(vec![op(&x[0], &bb, None)?]);
        let t = tangents(&f, std::slice::from_ref(&a), &[ones(&a)]);
        assert_eq!(t[0].shape(), &[3, 4]);
    }
}

#[test]
fn mlx_tie_and_special_point_conventions() {
    let one = f64s(&[1.0, 1.0, 1.0]);
    let one = std::slice::from_ref(&one);
    // maximum and minimum: ties go to b.
    let ab = [f64s(&[1.0, 2.0, 3.0]), f64s(&[1.0, 3.0, 2.0])];
    let g = grads(&bin(ops::maximum), &ab, one);
    assert_eq!(
        (vals(&g[0]), vals(&g[1])),
        (vec![0.0, 0.0, 1.0], vec![1.0, 1.0, 0.0])
    );
    let g = grads(&bin(ops::minimum), &ab, one);
    assert_eq!(
        (vals(&g[0]), vals(&g[1])),
        (vec![0.0, 1.0, 0.0], vec![1.0, 0.0, 1.0])
    );
    // abs at 0 has derivative 0.
    let g = grads(&un(ops::abs), &[f64s(&[0.0, -1.0, 2.0])], one);
    assert_eq!(vals(&g[0]), vec![0.0, -1.0, 1.0]);
    // power: d/db is 0 where a^b is 0 (0 * log 0), as MLX.
    let g = grads(
        &bin(ops::power),
        &[f64s(&[0.0, 0.0, 2.0]), f64s(&[2.0, 0.0, 0.0])],
        one,
    );
    let (da, db) = (vals(&g[0]), vals(&g[1]));
    assert_eq!((da[0], da[2]), (0.0, 0.0));
    assert_eq!((db[0], db[1]), (0.0, f64::NEG_INFINITY));
    assert!((db[2] - 2f64.ln()).abs() < 1e-12);
}

/// The zero rules: non-differentiable ops give zeros of the input (vjp)
/// and of the output (jvp).
fn assert_zero_rules(f: &Fun, xs: &[Array], what: &str) {
    let outs = f(xs).unwrap();
    let cots: Vec<Array> = outs.iter().map(ones).collect();
    for (x, g) in xs.iter().zip(&grads(f, xs, &cots)) {
        assert_eq!(
            (g.shape(), g.dtype()),
            (x.shape(), x.dtype()),
            "{what}: vjp"
        );
        assert!(vals(g).iter().all(|&v| v == 0.0), "{what}: vjp not zero");
    }
    let tans: Vec<Array> = xs.iter().map(ones).collect();
    for (o, t) in outs.iter().zip(&tangents(f, xs, &tans)) {
        assert_eq!(
            (t.shape(), t.dtype()),
            (o.shape(), o.dtype()),
            "{what}: jvp"
        );
        assert!(vals(t).iter().all(|&v| v == 0.0), "{what}: jvp not zero");
    }
}

#[test]
fn non_differentiable_unary_ops_give_zeros() {
    let mut rng = Rng(99);
    let x = [rng.array(&[3, 4], -3.0, 3.0)];
    let round1: UnaryFn = |a, s| ops::round(a, 1, s);
    let float_ops: [(&str, UnaryFn); 10] = [
        ("sign", ops::sign),
        ("floor", ops::floor),
        ("ceil", ops::ceil),
        ("round", round1),
        ("logical_not", ops::logical_not),
        ("isnan", ops::isnan),
        ("isinf", ops::isinf),
        ("isposinf", ops::isposinf),
        ("isneginf", ops::isneginf),
        ("isfinite", ops::isfinite),
    ];
    for (name, op) in float_ops {
        assert_zero_rules(&un(op), &x, name);
    }
    let i = [Array::from_slice(&[3i32, -5, 7, 0], &[2, 2]).unwrap()];
    assert_zero_rules(&un(ops::bitwise_invert), &i, "bitwise_invert");
    assert_zero_rules(&un(ops::sign), &i, "sign int");
}

fn i32s(v: &[i32]) -> Array {
    Array::from_slice(v, &[v.len() as i64]).unwrap()
}

fn ints(a: &Array) -> Vec<i32> {
    a.to_vec::<i32>().unwrap()
}

#[test]
fn integer_operands_differentiate_as_mlx() {
    // MLX applies its formulas in the integer dtype (values from MLX 0.32).
    let x = [i32s(&[-3, 2, 5])];
    let c = [i32s(&[1, 2, -1])];
    assert_eq!(ints(&grads(&un(ops::abs), &x, &c)[0]), vec![-1, 2, -1]);
    assert_eq!(ints(&grads(&un(ops::square), &x, &c)[0]), vec![-6, 8, -10]);
    assert_eq!(ints(&grads(&un(ops::negative), &x, &c)[0]), vec![-1, -2, 1]);
    assert_eq!(ints(&tangents(&un(ops::abs), &x, &c)[0]), vec![-1, 2, -1]);
    let ij = [i32s(&[7, 9, 12]), i32s(&[2, 4, 12])];
    let one = [i32s(&[1, 1, 1])];
    let g = grads(&bin(ops::multiply), &ij, &one);
    assert_eq!((ints(&g[0]), ints(&g[1])), (vec![2, 4, 12], vec![7, 9, 12]));
    let g = grads(&bin(ops::maximum), &ij, &one);
    assert_eq!((ints(&g[0]), ints(&g[1])), (vec![1, 1, 0], vec![0, 0, 1]));
    let g = grads(
        &bin(ops::power),
        &ij[..1]
            .iter()
            .chain([&i32s(&[2, 4, 1])])
            .cloned()
            .collect::<Vec<_>>(),
        &one,
    );
    assert_eq!((g[0].dtype(), g[1].dtype()), (Dtype::Int32, Dtype::Int32));
    assert_eq!(ints(&g[0]), vec![14, 2916, 1]);
    let t = tangents(
        &bin(ops::remainder),
        &ij,
        &[i32s(&[1, 1, 1]), i32s(&[1, 1, 1])],
    );
    assert_eq!((t[0].dtype(), ints(&t[0])), (Dtype::Int32, vec![-2, -1, 0]));
    // `exp` of an int converts it to float32 first; the cotangent comes back
    // through the conversion, truncated to int32.
    let g = grads(
        &un(ops::exp),
        &[i32s(&[1, 2])],
        &[Array::from_slice(&[1.0f32, -1.0], &[2]).unwrap()],
    );
    assert_eq!(ints(&g[0]), vec![2, -7]);
}

#[test]
fn non_differentiable_binary_ops_give_zeros() {
    let mut rng = Rng(5);
    let ab = [rng.array(&[2, 3], -3.0, 3.0), rng.array(&[3], 0.5, 2.0)];
    let float_ops: [(&str, BinaryFn); 9] = [
        ("floor_divide", ops::floor_divide),
        ("equal", ops::equal),
        ("not_equal", ops::not_equal),
        ("less", ops::less),
        ("less_equal", ops::less_equal),
        ("greater", ops::greater),
        ("greater_equal", ops::greater_equal),
        ("logical_and", ops::logical_and),
        ("logical_or", ops::logical_or),
    ];
    for (name, op) in float_ops {
        assert_zero_rules(&bin(op), &ab, name);
    }
    let ij = [
        Array::from_slice(&[3i32, 5, 7, 12, 1, 9], &[2, 3]).unwrap(),
        Array::from_slice(&[1i32, 2, 3], &[3]).unwrap(),
    ];
    let int_ops: [(&str, BinaryFn); 5] = [
        ("bitwise_and", ops::bitwise_and),
        ("bitwise_or", ops::bitwise_or),
        ("bitwise_xor", ops::bitwise_xor),
        ("left_shift", ops::left_shift),
        ("right_shift", ops::right_shift),
    ];
    for (name, op) in int_ops {
        assert_zero_rules(&bin(op), &ij, name);
    }
    let divmod = |x: &[Array]| {
        let (q, r) = ops::divmod(&x[0], &x[1], None)?;
        Ok(vec![q, r])
    };
    assert_zero_rules(&divmod, &ab, "divmod");
}

#[test]
fn low_precision_floats_keep_their_dtypes() {
    let mut rng = Rng(11);
    let f = |a: &[Array]| -> Result<Vec<Array>> {
        let s = ops::sqrt(&ops::multiply(&a[0], &a[1], None)?, None)?;
        Ok(vec![ops::power(&ops::sigmoid(&s, None)?, &a[1], None)?])
    };
    for dt in [Dtype::Float32, Dtype::Float16, Dtype::Bfloat16] {
        let x = ops::astype(&rng.array(&[2, 3], 0.5, 2.0), dt, None).unwrap();
        let y = ops::astype(&rng.array(&[3], 0.5, 2.0), dt, None).unwrap();
        let xs = [x.clone(), y.clone()];
        let g = grads(&f, &xs, &[ones(&f(&xs).unwrap()[0])]);
        assert_eq!((g[0].dtype(), g[1].dtype()), (dt, dt));
        assert_eq!(tangents(&f, &xs, &[ones(&x), ones(&y)])[0].dtype(), dt);
        // The values of float64 up to the dtype's precision.
        let xs64: Vec<Array> = xs
            .iter()
            .map(|a| ops::astype(a, Dtype::Float64, None).unwrap())
            .collect();
        let g64 = grads(&f, &xs64, &[ones(&f(&xs64).unwrap()[0])]);
        let tol = if dt == Dtype::Float32 { 1e-5 } else { 3e-2 };
        assert_close(&vals(&g[0]), &vals(&g64[0]), tol, "low precision grad a");
        assert_close(&vals(&g[1]), &vals(&g64[1]), tol, "low precision grad b");
    }
}

#[test]
fn astype_casts_cotangents_back_and_blocks_integers() {
    let mut rng = Rng(21);
    let x = [rng.array(&[2, 3], -2.0, 2.0)];
    let cast = |dt: Dtype| move |a: &[Array]| Ok(vec![ops::astype(&a[0], dt, None)?]);
    // float64 -> float32 -> float64: the derivative passes through both
    // casts (exp computed in float32).
    let f = |a: &[Array]| {
        let y = ops::exp(&ops::astype(&a[0], Dtype::Float32, None)?, None)?;
        Ok(vec![ops::astype(&y, Dtype::Float64, None)?])
    };
    let c = [rng.array(&[2, 3], -1.0, 1.0)];
    let want: Vec<f64> = vals(&x[0])
        .iter()
        .zip(vals(&c[0]))
        .map(|(x, c)| c * x.exp())
        .collect();
    let g = grads(&f, &x, &c);
    assert_eq!(g[0].dtype(), Dtype::Float64);
    assert_close(&vals(&g[0]), &want, 1e-6, "astype chain vjp");
    let t = tangents(&f, &x, &c);
    assert_eq!(t[0].dtype(), Dtype::Float64);
    assert_close(&vals(&t[0]), &want, 1e-6, "astype chain jvp");
    let g = grads(
        &cast(Dtype::Float16),
        &x,
        &[ops::ones(&[2, 3], Dtype::Float16, None).unwrap()],
    );
    assert_eq!(g[0].dtype(), Dtype::Float64);
    assert!(vals(&g[0]).iter().all(|&v| v == 1.0));
    // Through an integer dtype the derivative passes straight, truncated,
    // as MLX's.
    let round_trip = |a: &[Array]| {
        let i = ops::astype(&a[0], Dtype::Int32, None)?;
        Ok(vec![ops::astype(&i, Dtype::Float64, None)?])
    };
    let c = [f64s(&[1.5, -2.5, 3.0, 0.25, 1.0, 2.0])];
    let x6 = [ops::reshape(&x[0], &[6], None).unwrap()];
    assert_eq!(
        vals(&grads(&round_trip, &x6, &c)[0]),
        vec![1.0, -2.0, 3.0, 0.0, 1.0, 2.0]
    );
    assert_eq!(
        vals(&tangents(&round_trip, &x6, &c)[0]),
        vec![1.0, -2.0, 3.0, 0.0, 1.0, 2.0]
    );
    let i = [i32s(&[1, 2, 3])];
    let g = grads(
        &cast(Dtype::Float32),
        &i,
        &[Array::from_slice(&[1.5f32, 2.5, -3.7], &[3]).unwrap()],
    );
    assert_eq!((g[0].dtype(), ints(&g[0])), (Dtype::Int32, vec![1, 2, -3]));
    // complex -> real: the cotangent comes back as complex, as MLX.
    let z = [c64s(&[(1.0, 2.0), (-0.5, 0.25)])];
    let g = grads(
        &cast(Dtype::Float32),
        &z,
        &[Array::from_slice(&[3.0f32, 4.0], &[2]).unwrap()],
    );
    assert_eq!(
        cvals(&g[0]),
        vec![Complex32::new(3.0, 0.0), Complex32::new(4.0, 0.0)]
    );
}

#[test]
fn view_batches_but_has_no_derivative() {
    let to_i16 = |a: &[Array]| Ok(vec![ops::view(&a[0], Dtype::Int16, None)?]);
    let x =
        [Array::from_slice(&(0..12).map(|v| v as f32).collect::<Vec<_>>(), &[2, 2, 3]).unwrap()];
    let e = vjp(
        to_i16,
        &x,
        &[ops::zeros(&[2, 2, 6], Dtype::Int16, None).unwrap()],
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Runtime);
    assert!(e.message.contains("vjp of view"), "{}", e.message);
    // With the batch axis last, the view (which rescales the last axis)
    // must not mix the batch into it.
    for ax in 0..3i64 {
        let got = vmap(to_i16, &x, &[Some(ax)], &[Some(0)]).unwrap();
        let want = loop_map(&to_i16, &x, &[Some(ax)]);
        assert_eq!(got[0].shape(), want[0].shape());
        assert_eq!(vals(&got[0]), vals(&want[0]), "view vmap axis {ax}");
    }
}

#[test]
fn complex_rules_follow_mlx() {
    let z = c64s(&[(1.0, 2.0), (-0.5, 0.3)]);
    let w = c64s(&[(0.5, -1.0), (2.0, 0.5)]);
    let one = [ops::ones(&[2], Dtype::Complex64, None).unwrap()];
    let one_r = [ops::ones(&[2], Dtype::Float32, None).unwrap()];
    let zs = std::slice::from_ref(&z);
    let conj = |a: &Array| cvals(a).iter().map(|v| v.conj()).collect::<Vec<_>>();
    // Holomorphic: vjp(c) = c * conj(f'(z)); jvp(t) = t * f'(z).
    let e = ops::exp(&z, None).unwrap();
    assert_close_c(
        &cvals(&grads(&un(ops::exp), zs, &one)[0]),
        &conj(&e),
        "exp vjp",
    );
    assert_close_c(
        &cvals(&tangents(&un(ops::exp), zs, &one)[0]),
        &cvals(&e),
        "exp jvp",
    );
    let g = grads(&bin(ops::multiply), &[z.clone(), w.clone()], &one);
    assert_close_c(&cvals(&g[0]), &conj(&w), "multiply vjp a");
    assert_close_c(&cvals(&g[1]), &conj(&z), "multiply vjp b");
    assert_close_c(
        &cvals(&grads(&un(ops::conjugate), zs, zs)[0]),
        &conj(&z),
        "conj vjp",
    );
    // Real-valued functions: the cotangent is dL/dx + i dL/dy.
    let sgn: Vec<Complex32> = cvals(&z).iter().map(|v| v / v.norm()).collect();
    assert_close_c(
        &cvals(&grads(&un(ops::abs), zs, &one_r)[0]),
        &sgn,
        "abs vjp",
    );
    let t = tangents(&un(ops::abs), zs, zs);
    assert_eq!(t[0].dtype(), Dtype::Float32);
    let norms: Vec<f64> = cvals(&z).iter().map(|v| v.norm() as f64).collect();
    assert_close(&vals(&t[0]), &norms, 1e-5, "abs jvp");
    let g = grads(&un(ops::real), zs, &one_r);
    assert_close_c(&cvals(&g[0]), &[Complex32::new(1.0, 0.0); 2], "real vjp");
    let g = grads(&un(ops::imag), zs, &one_r);
    assert_close_c(&cvals(&g[0]), &[Complex32::new(0.0, 1.0); 2], "imag vjp");
    assert_close(
        &vals(&tangents(&un(ops::imag), zs, zs)[0]),
        &[2.0, 0.3],
        1e-6,
        "imag jvp",
    );
    // Composite: d/dz real(z * z) = 2 conj(z), as MLX.
    let f = |a: &[Array]| Ok(vec![ops::real(&ops::multiply(&a[0], &a[0], None)?, None)?]);
    let want: Vec<Complex32> = conj(&z).iter().map(|v| v * 2.0).collect();
    assert_close_c(&cvals(&grads(&f, zs, &one_r)[0]), &want, "real(z^2) vjp");
}

#[test]
fn stop_gradient_blocks_and_batches() {
    let mut rng = Rng(3);
    let x = [rng.array(&[4], -1.0, 1.0)];
    let f = |a: &[Array]| {
        Ok(vec![ops::multiply(
            &a[0],
            &ops::stop_gradient(&a[0], None)?,
            None,
        )?])
    };
    let one = [ones(&x[0])];
    assert_close(
        &vals(&grads(&f, &x, &one)[0]),
        &vals(&x[0]),
        0.0,
        "x * stop_gradient(x) vjp",
    );
    assert_close(
        &vals(&tangents(&f, &x, &one)[0]),
        &vals(&x[0]),
        0.0,
        "x * stop_gradient(x) jvp",
    );
    let t = tangents(&un(ops::stop_gradient), &x, &one);
    assert!(vals(&t[0]).iter().all(|&v| v == 0.0));
    check_vmap(
        &f,
        &[rng.array(&[3, 4], -1.0, 1.0)],
        &[Some(1)],
        "stop_gradient vmap",
    );
}

/// `f` applied to each slice along `axes` and the results stacked on axis 0.
fn loop_map(f: &Fun, xs: &[Array], axes: &[Option<i64>]) -> Vec<Array> {
    let n = xs
        .iter()
        .zip(axes)
        .find_map(|(x, a)| a.map(|a| x.shape()[a as usize]))
        .unwrap() as usize;
    let slices: Vec<Vec<Array>> = xs
        .iter()
        .zip(axes)
        .map(|(x, a)| match a {
            Some(a) => ops::unstack(x, *a, None).unwrap(),
            None => vec![x.clone(); n],
        })
        .collect();
    let results: Vec<Vec<Array>> = (0..n)
        .map(|i| f(&slices.iter().map(|s| s[i].clone()).collect::<Vec<_>>()).unwrap())
        .collect();
    (0..results[0].len())
        .map(|o| {
            ops::stack(
                &results.iter().map(|r| r[o].clone()).collect::<Vec<_>>(),
                0,
                None,
            )
            .unwrap()
        })
        .collect()
}

fn check_vmap(f: &Fun, xs: &[Array], axes: &[Option<i64>], what: &str) {
    let got = vmap(f, xs, axes, &[Some(0)]).unwrap();
    let want = loop_map(f, xs, axes);
    for (g, w) in got.iter().zip(&want) {
        assert_eq!((g.shape(), g.dtype()), (w.shape(), w.dtype()), "{what}");
        assert_close(&vals(g), &vals(w), 1e-12, what);
    }
}

#[test]
fn unary_vmap_matches_a_loop() {
    let mut rng = Rng(17);
    let x = rng.array(&[3, 4, 5], 0.2, 0.9);
    // A transposed (non-contiguous) input too.
    let xt = ops::transpose(&x, None, None).unwrap();
    for (name, op, _, _) in smooth_unary() {
        for ax in [0, 1, 2] {
            check_vmap(&un(op), std::slice::from_ref(&x), &[Some(ax)], name);
            check_vmap(&un(op), std::slice::from_ref(&xt), &[Some(ax)], name);
        }
    }
    let f = |a: &[Array]| {
        Ok(vec![
            ops::isfinite(&a[0], None)?,
            ops::round(&a[0], 1, None)?,
            ops::sign(&a[0], None)?,
        ])
    };
    check_vmap(&f, &[x], &[Some(2)], "predicates and rounding");
}

#[test]
fn binary_vmap_matches_a_loop_with_broadcasting_and_unbatched_operands() {
    let mut rng = Rng(23);
    let cases: [(Mapped, Mapped); 9] = [
        ((&[3, 4, 5], Some(0)), (&[3, 4, 5], Some(0))),
        ((&[4, 3, 5], Some(1)), (&[5], None)),
        ((&[5], None), (&[4, 5, 3], Some(2))),
        ((&[4, 5, 3], Some(2)), (&[3, 4, 5], Some(0))),
        ((&[4, 3], Some(1)), (&[2, 3, 1], Some(1))),
        ((&[3, 4, 1], Some(0)), (&[4, 1, 5], None)),
        ((&[3], Some(0)), (&[2, 4], None)),
        ((&[2, 4], None), (&[4, 3], Some(1))),
        ((&[3, 1], Some(0)), (&[], None)),
    ];
    let all: [BinaryFn; 16] = [
        ops::add,
        ops::subtract,
        ops::multiply,
        ops::divide,
        ops::floor_divide,
        ops::remainder,
        ops::power,
        ops::maximum,
        ops::minimum,
        ops::equal,
        ops::not_equal,
        ops::less,
        ops::greater_equal,
        ops::logical_and,
        ops::arctan2,
        ops::logaddexp,
    ];
    let divmod = |x: &[Array]| {
        let (q, r) = ops::divmod(&x[0], &x[1], None)?;
        Ok(vec![q, r])
    };
    for ((sa, aa), (sb, ab)) in cases {
        let xs = [rng.array(sa, 0.5, 2.0), rng.array(sb, 0.5, 2.0)];
        let what = format!("{sa:?}@{aa:?} {sb:?}@{ab:?}");
        for op in all {
            check_vmap(&bin(op), &xs, &[aa, ab], &what);
        }
        let ten = Array::scalar(10.0f64);
        let ia = ops::astype(
            &ops::multiply(&xs[0], &ten, None).unwrap(),
            Dtype::Int32,
            None,
        )
        .unwrap();
        let ib = ops::astype(&xs[1], Dtype::Int32, None).unwrap();
        for op in [
            ops::bitwise_xor as BinaryFn,
            ops::left_shift,
            ops::right_shift,
        ] {
            check_vmap(&bin(op), &[ia.clone(), ib.clone()], &[aa, ab], &what);
        }
        check_vmap(&divmod, &xs, &[aa, ab], &what);
    }
}

#[test]
fn vmap_of_vmap_and_non_contiguous_operands() {
    let mut rng = Rng(29);
    let a = rng.array(&[3, 4, 5], -1.0, 1.0);
    // A transposed (non-contiguous) operand, unbatched in the outer vmap.
    let b = ops::transpose(&rng.array(&[5, 3], -1.0, 1.0), None, None).unwrap();
    let f = |x: &[Array]| Ok(vec![ops::sin(&ops::multiply(&x[0], &x[1], None)?, None)?]);
    // Outer over a's axis 1; inner over axis 0 of both.
    let inner = move |x: &[Array]| vmap(f, x, &[Some(0), Some(0)], &[Some(0)]);
    let got = vmap(inner, &[a.clone(), b.clone()], &[Some(1), None], &[Some(0)]).unwrap();
    // got[i, k, j] = sin(a[k, i, j] * b[k, j])
    let (av, bv) = (vals(&a), vals(&b));
    assert_eq!(got[0].shape(), &[4, 3, 5]);
    let g = vals(&got[0]);
    for i in 0..4 {
        for k in 0..3 {
            for j in 0..5 {
                let want = (av[k * 20 + i * 5 + j] * bv[k * 5 + j]).sin();
                assert!((g[i * 15 + k * 5 + j] - want).abs() < 1e-12);
            }
        }
    }
}

#[test]
fn second_derivatives() {
    let mut rng = Rng(31);
    let xy = [rng.array(&[5], 0.3, 1.5), rng.array(&[5], 0.3, 1.5)];
    // f(x, y) = sin(x) exp(y) / (1 + x^2) + x^y; the vjp of its gradient is
    // checked against finite differences of the gradient.
    let f = |a: &[Array]| -> Result<Vec<Array>> {
        let num = ops::multiply(&ops::sin(&a[0], None)?, &ops::exp(&a[1], None)?, None)?;
        let den = ops::add(&Array::scalar(1.0f64), &ops::square(&a[0], None)?, None)?;
        Ok(vec![ops::add(
            &ops::divide(&num, &den, None)?,
            &ops::power(&a[0], &a[1], None)?,
            None,
        )?])
    };
    let grad = move |a: &[Array]| -> Result<Vec<Array>> {
        Ok(vjp(f, a, &[ops::ones_like(&a[0], None, None)?])?.1)
    };
    check_fd(&grad, &xy, &mut rng, "grad of grad");
    for (name, op, lo, hi) in smooth_unary() {
        let g = move |a: &[Array]| -> Result<Vec<Array>> {
            Ok(vjp(un(op), a, &[ops::ones_like(&a[0], None, None)?])?.1)
        };
        check_fd(
            &g,
            &[rng.array(&[4], lo, hi)],
            &mut rng,
            &format!("{name}''"),
        );
    }
    // Forward over reverse (a Hessian-vector product), then reverse again.
    let hvp = move |a: &[Array]| -> Result<Vec<Array>> {
        let t = ops::ones_like(&a[0], None, None)?;
        Ok(jvp(grad, a, &[t.clone(), t])?.1)
    };
    check_fd(&hvp, &xy, &mut rng, "jvp of vjp");
}

#[test]
fn vmap_of_vjp_and_jvp() {
    let mut rng = Rng(37);
    let xy = [rng.array(&[4, 3], 0.3, 1.5), rng.array(&[4, 3], 0.3, 1.5)];
    let f = |a: &[Array]| -> Result<Vec<Array>> {
        Ok(vec![ops::logaddexp(
            &ops::tanh(&a[0], None)?,
            &ops::multiply(&a[0], &a[1], None)?,
            None,
        )?])
    };
    let per_row = move |a: &[Array]| -> Result<Vec<Array>> {
        let one = ops::ones_like(&a[0], None, None)?;
        let mut g = vjp(f, a, std::slice::from_ref(&one))?.1;
        g.extend(jvp(f, a, &[one.clone(), one])?.1);
        Ok(g)
    };
    check_vmap(&per_row, &xy, &[Some(0), Some(0)], "vmap of vjp");
    check_vmap(&per_row, &xy, &[Some(1), Some(1)], "vmap of vjp, axis 1");
}
