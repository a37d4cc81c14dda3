//! The indexing ops through the Rust API: take / gather / scatter values,
//! duplicate handling, out-of-range indices as IndexError at evaluation
//! (and the array stays usable), dynamic slices, and the transformation
//! rules (vjp against finite differences, jvp as the transpose of the vjp,
//! vmap against a loop).

use rmlx::transforms::{jvp, vjp, vmap};
use rmlx::{ops, Array, ErrorKind, Result};

fn arr_f(v: &[f64], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

fn arr_i(v: &[i32], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

fn f64s(a: &Array) -> Vec<f64> {
    ops::astype(a, rmlx::Dtype::Float64, None)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

fn range(n: usize) -> Vec<f64> {
    (0..n).map(|i| i as f64).collect()
}

#[test]
fn take_rows_and_axis() {
    let a = arr_f(&range(12), &[3, 4]);
    let idx = arr_i(&[2, 0, -1], &[3]);
    assert_eq!(
        f64s(&ops::take(&a, &idx, Some(0), None).unwrap()),
        vec![8., 9., 10., 11., 0., 1., 2., 3., 8., 9., 10., 11.]
    );
    let t = ops::take(&a, &arr_i(&[3, 1], &[2]), Some(1), None).unwrap();
    assert_eq!(t.shape(), &[3, 2]);
    assert_eq!(f64s(&t), vec![3., 1., 7., 5., 11., 9.]);
    let t = ops::take(&a, &arr_i(&[5, 0, 11, 1], &[2, 2]), None, None).unwrap();
    assert_eq!(t.shape(), &[2, 2]);
    assert_eq!(f64s(&t), vec![5., 0., 11., 1.]);
    // Transposed (non-contiguous) input.
    let at = ops::transpose(&a, None, None).unwrap();
    let t = ops::take(&at, &arr_i(&[1], &[1]), Some(0), None).unwrap();
    assert_eq!(f64s(&t), vec![1., 5., 9.]);
}

#[test]
fn out_of_range_is_index_error_at_eval() {
    let a = arr_f(&range(5), &[5]);
    let bad = ops::take(&a, &arr_i(&[1, 7], &[2]), Some(0), None).unwrap();
    let e = bad.eval().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Index);
    assert!(
        e.message.contains("index 7") && e.message.contains("size 5"),
        "{}",
        e.message
    );
    // Evaluating again fails the same way (the graph was left intact).
    assert_eq!(bad.eval().unwrap_err().kind, ErrorKind::Index);
    let neg = ops::take(&a, &arr_i(&[-6], &[1]), Some(0), None).unwrap();
    assert_eq!(neg.eval().unwrap_err().kind, ErrorKind::Index);
    let s = ops::scatter_add(&a, &[arr_i(&[5], &[1])], &arr_f(&[1.], &[1, 1]), &[0], None).unwrap();
    assert_eq!(s.eval().unwrap_err().kind, ErrorKind::Index);
    // a itself is untouched.
    assert_eq!(f64s(&a), range(5));
}

#[test]
fn scatter_duplicates() {
    let a = ops::zeros(&[4], rmlx::Dtype::Float64, None).unwrap();
    let idx = [arr_i(&[1, 1, 3, 1], &[4])];
    let u = arr_f(&[1., 2., 3., 4.], &[4, 1]);
    assert_eq!(
        f64s(&ops::scatter_add(&a, &idx, &u, &[0], None).unwrap()),
        vec![0., 7., 0., 3.]
    );
    assert_eq!(
        f64s(&ops::scatter(&a, &idx, &u, &[0], None).unwrap()),
        vec![0., 4., 0., 3.]
    );
    assert_eq!(
        f64s(&ops::scatter_max(&a, &idx, &u, &[0], None).unwrap()),
        vec![0., 4., 0., 3.]
    );
    let ones = ops::ones(&[4], rmlx::Dtype::Float64, None).unwrap();
    assert_eq!(
        f64s(&ops::scatter_prod(&ones, &idx, &u, &[0], None).unwrap()),
        vec![1., 8., 1., 3.]
    );
    // Rows of a 2-d array (the embedding-gradient pattern), large enough to
    // split the columns across threads.
    let (r, d, n) = (8usize, 512usize, 512usize);
    let z = ops::zeros(&[r as i64, d as i64], rmlx::Dtype::Float32, None).unwrap();
    let rows: Vec<i32> = (0..n).map(|i| ((i * 5) % r) as i32).collect();
    let vals: Vec<f32> = (0..n * d).map(|i| (i % 7) as f32).collect();
    let u = Array::from_slice(&vals, &[n as i64, 1, d as i64]).unwrap();
    let out = ops::scatter_add(&z, &[arr_i(&rows, &[n as i64])], &u, &[0], None).unwrap();
    let got = out.to_vec::<f32>().unwrap();
    let mut want = vec![0f32; r * d];
    for (i, &row) in rows.iter().enumerate() {
        for c in 0..d {
            want[row as usize * d + c] += vals[i * d + c];
        }
    }
    assert_eq!(got, want);
}

#[test]
fn along_axis_and_dynamic_slices() {
    let a = arr_f(&range(6), &[2, 3]);
    let idx = arr_i(&[2, 0, 1, 1], &[2, 2]);
    let t = ops::take_along_axis(&a, &idx, Some(1), None).unwrap();
    assert_eq!(f64s(&t), vec![2., 0., 4., 4.]);
    let p = ops::put_along_axis(&a, &idx, &arr_f(&[9.], &[]), Some(1), None).unwrap();
    assert_eq!(f64s(&p), vec![9., 1., 9., 3., 9., 5.]);
    let s = ops::scatter_add_axis(&a, &idx, &arr_f(&[1., 1., 1., 1.], &[2, 2]), 1, None).unwrap();
    assert_eq!(f64s(&s), vec![1., 1., 3., 3., 6., 5.]);
    let start = arr_i(&[1], &[1]);
    let sl = ops::slice(&a, &start, &[1], &[2, 2], None).unwrap();
    assert_eq!(f64s(&sl), vec![1., 2., 4., 5.]);
    let bad = ops::slice(&a, &arr_i(&[2], &[1]), &[1], &[2, 2], None).unwrap();
    assert_eq!(bad.eval().unwrap_err().kind, ErrorKind::Index);
    let up = ops::slice_update(&a, &arr_f(&[7., 8.], &[2, 1]), &start, &[1], None).unwrap();
    assert_eq!(f64s(&up), vec![0., 7., 2., 3., 8., 5.]);
    let st = ops::slice_update_strided(&a, &arr_f(&[-1.], &[]), &[0, 2], &[1, -2], &[2, 2], None)
        .unwrap();
    assert_eq!(f64s(&st), vec![-1., 1., -1., -1., 4., -1.]);
}

/// Central differences of `f` (scalar output) at `x` in float64.
fn fd_grad(f: &dyn Fn(&Array) -> Result<Array>, x: &[f64], shape: &[i64]) -> Vec<f64> {
    let h = 1e-6;
    (0..x.len())
        .map(|i| {
            let mut p = x.to_vec();
            let mut m = x.to_vec();
            p[i] += h;
            m[i] -= h;
            let fp = f(&arr_f(&p, shape)).unwrap().item::<f64>().unwrap();
            let fm = f(&arr_f(&m, shape)).unwrap().item::<f64>().unwrap();
            (fp - fm) / (2.0 * h)
        })
        .collect()
}

fn close(a: &[f64], b: &[f64]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() < 1e-6 * (1.0 + y.abs()), "{a:?} vs {b:?}");
    }
}

/// A scalar function of one array, for the finite-difference checks.
type ScalarFn<'a> = Box<dyn Fn(&Array) -> Result<Array> + 'a>;

#[test]
fn gradients_match_finite_differences() {
    let w: Vec<f64> = (0..12).map(|i| ((i * 7) % 5) as f64 * 0.3 - 0.4).collect();
    let weights = arr_f(&w, &[3, 4]);
    let idx = arr_i(&[2, 0, 2, -1], &[4]);
    let u2 = arr_f(&[0.5, -1.5], &[2, 1]);
    let fs: Vec<ScalarFn> = vec![
        // take with duplicates: the cotangent accumulates.
        Box::new(|x: &Array| {
            let t = ops::take(x, &idx, Some(0), None)?;
            ops::sum(
                &ops::multiply(&t, &ops::take(&weights, &idx, Some(0), None)?, None)?,
                None,
                false,
                None,
            )
        }),
        Box::new(|x: &Array| {
            let t = ops::take_along_axis(x, &arr_i(&[3, 0, 0, 1, 2, 2], &[3, 2]), Some(1), None)?;
            ops::sum(&ops::square(&t, None)?, None, false, None)
        }),
        // scatter (overwrite) with x as the array, then products.
        Box::new(|x: &Array| {
            let flat = ops::reshape(x, &[12], None)?;
            let s = ops::scatter(
                &flat,
                &[arr_i(&[3, 5], &[2])],
                &arr_f(&[1., 2.], &[2, 1]),
                &[0],
                None,
            )?;
            ops::sum(
                &ops::multiply(&s, &ops::reshape(&weights, &[12], None)?, None)?,
                None,
                false,
                None,
            )
        }),
        // scatter_prod with x both as the array and as the updates, zeros included.
        Box::new(|x: &Array| {
            let flat = ops::reshape(x, &[12], None)?;
            let upd = ops::reshape(
                &ops::take(&flat, &arr_i(&[0, 1, 2, 3], &[4]), Some(0), None)?,
                &[4, 1],
                None,
            )?;
            let s = ops::scatter_prod(&flat, std::slice::from_ref(&idx), &upd, &[0], None)?;
            ops::sum(
                &ops::multiply(&s, &ops::reshape(&weights, &[12], None)?, None)?,
                None,
                false,
                None,
            )
        }),
        Box::new(|x: &Array| {
            let s = ops::slice_update_strided(x, &u2, &[0, 1], &[2, 2], &[2, 1], None);
            let s = ops::slice_update_strided(
                &s?,
                &ops::multiply(
                    &ops::slice_strided(x, &[1, 0], &[1, 1], &[2, 1], None)?,
                    &arr_f(&[3.], &[]),
                    None,
                )?,
                &[1, 3],
                &[1, 1],
                &[2, 1],
                None,
            )?;
            ops::sum(&ops::multiply(&s, &s, None)?, None, false, None)
        }),
    ];
    let mut x0 = range(12);
    x0[1] = 0.0;
    x0[2] = 0.0;
    for (k, f) in fs.iter().enumerate() {
        let g = vjp(
            |a| Ok(vec![f(&a[0])?]),
            &[arr_f(&x0, &[3, 4])],
            &[Array::scalar(1.0f64)],
        )
        .unwrap()
        .1;
        let want = fd_grad(f.as_ref(), &x0, &[3, 4]);
        close(&f64s(&g[0]), &want);
        // jvp along a basis direction equals the gradient's entry.
        for i in [0usize, 2, 5] {
            let mut t = vec![0.0; 12];
            t[i] = 1.0;
            let (_, jt) = jvp(
                |a| Ok(vec![f(&a[0])?]),
                &[arr_f(&x0, &[3, 4])],
                &[arr_f(&t, &[3, 4])],
            )
            .unwrap();
            let jt = jt[0].item::<f64>().unwrap();
            assert!(
                (jt - want[i]).abs() < 1e-6 * (1.0 + want[i].abs()),
                "fn {k} dir {i}"
            );
        }
    }
}

#[test]
fn vmap_matches_loop() {
    let a = arr_f(&range(24), &[2, 3, 4]);
    let idx = arr_i(&[1, 0, 2, 2, 1, 0], &[2, 3]);
    let u = arr_f(&range(24), &[2, 3, 4]);
    // vmap over a and the indices of take / scatter_add.
    let f = |x: &[Array]| -> Result<Vec<Array>> {
        let t = ops::take(&x[0], &x[1], Some(0), None)?;
        let z = ops::zeros_like(&x[0], None, None)?;
        let s = ops::scatter_add(
            &z,
            &[x[1].clone()],
            &ops::reshape(&x[2], &[3, 1, 4], None)?,
            &[0],
            None,
        )?;
        Ok(vec![t, s])
    };
    let got = vmap(
        f,
        &[a.clone(), idx.clone(), u.clone()],
        &[Some(0), Some(0), Some(0)],
        &[Some(0)],
    )
    .unwrap();
    for b in 0..2 {
        let pick = |x: &Array| ops::take_index(x, b, Some(0), None).unwrap();
        let want = f(&[pick(&a), pick(&idx), pick(&u)]).unwrap();
        for (g, w) in got.iter().zip(&want) {
            assert_eq!(
                f64s(&ops::take_index(g, b, Some(0), None).unwrap()),
                f64s(w)
            );
        }
    }
    // Only the indices batched, then only the array.
    let g2 = vmap(
        |x| Ok(vec![ops::take(&a, &x[0], Some(1), None)?]),
        std::slice::from_ref(&idx),
        &[Some(1)],
        &[Some(0)],
    )
    .unwrap();
    for b in 0..3 {
        let col = ops::take_index(&idx, b, Some(1), None).unwrap();
        let want = ops::take(&a, &col, Some(1), None).unwrap();
        assert_eq!(
            f64s(&ops::take_index(&g2[0], b, Some(0), None).unwrap()),
            f64s(&want)
        );
    }
}

#[test]
fn value_dependent_ops() {
    let a = arr_i(&[0, 3, 0, 5, 5, 1], &[2, 3]);
    let nz = ops::nonzero(&a, None).unwrap();
    assert_eq!(nz[0].to_vec::<i32>().unwrap(), vec![0, 1, 1, 1]);
    assert_eq!(nz[1].to_vec::<i32>().unwrap(), vec![1, 0, 1, 2]);
    let fixed = ops::nonzero_sized(&a, Some(6), Some(-1), None).unwrap();
    assert_eq!(fixed[1].to_vec::<i32>().unwrap(), vec![1, 0, 1, 2, -1, -1]);
    let u = ops::unique(&a, None, None, None).unwrap();
    assert_eq!(u.values.to_vec::<i32>().unwrap(), vec![0, 1, 3, 5]);
    assert_eq!(u.counts.to_vec::<i32>().unwrap(), vec![2, 1, 1, 2]);
    assert_eq!(u.index.to_vec::<u32>().unwrap(), vec![0, 5, 1, 3]);
    assert_eq!(u.inverse.shape(), &[2, 3]);
    assert_eq!(u.inverse.to_vec::<u32>().unwrap(), vec![0, 2, 0, 3, 3, 1]);
    let b = ops::bincount(&arr_i(&[1, 1, 4], &[3]), None, 0, None, None).unwrap();
    assert_eq!(b.to_vec::<i32>().unwrap(), vec![0, 2, 0, 0, 1]);
    let e = ops::bincount(&arr_i(&[-1], &[1]), None, 0, None, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    // Inside vmap the value-dependent forms refuse with a pointer to size=.
    let e = vmap(
        |x| ops::nonzero(&x[0], None),
        std::slice::from_ref(&a),
        &[Some(0)],
        &[Some(0)],
    )
    .err()
    .unwrap();
    assert!(
        e.message.contains("[nonzero]") && e.message.contains("size="),
        "{}",
        e.message
    );
}
