//! Parameter trees, the Module trait (parameters, update, freeze, training
//! mode) and value_and_grad over modules.

use rmlx::{ops, Array, Dtype};
use rmlx_nn::layers::{Dropout, Linear, MultiHeadAttention, ReLU, Sequential};
use rmlx_nn::{value_and_grad, Module, ParamTree};

fn arr(v: &[f32], shape: &[i64]) -> Array {
    Array::from_slice(v, shape).unwrap()
}

fn vals(a: &Array) -> Vec<f32> {
    a.to_vec::<f32>().unwrap()
}

fn mlp() -> Sequential {
    Sequential::new(vec![])
        .append(Linear::new(3, 4, true).unwrap())
        .append(ReLU::new())
        .append(Linear::new(4, 2, false).unwrap())
}

#[test]
fn tree_flatten_unflatten_roundtrip() {
    let pairs = vec![
        ("layers.0.weight".to_string(), arr(&[1.0], &[1])),
        ("layers.2.bias".to_string(), arr(&[2.0], &[1])),
        ("head".to_string(), arr(&[3.0], &[1])),
    ];
    let t = ParamTree::unflatten(pairs).unwrap();
    let ParamTree::Map(m) = &t else { panic!("map") };
    let ParamTree::List(l) = &m["layers"] else {
        panic!("list")
    };
    assert_eq!(l.len(), 3);
    assert!(l[1].is_empty());
    let keys: Vec<String> = t.flatten().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["head", "layers.0.weight", "layers.2.bias"]);
    assert_eq!(vals(t.get_array("layers.2.bias").unwrap()), [2.0]);
    assert!(t.get_array("layers.1.bias").is_none());
    assert_eq!(t.num_leaves(), 3);
    // A tree of lists at the top.
    let l =
        ParamTree::unflatten(vec![("0.a", arr(&[1.0], &[1])), ("1", arr(&[2.0], &[1]))]).unwrap();
    assert!(matches!(l, ParamTree::List(ref v) if v.len() == 2));
    // Mapping keeps the structure.
    let doubled = t
        .map(|_, a| ops::multiply(a, &Array::scalar(2.0f32), None))
        .unwrap();
    assert_eq!(vals(doubled.get_array("head").unwrap()), [6.0]);
    // Inserting below a leaf fails.
    let mut t2 = t.clone();
    assert!(t2
        .insert("head.x", ParamTree::Array(arr(&[0.0], &[1])))
        .is_err());
}

#[test]
fn sequential_parameters_update_and_strictness() {
    let mut m = mlp();
    let keys: Vec<String> = m
        .parameters()
        .flatten()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        ["layers.0.bias", "layers.0.weight", "layers.2.weight"]
    );
    let ParamTree::Map(top) = m.parameters() else {
        panic!()
    };
    let ParamTree::List(layers) = &top["layers"] else {
        panic!()
    };
    assert_eq!(layers.len(), 3, "the ReLU keeps its (empty) slot as in MLX");

    let w = ops::ones(&[2, 4], Dtype::Float32, None).unwrap();
    let new = ParamTree::unflatten(vec![("layers.2.weight", w)]).unwrap();
    m.update(&new).unwrap();
    assert_eq!(
        vals(m.parameters().get_array("layers.2.weight").unwrap()),
        vec![1.0; 8]
    );

    let bad = ParamTree::unflatten(vec![("layers.2.bias", arr(&[0.0, 0.0], &[2]))]).unwrap();
    let err = m.update(&bad).unwrap_err();
    assert!(err.to_string().contains("layers.2.bias"), "{err}");

    // load_weights checks names and shapes under strict.
    let mut lin = Linear::new(2, 2, true).unwrap();
    let w = vec![("weight".to_string(), arr(&[1.0, 2.0, 3.0, 4.0], &[2, 2]))];
    assert!(lin.load_weights(w.clone(), true).is_err(), "bias missing");
    lin.load_weights(w, false).unwrap();
    assert_eq!(vals(&lin.weight), [1.0, 2.0, 3.0, 4.0]);
    let wrong = vec![
        ("weight".to_string(), arr(&[1.0, 2.0], &[1, 2])),
        ("bias".to_string(), arr(&[1.0, 2.0], &[2])),
    ];
    assert!(lin.load_weights(wrong, true).is_err());
}

#[test]
fn freeze_and_unfreeze() {
    let mut m = mlp();
    m.freeze();
    assert!(m.trainable_parameters().is_empty());
    assert_eq!(m.parameters().num_leaves(), 3);
    m.unfreeze();
    assert_eq!(m.trainable_parameters().num_leaves(), 3);

    m.freeze_with(true, Some(&["bias"]));
    let keys: Vec<String> = m
        .trainable_parameters()
        .flatten()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(keys, ["layers.0.weight", "layers.2.weight"]);
    m.unfreeze_with(true, Some(&["bias"]));
    assert_eq!(m.trainable_parameters().num_leaves(), 3);

    // Freezing a sub-module by name from its parent.
    let mut att = MultiHeadAttention::new(4, 2, false).unwrap();
    att.freeze_with(false, Some(&["query_proj"]));
    let keys: Vec<String> = att
        .trainable_parameters()
        .flatten()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        keys,
        ["key_proj.weight", "out_proj.weight", "value_proj.weight"]
    );
}

#[test]
fn training_mode_and_dropout() {
    let mut m = Sequential::new(vec![]).append(Dropout::new(0.25).unwrap());
    assert!(m.training());
    let x = ops::ones(&[4000], Dtype::Float32, None).unwrap();
    let y = vals(&m.forward(&x).unwrap());
    let zeros = y.iter().filter(|v| **v == 0.0).count() as f64 / y.len() as f64;
    assert!((zeros - 0.25).abs() < 0.05, "dropped fraction {zeros}");
    assert!(y
        .iter()
        .all(|v| *v == 0.0 || (*v - 1.0 / 0.75).abs() < 1e-6));
    m.train(false);
    assert!(!m.layers[0].training(), "train(false) reaches the children");
    assert_eq!(vals(&m.forward(&x).unwrap()), vec![1.0; 4000]);
    assert!(Dropout::new(1.0).is_err());
}

#[test]
fn value_and_grad_matches_closed_form_and_restores_model() {
    // loss = sum(x W^T + b) for one sample: dW = 1 x^T, db = 1.
    let mut lin = Linear::from_arrays(
        arr(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0], &[2, 3]),
        Some(arr(&[0.5, -0.5], &[2])),
    );
    let before = lin.weight.id();
    let x = arr(&[1.0, -1.0, 2.0], &[1, 3]);
    let (loss, g) =
        value_and_grad(&mut lin, |m| ops::sum(&m.forward(&x)?, None, false, None)).unwrap();
    // (1 - 2 + 6 + 0.5) + (4 - 5 + 12 - 0.5)
    assert!((loss.item::<f32>().unwrap() - 16.0).abs() < 1e-5);
    assert_eq!(
        vals(g.get_array("weight").unwrap()),
        [1.0, -1.0, 2.0, 1.0, -1.0, 2.0]
    );
    assert_eq!(vals(g.get_array("bias").unwrap()), [1.0, 1.0]);
    assert_eq!(
        lin.weight.id(),
        before,
        "the model gets its own arrays back"
    );

    // Frozen parameters get no gradient.
    lin.freeze_with(false, Some(&["weight"]));
    let (_, g) =
        value_and_grad(&mut lin, |m| ops::sum(&m.forward(&x)?, None, false, None)).unwrap();
    let keys: Vec<String> = g.flatten().into_iter().map(|(k, _)| k).collect();
    assert_eq!(keys, ["bias"]);

    // An error inside the loss leaves the model intact.
    let err = value_and_grad(&mut lin, |m| {
        ops::add(&m.bias.clone().unwrap(), &arr(&[1.0; 3], &[3]), None)
    });
    assert!(err.is_err());
    assert_eq!(vals(lin.bias.as_ref().unwrap()), [0.5, -0.5]);
    assert!(lin.bias.as_ref().unwrap().primitive_name().is_none());
}

#[test]
fn param_tree_works_with_rmlx_tree_transforms() {
    // f(p) = sum(a * a) + 3 * b: grads 2a and 3, with the tree's structure.
    let p = ParamTree::unflatten(vec![
        ("x.a", arr(&[1.0, -2.0], &[2])),
        ("x.b", arr(&[5.0], &[1])),
    ])
    .unwrap();
    let (v, g): (Array, ParamTree) = rmlx::transforms::value_and_grad_tree(
        |t: &ParamTree| {
            let a = t.get_array("x.a").unwrap();
            let b = t.get_array("x.b").unwrap();
            let s = ops::sum(&ops::multiply(a, a, None)?, None, false, None)?;
            let b3 = ops::multiply(b, &Array::scalar(3.0f32), None)?;
            ops::add(&s, &ops::sum(&b3, None, false, None)?, None)
        },
        &p,
    )
    .unwrap();
    assert_eq!(v.item::<f32>().unwrap(), 20.0);
    assert_eq!(vals(g.get_array("x.a").unwrap()), [2.0, -4.0]);
    assert_eq!(vals(g.get_array("x.b").unwrap()), [3.0]);

    // value_and_grad_multi returns auxiliary outputs too.
    let mut lin = Linear::from_arrays(arr(&[2.0], &[1, 1]), None);
    let x = arr(&[3.0], &[1, 1]);
    let (outs, g) = rmlx_nn::value_and_grad_multi(&mut lin, |m| {
        let y = m.forward(&x)?;
        Ok(vec![ops::sum(&y, None, false, None)?, y])
    })
    .unwrap();
    assert_eq!(outs.len(), 2);
    assert_eq!(vals(&outs[1]), [6.0]);
    assert_eq!(vals(g.get_array("weight").unwrap()), [3.0]);
}
