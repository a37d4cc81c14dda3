//! Layers against composed / hand-computed results, activations and losses
//! against numbers from the reference MLX 0.32.4 (`mlx.nn`).
// Expected values are pasted from the reference MLX at full precision.
#![allow(clippy::excessive_precision, clippy::approx_constant)]

use rmlx::ops::{self, fast::SdpaMask};
use rmlx::{Array, Dtype};
use rmlx_nn::layers::{self, activations as act};
use rmlx_nn::losses::{self, Reduction};
use rmlx_nn::Module;
use rmlx_nn::{init, ParamTree};

fn arr(v: &[f32], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

fn vals(a: &Array) -> Vec<f32> {
    ops::astype(a, Dtype::Float32, None)
        .unwrap()
        .to_vec::<f32>()
        .unwrap()
}

#[track_caller]
fn close(got: &Array, want: &[f32], tol: f32) {
    let g = vals(got);
    assert_eq!(g.len(), want.len(), "length: got {g:?}, want {want:?}");
    for (a, b) in g.iter().zip(want) {
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "got {g:?}, want {want:?}"
        );
    }
}

#[test]
fn linear_is_affine_and_initialised_as_mlx() {
    let lin = layers::Linear::from_arrays(
        arr(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]),
        Some(arr(&[0.5, -1.0], &[2])),
    );
    let x = arr(&[1.0, 0.0, -1.0, 2.0, 1.0, 0.5], &[2, 3]);
    // x @ W^T + b
    close(&lin.forward(&x).unwrap(), &[-1.5, -3.0, 6.0, 15.0], 1e-6);
    let nobias = layers::Linear::from_arrays(lin.weight.clone(), None);
    close(&nobias.forward(&x).unwrap(), &[-2.0, -2.0, 5.5, 16.0], 1e-6);
    // Batched leading axes.
    let x3 = ops::reshape(&x, &[2, 1, 3], None).unwrap();
    assert_eq!(lin.forward(&x3).unwrap().shape(), &[2, 1, 2]);

    let l = layers::Linear::new(16, 8, true).unwrap();
    assert_eq!(l.weight.shape(), &[8, 16]);
    let k = 0.25f32;
    for v in vals(&l.weight)
        .into_iter()
        .chain(vals(l.bias.as_ref().unwrap()))
    {
        assert!(v.abs() <= k);
    }
}

#[test]
fn norms_match_their_compositions() {
    let x = arr(&[1.0, 2.0, 4.0, -1.0, 0.5, 3.0, 3.0, 0.0], &[2, 4]);
    let mut ln = layers::LayerNorm::simple(4).unwrap();
    ln.weight = Some(arr(&[1.0, 2.0, 0.5, -1.0], &[4]));
    ln.bias = Some(arr(&[0.0, 0.1, 0.2, 0.3], &[4]));
    let mean = ops::mean(&x, Some(&[-1]), true, None).unwrap();
    let var = ops::var(&x, Some(&[-1]), true, 0, None).unwrap();
    let xhat = ops::divide(
        &ops::subtract(&x, &mean, None).unwrap(),
        &ops::sqrt(
            &ops::add(&var, &Array::scalar(1e-5f32), None).unwrap(),
            None,
        )
        .unwrap(),
        None,
    )
    .unwrap();
    let want = ops::add(
        &ops::multiply(&xhat, ln.weight.as_ref().unwrap(), None).unwrap(),
        ln.bias.as_ref().unwrap(),
        None,
    )
    .unwrap();
    close(&ln.forward(&x).unwrap(), &vals(&want), 1e-5);
    assert_eq!(ln.parameters().num_leaves(), 2);
    assert_eq!(
        layers::LayerNorm::new(4, 1e-5, false, true)
            .unwrap()
            .parameters()
            .num_leaves(),
        0
    );
    assert!(layers::LayerNorm::new(4, 0.0, true, true).is_err());

    let mut rms = layers::RMSNorm::new(4, 1e-5).unwrap();
    rms.weight = arr(&[1.0, 2.0, 0.5, -1.0], &[4]);
    let ms = ops::mean(&ops::square(&x, None).unwrap(), Some(&[-1]), true, None).unwrap();
    let r = ops::rsqrt(&ops::add(&ms, &Array::scalar(1e-5f32), None).unwrap(), None).unwrap();
    let want = ops::multiply(&ops::multiply(&x, &r, None).unwrap(), &rms.weight, None).unwrap();
    close(&rms.forward(&x).unwrap(), &vals(&want), 1e-5);
}

#[test]
fn embedding_conv_and_sequential() {
    let mut emb = layers::Embedding::new(5, 3).unwrap();
    emb.weight = ops::reshape(
        &ops::arange(0.0, 15.0, 1.0, Dtype::Float32, None).unwrap(),
        &[5, 3],
        None,
    )
    .unwrap();
    let ids = Array::from_slice(&[4i32, 0, 2], &[3]).unwrap();
    close(
        &emb.forward(&ids).unwrap(),
        &[12., 13., 14., 0., 1., 2., 6., 7., 8.],
        0.0,
    );
    close(
        &emb.as_linear(&arr(&[1.0, 0.0, 0.0], &[1, 3])).unwrap(),
        &[0., 3., 6., 9., 12.],
        0.0,
    );

    // Conv1d: kernel [1, -1] over one channel is a backward difference; plus bias.
    let mut c = layers::Conv1d::simple(1, 1, 2).unwrap();
    c.weight = arr(&[1.0, -1.0], &[1, 2, 1]);
    c.bias = Some(arr(&[0.5], &[1]));
    let x = arr(&[1.0, 4.0, 9.0, 16.0], &[1, 4, 1]);
    close(&c.forward(&x).unwrap(), &[-2.5, -4.5, -6.5], 0.0);
    let c2 = layers::Conv2d::new(4, 6, [3, 3], [1, 1], [1, 1], [1, 1], 2, true).unwrap();
    assert_eq!(c2.weight.shape(), &[6, 3, 3, 2]);
    let y = c2
        .forward(&ops::ones(&[2, 5, 5, 4], Dtype::Float32, None).unwrap())
        .unwrap();
    assert_eq!(y.shape(), &[2, 5, 5, 6]);
    assert!(layers::Conv1d::new(3, 4, 3, 1, 0, 1, 2, true).is_err());

    let seq = layers::Sequential::new(vec![])
        .append(layers::Linear::from_arrays(
            arr(&[1.0, -1.0], &[2, 1]),
            None,
        ))
        .append(layers::ReLU::new());
    close(
        &seq.forward(&arr(&[2.0], &[1, 1])).unwrap(),
        &[2.0, 0.0],
        0.0,
    );
}

#[test]
fn attention_matches_composition() {
    let att = layers::MultiHeadAttention::new(4, 2, true).unwrap();
    let x = init::uniform_array(-1.0, 1.0, &[2, 3, 4], Dtype::Float32).unwrap();
    let mask = layers::MultiHeadAttention::create_additive_causal_mask(3, Dtype::Float32).unwrap();
    let m = vals(&mask);
    assert_eq!(m[0], 0.0);
    assert_eq!(m[1], f32::MIN);
    assert_eq!(m[3], 0.0);
    let got = att
        .attend(&x, &x, &x, &SdpaMask::Array(mask.clone()))
        .unwrap();

    let split = |a: &Array| {
        let a = ops::reshape(a, &[2, 3, 2, 2], None).unwrap();
        ops::transpose(&a, Some(&[0, 2, 1, 3]), None).unwrap()
    };
    let q = split(&att.query_proj.forward(&x).unwrap());
    let k = split(&att.key_proj.forward(&x).unwrap());
    let v = split(&att.value_proj.forward(&x).unwrap());
    let s = ops::matmul(&q, &ops::swapaxes(&k, -1, -2, None).unwrap(), None).unwrap();
    let s = ops::add(
        &ops::multiply(&s, &Array::scalar(0.5f32.sqrt()), None).unwrap(),
        &mask,
        None,
    )
    .unwrap();
    let p = ops::softmax(&s, Some(&[-1]), false, None).unwrap();
    let o = ops::matmul(&p, &v, None).unwrap();
    let o = ops::reshape(
        &ops::transpose(&o, Some(&[0, 2, 1, 3]), None).unwrap(),
        &[2, 3, 4],
        None,
    )
    .unwrap();
    close(&got, &vals(&att.out_proj.forward(&o).unwrap()), 1e-5);
    assert_eq!(att.parameters().num_leaves(), 8);
    assert!(layers::MultiHeadAttention::new(5, 2, false).is_err());
}

#[test]
fn rope_matches_mlx() {
    let x = ops::divide(
        &ops::reshape(
            &ops::arange(0.0, 24.0, 1.0, Dtype::Float32, None).unwrap(),
            &[1, 2, 3, 4],
            None,
        )
        .unwrap(),
        &Array::scalar(10.0f32),
        None,
    )
    .unwrap();
    let r = layers::RoPE::new(4, false, 10000.0, 1.0);
    close(
        &r.forward_offset(&x, 1).unwrap(),
        &[
            -0.16829419,
            0.096995048,
            0.10806046,
            0.30098501,
            -0.71203721,
            0.48590094,
            0.11403085,
            0.70985937,
            -0.93311405,
            0.86659998,
            -0.87709647,
            1.1265010,
            -0.52969658,
            1.2849352,
            1.7661884,
            1.5129248,
            -2.3025703,
            1.6616626,
            0.70581156,
            1.9336178,
            -2.2904491,
            2.0300653,
            -1.8957435,
            2.3619556,
        ],
        1e-5,
    );
    let t = layers::RoPE::new(4, true, 100.0, 1.0);
    close(
        &t.forward(&x).unwrap(),
        &[
            0.0,
            0.1,
            0.2,
            0.3,
            -0.20461457,
            0.60673952,
            0.52711910,
            0.75640297,
            -1.1512852,
            0.35290578,
            0.76153028,
            1.2767426,
            1.2,
            1.3,
            1.4,
            1.5,
            -0.56601697,
            2.2648673,
            1.6013240,
            2.0702081,
            -2.7418180,
            0.94468653,
            1.6992071,
            2.6912255,
        ],
        1e-5,
    );
}

#[test]
fn activations_match_mlx() {
    let x = arr(&[-2.0, -0.5, 0.0, 0.5, 2.0], &[5]);
    type F = fn(&Array) -> rmlx::Result<Array>;
    let cases: [(&str, F, [f32; 5]); 13] = [
        (
            "gelu",
            act::gelu,
            [-0.045500159, -0.15426880, 0.0, 0.34573120, 1.9544998],
        ),
        (
            "gelu_approx",
            act::gelu_approx,
            [-0.045402288, -0.15428600, 0.0, 0.34571400, 1.9545977],
        ),
        (
            "gelu_fast",
            act::gelu_fast_approx,
            [-0.064341374, -0.14961156, 0.0, 0.35038844, 1.9356586],
        ),
        (
            "silu",
            act::silu,
            [-0.23840587, -0.18877034, 0.0, 0.31122965, 1.7615942],
        ),
        (
            "mish",
            act::mish,
            [-0.25250146, -0.22074376, 0.0, 0.37524524, 1.9439590],
        ),
        (
            "selu",
            act::selu,
            [-1.5201621, -0.69175619, 0.0, 0.52534997, 2.1013999],
        ),
        (
            "softplus",
            act::softplus,
            [0.12692800, 0.47407699, 0.69314718, 0.97407699, 2.1269281],
        ),
        (
            "log_sigmoid",
            act::log_sigmoid,
            [
                -2.1269281,
                -0.97407699,
                -0.69314718,
                -0.47407699,
                -0.12692800,
            ],
        ),
        (
            "hardswish",
            act::hardswish,
            [-0.33333334, -0.20833333, 0.0, 0.29166666, 1.6666666],
        ),
        ("relu6", act::relu6, [0.0, 0.0, 0.0, 0.5, 2.0]),
        (
            "softsign",
            act::softsign,
            [-0.66666669, -0.33333334, 0.0, 0.33333334, 0.66666669],
        ),
        ("relu", act::relu, [0.0, 0.0, 0.0, 0.5, 2.0]),
        (
            "sigmoid",
            act::sigmoid,
            [0.11920292, 0.37754067, 0.5, 0.62245933, 0.88079708],
        ),
    ];
    for (name, f, want) in cases {
        let got = f(&x).unwrap();
        assert_eq!(got.dtype(), Dtype::Float32, "{name}");
        close(&got, &want, 2e-6);
    }
    close(
        &act::elu(&x, 1.0).unwrap(),
        &[-0.86466473, -0.39346933, 0.0, 0.5, 2.0],
        2e-6,
    );
    close(
        &act::celu(&x, 1.0).unwrap(),
        &[-0.86466473, -0.39346933, 0.0, 0.5, 2.0],
        2e-6,
    );
    close(
        &act::leaky_relu(&x, 0.1).unwrap(),
        &[-0.2, -0.05, 0.0, 0.5, 2.0],
        2e-6,
    );
    close(
        &act::log_softmax(&x, -1).unwrap(),
        &[-4.3776593, -2.8776596, -2.3776596, -1.8776596, -0.37765950],
        2e-6,
    );
    let gelu_mod = layers::GELU::new(layers::GeluApprox::from_name("tanh").unwrap());
    close(
        &gelu_mod.forward(&x).unwrap(),
        &[-0.045402288, -0.15428600, 0.0, 0.34571400, 1.9545977],
        2e-6,
    );
    let prelu = layers::PReLU::new(1, 0.25).unwrap();
    close(
        &prelu.forward(&x).unwrap(),
        &[-0.5, -0.125, 0.0, 0.5, 2.0],
        0.0,
    );
    assert_eq!(prelu.parameters().num_leaves(), 1);
    assert_eq!(act::step(&x, 0.0).unwrap().dtype(), Dtype::Int32);
}

#[test]
fn losses_match_mlx() {
    let logits = arr(&[1.0, 2.0, 0.5, 0.1, -1.0, 3.0], &[2, 3]);
    let t = Array::from_slice(&[1i32, 2], &[2]).unwrap();
    let probs = arr(&[0.2, 0.5, 0.3, 0.0, 0.1, 0.9], &[2, 3]);
    let n = Reduction::None;
    close(
        &losses::cross_entropy(&logits, &t, None, -1, 0.0, n).unwrap(),
        &[0.46436879, 0.070774227],
        1e-5,
    );
    close(
        &losses::cross_entropy(&logits, &probs, None, -1, 0.0, n).unwrap(),
        &[1.1143688, 0.47077423],
        1e-5,
    );
    close(
        &losses::cross_entropy(&logits, &t, None, -1, 0.1, n).unwrap(),
        &[0.54770213, 0.30077425],
        1e-5,
    );
    let w = arr(&[0.5, 2.0], &[2]);
    close(
        &losses::cross_entropy(&logits, &t, Some(&w), -1, 0.0, Reduction::Mean).unwrap(),
        &[0.18686643],
        1e-5,
    );
    assert!(losses::cross_entropy(
        &logits,
        &Array::from_slice(&[1i32], &[1]).unwrap(),
        None,
        -1,
        0.0,
        n
    )
    .is_err());

    let a = arr(&[0.3, -1.2, 2.0, 0.7], &[4]);
    let b = arr(&[1.0, 0.0, 1.0, 0.0], &[4]);
    let c = arr(&[0.5, -1.0, 1.5, 2.5], &[4]);
    close(
        &losses::binary_cross_entropy(&a, &b, None, true, Reduction::Mean).unwrap(),
        &[0.51193798],
        1e-5,
    );
    let pr = arr(&[0.9, 0.2, 0.6, 0.01], &[4]);
    close(
        &losses::binary_cross_entropy(&pr, &b, None, false, n).unwrap(),
        &[0.10536055, 0.22314353, 0.51082557, 0.010050327],
        1e-5,
    );
    close(
        &losses::mse_loss(&a, &c, Reduction::Mean).unwrap(),
        &[0.89249992],
        1e-5,
    );
    close(
        &losses::l1_loss(&a, &c, Reduction::Sum).unwrap(),
        &[2.7],
        1e-5,
    );
    close(
        &losses::smooth_l1_loss(&a, &c, 1.0, n).unwrap(),
        &[0.02, 0.02, 0.125, 1.3],
        1e-5,
    );
    close(
        &losses::huber_loss(&a, &c, 0.5, n).unwrap(),
        &[0.02, 0.02, 0.125, 0.775],
        1e-5,
    );
    close(
        &losses::log_cosh_loss(&a, &c, n).unwrap(),
        &[0.019868076, 0.019868076, 0.12011451, 1.1338099],
        1e-5,
    );
    let pm = arr(&[1.0, -1.0, 1.0, -1.0], &[4]);
    close(
        &losses::hinge_loss(&a, &pm, n).unwrap(),
        &[0.7, 0.0, 0.0, 1.7],
        1e-5,
    );
    close(
        &losses::margin_ranking_loss(&a, &c, &pm, 0.2, n).unwrap(),
        &[0.4, 0.0, 0.0, 0.0],
        1e-5,
    );
    let v = arr(&[0.5, 1.0, 2.0, 0.1], &[4]);
    close(
        &losses::gaussian_nll_loss(&a, &c, &v, true, 1e-6, n).unwrap(),
        &[0.61236489, 0.93893850, 1.3280121, 15.967645],
        1e-5,
    );
    let lp = act::log_softmax(&logits, -1).unwrap();
    close(
        &losses::nll_loss(&lp, &t, -1, n).unwrap(),
        &[0.46436879, 0.070774227],
        1e-5,
    );
    let lq = act::log_softmax(
        &ops::multiply(&probs, &Array::scalar(3.0f32), None).unwrap(),
        -1,
    )
    .unwrap();
    close(
        &losses::kl_div_loss(&lp, &lq, -1, n).unwrap(),
        &[0.067176461, 0.061106518],
        1e-5,
    );

    let an = arr(&[1.0, 2.0, 0.0, 1.0], &[2, 2]);
    let po = arr(&[1.5, 2.0, 0.5, 0.5], &[2, 2]);
    let ne = arr(&[0.0, 0.0, 3.0, 1.0], &[2, 2]);
    close(
        &losses::triplet_loss(&an, &ne, &po, -1, 2, 2.0, 1e-6, n).unwrap(),
        &[3.7360673, 4.2928925],
        1e-5,
    );
    close(
        &losses::cosine_similarity_loss(&an, &po, 1, 1e-8, n).unwrap(),
        &[0.98386991, 0.70710677],
        1e-5,
    );
    assert_eq!(Reduction::from_name("sum").unwrap(), Reduction::Sum);
    assert!(Reduction::from_name("avg").is_err());
}

#[test]
fn initialisers() {
    let a = ops::zeros(&[64, 32], Dtype::Float32, None).unwrap();
    let c = init::constant(0.5, Dtype::Float32)(&a).unwrap();
    assert!(vals(&c).iter().all(|v| *v == 0.5));
    let lim = (6.0f32 / 96.0).sqrt();
    let g = init::glorot_uniform(Dtype::Float32, 1.0)(&a).unwrap();
    assert_eq!(g.shape(), &[64, 32]);
    assert!(vals(&g).iter().all(|v| v.abs() <= lim));
    let h = vals(&init::he_normal(Dtype::Float32, init::FanMode::FanIn, 1.0)(&a).unwrap());
    let var = h.iter().map(|v| v * v).sum::<f32>() / h.len() as f32;
    assert!((var - 1.0 / 32.0).abs() < 0.2 / 32.0, "variance {var}");
    let eye = init::identity(Dtype::Float32)(&ops::zeros(&[3, 3], Dtype::Float32, None).unwrap())
        .unwrap();
    close(&eye, &[1., 0., 0., 0., 1., 0., 0., 0., 1.], 0.0);
    assert!(init::identity(Dtype::Float32)(&a).is_err());
    let s = vals(&init::sparse(0.25, 0.0, 1.0, Dtype::Float32)(&a).unwrap());
    for row in s.chunks(32) {
        assert_eq!(row.iter().filter(|v| **v == 0.0).count(), 8);
    }
    let q =
        init::orthogonal(1.0, Dtype::Float32)(&ops::zeros(&[4, 4], Dtype::Float32, None).unwrap())
            .unwrap();
    let qtq = ops::matmul(&ops::matrix_transpose(&q, None).unwrap(), &q, None).unwrap();
    close(
        &qtq,
        &vals(&ops::eye(4, None, 0, Dtype::Float32, None).unwrap()),
        1e-5,
    );
    let _ = ParamTree::new();
}

#[test]
fn quantized_linear_matches_mlx() {
    // w = (arange(512) % 13 - 6) / 10, bias = arange(8) / 8, x = (arange(128) % 7 - 3) / 5.
    let w: Vec<f32> = (0..512).map(|i| ((i % 13) as f32 - 6.0) / 10.0).collect();
    let b: Vec<f32> = (0..8).map(|i| i as f32 / 8.0).collect();
    let x: Vec<f32> = (0..128).map(|i| ((i % 7) as f32 - 3.0) / 5.0).collect();
    let lin = layers::Linear::from_arrays(arr(&w, &[8, 64]), Some(arr(&b, &[8])));
    let mut q = layers::QuantizedLinear::from_linear(&lin, Some(32), Some(4), "affine").unwrap();
    close(
        &q.forward(&arr(&x, &[2, 64])).unwrap(),
        &[
            -0.41999984,
            0.55999982,
            0.91000003,
            0.82500005,
            0.24500009,
            -0.86000013,
            -0.61500025,
            0.91999996,
            0.58500016,
            0.95000005,
            0.80500007,
            0.20999992,
            -0.88000011,
            -0.69500017,
            0.82499999,
            1.7450000,
        ],
        1e-5,
    );
    let keys: Vec<String> = q
        .trainable_parameters()
        .flatten()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["bias"]);
    q.unfreeze();
    assert!(
        q.trainable_parameters().is_empty(),
        "MLX keeps quantized layers frozen"
    );
    let fresh = layers::QuantizedLinear::new(64, 8, true, None, None, "affine").unwrap();
    assert!(fresh.trainable_parameters().is_empty());
    assert_eq!(fresh.parameters().num_leaves(), 4);
}
