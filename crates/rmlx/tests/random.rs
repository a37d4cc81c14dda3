//! The random ops: reference values recorded from MLX 0.32.4 (bit
//! patterns), the constant-folded fused kernels against the general graphs
//! they replace, batching over keys, the missing derivative through keys,
//! the glibc `logf` port against the platform `logf`, and statistics.

use rmlx::backend::cpu::random::{math, threefry2x32};
use rmlx::ops::random as rnd;
use rmlx::{ops, transforms, Array, Dtype, ErrorKind};

fn key(seed: u64) -> Array {
    rnd::key(seed).unwrap()
}

fn bits32(a: &Array) -> Vec<u32> {
    let a = ops::astype(a, Dtype::Float32, None).unwrap();
    a.to_vec::<f32>()
        .unwrap()
        .iter()
        .map(|v| v.to_bits())
        .collect()
}

fn f32s(v: &[f32]) -> Array {
    Array::from_slice(v, &[v.len() as i64]).unwrap()
}

/// A lazy copy of `a` (not a constant leaf), which sends the distributions
/// down their general graph instead of the fused kernel.
fn lazy(a: &Array) -> Array {
    ops::add(a, &ops::zeros_like(a, None, None).unwrap(), None).unwrap()
}

#[test]
fn keys_and_split_match_mlx() {
    assert_eq!(key(0).to_vec::<u32>().unwrap(), vec![0, 0]);
    assert_eq!(key((7 << 32) | 9).to_vec::<u32>().unwrap(), vec![7, 9]);
    let s = rnd::split(&key(0), 3, None).unwrap();
    assert_eq!(s.shape(), &[3, 2]);
    assert_eq!(
        s.to_vec::<u32>().unwrap(),
        vec![2467461003, 428148500, 3186719485, 3840466878, 2562233961, 1946702221]
    );
    let (a, b) = rnd::split_pair(&key(0), None).unwrap();
    let both = rnd::split(&key(0), 2, None)
        .unwrap()
        .to_vec::<u32>()
        .unwrap();
    assert_eq!(a.to_vec::<u32>().unwrap(), both[..2]);
    assert_eq!(b.to_vec::<u32>().unwrap(), both[2..]);
}

#[test]
fn bits_follow_mlx_layout_for_every_width() {
    let k = [3u32, 99];
    let key = Array::from_slice(&k, &[2]).unwrap();
    for n in [0usize, 1, 2, 5, 6, 4099] {
        let words = n;
        let (half, odd) = (words / 2, words % 2);
        let mut expect = vec![0u32; words];
        for j in 0..half {
            let [a, b] = threefry2x32(k, [j as u32, (j + half + odd) as u32]);
            expect[j] = a;
            expect[j + half + odd] = b;
        }
        if odd == 1 {
            expect[half] = threefry2x32(k, [half as u32, 0])[0];
        }
        let got = rnd::bits(&[n as i64], 4, Some(&key), None).unwrap();
        got.eval().unwrap();
        if n == 0 {
            // (`to_vec` of an empty u32 array trips a debug alignment check
            // in `Array::to_vec`; the shape is what matters here.)
            assert_eq!(got.shape(), &[0]);
            continue;
        }
        assert_eq!(got.to_vec::<u32>().unwrap(), expect, "n = {n}");
    }
    // Narrow widths: the leading bytes of the word stream of the byte count.
    let w1 = rnd::bits(&[7], 1, Some(&key), None).unwrap();
    let w4 = rnd::bits(&[2], 4, Some(&key), None).unwrap();
    let bytes: Vec<u8> = w4
        .to_vec::<u32>()
        .unwrap()
        .iter()
        .flat_map(|w| w.to_le_bytes())
        .collect();
    assert_eq!(w1.dtype(), Dtype::Uint8);
    assert_eq!(w1.to_vec::<u8>().unwrap(), bytes[..7]);
    let w2 = rnd::bits(&[4], 2, Some(&key), None).unwrap();
    let halves: Vec<u16> = bytes
        .chunks(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    assert_eq!(w2.to_vec::<u16>().unwrap(), halves);
}

#[test]
fn distributions_match_recorded_mlx_values() {
    let normal = rnd::normal(&[3, 4], Dtype::Float32, None, None, Some(&key(0)), None).unwrap();
    assert_eq!(
        bits32(&normal),
        vec![
            0x3f985749, 0xbf8cc299, 0x3ee329dc, 0x3f193554, 0xbec8a680, 0x3f314f8a, 0x3eeb9d2e,
            0xc004638c, 0xbe5b86da, 0xbf7d6588, 0xbf2dce60, 0x3e8c18b1
        ]
    );
    let (zero, one) = (Array::scalar(0i32), Array::scalar(1i32));
    let u = rnd::uniform(&zero, &one, &[5], Dtype::Float16, Some(&key(7)), None).unwrap();
    let u: Vec<u16> = u
        .to_vec::<half::f16>()
        .unwrap()
        .iter()
        .map(|h| h.to_bits())
        .collect();
    assert_eq!(u, vec![0x2c1f, 0x326c, 0x3934, 0x361e, 0x3967]);
    let k3 = key(3);
    let tn = rnd::truncated_normal(
        &Array::scalar(-1.0f32),
        &Array::scalar(2.0f32),
        Some(&[4]),
        Dtype::Float32,
        Some(&k3),
        None,
    )
    .unwrap();
    assert_eq!(
        bits32(&tn),
        vec![0xbebfe007, 0xbf768b62, 0x3ecc1b46, 0xbe2d83b4]
    );
    let g = rnd::gumbel(&[4], Dtype::Float32, Some(&k3), None).unwrap();
    assert_eq!(
        bits32(&g),
        vec![0xbeb848a6, 0xbfc07ec2, 0x3f313403, 0xbdb86630]
    );
    let l = rnd::laplace(&[4], Dtype::Float32, 0.5, 2.0, Some(&k3), None).unwrap();
    assert_eq!(
        bits32(&l),
        vec![0x3ffd75ec, 0x4101ca02, 0x3cb645a0, 0x3fa6ac7a]
    );
    let r = rnd::randint(
        &Array::scalar(-5i32),
        &Array::scalar(17i32),
        &[8],
        Dtype::Int32,
        Some(&k3),
        None,
    )
    .unwrap();
    assert_eq!(
        r.to_vec::<i32>().unwrap(),
        vec![1, 13, 12, 5, -4, -4, 13, 3]
    );
    let b = rnd::bernoulli(&Array::scalar(0.3f32), Some(&[8]), Some(&k3), None).unwrap();
    let b: Vec<u8> = b
        .to_vec::<bool>()
        .unwrap()
        .iter()
        .map(|&x| x as u8)
        .collect();
    assert_eq!(b, vec![0, 0, 0, 0, 1, 1, 0, 0]);
    let p = rnd::permutation(10, Some(&k3), None).unwrap();
    assert_eq!(
        p.to_vec::<u32>().unwrap(),
        vec![5, 9, 3, 8, 6, 1, 0, 2, 7, 4]
    );
    let logits = Array::from_slice(&[0.0f32, 1.0, 2.0, 2.0, 0.0, -1.0], &[2, 3]).unwrap();
    let c = rnd::categorical(&logits, -1, None, Some(4), Some(&k3), None).unwrap();
    assert_eq!(c.to_vec::<u32>().unwrap(), vec![2, 0, 2, 2, 0, 0, 2, 0]);
    let one_dist = f32s(&[0.0, 1.0, 2.0]);
    let c = rnd::categorical(&one_dist, -1, None, Some(6), Some(&k3), None).unwrap();
    assert_eq!(c.to_vec::<u32>().unwrap(), vec![1, 2, 2, 2, 2, 2]);
}

#[test]
fn global_sequence_matches_mlx() {
    rnd::seed(5).unwrap();
    let (zero, one) = (Array::scalar(0i32), Array::scalar(1i32));
    let u = rnd::uniform(&zero, &one, &[2], Dtype::Float32, None, None).unwrap();
    assert_eq!(bits32(&u), vec![0x3ed15163, 0x3ef61733]);
    // The state after one draw is the first half of split(key(5)).
    rnd::seed(5).unwrap();
    let (state, drawn) = rnd::split_pair(&key(5), None).unwrap();
    assert_eq!(
        rnd::next_key().unwrap().to_vec::<u32>().unwrap(),
        drawn.to_vec::<u32>().unwrap()
    );
    let (_, second) = rnd::split_pair(&state, None).unwrap();
    assert_eq!(
        rnd::next_key().unwrap().to_vec::<u32>().unwrap(),
        second.to_vec::<u32>().unwrap()
    );
}

#[test]
fn fused_kernels_equal_the_general_graphs() {
    let k = key(11);
    let n = [2049i64];
    for dt in [Dtype::Float32, Dtype::Float16, Dtype::Bfloat16] {
        let (lo, hi) = (Array::scalar(-1.5f32), Array::scalar(2.25f32));
        let a = rnd::uniform(&lo, &hi, &n, dt, Some(&k), None).unwrap();
        let b = rnd::uniform(&lazy(&lo), &lazy(&hi), &n, dt, Some(&k), None).unwrap();
        assert_eq!(bits32(&a), bits32(&b), "uniform {dt}");
        let a = rnd::truncated_normal(&lo, &hi, Some(&n), dt, Some(&k), None).unwrap();
        let b =
            rnd::truncated_normal(&lazy(&lo), &lazy(&hi), Some(&n), dt, Some(&k), None).unwrap();
        assert_eq!(bits32(&a), bits32(&b), "truncated_normal {dt}");
    }
    for dt in [
        Dtype::Float32,
        Dtype::Float16,
        Dtype::Bfloat16,
        Dtype::Float64,
    ] {
        let (loc, scale) = (Array::scalar(0.25f32), Array::scalar(3.0f32));
        let a = rnd::normal(&n, dt, Some(&loc), Some(&scale), Some(&k), None).unwrap();
        let b = rnd::normal(
            &n,
            dt,
            Some(&lazy(&loc)),
            Some(&lazy(&scale)),
            Some(&k),
            None,
        )
        .unwrap();
        assert_eq!(bits32(&a), bits32(&b), "normal {dt}");
    }
    for dt in [Dtype::Int32, Dtype::Uint8, Dtype::Int64, Dtype::Bool] {
        let (lo, hi) = (Array::scalar(-3i32), Array::scalar(40i32));
        let a = rnd::randint(&lo, &hi, &n, dt, Some(&k), None).unwrap();
        let b = rnd::randint(&lazy(&lo), &lazy(&hi), &n, dt, Some(&k), None).unwrap();
        let (a, b) = (
            ops::astype(&a, Dtype::Int64, None).unwrap(),
            ops::astype(&b, Dtype::Int64, None).unwrap(),
        );
        assert_eq!(
            a.to_vec::<i64>().unwrap(),
            b.to_vec::<i64>().unwrap(),
            "randint {dt}"
        );
    }
    let p = Array::scalar(0.37f32);
    let a = rnd::bernoulli(&p, Some(&n), Some(&k), None).unwrap();
    let b = rnd::bernoulli(&lazy(&p), Some(&n), Some(&k), None).unwrap();
    assert_eq!(a.to_vec::<bool>().unwrap(), b.to_vec::<bool>().unwrap());
}

#[test]
fn shapes_errors_and_laziness() {
    let k = key(1);
    let z = rnd::normal(&[3, 0], Dtype::Float32, None, None, Some(&k), None).unwrap();
    assert_eq!(z.shape(), &[3, 0]);
    z.eval().unwrap();
    let big = rnd::normal(&[1 << 26], Dtype::Float32, None, None, Some(&k), None).unwrap();
    assert!(!big.is_available());
    drop(big);
    let bad_key = Array::from_slice(&[1i32, 2], &[2]).unwrap();
    let e = rnd::normal(&[2], Dtype::Float32, None, None, Some(&bad_key), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    assert!(e
        .message
        .contains("[bits] Expected key type uint32 but received int32"));
    let e = rnd::bits(&[2], 3, Some(&k), None).unwrap_err();
    assert!(e.message.contains("Bit width"));
    let (zero, one) = (Array::scalar(0i32), Array::scalar(1i32));
    let e = rnd::uniform(&zero, &one, &[2], Dtype::Float64, Some(&k), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Runtime);
    let e = rnd::uniform(&zero, &one, &[2], Dtype::Int32, Some(&k), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    let lo = ops::zeros(&[2, 3], Dtype::Float32, None).unwrap();
    let e = rnd::uniform(&lo, &one, &[3], Dtype::Float32, Some(&k), None).unwrap_err();
    assert!(
        e.message.contains("from broadcasted shape (2,3)"),
        "{}",
        e.message
    );
    let e = rnd::categorical(&f32s(&[1.0]), 3, None, None, Some(&k), None).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Index);
    let mean = ops::zeros(&[2], Dtype::Float32, None).unwrap();
    let cov = ops::eye(2, None, 0, Dtype::Float32, None).unwrap();
    let e = rnd::multivariate_normal(&mean, &cov, &[], Dtype::Float32, Some(&k), None).unwrap_err();
    assert!(e.message.contains("not implemented"));
}

#[test]
fn vmap_over_keys_equals_a_loop() {
    let keys = rnd::split(&key(4), 3, None).unwrap();
    let f = |k: &Array| -> Vec<Array> {
        let n = rnd::normal(&[5], Dtype::Float32, None, None, Some(k), None).unwrap();
        let b = rnd::bits(&[3], 2, Some(k), None).unwrap();
        let p = rnd::permute(&f32s(&[1.0, 2.0, 3.0, 4.0]), 0, Some(k), None).unwrap();
        vec![n, b, p]
    };
    let out = transforms::vmap(
        |a: &[Array]| Ok(f(&a[0])),
        std::slice::from_ref(&keys),
        &[Some(0)],
        &[Some(0), Some(0), Some(0)],
    )
    .unwrap();
    for i in 0..3 {
        let ki = ops::reshape(
            &ops::slice_strided(&keys, &[i, 0], &[1, 1], &[1, 2], None).unwrap(),
            &[2],
            None,
        )
        .unwrap();
        for (batched, single) in out.iter().zip(f(&ki)) {
            let row = ops::slice_strided(batched, &[i, 0], &[1, 1], &[1, batched.shape()[1]], None)
                .unwrap();
            assert_eq!(
                ops::astype(&row, Dtype::Float32, None)
                    .unwrap()
                    .to_vec::<f32>()
                    .unwrap(),
                ops::astype(&single, Dtype::Float32, None)
                    .unwrap()
                    .to_vec::<f32>()
                    .unwrap()
            );
        }
    }
}

#[test]
fn no_derivative_through_keys_but_through_parameters() {
    let k = key(0);
    let e = transforms::grad(
        |a: &[Array]| {
            let n = rnd::normal(&[3], Dtype::Float32, None, None, Some(&a[0]), None)?;
            Ok(vec![ops::sum(&n, None, false, None)?])
        },
        std::slice::from_ref(&k),
        &[0],
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    assert!(e.message.contains("RandomBits"));
    // d/ds sum(normal(loc=s, scale=s)) = n + sum(e * sqrt2).
    let g = transforms::grad(
        |a: &[Array]| {
            let n = rnd::normal(
                &[3],
                Dtype::Float32,
                Some(&a[0]),
                Some(&a[0]),
                Some(&k),
                None,
            )?;
            Ok(vec![ops::sum(&n, None, false, None)?])
        },
        &[Array::scalar(2.0f32)],
        &[0],
    )
    .unwrap();
    let std = rnd::normal(&[3], Dtype::Float32, None, None, Some(&k), None).unwrap();
    let expect = 3.0 + std.to_vec::<f32>().unwrap().iter().sum::<f32>();
    assert!((g[0].item::<f32>().unwrap() - expect).abs() < 1e-5);
}

#[test]
fn logf_port_matches_the_platform_logf() {
    if !math::fast_logf_ok() {
        return;
    }
    // A prime stride over every positive float, plus specials.
    let mut b = 1u32;
    while b < 0x7f80_0000 {
        let x = f32::from_bits(b);
        assert_eq!(
            math::logf_glibc(x).to_bits(),
            x.ln().to_bits(),
            "logf({x:e})"
        );
        b += 65_537;
    }
    assert!(math::logf_glibc(-1.0).is_nan());
    assert_eq!(math::logf_glibc(0.0), f32::NEG_INFINITY);
    assert_eq!(math::logf_glibc(f32::INFINITY), f32::INFINITY);
    assert_eq!(math::logf_glibc(1.0), 0.0);
}

#[test]
fn log1pf_port_matches_the_platform_log1pf() {
    if !math::fast_log1pf_ok() {
        return;
    }
    for sign in [0u32, 0x8000_0000] {
        let mut b = 1u32;
        while b < 0x7f80_0000 {
            let x = f32::from_bits(b | sign);
            let (got, want) = (math::log1pf_glibc(x), x.ln_1p());
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "log1pf({x:e})"
            );
            b += 65_537;
        }
    }
    assert_eq!(math::log1pf_glibc(-1.0), f32::NEG_INFINITY);
    assert_eq!(math::log1pf_glibc(0.0), 0.0);
}

#[test]
fn statistics() {
    let k = key(21);
    let n = 1 << 20;
    let x = rnd::normal(&[n], Dtype::Float32, None, None, Some(&k), None).unwrap();
    let v = x.to_vec::<f32>().unwrap();
    let mean = v.iter().map(|&x| x as f64).sum::<f64>() / n as f64;
    let var = v.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / n as f64;
    assert!(
        mean.abs() < 5e-3 && (var - 1.0).abs() < 1e-2,
        "{mean} {var}"
    );
    let (zero, ten) = (Array::scalar(0i32), Array::scalar(10i32));
    let r = rnd::randint(&zero, &ten, &[n], Dtype::Int32, Some(&k), None).unwrap();
    let mut counts = [0usize; 10];
    for x in r.to_vec::<i32>().unwrap() {
        counts[x as usize] += 1;
    }
    assert!(counts
        .iter()
        .all(|&c| (c as f64 / n as f64 - 0.1).abs() < 3e-3));
    let p = rnd::permutation(4096, Some(&k), None).unwrap();
    let mut p = p.to_vec::<u32>().unwrap();
    p.sort_unstable();
    assert_eq!(p, (0..4096).collect::<Vec<u32>>());
}
