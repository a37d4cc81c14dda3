//! Transformation rules of the view, shape and ternary families
//! (`broadcast_to`, `reshape`, `transpose`, slices, `contiguous`,
//! `concatenate`, `pad` in every mode, `roll`, `diagonal`, `diag`, `where`,
//! `nan_to_num`, the comparisons) and of the composites built on them
//! (`split`, `repeat`, `tile`, `flip`, `stack`, `moveaxis`, `tril` ...):
//! vjp and jvp against central finite differences in float64, vmap against
//! a loop with batch axes anywhere and unbatched operands, zero rules for
//! the bool results, and nested transformations.

use rmlx::primitives::shape::PadMode;
use rmlx::transforms::{grad, jvp, vjp, vmap};
use rmlx::{ops, Array, Dtype, Result};

type Fun = dyn Fn(&[Array]) -> Result<Vec<Array>>;

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
    // `to_vec` of an empty array trips the alignment check of the byte copy.
    if a.size() == 0 {
        return Vec::new();
    }
    ops::astype(a, Dtype::Float64, None)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
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
            cols.push(
                p.iter()
                    .zip(&m)
                    .map(|(p, m)| {
                        p.iter()
                            .zip(m)
                            .map(|(p, m)| if p == m { 0.0 } else { (p - m) / (2.0 * h) })
                            .collect()
                    })
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
    let (_, grads) = vjp(|a| f(a), xs, &cots).unwrap();
    for (k, g) in grads.iter().enumerate() {
        assert_eq!(g.shape(), xs[k].shape(), "{what}: vjp shape of input {k}");
        assert_eq!(g.dtype(), xs[k].dtype(), "{what}: vjp dtype of input {k}");
        let want: Vec<f64> = jac[k]
            .iter()
            .map(|col| {
                col.iter()
                    .zip(&cv)
                    .map(|(d, c)| d.iter().zip(c).map(|(d, c)| d * c).sum::<f64>())
                    .sum()
            })
            .collect();
        assert_close(&vals(g), &want, 1e-6, &format!("{what}: vjp of input {k}"));
    }
    let tans: Vec<Array> = xs.iter().map(|x| rng.array(x.shape(), -1.0, 1.0)).collect();
    let tv: Vec<Vec<f64>> = tans.iter().map(vals).collect();
    let (_, jv) = jvp(|a| f(a), xs, &tans).unwrap();
    for (o, t) in jv.iter().enumerate() {
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
        let want: Vec<f64> = (0..outs[o].size())
            .map(|i| {
                (0..xs.len())
                    .map(|k| {
                        (0..tv[k].len())
                            .map(|j| jac[k][j][o][i] * tv[k][j])
                            .sum::<f64>()
                    })
                    .sum()
            })
            .collect();
        assert_close(&vals(t), &want, 1e-6, &format!("{what}: jvp of output {o}"));
    }
}

/// `f` applied to each batch element in turn, results stacked on axis 0.
fn loop_map(f: &Fun, xs: &[Array], axes: &[Option<i64>]) -> Vec<Array> {
    let n = xs
        .iter()
        .zip(axes)
        .find_map(|(x, a)| a.map(|a| x.shape()[a as usize]))
        .unwrap();
    let slices: Vec<Vec<Array>> = xs
        .iter()
        .zip(axes)
        .map(|(x, a)| match a {
            Some(a) => ops::unstack(x, *a, None).unwrap(),
            None => vec![x.clone(); n as usize],
        })
        .collect();
    let results: Vec<Vec<Array>> = (0..n as usize)
        .map(|i| f(&slices.iter().map(|s| s[i].clone()).collect::<Vec<_>>()).unwrap())
        .collect();
    (0..results[0].len())
        .map(|o| {
            let parts: Vec<Array> = results.iter().map(|r| r[o].clone()).collect();
            ops::stack(&parts, 0, None).unwrap()
        })
        .collect()
}

fn check_vmap(f: &Fun, xs: &[Array], axes: &[Option<i64>], what: &str) {
    let got = vmap(|a| f(a), xs, axes, &[Some(0)]).unwrap();
    let want = loop_map(f, xs, axes);
    assert_eq!(got.len(), want.len(), "{what}: output count");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g.shape(), w.shape(), "{what} {axes:?}: shape");
        assert_eq!(g.dtype(), w.dtype(), "{what} {axes:?}: dtype");
        assert_close(&vals(g), &vals(w), 1e-12, &format!("{what} {axes:?}"));
    }
}

/// `shape` with a batch axis of 3 inserted at `ax`.
fn batched(shape: &[i64], ax: usize) -> Vec<i64> {
    let mut s = shape.to_vec();
    s.insert(ax, 3);
    s
}

/// A case: a function of float64 arrays of the given shapes.
struct Case {
    name: &'static str,
    f: Box<Fun>,
    shapes: Vec<Vec<i64>>,
}

fn case(
    name: &'static str,
    shapes: &[&[i64]],
    f: impl Fn(&[Array]) -> Result<Vec<Array>> + 'static,
) -> Case {
    Case {
        name,
        f: Box::new(f),
        shapes: shapes.iter().map(|s| s.to_vec()).collect(),
    }
}

fn one(a: Result<Array>) -> Result<Vec<Array>> {
    Ok(vec![a?])
}

fn pad_w(x: &Array, w: &[(i64, i64)], mode: PadMode) -> Result<Array> {
    ops::pad(x, w, mode, &Array::scalar(0.0f64), None)
}

/// Every rule of the families, alone and inside the composites.
fn cases() -> Vec<Case> {
    let cond = Array::from_slice(&[true, false, false], &[3, 1]).unwrap();
    let specials = Array::from_slice(
        &[0.0, f64::INFINITY, 0.0, f64::NEG_INFINITY, f64::NAN, 0.0],
        &[2, 3],
    )
    .unwrap();
    vec![
        case("broadcast_to rank+1", &[&[3, 1]], |a| {
            one(ops::broadcast_to(&a[0], &[2, 3, 4], None))
        }),
        case("broadcast_to of a scalar", &[&[]], |a| {
            one(ops::broadcast_to(&a[0], &[2, 3], None))
        }),
        case("broadcast_arrays", &[&[4, 1], &[3]], |a| {
            ops::broadcast_arrays(&[a[0].clone(), a[1].clone()], None)
        }),
        case("reshape", &[&[2, 3, 4]], |a| {
            one(ops::reshape(&a[0], &[4, 1, 6], None))
        }),
        case("flatten/unflatten", &[&[2, 3, 4]], |a| {
            let f = ops::flatten(&a[0], 1, 2, None)?;
            Ok(vec![f.clone(), ops::unflatten(&f, 1, &[4, -1], None)?])
        }),
        case("squeeze/expand_dims/atleast_3d", &[&[3, 1, 2]], |a| {
            let s = ops::squeeze(&a[0], None, None)?;
            Ok(vec![
                ops::expand_dims(&s, &[0, 3], None)?,
                ops::atleast_3d(&s, None)?,
            ])
        }),
        case("transpose", &[&[2, 3, 4]], |a| {
            one(ops::transpose(&a[0], Some(&[2, 0, 1]), None))
        }),
        case("moveaxis/swapaxes", &[&[2, 3, 4]], |a| {
            Ok(vec![
                ops::moveaxis(&a[0], 0, -1, None)?,
                ops::swapaxes(&a[0], 2, 0, None)?,
            ])
        }),
        case("slice with steps", &[&[6, 4, 5]], |a| {
            one(ops::slice_strided(
                &a[0],
                &[1, 3, 3],
                &[2, -1, -2],
                &[2, 4, 2],
                None,
            ))
        }),
        case("slice step 3", &[&[7, 3]], |a| {
            one(ops::slice_strided(&a[0], &[6, 1], &[-3, 1], &[3, 2], None))
        }),
        case("empty slice", &[&[4, 3]], |a| {
            one(ops::slice_strided(&a[0], &[2, 0], &[1, 1], &[0, 3], None))
        }),
        case("flip", &[&[3, 4]], |a| {
            one(ops::flip(&a[0], Some(&[-1]), None))
        }),
        case("contiguous of a transpose", &[&[3, 4]], |a| {
            one(ops::contiguous(
                &ops::transpose(&a[0], None, None)?,
                false,
                None,
            ))
        }),
        case(
            "concatenate axis 1",
            &[&[2, 1, 3], &[2, 3, 3], &[2, 2, 3]],
            |a| one(ops::concatenate(a, Some(1), None)),
        ),
        case("concatenate flat", &[&[2, 2], &[3]], |a| {
            one(ops::concatenate(a, None, None))
        }),
        case("stack/unstack", &[&[2, 3], &[2, 3]], |a| {
            let s = ops::stack(a, 1, None)?;
            let mut u = ops::unstack(&s, 2, None)?;
            u.push(s);
            Ok(u)
        }),
        case("split", &[&[6, 2]], |a| ops::split(&a[0], 3, 0, None)),
        case("split_indices", &[&[2, 7]], |a| {
            ops::split_indices(&a[0], &[2, -2, 9], 1, None)
        }),
        case("repeat", &[&[2, 3]], |a| {
            Ok(vec![
                ops::repeat(&a[0], 3, Some(1), None)?,
                ops::repeat(&a[0], 2, None, None)?,
            ])
        }),
        case("tile", &[&[2, 3]], |a| {
            one(ops::tile(&a[0], &[2, 1, 3], None))
        }),
        case("pad constant with a traced value", &[&[2, 3], &[]], |a| {
            one(ops::pad(
                &a[0],
                &[(1, 0), (2, 1)],
                PadMode::Constant,
                &a[1],
                None,
            ))
        }),
        case("pad edge", &[&[3, 2]], |a| {
            pad_w(&a[0], &[(2, 1), (0, 3)], PadMode::Edge).map(|x| vec![x])
        }),
        case("pad reflect wide", &[&[3, 2]], |a| {
            pad_w(&a[0], &[(5, 4), (1, 2)], PadMode::Reflect).map(|x| vec![x])
        }),
        case("pad symmetric wide", &[&[2, 3]], |a| {
            pad_w(&a[0], &[(3, 5), (4, 0)], PadMode::Symmetric).map(|x| vec![x])
        }),
        case("pad reflect of one element", &[&[1, 3]], |a| {
            pad_w(&a[0], &[(2, 1), (1, 1)], PadMode::Reflect).map(|x| vec![x])
        }),
        case("roll", &[&[3, 4]], |a| {
            Ok(vec![
                ops::roll(&a[0], &[1, -3, 2], Some(&[0, 1, 1]), None)?,
                ops::roll(&a[0], &[5], None, None)?,
            ])
        }),
        case("diagonal", &[&[3, 2, 4]], |a| {
            Ok(vec![
                ops::diagonal(&a[0], 1, 0, 2, None)?,
                ops::diagonal(&a[0], -1, 2, 0, None)?,
                ops::diagonal(&a[0], 0, 1, 2, None)?,
            ])
        }),
        case("empty diagonal", &[&[2, 3]], |a| {
            one(ops::diagonal(&a[0], 5, 0, 1, None))
        }),
        case("diag", &[&[3]], |a| {
            Ok(vec![
                ops::diag(&a[0], 1, None)?,
                ops::diag(&a[0], -2, None)?,
            ])
        }),
        case("diag of a matrix and trace", &[&[3, 4]], |a| {
            Ok(vec![
                ops::diag(&a[0], -1, None)?,
                ops::trace(&a[0], 1, 0, 1, None, None)?,
            ])
        }),
        case("where broadcasting", &[&[1, 4], &[3, 4]], move |a| {
            one(ops::where_(&cond, &a[0], &a[1], None))
        }),
        case("where with a scalar operand", &[&[]], |a| {
            let c = ops::greater(
                &Array::from_slice(&[1.0f64, -1.0, 2.0], &[3])?,
                &Array::scalar(0.0f64),
                None,
            )?;
            one(ops::where_(&c, &a[0], &Array::scalar(2.0f64), None))
        }),
        case("tril/triu", &[&[2, 3, 4]], |a| {
            Ok(vec![
                ops::tril(&a[0], 1, None)?,
                ops::triu(&a[0], -1, None)?,
            ])
        }),
        case("nan_to_num", &[&[2, 3]], move |a| {
            one(ops::nan_to_num(
                &ops::add(&a[0], &specials, None)?,
                0.5,
                None,
                None,
                None,
            ))
        }),
        case("diff", &[&[5, 2]], |a| one(ops::diff(&a[0], 2, 0, None))),
        case("meshgrid", &[&[3], &[2]], |a| {
            ops::meshgrid(a, false, "xy", None)
        }),
    ]
}

#[test]
fn vjp_and_jvp_match_finite_differences() {
    let mut rng = Rng(5);
    for c in cases() {
        let xs: Vec<Array> = c.shapes.iter().map(|s| rng.array(s, -2.0, 2.0)).collect();
        check_fd(&c.f, &xs, &mut rng, c.name);
    }
}

#[test]
fn vjp_and_jvp_of_non_contiguous_inputs() {
    let mut rng = Rng(6);
    for c in cases() {
        if c.shapes.iter().any(|s| s.len() < 2) {
            continue;
        }
        // The same values read through a transposed view.
        let xs: Vec<Array> = c
            .shapes
            .iter()
            .map(|s| {
                let rev: Vec<i64> = s.iter().rev().copied().collect();
                let t = ops::transpose(&rng.array(&rev, -2.0, 2.0), None, None).unwrap();
                t.eval().unwrap();
                t
            })
            .collect();
        check_fd(&c.f, &xs, &mut rng, c.name);
    }
}

#[test]
fn vmap_matches_a_loop() {
    let mut rng = Rng(7);
    for c in cases() {
        let k = c.shapes.len();
        let mut configs: Vec<Vec<Option<usize>>> = vec![vec![Some(0); k]];
        configs.push(c.shapes.iter().map(|s| Some(s.len())).collect());
        configs.push(c.shapes.iter().map(|s| Some(s.len() / 2)).collect());
        for i in 0..k.min(2) {
            if k > 1 {
                // One operand unbatched.
                let mut cfg: Vec<Option<usize>> = c.shapes.iter().map(|s| Some(s.len())).collect();
                cfg[i] = None;
                configs.push(cfg);
            }
        }
        for cfg in configs {
            let xs: Vec<Array> = c
                .shapes
                .iter()
                .zip(&cfg)
                .map(|(s, ax)| match ax {
                    Some(ax) => rng.array(&batched(s, *ax), -2.0, 2.0),
                    None => rng.array(s, -2.0, 2.0),
                })
                .collect();
            let axes: Vec<Option<i64>> = cfg.iter().map(|a| a.map(|a| a as i64)).collect();
            check_vmap(&c.f, &xs, &axes, c.name);
        }
    }
}

#[test]
fn vmap_with_a_batched_pad_value_and_a_batched_condition() {
    let mut rng = Rng(8);
    let f = |a: &[Array]| {
        one(ops::pad(
            &a[0],
            &[(1, 2), (0, 1)],
            PadMode::Constant,
            &a[1],
            None,
        ))
    };
    let x = rng.array(&[2, 3, 3], -1.0, 1.0);
    let v = rng.array(&[3], -1.0, 1.0);
    check_vmap(
        &f,
        &[x.clone(), v.clone()],
        &[Some(2), Some(0)],
        "pad batched value",
    );
    check_vmap(
        &f,
        &[rng.array(&[2, 3], -1.0, 1.0), v],
        &[None, Some(0)],
        "pad only value batched",
    );
    let g = |a: &[Array]| one(ops::where_(&a[0], &a[1], &a[2], None));
    let c = ops::greater(&rng.array(&[4, 3], -1.0, 1.0), &Array::scalar(0.0f64), None).unwrap();
    let (y4, y3) = (rng.array(&[4], -1.0, 1.0), rng.array(&[3], -1.0, 1.0));
    let x = rng.array(&[4, 1], -1.0, 1.0);
    check_vmap(
        &g,
        &[c.clone(), x, y4],
        &[Some(1), None, None],
        "where cond batched",
    );
    let x = rng.array(&[2, 3, 4], -1.0, 1.0);
    check_vmap(
        &g,
        &[c, x, y3],
        &[Some(0), Some(2), None],
        "where two batched",
    );
}

#[test]
fn comparisons_have_zero_derivatives_and_batch() {
    let mut rng = Rng(9);
    let a = rng.array(&[3, 4], -1.0, 1.0);
    let b = ops::add(&a, &rng.array(&[4], -1e-9, 1e-9), None).unwrap();
    let f = |x: &[Array]| {
        Ok(vec![
            ops::isclose(&x[0], &x[1], 1e-5, 1e-8, false, None)?,
            ops::allclose(&x[0], &x[1], 1e-5, 1e-8, false, None)?,
            ops::array_equal(&x[0], &x[0], true, None)?,
        ])
    };
    let xs = [a.clone(), ops::broadcast_to(&b, &[3, 4], None).unwrap()];
    let outs = f(&xs).unwrap();
    let cots: Vec<Array> = outs
        .iter()
        .map(|o| ops::ones_like(o, None, None).unwrap())
        .collect();
    let (_, g) = vjp(|x| f(x), &xs, &cots).unwrap();
    for (gi, xi) in g.iter().zip(&xs) {
        assert_eq!(gi.shape(), xi.shape());
        assert!(vals(gi).iter().all(|&v| v == 0.0));
    }
    let (_, t) = jvp(|x| f(x), &xs, &xs).unwrap();
    for (ti, oi) in t.iter().zip(&outs) {
        assert_eq!((ti.shape(), ti.dtype()), (oi.shape(), Dtype::Bool));
        assert!(vals(ti).iter().all(|&v| v == 0.0));
    }
    let mut c = a.clone();
    c = ops::where_(
        &ops::greater(&c, &Array::scalar(0.5f64), None).unwrap(),
        &Array::scalar(f64::NAN),
        &c,
        None,
    )
    .unwrap();
    for axes in [[Some(0), Some(0)], [Some(1), Some(1)]] {
        check_vmap(&f, &[c.clone(), a.clone()], &axes, "comparisons");
    }
    let row = rng.array(&[3], -1.0, 1.0);
    check_vmap(
        &f,
        &[c.clone(), row.clone()],
        &[Some(1), None],
        "comparisons",
    );
    check_vmap(&f, &[row, c], &[None, Some(1)], "comparisons");
}

#[test]
fn dtypes_are_kept() {
    let x = Array::from_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    let f = |a: &[Array]| {
        let p = pad_w(&a[0], &[(1, 1), (2, 0)], PadMode::Reflect)?;
        let s = ops::slice_strided(&p, &[3, 4], &[-2, -1], &[2, 3], None)?;
        let d = ops::diag(&ops::diagonal(&a[0], 1, 0, 1, None)?, 0, None)?;
        Ok(vec![ops::concatenate(&[s, d], Some(1), None)?])
    };
    let o = f(std::slice::from_ref(&x)).unwrap();
    let cot = ops::ones_like(&o[0], None, None).unwrap();
    let (_, g) = vjp(|a| f(a), std::slice::from_ref(&x), &[cot]).unwrap();
    assert_eq!(g[0].dtype(), Dtype::Float32);
    let (_, t) = jvp(|a| f(a), std::slice::from_ref(&x), std::slice::from_ref(&x)).unwrap();
    assert_eq!(t[0].dtype(), Dtype::Float32);
    // Integers go through the same linear maps.
    let xi = Array::from_slice(&[1i32, 2, 3, 4], &[2, 2]).unwrap();
    let h = |a: &[Array]| {
        one(ops::roll(
            &pad_w(&a[0], &[(0, 1)], PadMode::Edge)?,
            &[1],
            Some(&[1]),
            None,
        ))
    };
    let cot = Array::from_slice(&[1i32, 2, 3, 4, 5, 6, 7, 8, 9], &[3, 3]).unwrap();
    let (_, g) = vjp(|a| h(a), std::slice::from_ref(&xi), &[cot]).unwrap();
    assert_eq!(g[0].dtype(), Dtype::Int32);
    // out = roll(edge pad): out[i][j] = p[i][(j-1) mod 3]; p rows 0,1,1(edge) cols 0,1,1.
    assert_eq!(
        g[0].to_vec::<i32>().unwrap(),
        vec![2, 1 + 3, 5 + 8, 4 + 6 + 7 + 9]
    );
}

#[test]
fn grad_of_grad_and_forward_over_reverse() {
    let mut rng = Rng(10);
    // The first-order rules (pad for slice, slices for concatenate, ...)
    // are differentiated again.
    let inner = |a: &[Array]| -> Result<Vec<Array>> {
        let x = &a[0];
        let p = pad_w(x, &[(2, 1), (1, 2)], PadMode::Symmetric)?;
        let s = ops::slice_strided(&p, &[4, 0], &[-2, 2], &[3, 3], None)?;
        let c = ops::concatenate(&[s, ops::roll(x, &[1], Some(&[0]), None)?], Some(0), None)?;
        let d = ops::diagonal(&c, 1, 0, 1, None)?;
        let w = ops::where_(
            &ops::greater(&d, &Array::scalar(0.0f64), None)?,
            &d,
            &ops::multiply(&d, &d, None)?,
            None,
        )?;
        Ok(vec![ops::sum(
            &ops::power(&w, &Array::scalar(3.0f64), None)?,
            None,
            false,
            None,
        )?])
    };
    let g = move |a: &[Array]| grad(inner, a, &[0]);
    let x = rng.array(&[3, 3], -1.0, 1.0);
    check_fd(
        &g,
        std::slice::from_ref(&x),
        &mut rng,
        "grad of a shape pipeline",
    );
    // Per-example gradients: vmap of grad.
    let xb = rng.array(&[3, 3, 4], -1.0, 1.0);
    check_vmap(&g, std::slice::from_ref(&xb), &[Some(2)], "vmap of grad");
    // vmap of vmap over a slice and a concatenate.
    let f = |a: &[Array]| {
        let s = ops::slice_strided(&a[0], &[1], &[2], &[2], None)?;
        one(ops::concatenate(&[s, a[1].clone()], Some(0), None))
    };
    let inner_v = move |a: &[Array]| vmap(f, a, &[Some(0), None], &[Some(0)]);
    let got = vmap(
        inner_v,
        &[
            rng.array(&[2, 5, 4], -1.0, 1.0),
            rng.array(&[3, 4], -1.0, 1.0),
        ],
        &[Some(2), Some(1)],
        &[Some(1)],
    )
    .unwrap();
    assert_eq!(got[0].shape(), &[2, 4, 5]);
}
