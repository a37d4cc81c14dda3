//! The transformation engine itself (tracers, tapes, custom rules, trees),
//! independent of any op family's rules: functions here only pass arrays
//! through or use rules supplied by the test.

use std::collections::BTreeMap;
use std::sync::Arc;

use rmlx::transforms::{
    checkpoint, custom_vjp, jvp, value_and_grad_tree, vjp, vmap, CustomRules, Tree,
};
use rmlx::{Array, ErrorKind};

fn arr(v: &[f32], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

fn vals(a: &Array) -> Vec<f32> {
    a.to_vec::<f32>().unwrap()
}

#[test]
fn identity_vjp_returns_the_cotangent_and_unused_inputs_get_zeros() {
    let x = arr(&[1.0, 2.0], &[2]);
    let y = arr(&[3.0], &[1]);
    let c = arr(&[5.0, 7.0], &[2]);
    let (outs, grads) = vjp(|a| Ok(vec![a[0].clone()]), &[x, y], &[c]).unwrap();
    assert_eq!(vals(&outs[0]), [1.0, 2.0]);
    assert_eq!(vals(&grads[0]), [5.0, 7.0]);
    assert_eq!(vals(&grads[1]), [0.0]);
}

#[test]
fn cotangent_count_and_shape_are_checked() {
    let x = arr(&[1.0, 2.0], &[2]);
    let e = vjp(|a| Ok(vec![a[0].clone()]), std::slice::from_ref(&x), &[]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    let e = vjp(|a| Ok(vec![a[0].clone()]), &[x], &[arr(&[1.0], &[1])]).unwrap_err();
    assert!(
        e.message.contains("(2)") && e.message.contains("(1)"),
        "{}",
        e.message
    );
}

#[test]
fn errors_inside_the_function_propagate() {
    let x = arr(&[1.0], &[1]);
    let e = vjp(
        |_| Err(rmlx::Error::value("boom")),
        std::slice::from_ref(&x),
        std::slice::from_ref(&x),
    )
    .unwrap_err();
    assert_eq!(e.message, "boom");
}

#[test]
fn identity_jvp_and_vmap() {
    let x = arr(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]);
    let t = arr(&[1.0; 6], &[2, 3]);
    let (_, tans) = jvp(|a| Ok(vec![a[0].clone()]), std::slice::from_ref(&x), &[t]).unwrap();
    assert_eq!(vals(&tans[0]), [1.0; 6]);
    // Mapping the identity over axis 1 and stacking on axis 0 transposes.
    let out = vmap(
        |a| Ok(vec![a[0].clone()]),
        std::slice::from_ref(&x),
        &[Some(1)],
        &[Some(0)],
    )
    .unwrap();
    assert_eq!(out[0].shape(), &[3, 2]);
    assert_eq!(vals(&out[0]), [1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    // An output that does not depend on the mapped input is broadcast.
    let c = arr(&[9.0], &[1]);
    let out = vmap(move |_| Ok(vec![c.clone()]), &[x], &[Some(0)], &[Some(0)]).unwrap();
    assert_eq!(out[0].shape(), &[2, 1]);
}

#[test]
fn vmap_refuses_to_evaluate_placeholders_and_checks_sizes() {
    let x = arr(&[1.0, 2.0], &[2]);
    let e = vmap(
        |a| {
            a[0].eval()?;
            Ok(vec![a[0].clone()])
        },
        std::slice::from_ref(&x),
        &[Some(0)],
        &[Some(0)],
    )
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Value);
    let y = arr(&[1.0, 2.0, 3.0], &[3]);
    let e = vmap(|a| Ok(a.to_vec()), &[x, y], &[Some(0), Some(0)], &[Some(0)]).unwrap_err();
    assert!(e.message.contains("Inconsistent"), "{}", e.message);
}

#[test]
fn custom_rules_are_used() {
    let x = arr(&[1.0, 2.0], &[2]);
    // A deliberately wrong gradient proves the rule, not the function, ran.
    let rules = CustomRules {
        vjp: Some(Arc::new(|p: &[Array], _c: &[Array], _o: &[Array]| {
            Ok(vec![rmlx::ops::full_scalar(
                p[0].shape(),
                rmlx::Scalar::Float(42.0),
                p[0].dtype(),
                None,
            )?])
        })),
        ..Default::default()
    };
    let f = Arc::new(|a: &[Array]| Ok(vec![a[0].clone()]));
    let (outs, grads) = vjp(
        move |a| custom_vjp(f.clone(), rules.clone(), a),
        std::slice::from_ref(&x),
        &[arr(&[1.0, 1.0], &[2])],
    )
    .unwrap();
    assert_eq!(vals(&outs[0]), [1.0, 2.0]);
    assert_eq!(vals(&grads[0]), [42.0, 42.0]);
    // checkpoint: the function's own derivative, recomputed.
    let f = Arc::new(|a: &[Array]| Ok(vec![a[0].clone()]));
    let (_, grads) = vjp(
        move |a| checkpoint(f.clone(), a),
        &[x],
        &[arr(&[3.0, 4.0], &[2])],
    )
    .unwrap();
    assert_eq!(vals(&grads[0]), [3.0, 4.0]);
}

#[test]
fn trees_flatten_and_rebuild() {
    let mut params: BTreeMap<String, Vec<Array>> = BTreeMap::new();
    params.insert("b".into(), vec![arr(&[1.0], &[1]), arr(&[2.0], &[1])]);
    params.insert("a".into(), vec![arr(&[3.0], &[])]);
    let leaves = params.leaves();
    assert_eq!(leaves.len(), 3);
    assert_eq!(vals(&leaves[0]), [3.0]);
    // The loss is the scalar leaf "a"; the others get zero gradients.
    let (loss, grads) = value_and_grad_tree(
        |p: &BTreeMap<String, Vec<Array>>| Ok(p["a"][0].clone()),
        &params,
    )
    .unwrap();
    assert_eq!(vals(&loss), [3.0]);
    assert_eq!(vals(&grads["a"][0]), [1.0]);
    assert_eq!(vals(&grads["b"][1]), [0.0]);
}
