//! `as_strided` and `depends` through the Rust API: values on known
//! layouts, the view sharing its input's buffer, the bounds check, and the
//! vjp / jvp / vmap rules.

use rmlx::transforms::{jvp, vjp, vmap};
use rmlx::{ops, Array, Dtype, ErrorKind};

fn f64s(a: &Array) -> Vec<f64> {
    ops::astype(a, Dtype::Float64, None)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

fn iota(n: usize) -> Array {
    let v: Vec<f64> = (0..n).map(|i| i as f64).collect();
    Array::from_slice(&v, &[n as i64]).unwrap()
}

#[test]
fn as_strided_values_and_view() {
    let x = iota(10);
    x.eval().unwrap();
    let y = ops::as_strided(&x, &[3, 3], &[2, 1], 1, None).unwrap();
    assert_eq!(f64s(&y), vec![1., 2., 3., 3., 4., 5., 5., 6., 7.]);
    assert!(std::sync::Arc::ptr_eq(&x.data().buf, &y.data().buf));
    let r = ops::as_strided(&x, &[3], &[-2], 9, None).unwrap();
    assert_eq!(f64s(&r), vec![9., 7., 5.]);
    // A transposed input is read in row-major order.
    let m = ops::reshape(&x, &[2, 5], None).unwrap();
    let t = ops::transpose(&m, None, None).unwrap();
    let z = ops::as_strided(&t, &[4], &[1], 0, None).unwrap();
    assert_eq!(f64s(&z), vec![0., 5., 1., 6.]);
}

#[test]
fn as_strided_errors() {
    let x = iota(10);
    for (shape, strides, off) in [
        (vec![3i64, 3], vec![1i64], 0i64),
        (vec![11], vec![1], 0),
        (vec![3], vec![-1], 1),
        (vec![-1], vec![1], 0),
    ] {
        let e = ops::as_strided(&x, &shape, &strides, off, None).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Value);
        assert!(e.message.starts_with("[as_strided]"));
    }
}

#[test]
fn as_strided_rules() {
    let x = iota(6);
    let f = |a: &[Array]| Ok(vec![ops::as_strided(&a[0], &[2, 3], &[1, 1], 1, None)?]);
    let ones = ops::ones(&[2, 3], Dtype::Float64, None).unwrap();
    let (_, g) = vjp(f, std::slice::from_ref(&x), &[ones]).unwrap();
    // Elements 1..=4 are read 1, 2, 2, 1 times.
    assert_eq!(f64s(&g[0]), vec![0., 1., 2., 2., 1., 0.]);
    let t = ops::ones(&[6], Dtype::Float64, None).unwrap();
    let (_, tan) = jvp(f, std::slice::from_ref(&x), &[t]).unwrap();
    assert_eq!(f64s(&tan[0]), vec![1.; 6]);
    let xs = ops::reshape(&iota(12), &[2, 6], None).unwrap();
    let out = vmap(f, &[xs], &[Some(0)], &[Some(0)]).unwrap();
    assert_eq!(
        f64s(&out[0]),
        vec![1., 2., 3., 2., 3., 4., 7., 8., 9., 8., 9., 10.]
    );
}

#[test]
fn depends_passes_through() {
    let a = iota(3);
    let b = ops::exp(&iota(2), None).unwrap();
    let outs = ops::depends(std::slice::from_ref(&a), std::slice::from_ref(&b), None).unwrap();
    assert_eq!(f64s(&outs[0]), vec![0., 1., 2.]);
    assert!(b.is_available());
    let f = |v: &[Array]| ops::depends(&v[..1], &v[1..], None);
    let cot = ops::ones(&[3], Dtype::Float64, None).unwrap();
    let (_, g) = vjp(f, &[a, iota(2)], &[cot]).unwrap();
    assert_eq!(f64s(&g[0]), vec![1.; 3]);
    assert_eq!(f64s(&g[1]), vec![0.; 2]);
    assert!(ops::depends(&[], &[b], None).is_err());
}
