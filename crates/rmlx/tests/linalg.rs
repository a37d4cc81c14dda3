//! The linalg ops through the Rust API: reconstructions of the
//! factorisations, solves and inverses on known values, MLX's errors,
//! gradients against central differences and vmap against a loop.

use rmlx::ops::linalg as la;
use rmlx::transforms::{jvp, vjp, vmap};
use rmlx::{ops, Array, Dtype, ErrorKind};

fn arr(v: &[f64], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

fn vals(a: &Array) -> Vec<f64> {
    ops::astype(a, Dtype::Float64, None)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

fn close(got: &[f64], want: &[f64], tol: f64) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g - w).abs() <= tol * (1.0 + w.abs()), "at {i}: {g} vs {w}");
    }
}

const A: [f64; 9] = [4.0, 1.0, 2.0, 1.0, 5.0, 1.0, 2.0, 1.0, 6.0];

#[test]
fn inverse_and_solve() {
    let a = arr(&A, &[3, 3]);
    let x = la::inv(&a, None).unwrap();
    let eye = ops::matmul(&a, &x, None).unwrap();
    close(
        &vals(&eye),
        &[1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0],
        1e-12,
    );
    let b = arr(&[1.0, 2.0, 3.0], &[3]);
    let s = la::solve(&a, &b, None).unwrap();
    assert_eq!(s.shape(), &[3]);
    let back = ops::matmul(&a, &s, None).unwrap();
    close(&vals(&back), &[1.0, 2.0, 3.0], 1e-12);
    let t = la::solve_triangular(&a, &b, true, None).unwrap();
    // Upper triangle only: [[4,1,2],[0,5,1],[0,0,6]].
    close(&vals(&t), &[-0.075, 0.3, 0.5], 1e-12);
}

#[test]
fn factorisations_reconstruct() {
    let a = arr(&A, &[3, 3]);
    let l = la::cholesky(&a, false, None).unwrap();
    let llt = ops::matmul(&l, &ops::matrix_transpose(&l, None).unwrap(), None).unwrap();
    close(&vals(&llt), &A, 1e-12);
    let (q, r) = la::qr(&a, None).unwrap();
    close(&vals(&ops::matmul(&q, &r, None).unwrap()), &A, 1e-12);
    let o = la::svd(&a, true, None).unwrap();
    let us = ops::multiply(&o[0], &ops::expand_dims(&o[1], &[0], None).unwrap(), None).unwrap();
    close(&vals(&ops::matmul(&us, &o[2], None).unwrap()), &A, 1e-12);
    let (w, _) = la::eigh(&a, "L", None).unwrap();
    let sv = vals(&o[1]);
    let mut ev = vals(&w);
    ev.reverse();
    close(&ev, &sv, 1e-12); // symmetric positive definite: eigenvalues = singular values
    let (rows, l, u) = la::lu(&a, None).unwrap();
    let lu = vals(&ops::matmul(&l, &u, None).unwrap());
    let rows = rows.to_vec::<u32>().unwrap();
    for i in 0..3 {
        let r = rows[i] as usize;
        close(&lu[r * 3..r * 3 + 3], &A[i * 3..i * 3 + 3], 1e-12);
    }
    let d = la::det(&a, None).unwrap();
    close(
        &vals(&d),
        &[4.0 * 29.0 - 1.0 * 4.0 + 2.0 * (1.0 - 10.0)],
        1e-12,
    );
}

#[test]
fn errors_have_mlx_kinds() {
    let e = la::inv(&Array::from_slice(&[1.0f32, 2.0], &[2]).unwrap(), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    let e = la::qr(&Array::from_slice(&[1i32, 2, 3, 4], &[2, 2]).unwrap(), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    let sing = la::inv(&arr(&[1.0, 2.0, 2.0, 4.0], &[2, 2]), None).unwrap();
    let e = sing.eval().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Runtime);
    assert_eq!(
        e.message,
        "[Inverse::eval_cpu] LU factorization failed with error code 2"
    );
    let e = la::cross(&arr(&[1.0; 4], &[4]), &arr(&[1.0; 4], &[4]), -1, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
}

#[test]
fn inverse_gradient_matches_finite_differences() {
    let x0 = [3.0, 0.5, -1.0, 2.5];
    let f = |x: &[Array]| Ok(vec![la::inv(&x[0], None)?]);
    let c = arr(&[1.0, -2.0, 0.5, 1.5], &[2, 2]);
    let (_, g) = vjp(f, &[arr(&x0, &[2, 2])], std::slice::from_ref(&c)).unwrap();
    let cv = vals(&c);
    let h = 1e-6;
    let mut want = vec![0.0; 4];
    for (k, w) in want.iter_mut().enumerate() {
        let (mut p, mut m) = (x0, x0);
        p[k] += h;
        m[k] -= h;
        let fp = vals(&la::inv(&arr(&p, &[2, 2]), None).unwrap());
        let fm = vals(&la::inv(&arr(&m, &[2, 2]), None).unwrap());
        *w = (0..4).map(|i| cv[i] * (fp[i] - fm[i]) / (2.0 * h)).sum();
    }
    close(&vals(&g[0]), &want, 1e-6);
    let t = arr(&[0.0, 1.0, 0.0, 0.0], &[2, 2]);
    let (_, j) = jvp(f, &[arr(&x0, &[2, 2])], &[t]).unwrap();
    let (mut p, mut m) = (x0, x0);
    p[1] += h;
    m[1] -= h;
    let fp = vals(&la::inv(&arr(&p, &[2, 2]), None).unwrap());
    let fm = vals(&la::inv(&arr(&m, &[2, 2]), None).unwrap());
    let want: Vec<f64> = (0..4).map(|i| (fp[i] - fm[i]) / (2.0 * h)).collect();
    close(&vals(&j[0]), &want, 1e-6);
}

#[test]
fn vmap_of_eigvalsh_matches_a_loop() {
    let mats = [
        A.to_vec(),
        vec![2.0, 0.0, 0.0, 0.0, 3.0, 1.0, 0.0, 1.0, 3.0],
    ]
    .concat();
    let x = arr(&mats, &[2, 3, 3]);
    // Batch along the last axis: a matrix axis moves to the front.
    let xt = ops::moveaxis(&x, 0, 2, None).unwrap();
    let out = vmap(
        |a: &[Array]| Ok(vec![la::eigvalsh(&a[0], "L", None)?]),
        &[xt],
        &[Some(2)],
        &[Some(0)],
    )
    .unwrap();
    for b in 0..2 {
        let m = arr(&mats[b * 9..b * 9 + 9], &[3, 3]);
        let w = vals(&la::eigvalsh(&m, "L", None).unwrap());
        close(&vals(&out[0])[b * 3..b * 3 + 3], &w, 1e-12);
    }
}
