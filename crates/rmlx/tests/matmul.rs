//! The Rust API of the product ops: `ops::matmul` forms and errors,
//! `addmm`, `einsum`, `hadamard_transform`, and a gradient through
//! `transforms::vjp`.

use rmlx::{ops, Array, Dtype, ErrorKind};

fn arr(v: &[f32], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

fn naive(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut out = vec![0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            out[i * n + j] = (0..k).map(|p| a[i * k + p] * b[p * n + j]).sum();
        }
    }
    out
}

fn close(a: &[f32], b: &[f32], tol: f32) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{x} vs {y}");
    }
}

#[test]
fn matmul_forms() {
    let (m, k, n) = (37, 53, 29);
    let a: Vec<f32> = (0..m * k)
        .map(|i| ((i * 7 % 13) as f32 - 6.0) / 5.0)
        .collect();
    let b: Vec<f32> = (0..k * n)
        .map(|i| ((i * 5 % 11) as f32 - 5.0) / 4.0)
        .collect();
    let out = ops::matmul(
        &arr(&a, &[m as i64, k as i64]),
        &arr(&b, &[k as i64, n as i64]),
        None,
    )
    .unwrap();
    assert_eq!(out.shape(), &[m as i64, n as i64]);
    close(&out.to_vec::<f32>().unwrap(), &naive(&a, &b, m, k, n), 1e-5);

    // Vector forms squeeze the inserted axes.
    let v = arr(&[1.0, 2.0, 3.0], &[3]);
    let mat = arr(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
    let r = ops::matmul(&v, &mat, None).unwrap();
    assert_eq!(r.shape(), &[2]);
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![4.0, 5.0]);
    let d = ops::matmul(&v, &v, None).unwrap();
    assert_eq!(d.shape(), &[] as &[i64]);
    assert_eq!(d.item::<f32>().unwrap(), 14.0);

    // Broadcast batch axes.
    let a3 = ops::reshape(
        &ops::arange(0.0, 24.0, 1.0, Dtype::Float32, None).unwrap(),
        &[2, 1, 3, 4],
        None,
    )
    .unwrap();
    let b3 = ops::ones(&[5, 4, 2], Dtype::Float32, None).unwrap();
    assert_eq!(ops::matmul(&a3, &b3, None).unwrap().shape(), &[2, 5, 3, 2]);

    // k = 0 gives zeros.
    let z = ops::matmul(
        &ops::ones(&[2, 0], Dtype::Float32, None).unwrap(),
        &ops::ones(&[0, 3], Dtype::Float32, None).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(z.to_vec::<f32>().unwrap(), vec![0.0; 6]);
}

#[test]
fn matmul_errors_and_dtypes() {
    let i = ops::ones(&[2, 2], Dtype::Int32, None).unwrap();
    let e = ops::matmul(&i, &i, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    assert!(e.message.starts_with("[matmul] Only inexact types"));
    let e = ops::matmul(
        &ops::ones(&[2, 3], Dtype::Float32, None).unwrap(),
        &ops::ones(&[4, 2], Dtype::Float32, None).unwrap(),
        None,
    )
    .unwrap_err();
    assert_eq!(
        e.message,
        "[matmul] Last dimension of first input with shape (2,3) must match second to last dimension of second input with shape (4,2)."
    );
    for dt in [
        Dtype::Float16,
        Dtype::Bfloat16,
        Dtype::Float64,
        Dtype::Complex64,
    ] {
        let x = ops::ones(&[3, 5], dt, None).unwrap();
        let y = ops::ones(&[5, 2], dt, None).unwrap();
        let p = ops::matmul(&x, &y, None).unwrap();
        assert_eq!(p.dtype(), dt);
        let p = ops::astype(&p, Dtype::Float32, None).unwrap();
        assert_eq!(p.to_vec::<f32>().unwrap(), vec![5.0; 6]);
    }
}

#[test]
fn addmm_and_transposed_operands() {
    let a = arr(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let at = ops::transpose(&arr(&[1.0, 4.0, 2.0, 5.0, 3.0, 6.0], &[3, 2]), None, None).unwrap();
    let b = arr(&[1.0, 0.0, 0.0, 1.0, 1.0, 1.0], &[3, 2]);
    let c = arr(&[10.0, 20.0], &[2]);
    let r = ops::addmm(&c, &at, &b, 2.0, 0.5, None).unwrap();
    // a @ b = [[4, 5], [10, 11]]
    assert_eq!(r.to_vec::<f32>().unwrap(), vec![13.0, 20.0, 25.0, 32.0]);
    let plain = ops::matmul(&a, &b, None).unwrap();
    assert_eq!(plain.to_vec::<f32>().unwrap(), vec![4.0, 5.0, 10.0, 11.0]);
}

#[test]
fn einsum_and_hadamard() {
    let a = arr(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let tr = ops::einsum("ii", std::slice::from_ref(&a), None).unwrap();
    assert_eq!(tr.item::<f32>().unwrap(), 5.0);
    let p = ops::einsum("ij,jk->ik", &[a.clone(), a.clone()], None).unwrap();
    assert_eq!(p.to_vec::<f32>().unwrap(), vec![7.0, 10.0, 15.0, 22.0]);
    let (path, text) =
        ops::einsum_path("ij,jk,kl->il", &[a.clone(), a.clone(), a.clone()]).unwrap();
    assert_eq!(path.len(), 2);
    assert!(text.starts_with("  Complete contraction:  ij,jk,kl->il\n"));
    let h = ops::hadamard_transform(&arr(&[1.0, 2.0, 3.0, 4.0], &[4]), Some(1.0), None).unwrap();
    assert_eq!(h.to_vec::<f32>().unwrap(), vec![10.0, -2.0, -4.0, 0.0]);
    assert_eq!(
        ops::hadamard_transform(&arr(&[1.0; 6], &[6]), None, None)
            .unwrap_err()
            .kind,
        ErrorKind::Value
    );
}

#[test]
fn matmul_vjp() {
    let a = arr(&[1.0, 2.0, 3.0, 4.0], &[2, 2]);
    let b = arr(&[0.5, -1.0, 2.0, 1.0], &[2, 2]);
    let f =
        |xs: &[Array]| -> rmlx::Result<Vec<Array>> { Ok(vec![ops::matmul(&xs[0], &xs[1], None)?]) };
    let cot = ops::ones(&[2, 2], Dtype::Float32, None).unwrap();
    let (_, g) = rmlx::transforms::vjp(f, &[a, b], &[cot]).unwrap();
    // d/da sum(a @ b) = ones @ b^T; d/db = a^T @ ones.
    assert_eq!(g[0].to_vec::<f32>().unwrap(), vec![-0.5, 3.0, -0.5, 3.0]);
    assert_eq!(g[1].to_vec::<f32>().unwrap(), vec![4.0, 4.0, 6.0, 6.0]);
}
