//! Trains a two-layer MLP on a synthetic two-class problem (points inside
//! or outside a circle) with AdamW, printing the loss as it goes down.
//!
//! Run with `cargo run --release -p rmlx-nn --example mlp`.

use rmlx::ops::{self, random};
use rmlx::{Array, Dtype, Result};
use rmlx_nn::layers::{Linear, ReLU, Sequential};
use rmlx_nn::losses::{cross_entropy, Reduction};
use rmlx_nn::optimizers::{AdamW, Optimizer};
use rmlx_nn::{value_and_grad, Module};

/// `n` points uniform in `[-1, 1]^2`, labelled 1 inside the circle of
/// radius `sqrt(2 / pi)` (half the square's area) and 0 outside.
fn dataset(n: i64) -> Result<(Array, Array)> {
    let lo = Array::scalar(-1.0f32);
    let hi = Array::scalar(1.0f32);
    let x = random::uniform(&lo, &hi, &[n, 2], Dtype::Float32, None, None)?;
    let r2 = ops::sum(&ops::square(&x, None)?, Some(&[-1]), false, None)?;
    let inside = ops::less(
        &r2,
        &Array::scalar((2.0 / std::f64::consts::PI) as f32),
        None,
    )?;
    Ok((x, ops::astype(&inside, Dtype::Int32, None)?))
}

fn accuracy(model: &Sequential, x: &Array, y: &Array) -> Result<f32> {
    let pred = ops::argmax(&model.forward(x)?, Some(-1), false, None)?;
    let hit = ops::equal(&ops::astype(&pred, Dtype::Int32, None)?, y, None)?;
    ops::mean(&hit, None, false, None)?.item::<f32>()
}

fn main() -> Result<()> {
    random::seed(0)?;
    let (x, y) = dataset(1024)?;
    let (x_test, y_test) = dataset(256)?;

    let mut model = Sequential::new(vec![])
        .append(Linear::new(2, 64, true)?)
        .append(ReLU::new())
        .append(Linear::new(64, 2, true)?);
    let mut opt = AdamW::new(3e-2)?;

    for step in 0..=300 {
        let (loss, grads) = value_and_grad(&mut model, |m| {
            cross_entropy(&m.forward(&x)?, &y, None, -1, 0.0, Reduction::Mean)
        })?;
        opt.update(&mut model, &grads)?;
        let mut live = model.parameters().leaves();
        live.extend(opt.state_arrays());
        live.push(loss.clone());
        rmlx::eval(&live)?;
        if step % 30 == 0 {
            println!("step {step:3}  loss {:.4}", loss.item::<f32>()?);
        }
    }
    println!(
        "train accuracy {:.3}, test accuracy {:.3}",
        accuracy(&model, &x, &y)?,
        accuracy(&model, &x_test, &y_test)?
    );
    Ok(())
}
