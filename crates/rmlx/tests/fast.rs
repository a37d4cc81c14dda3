//! The `fast` ops through the Rust API: each fused kernel against its
//! composition of ordinary ops (float64), the vjp of attention against the
//! composition's, and MLX's errors.

use rmlx::ops::fast::{self, SdpaMask};
use rmlx::transforms::vjp;
use rmlx::{ops, Array, Dtype, ErrorKind};

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    fn arr(&mut self, shape: &[i64]) -> Array {
        let n = shape.iter().product::<i64>() as usize;
        let v: Vec<f64> = (0..n).map(|_| self.next()).collect();
        Array::from_slice(&v, shape).unwrap()
    }
}

fn vals(a: &Array) -> Vec<f64> {
    ops::astype(a, Dtype::Float64, None)
        .unwrap()
        .to_vec::<f64>()
        .unwrap()
}

fn assert_close(a: &Array, b: &Array, tol: f64) {
    assert_eq!(a.shape(), b.shape());
    for (x, y) in vals(a).iter().zip(vals(b)) {
        assert!((x - y).abs() <= tol * (1.0 + y.abs()), "{x} vs {y}");
    }
}

fn last_mean(a: &Array) -> Array {
    ops::mean(a, Some(&[-1]), true, None).unwrap()
}

#[test]
fn norms_match_compositions() {
    let mut r = Rng(7);
    let x = r.arr(&[4, 37]);
    let w = r.arr(&[37]);
    let b = r.arr(&[37]);
    let eps = Array::from_slice(&[1e-5f64], &[]).unwrap();
    let ms = last_mean(&ops::square(&x, None).unwrap());
    let inv = ops::rsqrt(&ops::add(&ms, &eps, None).unwrap(), None).unwrap();
    let want = ops::multiply(&ops::multiply(&x, &inv, None).unwrap(), &w, None).unwrap();
    assert_close(
        &fast::rms_norm(&x, Some(&w), 1e-5, None).unwrap(),
        &want,
        1e-12,
    );

    let xc = ops::subtract(&x, &last_mean(&x), None).unwrap();
    let var = last_mean(&ops::square(&xc, None).unwrap());
    let inv = ops::rsqrt(&ops::add(&var, &eps, None).unwrap(), None).unwrap();
    let y = ops::multiply(&xc, &inv, None).unwrap();
    let want = ops::add(&ops::multiply(&y, &w, None).unwrap(), &b, None).unwrap();
    let got = fast::layer_norm(&x, Some(&w), Some(&b), 1e-5, None).unwrap();
    assert_close(&got, &want, 1e-12);
}

fn sdpa_composed(q: &Array, k: &Array, v: &Array, scale: f64) -> Array {
    let s = Array::from_slice(&[scale], &[]).unwrap();
    let qs = ops::multiply(q, &s, None).unwrap();
    let sc = ops::matmul(&qs, &ops::swapaxes(k, -1, -2, None).unwrap(), None).unwrap();
    let p = ops::softmax(&sc, Some(&[-1]), true, None).unwrap();
    ops::matmul(&p, v, None).unwrap()
}

#[test]
fn attention_and_its_vjp() {
    // The primitive keeps its scale as f32 (as MLX does), so the composition
    // uses the same rounded scale.
    let scale = 0.4f32 as f64;
    let mut r = Rng(11);
    let q = r.arr(&[2, 3, 70, 8]);
    let k = r.arr(&[2, 3, 300, 8]);
    let v = r.arr(&[2, 3, 300, 5]);
    let got =
        fast::scaled_dot_product_attention(&q, &k, &v, 0.4, &SdpaMask::None, None, None).unwrap();
    assert_close(&got, &sdpa_composed(&q, &k, &v, scale), 1e-12);

    let c = r.arr(&[2, 3, 70, 5]);
    let f = |x: &[Array]| {
        Ok(vec![fast::scaled_dot_product_attention(
            &x[0],
            &x[1],
            &x[2],
            0.4,
            &SdpaMask::None,
            None,
            None,
        )?])
    };
    let g = |x: &[Array]| Ok(vec![sdpa_composed(&x[0], &x[1], &x[2], scale)]);
    let (_, a) = vjp(
        f,
        &[q.clone(), k.clone(), v.clone()],
        std::slice::from_ref(&c),
    )
    .unwrap();
    let (_, b) = vjp(g, &[q, k, v], &[c]).unwrap();
    for (a, b) in a.iter().zip(&b) {
        assert_close(a, b, 1e-10);
    }
}

#[test]
fn rope_inverse_and_cross_entropy() {
    let mut r = Rng(3);
    let x = r.arr(&[2, 3, 5, 8]);
    let off = Array::from_slice(&[4i32], &[]).unwrap();
    let y = fast::rope(&x, 8, false, Some(1e4), 1.0, &off, None, None).unwrap();
    // Rotations keep each pair's norm: the row norms are unchanged.
    let n = |a: &Array| ops::sum(&ops::square(a, None).unwrap(), Some(&[-1]), false, None).unwrap();
    assert_close(&n(&y), &n(&x), 1e-12);

    let logits = r.arr(&[3, 6]);
    let t = Array::from_slice(&[0i32, 5, 2], &[3]).unwrap();
    let ce = fast::cross_entropy(&logits, &t, None).unwrap();
    assert_eq!(ce.dtype(), Dtype::Float32);
    let lse = ops::logsumexp(&logits, Some(&[-1]), false, None).unwrap();
    let l = vals(&logits);
    let want: Vec<f64> = vals(&lse)
        .iter()
        .enumerate()
        .map(|(i, s)| s - l[i * 6 + [0, 5, 2][i]])
        .collect();
    for (g, w) in vals(&ce).iter().zip(want) {
        assert!((g - w).abs() < 1e-5);
    }
}

#[test]
fn errors_name_the_op() {
    let x = Array::from_slice(&[1i32, 2, 3], &[3]).unwrap();
    let e = fast::rms_norm(&x, None, 1e-5, None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    assert!(e.message.starts_with("[rms_norm]"));
    let q = Array::from_slice(&[0f32; 24], &[1, 2, 3, 4]).unwrap();
    let k = Array::from_slice(&[0f32; 12], &[1, 1, 3, 4]).unwrap();
    let e = fast::scaled_dot_product_attention(&k, &q, &q, 1.0, &SdpaMask::Causal, None, None)
        .unwrap_err();
    assert!(e.message.contains("multiple of n_kv_heads"));
}
