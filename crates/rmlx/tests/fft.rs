//! The FFT family through the Rust API: transforms against a direct DFT in
//! float64, `n` / `s` cropping and padding, norms, dtypes, errors, the
//! frequencies and shifts, `stft` / `istft` round trips, and the
//! transformation rules (vjp against the explicit Jacobian, jvp, vmap
//! against a loop).

use num_complex::{Complex32, Complex64};
use rmlx::ops::fft::{self as fft, FftNorm};
use rmlx::transforms::{jvp, vjp, vmap};
use rmlx::{ops, Array, Dtype, ErrorKind};

struct Rng(u64);

impl Rng {
    fn uniform(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    }
    fn complex(&mut self, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|_| Complex32::new(self.uniform() as f32, self.uniform() as f32))
            .collect()
    }
    fn real(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.uniform() as f32).collect()
    }
}

/// Direct DFT of one line (sign -1 forward, +1 inverse, unscaled).
fn dft(x: &[Complex64], inverse: bool) -> Vec<Complex64> {
    let n = x.len();
    let sign = if inverse { 1.0 } else { -1.0 };
    (0..n)
        .map(|k| {
            x.iter()
                .enumerate()
                .map(|(j, v)| {
                    let t = sign * 2.0 * std::f64::consts::PI * (j * k % n) as f64 / n as f64;
                    v * Complex64::new(t.cos(), t.sin())
                })
                .sum()
        })
        .collect()
}

fn c64(a: &Array) -> Vec<Complex64> {
    let a = ops::astype(a, Dtype::Complex64, None).unwrap();
    a.to_vec::<Complex32>()
        .unwrap()
        .iter()
        .map(|c| Complex64::new(c.re as f64, c.im as f64))
        .collect()
}

fn assert_close(got: &[Complex64], want: &[Complex64], tol: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths");
    let scale = want.iter().map(|v| v.norm()).fold(1.0, f64::max);
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).norm() <= tol * scale,
            "{what}: element {i}: got {g}, want {w}"
        );
    }
}

#[test]
fn complex_transforms_match_direct_dft() {
    let mut rng = Rng(7);
    for &n in &[1usize, 2, 5, 7, 8, 12, 13, 64, 97] {
        let v = rng.complex(3 * n);
        let x = Array::from_slice(&v, &[3, n as i64]).unwrap();
        for inverse in [false, true] {
            for norm in [FftNorm::Backward, FftNorm::Ortho, FftNorm::Forward] {
                let y = if inverse {
                    fft::ifft(&x, None, -1, norm, None)
                } else {
                    fft::fft(&x, None, -1, norm, None)
                }
                .unwrap();
                assert_eq!(y.dtype(), Dtype::Complex64);
                let s = norm.factor(n as f64, inverse);
                let want: Vec<Complex64> = c64(&x)
                    .chunks(n)
                    .flat_map(|line| dft(line, inverse))
                    .map(|c| c * s)
                    .collect();
                assert_close(&c64(&y), &want, 1e-5, &format!("n={n} inverse={inverse}"));
            }
        }
    }
}

#[test]
fn transforms_along_strided_axes_and_padding() {
    let mut rng = Rng(11);
    // (4, 6, 5), transform axis 1 cropped to 4 and axis 0 padded to 7.
    let v = rng.complex(120);
    let x = Array::from_slice(&v, &[4, 6, 5]).unwrap();
    let y = fft::fftn(&x, Some(&[4, 7]), Some(&[1, 0]), FftNorm::Backward, None).unwrap();
    assert_eq!(y.shape(), &[7, 4, 5]);
    // Reference: pad / crop, then DFT along axis 1, then axis 0.
    let xs = c64(&x);
    let mut a = vec![Complex64::new(0.0, 0.0); 7 * 4 * 5];
    for i in 0..4 {
        for j in 0..4 {
            for k in 0..5 {
                a[(i * 4 + j) * 5 + k] = xs[(i * 6 + j) * 5 + k];
            }
        }
    }
    for i in 0..7 {
        for k in 0..5 {
            let line: Vec<_> = (0..4).map(|j| a[(i * 4 + j) * 5 + k]).collect();
            for (j, v) in dft(&line, false).into_iter().enumerate() {
                a[(i * 4 + j) * 5 + k] = v;
            }
        }
    }
    for j in 0..4 {
        for k in 0..5 {
            let line: Vec<_> = (0..7).map(|i| a[(i * 4 + j) * 5 + k]).collect();
            for (i, v) in dft(&line, false).into_iter().enumerate() {
                a[(i * 4 + j) * 5 + k] = v;
            }
        }
    }
    assert_close(&c64(&y), &a, 1e-5, "fftn with s and axes");
}

#[test]
fn real_transforms_and_round_trips() {
    let mut rng = Rng(3);
    for &n in &[1usize, 2, 3, 8, 11, 16, 31] {
        let v = rng.real(2 * n);
        let x = Array::from_slice(&v, &[2, n as i64]).unwrap();
        let y = fft::rfft(&x, None, -1, FftNorm::Backward, None).unwrap();
        assert_eq!(y.shape(), &[2, (n / 2 + 1) as i64]);
        let full = fft::fft(&x, None, -1, FftNorm::Backward, None).unwrap();
        let full = c64(&full);
        let want: Vec<Complex64> = full
            .chunks(n)
            .flat_map(|l| l[..n / 2 + 1].to_vec())
            .collect();
        assert_close(&c64(&y), &want, 1e-5, "rfft");
        let back = fft::irfft(&y, Some(n as i64), -1, FftNorm::Backward, None).unwrap();
        assert_eq!(back.dtype(), Dtype::Float32);
        assert_close(&c64(&back), &c64(&x), 1e-5, "irfft(rfft)");
    }
    // float64 input computes in single precision, as MLX does
    let x = Array::from_slice(&[1.0f64, 2.0, 3.0, 4.0], &[4]).unwrap();
    assert_eq!(
        fft::rfft(&x, None, -1, FftNorm::Backward, None)
            .unwrap()
            .dtype(),
        Dtype::Complex64
    );
}

#[test]
fn errors_have_mlx_kinds() {
    let x = ops::ones(&[3, 4], Dtype::Float32, None).unwrap();
    let kind = |r: rmlx::Result<Array>| r.err().map(|e| e.kind);
    let b = FftNorm::Backward;
    assert_eq!(
        kind(fft::fft(&x, Some(0), -1, b, None)),
        Some(ErrorKind::Value)
    );
    assert_eq!(kind(fft::fft(&x, None, 2, b, None)), Some(ErrorKind::Index));
    assert_eq!(
        kind(fft::fft(&x, Some(3), 2, b, None)),
        Some(ErrorKind::Index)
    );
    assert_eq!(
        kind(fft::fftn(&x, None, Some(&[0, -2]), b, None)),
        Some(ErrorKind::Value)
    );
    assert_eq!(
        kind(fft::fftn(&x, Some(&[3]), None, b, None)),
        Some(ErrorKind::Value)
    );
    let s = Array::scalar(1.0f32);
    assert_eq!(
        kind(fft::fftn(&s, None, None, b, None)),
        Some(ErrorKind::Value)
    );
    assert_eq!(kind(fft::fftfreq(0, 1.0, None)), Some(ErrorKind::Value));
    assert_eq!(
        kind(fft::fftshift(&x, Some(&[2]), None)),
        Some(ErrorKind::Index)
    );
    let y = ops::ones(&[2, 1], Dtype::Complex64, None).unwrap();
    assert_eq!(
        kind(fft::irfft(&y, None, -1, b, None)),
        Some(ErrorKind::Value)
    );
}

#[test]
fn frequencies_and_shifts() {
    let f = fft::fftfreq(5, 0.5, None).unwrap().to_vec::<f32>().unwrap();
    assert_eq!(f, vec![0.0, 0.4, 0.8, -0.8, -0.4]);
    let r = fft::rfftfreq(6, 1.0, None)
        .unwrap()
        .to_vec::<f32>()
        .unwrap();
    assert_eq!(r, vec![0.0, 1.0 / 6.0, 2.0 / 6.0, 0.5]);
    let a = ops::arange(0.0, 5.0, 1.0, Dtype::Int32, None).unwrap();
    let s = fft::fftshift(&a, None, None)
        .unwrap()
        .to_vec::<i32>()
        .unwrap();
    assert_eq!(s, vec![3, 4, 0, 1, 2]);
    let back = fft::ifftshift(&fft::fftshift(&a, None, None).unwrap(), None, None).unwrap();
    assert_eq!(back.to_vec::<i32>().unwrap(), vec![0, 1, 2, 3, 4]);
}

#[test]
fn stft_istft_round_trip() {
    let mut rng = Rng(5);
    let v = rng.real(2 * 50);
    let x = Array::from_slice(&v, &[2, 50]).unwrap();
    let w = ops::hanning(17, None)
        .and_then(|w| ops::slice_strided(&w, &[0], &[1], &[16], None))
        .unwrap();
    let spec = fft::stft(
        &x,
        16,
        Some(4),
        None,
        Some(&w),
        true,
        "reflect",
        FftNorm::Backward,
        None,
        None,
    )
    .unwrap();
    assert_eq!(spec.shape(), &[2, 9, 13]);
    let y = fft::istft(
        &spec,
        Some(16),
        Some(4),
        None,
        Some(&w),
        true,
        FftNorm::Backward,
        None,
        Some(50),
        None,
    )
    .unwrap();
    assert_close(&c64(&y), &c64(&x), 1e-5, "istft(stft)");
}

/// The vjp of a linear map is its adjoint: `<J t, c> = <t, J^T c>` in the
/// real inner product on complex numbers (re * re + im * im).
#[test]
fn vjp_is_adjoint_of_jvp() {
    type F = Box<dyn Fn(&Array) -> rmlx::Result<Array>>;
    let b = FftNorm::Backward;
    let cases: Vec<(F, bool)> = vec![
        (
            Box::new(move |a| fft::fft(a, Some(7), 0, FftNorm::Ortho, None)),
            true,
        ),
        (
            Box::new(move |a| fft::ifftn(a, None, Some(&[1, 0]), b, None)),
            true,
        ),
        (
            Box::new(move |a| fft::rfft(a, Some(9), -1, FftNorm::Forward, None)),
            false,
        ),
        (
            Box::new(move |a| fft::rfftn(a, Some(&[3, 4]), Some(&[1, 0]), b, None)),
            false,
        ),
        (Box::new(move |a| fft::irfft(a, Some(7), -1, b, None)), true),
        (
            Box::new(move |a| fft::irfft(a, Some(8), 0, FftNorm::Ortho, None)),
            true,
        ),
        (
            Box::new(move |a| fft::irfftn(a, Some(&[3, 6]), Some(&[0, 1]), b, None)),
            true,
        ),
    ];
    let mut rng = Rng(9);
    for (i, (f, complex_in)) in cases.iter().enumerate() {
        let x = if *complex_in {
            Array::from_slice(&rng.complex(20), &[4, 5]).unwrap()
        } else {
            Array::from_slice(&rng.real(20), &[4, 5]).unwrap()
        };
        let t = if *complex_in {
            Array::from_slice(&rng.complex(20), &[4, 5]).unwrap()
        } else {
            Array::from_slice(&rng.real(20), &[4, 5]).unwrap()
        };
        let out = f(&x).unwrap();
        let n = out.size();
        let c = if out.dtype() == Dtype::Complex64 {
            Array::from_slice(&rng.complex(n), out.shape()).unwrap()
        } else {
            Array::from_slice(&rng.real(n), out.shape()).unwrap()
        };
        let (_, jt) = jvp(
            |a| Ok(vec![f(&a[0])?]),
            std::slice::from_ref(&x),
            std::slice::from_ref(&t),
        )
        .unwrap();
        let (_, g) = vjp(
            |a| Ok(vec![f(&a[0])?]),
            std::slice::from_ref(&x),
            std::slice::from_ref(&c),
        )
        .unwrap();
        assert_eq!(g[0].shape(), x.shape());
        assert_eq!(g[0].dtype(), x.dtype());
        let dot = |p: &[Complex64], q: &[Complex64]| -> f64 {
            p.iter()
                .zip(q)
                .map(|(a, b)| a.re * b.re + a.im * b.im)
                .sum()
        };
        let lhs = dot(&c64(&jt[0]), &c64(&c));
        let rhs = dot(&c64(&t), &c64(&g[0]));
        assert!(
            (lhs - rhs).abs() <= 1e-4 * (1.0 + lhs.abs()),
            "case {i}: <Jt, c> = {lhs}, <t, J^T c> = {rhs}"
        );
    }
}

#[test]
fn vmap_matches_loop() {
    let mut rng = Rng(13);
    let x = Array::from_slice(&rng.real(60), &[3, 4, 5]).unwrap();
    let f = |a: &Array| fft::rfft(a, Some(6), 0, FftNorm::Backward, None);
    let out = vmap(
        |a| Ok(vec![f(&a[0])?]),
        std::slice::from_ref(&x),
        &[Some(1)],
        &[Some(0)],
    )
    .unwrap();
    assert_eq!(out[0].shape(), &[4, 4, 5]);
    let got = c64(&out[0]);
    for i in 0..4 {
        let xi = ops::slice_strided(&x, &[0, i, 0], &[1, 1, 1], &[3, 1, 5], None)
            .and_then(|v| ops::reshape(&v, &[3, 5], None))
            .unwrap();
        let want = c64(&f(&xi).unwrap());
        assert_close(
            &got[i as usize * 20..(i as usize + 1) * 20],
            &want,
            1e-6,
            "vmap",
        );
    }
}
