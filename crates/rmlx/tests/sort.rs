//! The sort family through the Rust API: MLX's order (NaNs last, `-0.0`
//! kept in place, stable ties), every axis and non-contiguous views, the
//! radix path against a comparison sort, partitions, `topk`,
//! `searchsorted`, `median`, errors, and the transformation rules.

use rmlx::transforms::{jvp, vjp, vmap};
use rmlx::{ops, Array, ErrorKind};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn small(&mut self, n: u64) -> f32 {
        (self.next() % n) as f32
    }
}

/// MLX's stable order of `v`'s indices: NaNs last, ties by index.
fn reference_argsort(v: &[f32]) -> Vec<u32> {
    let mut idx: Vec<u32> = (0..v.len() as u32).collect();
    idx.sort_by(|&a, &b| {
        let (x, y) = (v[a as usize], v[b as usize]);
        match (x.is_nan(), y.is_nan()) {
            (true, true) => std::cmp::Ordering::Equal,
            (true, false) => std::cmp::Ordering::Greater,
            (false, true) => std::cmp::Ordering::Less,
            _ => x.partial_cmp(&y).unwrap(),
        }
    });
    idx
}

fn bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

#[test]
fn sort_and_argsort_match_a_stable_reference() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    // Short rows take the comparison path, long ones the radix path.
    for n in [0usize, 1, 7, 255, 256, 1000, 70_000] {
        let v: Vec<f32> = (0..n)
            .map(|_| match rng.next() % 10 {
                0 => f32::NAN,
                1 => -f32::NAN,
                2 => -0.0,
                3 => 0.0,
                4 => f32::NEG_INFINITY,
                _ => rng.small(50) - 25.0,
            })
            .collect();
        let a = Array::from_slice(&v, &[n as i64]).unwrap();
        let idx = reference_argsort(&v);
        let got = ops::argsort(&a, Some(0), None)
            .unwrap()
            .to_vec::<u32>()
            .unwrap();
        assert_eq!(got, idx, "argsort n={n}");
        let expect: Vec<f32> = idx.iter().map(|&i| v[i as usize]).collect();
        let sorted = ops::sort(&a, None, None).unwrap().to_vec::<f32>().unwrap();
        assert_eq!(bits(&sorted), bits(&expect), "sort n={n}");
    }
}

#[test]
fn integer_dtypes_and_every_axis() {
    let mut rng = Rng(42);
    let v: Vec<i64> = (0..3 * 4 * 5).map(|_| rng.next() as i64 % 7 - 3).collect();
    let a = Array::from_slice(&v, &[3, 4, 5]).unwrap();
    for axis in [-3i64, -2, -1, 0, 1, 2] {
        let ax = axis.rem_euclid(3) as usize;
        let s = ops::sort(&a, Some(axis), None)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        let t = ops::swapaxes(&a, ax as i64, 2, None).unwrap();
        // Sorting along `ax` of `a` equals sorting the last axis of the swapped view.
        let st = ops::sort(&t, Some(-1), None).unwrap();
        let back = ops::swapaxes(&st, ax as i64, 2, None).unwrap();
        let back = ops::contiguous(&back, false, None)
            .unwrap()
            .to_vec::<i64>()
            .unwrap();
        assert_eq!(s, back, "axis {axis}");
    }
    assert_eq!(
        ops::sort(&a, Some(3), None).unwrap_err().kind,
        ErrorKind::Index
    );
    let u = Array::from_slice(&[3u8, 255, 0, 7], &[4]).unwrap();
    assert_eq!(
        ops::sort(&u, None, None).unwrap().to_vec::<u8>().unwrap(),
        vec![0, 3, 7, 255]
    );
    let b = Array::from_slice(&[true, false, true, false], &[4]).unwrap();
    assert_eq!(
        ops::argsort(&b, None, None)
            .unwrap()
            .to_vec::<u32>()
            .unwrap(),
        vec![1, 3, 0, 2]
    );
}

#[test]
fn partitions_and_topk() {
    let mut rng = Rng(7);
    let v: Vec<f32> = (0..300).map(|_| rng.small(20)).collect();
    let a = Array::from_slice(&v, &[300]).unwrap();
    let mut sorted = v.clone();
    sorted.sort_by(|a, b| a.partial_cmp(b).unwrap());
    for kth in [0i64, 1, 150, 299, -1, -300] {
        let k = kth.rem_euclid(300) as usize;
        let p = ops::partition(&a, kth, None, None)
            .unwrap()
            .to_vec::<f32>()
            .unwrap();
        assert_eq!(p[k], sorted[k]);
        assert!(p[..k].iter().all(|&x| x <= p[k]) && p[k..].iter().all(|&x| x >= p[k]));
        let ip = ops::argpartition(&a, kth, Some(0), None)
            .unwrap()
            .to_vec::<u32>()
            .unwrap();
        assert_eq!(v[ip[k] as usize], sorted[k]);
        // The tie-free index partition is exactly the permutation partition applied.
        let perm = ops::argpartition_impl(&a, k, 0, false, None)
            .unwrap()
            .to_vec::<u32>()
            .unwrap();
        let gathered: Vec<f32> = perm.iter().map(|&i| v[i as usize]).collect();
        assert_eq!(gathered, p);
    }
    assert_eq!(
        ops::partition(&a, 300, None, None).unwrap_err().kind,
        ErrorKind::Value
    );
    let t = ops::topk(&a, 5, None, None)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    let mut t2 = t.clone();
    t2.sort_by(|a, b| a.partial_cmp(b).unwrap());
    assert_eq!(t2, sorted[295..].to_vec());
    assert_eq!(
        ops::topk(&a, 301, None, None).unwrap_err().kind,
        ErrorKind::Value
    );
    assert_eq!(ops::topk(&a, 0, None, None).unwrap().shape(), &[0]);
}

#[test]
fn searchsorted_and_median() {
    let seq = Array::from_slice(&[1.0f32, 2.0, 2.0, 4.0, f32::NAN], &[5]).unwrap();
    let v = Array::from_slice(&[f32::NAN, 2.0, 5.0, -1.0], &[2, 2]).unwrap();
    let l = ops::searchsorted(&seq, &v, "left", None).unwrap();
    assert_eq!(l.shape(), &[2, 2]);
    assert_eq!(l.to_vec::<u32>().unwrap(), vec![4, 1, 4, 0]);
    let r = ops::searchsorted(&seq, &v, "right", None).unwrap();
    assert_eq!(r.to_vec::<u32>().unwrap(), vec![5, 3, 4, 0]);
    assert_eq!(
        ops::searchsorted(&seq, &v, "up", None).unwrap_err().kind,
        ErrorKind::Value
    );
    assert_eq!(
        ops::searchsorted(&v, &v, "left", None).unwrap_err().kind,
        ErrorKind::Value
    );

    let m = Array::from_slice(&[3i32, 1, 2, 4, 6, 5], &[2, 3]).unwrap();
    assert_eq!(
        ops::median(&m, Some(&[1]), false, None)
            .unwrap()
            .to_vec::<f32>()
            .unwrap(),
        vec![2.0, 5.0]
    );
    assert_eq!(ops::median(&m, None, true, None).unwrap().shape(), &[1, 1]);
    assert_eq!(
        ops::median(&m, None, false, None)
            .unwrap()
            .item::<f32>()
            .unwrap(),
        3.5
    );
    let n = Array::from_slice(&[1.0f32, f32::NAN, 3.0], &[3]).unwrap();
    assert!(ops::median(&n, None, false, None)
        .unwrap()
        .item::<f32>()
        .unwrap()
        .is_nan());
    assert_eq!(
        ops::median(&m, Some(&[0, 0]), false, None)
            .unwrap_err()
            .kind,
        ErrorKind::Value
    );
    assert_eq!(
        ops::median(&m, Some(&[2]), false, None).unwrap_err().kind,
        ErrorKind::Index
    );
}

#[test]
fn sort_rules() {
    let x = Array::from_slice(&[3.0f64, 1.0, 0.5, 2.0], &[4]).unwrap();
    let w = Array::from_slice(&[1.0f64, 10.0, 100.0, 1000.0], &[4]).unwrap();
    let (_, g) = vjp(
        |a| Ok(vec![ops::sort(&a[0], None, None)?]),
        std::slice::from_ref(&x),
        std::slice::from_ref(&w),
    )
    .unwrap();
    assert_eq!(
        g[0].to_vec::<f64>().unwrap(),
        vec![1000.0, 10.0, 1.0, 100.0]
    );
    let (_, t) = jvp(
        |a| Ok(vec![ops::sort(&a[0], None, None)?]),
        std::slice::from_ref(&x),
        std::slice::from_ref(&w),
    )
    .unwrap();
    assert_eq!(
        t[0].to_vec::<f64>().unwrap(),
        vec![100.0, 10.0, 1000.0, 1.0]
    );
    // partition(x, 1) = [0.5, 1, 3, 2]: the cotangent follows the values.
    let (out, g) = vjp(
        |a| Ok(vec![ops::partition(&a[0], 1, None, None)?]),
        std::slice::from_ref(&x),
        std::slice::from_ref(&w),
    )
    .unwrap();
    let p = out[0].to_vec::<f64>().unwrap();
    let gx = g[0].to_vec::<f64>().unwrap();
    let xv = x.to_vec::<f64>().unwrap();
    for (j, pj) in p.iter().enumerate() {
        let i = xv.iter().position(|v| v == pj).unwrap();
        assert_eq!(gx[i], w.to_vec::<f64>().unwrap()[j]);
    }
    let (_, g) = vjp(
        |a| Ok(vec![ops::argsort(&a[0], None, None)?]),
        std::slice::from_ref(&x),
        &[ops::ones(&[4], rmlx::Dtype::Uint32, None).unwrap()],
    )
    .unwrap();
    assert_eq!(g[0].to_vec::<f64>().unwrap(), vec![0.0; 4]);

    let m = Array::from_slice(&[3.0f32, 1.0, 2.0, 0.0, 5.0, 4.0], &[2, 3]).unwrap();
    let batched = vmap(
        |a| Ok(vec![ops::sort(&a[0], Some(0), None)?]),
        std::slice::from_ref(&m),
        &[Some(1)],
        &[Some(1)],
    )
    .unwrap();
    assert_eq!(
        batched[0].to_vec::<f32>().unwrap(),
        vec![0.0, 1.0, 2.0, 3.0, 5.0, 4.0]
    );
    let seq = Array::from_slice(&[1.0f32, 2.0], &[2]).unwrap();
    let r = vmap(
        |a| Ok(vec![ops::searchsorted(&a[0], &a[1], "left", None)?]),
        &[seq, m.clone()],
        &[None, Some(0)],
        &[Some(0)],
    )
    .unwrap();
    assert_eq!(r[0].to_vec::<u32>().unwrap(), vec![2, 0, 1, 0, 2, 2]);
}
