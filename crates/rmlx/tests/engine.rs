//! Engine guarantees: laziness, iterative evaluation and drop of deep
//! graphs, detaching, donation, multi-output ops, errors as values.

use rmlx::{memory, ops, Array, Dtype};

fn f32s(v: &[f32]) -> Array {
    Array::from_slice(v, &[v.len() as i64]).unwrap()
}

#[test]
fn ops_are_lazy_until_eval() {
    let a = f32s(&[1.0, 2.0, 3.0]);
    let b = ops::add(&a, &a, None).unwrap();
    assert!(!b.is_available());
    b.eval().unwrap();
    assert!(b.is_available());
    assert_eq!(b.to_vec::<f32>().unwrap(), vec![2.0, 4.0, 6.0]);
    // Detached after evaluation: no op, no inputs kept alive.
    assert!(b.op().is_none());
}

#[test]
fn million_node_chain_evaluates_and_drops_without_recursion() {
    let one = Array::scalar(1.0f32);
    let mut y = Array::scalar(0.0f32);
    for _ in 0..1_000_000 {
        y = ops::add(&y, &one, None).unwrap();
    }
    y.eval().unwrap();
    assert_eq!(y.item::<f32>().unwrap(), 1_000_000.0);

    // An unevaluated chain must also drop iteratively.
    let mut z = Array::scalar(0.0f32);
    for _ in 0..1_000_000 {
        z = ops::multiply(&z, &one, None).unwrap();
    }
    drop(z);
}

#[test]
fn donation_keeps_peak_memory_at_one_extra_buffer() {
    let n = 1 << 22; // 16 MB of f32
    let x = ops::full_scalar(&[n], rmlx::Scalar::Float(1.0), Dtype::Float32, None).unwrap();
    let x = ops::contiguous(&x, false, None).unwrap();
    x.eval().unwrap();
    let a = Array::scalar(1.0001f32);
    let b = Array::scalar(0.5f32);
    memory::reset_peak_memory();
    let base = memory::active_memory();
    let mut y = x.clone();
    for _ in 0..1000 {
        y = ops::add(&ops::multiply(&y, &a, None).unwrap(), &b, None).unwrap();
    }
    y.eval().unwrap();
    let extra = memory::peak_memory() - base;
    assert!(
        extra <= (n as usize * 4) + (1 << 16),
        "peak grew by {extra} bytes"
    );
    drop(x);
}

#[test]
fn multi_output_op_fills_all_siblings() {
    let a = Array::from_slice(&[7i32, -7, 9], &[3]).unwrap();
    let b = Array::scalar(2i32);
    let (q, r) = ops::divmod(&a, &b, None).unwrap();
    r.eval().unwrap();
    assert!(q.is_available(), "sibling computed by the same op");
    assert_eq!(q.to_vec::<i32>().unwrap(), vec![3, -4, 4]);
    assert_eq!(r.to_vec::<i32>().unwrap(), vec![1, 1, 1]);
}

#[test]
fn errors_name_the_op_and_shapes() {
    let a = f32s(&[1.0, 2.0, 3.0]);
    let b = f32s(&[1.0, 2.0]);
    let e = ops::add(&a, &b, None).unwrap_err();
    assert_eq!(e.kind, rmlx::ErrorKind::Value);
    assert_eq!(
        e.message,
        "[broadcast_shapes] Shapes (3) and (2) cannot be broadcast."
    );
    let e = ops::reshape(&a, &[4], None).unwrap_err();
    assert!(e.message.starts_with("[reshape]"), "{}", e.message);
    let e = ops::bitwise_and(&a, &a, None).unwrap_err();
    assert!(e.message.contains("float32"), "{}", e.message);
}

#[test]
fn views_are_values() {
    let a = Array::from_slice(&[1.0f32, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]).unwrap();
    let t = ops::transpose(&a, None, None).unwrap();
    assert_eq!(t.shape(), &[3, 2]);
    assert_eq!(
        t.to_vec::<f32>().unwrap(),
        vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    );
    let r = ops::reshape(&t, &[6], None).unwrap();
    assert_eq!(
        r.to_vec::<f32>().unwrap(),
        vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]
    );
    let s = ops::slice_strided(&a, &[1, 2], &[1, -1], &[1, 3], None).unwrap();
    assert_eq!(s.to_vec::<f32>().unwrap(), vec![6.0, 5.0, 4.0]);
    // The source is untouched by computing on its views.
    let doubled = ops::add(&t, &t, None).unwrap();
    doubled.eval().unwrap();
    assert_eq!(
        a.to_vec::<f32>().unwrap(),
        vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    );
}

#[test]
fn broadcasting_and_promotion() {
    let a = Array::from_slice(&[1i8, 2, 3, 4, 5, 6], &[2, 3]).unwrap();
    let b = Array::from_slice(&[10.0f32, 20.0], &[2, 1]).unwrap();
    let c = ops::add(&a, &b, None).unwrap();
    assert_eq!(c.dtype(), Dtype::Float32);
    assert_eq!(
        c.to_vec::<f32>().unwrap(),
        vec![11.0, 12.0, 13.0, 24.0, 25.0, 26.0]
    );
    let d = ops::divide(&a, &a, None).unwrap();
    assert_eq!(d.dtype(), Dtype::Float32);
}

#[test]
fn async_eval_then_eval() {
    let a = f32s(&[1.0, 2.0]);
    let b = ops::multiply(&a, &a, None).unwrap();
    rmlx::async_eval(std::slice::from_ref(&b)).unwrap();
    rmlx::eval(std::slice::from_ref(&b)).unwrap();
    assert_eq!(b.to_vec::<f32>().unwrap(), vec![1.0, 4.0]);
}
