//! Optimizer steps and schedules against numbers from the reference MLX
//! 0.32.4 (`mlx.optimizers`), gradient clipping, and an MLP that learns.
// Expected values are pasted from the reference MLX at full precision.
#![allow(clippy::excessive_precision)]

use rmlx::ops::{self, random};
use rmlx::{Array, Dtype};
use rmlx_nn::layers::{Linear, ReLU, Sequential};
use rmlx_nn::losses::{cross_entropy, Reduction};
use rmlx_nn::optimizers::{
    self as optim, clip_grad_norm, Adagrad, Adam, AdamW, Lion, Optimizer, RMSprop, Schedule, SGD,
};
use rmlx_nn::{value_and_grad, Module, ParamTree};

fn arr(v: &[f32], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

#[track_caller]
fn close(got: &Array, want: &[f32], tol: f32) {
    let g = got.to_vec::<f32>().unwrap();
    assert_eq!(g.len(), want.len());
    for (a, b) in g.iter().zip(want) {
        assert!(
            (a - b).abs() <= tol * (1.0 + b.abs()),
            "got {g:?}, want {want:?}"
        );
    }
}

/// Three steps of `opt` on `{w, b}` with step-dependent gradients, as the
/// script that produced the expected numbers does.
fn run(opt: &mut dyn Optimizer) -> ParamTree {
    let mut params = ParamTree::unflatten(vec![
        ("w", arr(&[1.0, -2.0, 0.5, 3.0], &[2, 2])),
        ("b", arr(&[0.1, -0.2], &[2])),
    ])
    .unwrap();
    for i in 0..3 {
        let k = (i + 1) as f32;
        let grads = ParamTree::unflatten(vec![
            ("w", arr(&[0.3 * k, -0.1 * k, 0.2 * k, 0.4 * k], &[2, 2])),
            ("b", arr(&[-0.5 / k, 0.25 / k], &[2])),
        ])
        .unwrap();
        params = opt.apply_gradients(&grads, &params).unwrap();
        params.eval().unwrap();
    }
    assert_eq!(opt.step(), 3);
    params
}

#[track_caller]
fn check(opt: &mut dyn Optimizer, w: &[f32], b: &[f32]) {
    let p = run(opt);
    close(p.get_array("w").unwrap(), w, 2e-6);
    close(p.get_array("b").unwrap(), b, 2e-6);
}

#[test]
fn sgd_matches_mlx() {
    check(
        &mut SGD::new(0.1).unwrap(),
        &[0.82000005, -1.9400001, 0.38, 2.7600002],
        &[0.19166668, -0.24583335],
    );
    check(
        &mut SGD::with(0.1, 0.9, 0.01, 0.1, false).unwrap(),
        &[0.73832583, -1.9043667, 0.3263914, 2.6426926],
        &[0.27902138, -0.28875393],
    );
    check(
        &mut SGD::with(0.1, 0.9, 0.0, 0.0, true).unwrap(),
        &[0.56323004, -1.8544099, 0.20882003, 2.41764],
        &[0.37136668, -0.33568335],
    );
    assert!(SGD::with(0.1, 0.0, 0.0, 0.0, true).is_err());
}

#[test]
fn adam_and_adamw_match_mlx() {
    check(
        &mut Adam::new(0.01).unwrap(),
        &[0.87993765, -1.8799379, 0.37993771, 2.8799376],
        &[0.21445996, -0.31445986],
    );
    check(
        &mut Adam::with(0.01, (0.9, 0.999), 1e-8, true).unwrap(),
        &[0.97076839, -1.9707682, 0.47076836, 2.9707685],
        &[0.12805319, -0.2280532],
    );
    check(
        &mut AdamW::with(0.01, (0.9, 0.999), 1e-8, 0.1, false).unwrap(),
        &[0.87704492, -1.8740482, 0.37854347, 2.8710508],
        &[0.21405742, -0.31375763],
    );
    let sched = optim::cosine_decay(0.01, 10, 0.0).unwrap();
    check(
        &mut AdamW::with(sched, (0.9, 0.999), 1e-8, 0.01, true).unwrap(),
        &[0.97163415, -1.9713459, 0.47177806, 2.9710579],
        &[0.12695977, -0.22693098],
    );
    assert!(Adam::with(0.1, (1.0, 0.9), 1e-8, false).is_err());
}

#[test]
fn rmsprop_adagrad_lion_match_mlx() {
    check(
        &mut RMSprop::new(0.01, 0.99, 1e-8).unwrap(),
        &[0.73011726, -1.7301174, 0.23011732, 2.7301173],
        &[0.27371076, -0.37371072],
    );
    check(
        &mut Adagrad::new(0.1, 1e-8).unwrap(),
        &[0.73037887, -1.7303789, 0.23037891, 2.7303791],
        &[0.27329281, -0.3732928],
    );
    check(
        &mut Lion::new(0.01, (0.9, 0.99), 0.1).unwrap(),
        &[0.96703309, -1.9640361, 0.46853152, 2.9610391],
        &[0.12967031, -0.22937064],
    );
    assert!(RMSprop::new(0.01, 0.99, 0.0).is_err());
}

#[test]
fn schedules_match_mlx() {
    let cases: Vec<(Schedule, [f32; 12])> = vec![
        (
            optim::exponential_decay(0.1, 0.9),
            [
                0.1,
                0.089999996,
                0.080999993,
                0.07289999,
                0.065609992,
                0.059048992,
                0.053144094,
                0.047829684,
                0.043046713,
                0.038742039,
                0.034867834,
                0.031381052,
            ],
        ),
        (
            optim::step_decay(0.1, 0.5, 3).unwrap(),
            [
                0.1, 0.1, 0.1, 0.05, 0.05, 0.05, 0.025, 0.025, 0.025, 0.0125, 0.0125, 0.0125,
            ],
        ),
        (
            optim::cosine_decay(0.1, 8, 0.01).unwrap(),
            [
                0.1,
                0.096574582,
                0.086819805,
                0.072220758,
                0.055,
                0.037779242,
                0.023180196,
                0.013425417,
                0.01,
                0.01,
                0.01,
                0.01,
            ],
        ),
        (
            optim::linear_schedule(0.0, 0.1, 5).unwrap(),
            [
                0.0,
                0.02,
                0.04,
                0.06,
                0.08,
                0.099999994,
                0.099999994,
                0.099999994,
                0.099999994,
                0.099999994,
                0.099999994,
                0.099999994,
            ],
        ),
        (
            optim::join_schedules(
                vec![
                    optim::linear_schedule(0.0, 0.1, 4).unwrap(),
                    optim::cosine_decay(0.1, 5, 0.0).unwrap(),
                ],
                vec![4],
            )
            .unwrap(),
            [
                0.0,
                0.025,
                0.05,
                0.075,
                0.1,
                0.090450846,
                0.065450847,
                0.034549147,
                0.0095491502,
                0.0,
                0.0,
                0.0,
            ],
        ),
    ];
    for (s, want) in cases {
        let got: Vec<f32> = (0..12u64)
            .map(|i| s(&Array::scalar(i)).unwrap().item::<f32>().unwrap())
            .collect();
        for (g, w) in got.iter().zip(want) {
            assert!((g - w).abs() <= 1e-6, "got {got:?}, want {want:?}");
        }
    }
    assert!(optim::step_decay(0.1, 0.5, 0).is_err());
    assert!(optim::join_schedules(vec![optim::exponential_decay(0.1, 0.9)], vec![3]).is_err());

    // The optimizer sees the schedule at the step count before each update.
    let mut opt = SGD::new(optim::linear_schedule(0.0, 0.1, 5).unwrap()).unwrap();
    assert_eq!(opt.learning_rate().item::<f32>().unwrap(), 0.0);
    let p = ParamTree::unflatten(vec![("w", arr(&[1.0], &[1]))]).unwrap();
    let mut lrs = Vec::new();
    for _ in 0..3 {
        opt.apply_gradients(&p, &p).unwrap();
        lrs.push(opt.learning_rate().item::<f32>().unwrap());
    }
    assert_eq!(lrs, [0.0, 0.02, 0.04]);
    let st = opt.state();
    assert_eq!(st.get_array("step").unwrap().item::<u64>().unwrap(), 3);
    assert!(st.get_array("w.v").is_some());
}

#[test]
fn clip_grad_norm_matches_mlx() {
    let mut g = ParamTree::unflatten(vec![("a", arr(&[3.0, 4.0], &[2]))]).unwrap();
    g.insert("b.0", ParamTree::Array(arr(&[12.0], &[1, 1])))
        .unwrap();
    let (c, n) = clip_grad_norm(&g, 6.5).unwrap();
    close(&n, &[13.0], 1e-6);
    close(c.get_array("a").unwrap(), &[1.4999999, 1.9999999], 1e-6);
    close(c.get_array("b.0").unwrap(), &[5.9999995], 1e-6);
    let (same, _) = clip_grad_norm(&g, 100.0).unwrap();
    close(same.get_array("a").unwrap(), &[3.0, 4.0], 1e-6);
}

#[test]
fn mlp_learns_a_separable_problem() {
    random::seed(7).unwrap();
    let n = 256;
    let x = random::uniform(
        &Array::scalar(-1.0f32),
        &Array::scalar(1.0f32),
        &[n, 2],
        Dtype::Float32,
        None,
        None,
    )
    .unwrap();
    // Label: which side of the line x0 + 0.5 x1 = 0.1.
    let side = ops::add(
        &ops::take_index(&x, 0, Some(1), None).unwrap(),
        &ops::multiply(
            &ops::take_index(&x, 1, Some(1), None).unwrap(),
            &Array::scalar(0.5f32),
            None,
        )
        .unwrap(),
        None,
    )
    .unwrap();
    let y = ops::astype(
        &ops::greater(&side, &Array::scalar(0.1f32), None).unwrap(),
        Dtype::Int32,
        None,
    )
    .unwrap();

    let mut model = Sequential::new(vec![])
        .append(Linear::new(2, 16, true).unwrap())
        .append(ReLU::new())
        .append(Linear::new(16, 2, true).unwrap());
    let mut opt = AdamW::new(5e-2).unwrap();
    let mut losses = Vec::new();
    for _ in 0..60 {
        let (loss, grads) = value_and_grad(&mut model, |m| {
            cross_entropy(&m.forward(&x)?, &y, None, -1, 0.0, Reduction::Mean)
        })
        .unwrap();
        opt.update(&mut model, &grads).unwrap();
        let mut live = model.parameters().leaves();
        live.extend(opt.state_arrays());
        live.push(loss.clone());
        rmlx::eval(&live).unwrap();
        losses.push(loss.item::<f32>().unwrap());
    }
    let (first, last) = (losses[0], *losses.last().unwrap());
    assert!(first > 0.5, "initial loss {first}");
    assert!(last < 0.15, "final loss {last} (from {first}): {losses:?}");
    let pred = ops::argmax(&model.forward(&x).unwrap(), Some(-1), false, None).unwrap();
    let acc = ops::mean(
        &ops::equal(&ops::astype(&pred, Dtype::Int32, None).unwrap(), &y, None).unwrap(),
        None,
        false,
        None,
    )
    .unwrap()
    .item::<f32>()
    .unwrap();
    assert!(acc > 0.95, "accuracy {acc}");
}
