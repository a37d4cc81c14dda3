"""rmlx.nn activation functions and modules against mlx.nn: values (float32,
float16, bfloat16), gradients, and constructor errors."""

import numpy as np
import pytest

import rmlx.core as mx
import rmlx.nn as nn

from conftest import mxr
from nn_common import assert_close, need_ref, nnr

pytestmark = need_ref

# (name, keyword arguments) of every activation function.
FUNCTIONS = [
    ("sigmoid", {}), ("relu", {}), ("relu2", {}), ("relu6", {}),
    ("leaky_relu", {}), ("leaky_relu", {"negative_slope": 0.2}),
    ("log_softmax", {}), ("log_softmax", {"axis": 0}),
    ("elu", {}), ("elu", {"alpha": 0.5}),
    ("softmax", {}), ("softmax", {"axis": 1}),
    ("softplus", {}), ("softsign", {}),
    ("softshrink", {}), ("softshrink", {"lambd": 1.0}),
    ("celu", {}), ("celu", {"alpha": 2.0}),
    ("silu", {}), ("log_sigmoid", {}),
    ("gelu", {}), ("gelu_approx", {}), ("gelu_fast_approx", {}),
    ("glu", {}), ("glu", {"axis": 0}),
    ("step", {}), ("step", {"threshold": 0.5}),
    ("selu", {}), ("mish", {}), ("hardswish", {}),
    ("hard_tanh", {}), ("hard_tanh", {"min_val": -0.5, "max_val": 2.0}),
    ("hard_shrink", {}), ("hard_shrink", {"lambd": 1.0}),
    ("softmin", {}), ("softmin", {"axis": 0}),
    ("tanh", {}),
]

# (class name, constructor kwargs).
CLASSES = [
    ("Sigmoid", {}), ("Mish", {}), ("ReLU", {}), ("ReLU2", {}), ("ReLU6", {}),
    ("LeakyReLU", {}), ("LeakyReLU", {"negative_slope": 0.3}),
    ("ELU", {}), ("ELU", {"alpha": 0.7}),
    ("Softmax", {}), ("Softplus", {}), ("Softsign", {}),
    ("Softshrink", {}), ("Softshrink", {"lambd": 0.1}),
    ("CELU", {}), ("CELU", {"alpha": 1.5}),
    ("SiLU", {}), ("LogSoftmax", {}), ("LogSigmoid", {}),
    ("GELU", {}), ("GELU", {"approx": "precise"}), ("GELU", {"approx": "tanh"}), ("GELU", {"approx": "fast"}),
    ("Tanh", {}), ("Hardswish", {}), ("Step", {}), ("Step", {"threshold": -0.2}),
    ("SELU", {}), ("HardTanh", {}), ("HardShrink", {}), ("HardShrink", {"lambd": 0.2}),
    ("Softmin", {}), ("GLU", {}), ("GLU", {"axis": 0}),
    ("PReLU", {}), ("PReLU", {"num_parameters": 6, "init": 0.1}),
]


def data(rng, shape=(4, 6)):
    x = rng.standard_normal(shape).astype(np.float32) * 3
    x[0, :3] = [0.0, 0.5, -0.5]  # ties / thresholds
    return x


@pytest.mark.parametrize("name,kwargs", FUNCTIONS, ids=[f"{n}{k or ''}" for n, k in FUNCTIONS])
def test_function_values_match_mlx(rng, name, kwargs):
    x = data(rng)
    ours = getattr(nn, name)(mx.array(x), **kwargs)
    ref = getattr(nnr, name)(mxr.array(x), **kwargs)
    assert_close(ours, ref, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name,kwargs", FUNCTIONS[::2], ids=[f"{n}{k or ''}" for n, k in FUNCTIONS[::2]])
def test_function_half_precision_dtypes(rng, name, kwargs, dtype):
    x = data(rng)
    ours = getattr(nn, name)(mx.array(x).astype(getattr(mx, dtype)), **kwargs)
    ref = getattr(nnr, name)(mxr.array(x).astype(getattr(mxr, dtype)), **kwargs)
    tol = 2e-2 if dtype == "bfloat16" else 4e-3
    assert_close(ours, ref, rtol=tol, atol=tol)


@pytest.mark.parametrize("name,kwargs", FUNCTIONS, ids=[f"{n}{k or ''}" for n, k in FUNCTIONS])
def test_function_gradients_match_mlx(rng, name, kwargs):
    if name == "step":
        pytest.skip("integer output")
    x = data(rng)
    x[0, :3] = [0.1, 0.6, -0.7]  # keep away from kinks
    f = getattr(nn, name)
    fr = getattr(nnr, name)
    w = rng.standard_normal(np.array(fr(mxr.array(x), **kwargs)).shape).astype(np.float32)
    g = mx.grad(lambda a: (f(a, **kwargs) * mx.array(w)).sum())
    gr = mxr.grad(lambda a: (fr(a, **kwargs) * mxr.array(w)).sum())
    assert_close(g(mx.array(x)), gr(mxr.array(x)), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name,kwargs", CLASSES, ids=[f"{n}{k or ''}" for n, k in CLASSES])
def test_modules_match_mlx(rng, name, kwargs):
    x = data(rng)
    ours = getattr(nn, name)(**kwargs)
    ref = getattr(nnr, name)(**kwargs)
    assert sorted(ours.parameters()) == sorted(ref.parameters())
    assert_close(ours.parameters(), ref.parameters())
    assert_close(ours(mx.array(x)), ref(mxr.array(x)), rtol=2e-6, atol=2e-6)


def test_prelu_gradient_wrt_weight(rng):
    x = data(rng)
    ours, ref = nn.PReLU(6, 0.3), nnr.PReLU(6, 0.3)
    _, g = nn.value_and_grad(ours, lambda m, x: m(x).sum())(ours, mx.array(x))
    _, gr = nnr.value_and_grad(ref, lambda m, x: m(x).sum())(ref, mxr.array(x))
    assert_close(g, gr)


def test_step_dtype_and_gelu_errors():
    out = nn.step(mx.array([-1.0, 0.0, 1.0]))
    assert out.dtype == mx.int32 and out.tolist() == [0, 1, 1]
    with pytest.raises(ValueError, match="approximation"):
        nn.GELU(approx="bad")


def test_glu_odd_axis_errors():
    with pytest.raises(ValueError):
        nn.glu(mx.zeros((2, 3)))
