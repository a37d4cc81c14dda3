"""rmlx.nn.losses against mlx.nn.losses: every loss, every reduction,
options, gradients and shape errors."""

import numpy as np
import pytest

import rmlx.core as mx
import rmlx.nn as nn

from conftest import mxr
from nn_common import assert_close, need_ref, needs, nnr

pytestmark = need_ref

REDUCTIONS = ["none", "mean", "sum"]


def arrays(*values):
    """(rmlx arrays, MLX arrays) of the NumPy values."""
    return [mx.array(v) for v in values], [mxr.array(v) for v in values]


def check(name, np_args, kwargs, rtol=1e-5, atol=1e-6, grad=True):
    ours_args, ref_args = arrays(*np_args)
    f, fr = getattr(nn.losses, name), getattr(nnr.losses, name)
    assert_close(f(*ours_args, **kwargs), fr(*ref_args, **kwargs), rtol=rtol, atol=atol)
    if grad and np_args[0].dtype.kind == "f":
        g = mx.grad(lambda a: f(a, *ours_args[1:], **kwargs).sum())(ours_args[0])
        gr = mxr.grad(lambda a: fr(a, *ref_args[1:], **kwargs).sum())(ref_args[0])
        assert_close(g, gr, rtol=rtol, atol=atol)


@pytest.fixture
def x(rng):
    return rng.standard_normal((5, 4)).astype(np.float32)


@pytest.fixture
def y(rng):
    return rng.standard_normal((5, 4)).astype(np.float32)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(rng, x, reduction):
    p = rng.random((5, 4)).astype(np.float32)
    p /= p.sum(-1, keepdims=True)
    check("cross_entropy", [x, p], {"reduction": reduction})
    check("cross_entropy", [x, p], {"reduction": reduction, "label_smoothing": 0.2})
    check("cross_entropy", [x.T.copy(), p.T.copy()], {"reduction": reduction, "axis": 0})
    w = rng.random(5).astype(np.float32)
    ours, ref = arrays(x, p, w)
    assert_close(
        nn.losses.cross_entropy(*ours[:2], weights=ours[2], reduction=reduction),
        nnr.losses.cross_entropy(*ref[:2], weights=ref[2], reduction=reduction),
    )


@needs("take_along_axis")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices(rng, x, reduction):
    t = rng.integers(0, 4, 5).astype(np.int32)
    check("cross_entropy", [x, t], {"reduction": reduction})
    check("cross_entropy", [x, t], {"reduction": reduction, "label_smoothing": 0.1})
    t0 = rng.integers(0, 5, 4).astype(np.int32)
    check("cross_entropy", [x, t0], {"reduction": reduction, "axis": 0})


@needs("take_along_axis")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(rng, x, reduction):
    t = rng.integers(0, 4, 5).astype(np.int32)
    check("nll_loss", [x, t], {"reduction": reduction})


def test_cross_entropy_errors(x):
    (a, b), _ = arrays(x, np.zeros((4,), np.int32))
    with pytest.raises(ValueError, match="Targets shape"):
        nn.losses.cross_entropy(a, b)
    with pytest.raises(ValueError, match="Label smoothing"):
        nn.losses.cross_entropy(a, a, label_smoothing=1.0)
    with pytest.raises(ValueError, match="Weights with shape"):
        nn.losses.cross_entropy(a, a, weights=mx.ones((3,)))
    with pytest.raises(ValueError, match="Invalid reduction"):
        nn.losses.mse_loss(a, a, reduction="avg")


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_binary_cross_entropy(rng, x, reduction):
    t = (rng.random((5, 4)) > 0.5).astype(np.float32)
    check("binary_cross_entropy", [x, t], {"reduction": reduction})
    probs = (1 / (1 + np.exp(-x))).astype(np.float32)
    probs[0, 0] = 0.0  # the log is clipped at -100
    check("binary_cross_entropy", [probs, t], {"reduction": reduction, "with_logits": False}, grad=False)
    w = rng.random((5, 4)).astype(np.float32)
    ours, ref = arrays(x, t, w)
    assert_close(
        nn.losses.binary_cross_entropy(ours[0], ours[1], ours[2], reduction=reduction),
        nnr.losses.binary_cross_entropy(ref[0], ref[1], ref[2], reduction=reduction),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["l1_loss", "mse_loss", "log_cosh_loss", "hinge_loss"])
def test_pointwise_losses(x, y, name, reduction):
    check(name, [x, y], {"reduction": reduction})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_and_huber(x, y, reduction):
    check("smooth_l1_loss", [x, y], {"reduction": reduction})
    check("smooth_l1_loss", [x, y], {"reduction": reduction, "beta": 0.3})
    check("huber_loss", [x, y], {"reduction": reduction})
    check("huber_loss", [x, y], {"reduction": reduction, "delta": 0.5})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gaussian_nll_loss(rng, x, y, reduction):
    v = rng.random((5, 4)).astype(np.float32) + 0.1
    v[0, 0] = 0.0  # clamped to eps
    check("gaussian_nll_loss", [x, y, v], {"reduction": reduction})
    check("gaussian_nll_loss", [x, y, v], {"reduction": reduction, "full": True, "eps": 1e-3})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_kl_div_loss(rng, reduction):
    a = np.log(rng.dirichlet(np.ones(4), 5)).astype(np.float32)
    b = np.log(rng.dirichlet(np.ones(4), 5)).astype(np.float32)
    check("kl_div_loss", [a, b], {"reduction": reduction})
    check("kl_div_loss", [a, b], {"reduction": reduction, "axis": 0})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_triplet_loss(rng, x, reduction):
    p = rng.standard_normal((5, 4)).astype(np.float32)
    n = rng.standard_normal((5, 4)).astype(np.float32)
    check("triplet_loss", [x, p, n], {"reduction": reduction})
    check("triplet_loss", [x, p, n], {"reduction": reduction, "p": 1, "margin": 0.5, "axis": 0})


@needs("linalg.norm")
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_similarity_loss(x, y, reduction):
    check("cosine_similarity_loss", [x, y], {"reduction": reduction})
    check("cosine_similarity_loss", [x, y], {"reduction": reduction, "axis": -1})


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_margin_ranking_loss(rng, x, y, reduction):
    t = np.sign(rng.standard_normal((5, 4))).astype(np.float32)
    check("margin_ranking_loss", [x, y, t], {"reduction": reduction})
    check("margin_ranking_loss", [x, y, t], {"reduction": reduction, "margin": 0.3})


def test_shape_errors_match_mlx(x):
    a, b = mx.array(x), mx.array(x[:, :2])
    ar, br = mxr.array(x), mxr.array(x[:, :2])
    for name, args, rargs in [
        ("l1_loss", (a, b), (ar, br)),
        ("mse_loss", (a, b), (ar, br)),
        ("smooth_l1_loss", (a, b), (ar, br)),
        ("binary_cross_entropy", (a, b), (ar, br)),
        ("gaussian_nll_loss", (a, a, b), (ar, ar, br)),
        ("gaussian_nll_loss", (a, b, a), (ar, br, ar)),
        ("margin_ranking_loss", (a, a, b), (ar, ar, br)),
    ]:
        with pytest.raises(ValueError) as e1:
            getattr(nn.losses, name)(*args)
        with pytest.raises(ValueError) as e2:
            getattr(nnr.losses, name)(*rargs)
        assert str(e1.value) == str(e2.value)
