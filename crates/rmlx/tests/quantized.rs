//! The quantization ops through the Rust API: affine round trips within
//! two steps (the grid is anchored on the larger extreme, so the other
//! end may be clipped), known packings, E4M3 conversions on known values, the
//! quantized products against dequantise-then-matmul (both transposes,
//! matrix-vector and tiled paths) and MLX's errors. Bit-exactness against
//! MLX itself is checked in python/tests/test_quantized.py.

use rmlx::ops::quantized as q;
use rmlx::{ops, Array, Dtype, ErrorKind};

fn rand(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            ((s >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0) as f32
        })
        .collect()
}

#[test]
fn affine_round_trip_within_a_step() {
    let v = rand(4 * 128, 7);
    let w = Array::from_slice(&v, &[4, 128]).unwrap();
    for bits in [2i64, 3, 4, 5, 6, 8] {
        let out = q::quantize(&w, Some(32), Some(bits), "affine", None, None).unwrap();
        assert_eq!(out[0].shape(), &[4, 128 * bits / 32]);
        assert_eq!(out[1].shape(), &[4, 4]);
        let d = q::dequantize(
            &out[0],
            &out[1],
            Some(&out[2]),
            Some(32),
            Some(bits),
            "affine",
            None,
            None,
            None,
        )
        .unwrap();
        let dv = d.to_vec::<f32>().unwrap();
        let sc = out[1].to_vec::<f32>().unwrap();
        for (i, (a, b)) in v.iter().zip(&dv).enumerate() {
            assert!(
                (a - b).abs() <= sc[i / 32].abs() * 2.0 + 1e-6,
                "bits {bits} at {i}"
            );
        }
    }
}

#[test]
fn known_packing_and_fp8() {
    // 0..15 over a group of 32 (twice): the grid is anchored on the
    // larger extreme (15, a negative scale), so codes are 15 - value.
    let v: Vec<f32> = (0..32).map(|i| (i % 16) as f32).collect();
    let w = Array::from_slice(&v, &[1, 32]).unwrap();
    let out = q::quantize(&w, Some(32), Some(4), "affine", None, None).unwrap();
    assert_eq!(
        out[0].to_vec::<u32>().unwrap(),
        vec![0x89AB_CDEF, 0x0123_4567, 0x89AB_CDEF, 0x0123_4567]
    );
    let x = Array::from_slice(&[1.0f32, -0.5, 448.0, 1000.0, 0.0], &[5]).unwrap();
    let f8 = q::to_fp8(&x, None).unwrap();
    assert_eq!(f8.to_vec::<u8>().unwrap(), vec![0x38, 0xB0, 0x7E, 0x7E, 0]);
    let back = q::from_fp8(&f8, Dtype::Float32, None).unwrap();
    assert_eq!(
        back.to_vec::<f32>().unwrap(),
        vec![1.0, -0.5, 448.0, 448.0, 0.0]
    );
}

#[test]
fn products_match_dequantized_matmul() {
    for mode in ["affine", "mxfp4", "nvfp4"] {
        for transpose in [true, false] {
            for m in [1i64, 3, 40] {
                let (n, k) = (64i64, 128i64);
                let wshape = if transpose { [n, k] } else { [k, n] };
                let w = Array::from_slice(&rand((n * k) as usize, 3), &wshape).unwrap();
                let x = Array::from_slice(&rand((m * k) as usize, 5), &[m, k]).unwrap();
                let qs = q::quantize(&w, None, None, mode, None, None).unwrap();
                let b = qs.get(2);
                let y =
                    q::quantized_matmul(&x, &qs[0], &qs[1], b, transpose, None, None, mode, None)
                        .unwrap();
                let d = q::dequantize(
                    &qs[0],
                    &qs[1],
                    b,
                    None,
                    None,
                    mode,
                    None,
                    Some(Dtype::Float32),
                    None,
                )
                .unwrap();
                let d = if transpose {
                    ops::swapaxes(&d, 0, 1, None).unwrap()
                } else {
                    d
                };
                let r = ops::matmul(&x, &d, None).unwrap();
                let (yv, rv) = (y.to_vec::<f32>().unwrap(), r.to_vec::<f32>().unwrap());
                for (a, b) in yv.iter().zip(&rv) {
                    assert!(
                        (a - b).abs() < 1e-3 * (1.0 + b.abs()),
                        "{mode} {transpose} {m}: {a} vs {b}"
                    );
                }
            }
        }
    }
}

#[test]
fn errors() {
    let w = ops::zeros(&[4, 64], Dtype::Float32, None).unwrap();
    let e = q::quantize(&w, Some(16), None, "affine", None, None)
        .err()
        .unwrap();
    assert_eq!(e.kind, ErrorKind::Value);
    let e = q::quantize(&w, None, None, "foo", None, None)
        .err()
        .unwrap();
    assert!(e.message.contains("Invalid quantization mode"));
    let qs = q::quantize(&w, None, None, "affine", None, None).unwrap();
    let x = ops::zeros(&[1, 32], Dtype::Float32, None).unwrap();
    let e = q::quantized_matmul(
        &x,
        &qs[0],
        &qs[1],
        Some(&qs[2]),
        true,
        None,
        None,
        "affine",
        None,
    )
    .err()
    .unwrap();
    assert!(e.message.contains("does not match"));
}
