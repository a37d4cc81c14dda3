//! Learning-rate schedules (MLX `optimizers.schedulers`): functions of the
//! step count (a uint64 scalar array) computed with MLX's expressions, so
//! the rates match MLX's float32 values.

use std::sync::Arc;

use rmlx::{ops, Array, Error, Result};

use super::Schedule;
use crate::util::{add_s, mul_s, weak, weak_int};

/// `init * decay_rate^step`.
pub fn exponential_decay(init: f64, decay_rate: f64) -> Schedule {
    Arc::new(move |step: &Array| {
        let p = ops::power(&weak(decay_rate, step), step, None)?;
        mul_s(&p, init)
    })
}

/// `init * decay_rate^floor(step / step_size)`.
pub fn step_decay(init: f64, decay_rate: f64, step_size: i64) -> Result<Schedule> {
    if step_size < 1 {
        return Err(Error::value(format!(
            "step_size must be greater than 0, but got {step_size}."
        )));
    }
    Ok(Arc::new(move |step: &Array| {
        let k = ops::floor_divide(step, &weak_int(step_size, step), None)?;
        mul_s(&ops::power(&weak(decay_rate, &k), &k, None)?, init)
    }))
}

/// Half a cosine from `init` down to `end` over `decay_steps` steps, then
/// constant at `end` (MLX default `end` 0).
pub fn cosine_decay(init: f64, decay_steps: i64, end: f64) -> Result<Schedule> {
    if decay_steps < 1 {
        return Err(Error::value(format!(
            "decay_steps must be greater than 0, but got {decay_steps}."
        )));
    }
    Ok(Arc::new(move |step: &Array| {
        let s = ops::minimum(step, &weak_int(decay_steps, step), None)?;
        let angle = ops::multiply(
            &weak(std::f64::consts::PI / decay_steps as f64, &s),
            &s,
            None,
        )?;
        let decay = mul_s(&add_s(&ops::cos(&angle, None)?, 1.0)?, 0.5)?;
        add_s(&mul_s(&decay, init - end)?, end)
    }))
}

/// Linear from `init` to `end` over `steps` steps, then constant.
pub fn linear_schedule(init: f64, end: f64, steps: i64) -> Result<Schedule> {
    if steps < 1 {
        return Err(Error::value(format!(
            "steps must be greater than 0, but got {steps}."
        )));
    }
    Ok(Arc::new(move |step: &Array| {
        let s = ops::minimum(step, &weak_int(steps, step), None)?;
        let slope = weak((end - init) / steps as f64, &s);
        add_s(&ops::multiply(&s, &slope, None)?, init)
    }))
}

/// Runs `schedules[i + 1]` from step `boundaries[i]` on, each one seeing the
/// step count relative to its start.
pub fn join_schedules(schedules: Vec<Schedule>, boundaries: Vec<i64>) -> Result<Schedule> {
    if schedules.is_empty() {
        return Err(Error::value("Must provide at least 1 schedule to join."));
    }
    if schedules.len() != boundaries.len() + 1 {
        return Err(Error::value(format!(
            "Received {} boundaries but expected {}.",
            boundaries.len(),
            schedules.len() - 1
        )));
    }
    Ok(Arc::new(move |step: &Array| {
        let mut out = schedules[0](step)?;
        for (b, later) in boundaries.iter().zip(&schedules[1..]) {
            let bound = weak_int(*b, step);
            let before = ops::less(step, &bound, None)?;
            let rel = later(&ops::subtract(step, &bound, None)?)?;
            out = ops::r#where(&before, &out, &rel, None)?;
        }
        Ok(out)
    }))
}
