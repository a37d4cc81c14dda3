"""rmlx.nn.init against mlx.nn.init: with the same seed the draws are the
same; shapes, dtypes, fans, gains and errors."""

import math

import numpy as np
import pytest

import rmlx.core as mx
import rmlx.nn as nn

from conftest import mxr
from nn_common import assert_close, need_ref, needs, nnr

pytestmark = need_ref

SHAPES = [(4, 6), (8, 3, 3, 5), (7, 7)]


def run(make, shape, seed=5, *args, **kwargs):
    """``make(lib)(array of shape, *args)`` in both libraries from one seed."""
    mx.random.seed(seed)
    mxr.random.seed(seed)
    ours = make(nn)(mx.zeros(shape), *args, **kwargs)
    ref = make(nnr)(mxr.zeros(shape), *args, **kwargs)
    return ours, ref


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize(
    "make",
    [
        lambda n: n.init.constant(0.3),
        lambda n: n.init.constant(2, dtype=(mx.int32 if n is nn else mxr.int32)),
        lambda n: n.init.normal(),
        lambda n: n.init.normal(mean=1.0, std=0.1),
        lambda n: n.init.uniform(),
        lambda n: n.init.uniform(-2.0, 3.0),
        lambda n: n.init.glorot_normal(),
        lambda n: n.init.glorot_uniform(),
        lambda n: n.init.he_normal(),
        lambda n: n.init.he_uniform(),
    ],
    ids=["constant", "constant_int", "normal", "normal_args", "uniform", "uniform_args",
         "glorot_normal", "glorot_uniform", "he_normal", "he_uniform"],
)
def test_initializers_match_mlx(make, shape):
    ours, ref = run(make, shape)
    assert ours.shape == shape
    assert_close(ours, ref, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["glorot_normal", "glorot_uniform"])
def test_glorot_gain(name):
    ours, ref = run(lambda n: getattr(n.init, name)(), (5, 9), 1, 2.5)
    assert_close(ours, ref, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("name", ["he_normal", "he_uniform"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_he_modes_and_gain(name, mode):
    ours, ref = run(lambda n: getattr(n.init, name)(), (6, 2, 10), 2, mode, 0.5)
    assert_close(ours, ref, rtol=1e-6, atol=1e-7)
    with pytest.raises(ValueError, match="Invalid mode"):
        getattr(nn.init, name)()(mx.zeros((2, 2)), "fan_avg")


def test_half_dtypes():
    for dt in ("float16", "bfloat16"):
        ours, ref = run(lambda n: n.init.normal(dtype=getattr(mx if n is nn else mxr, dt)), (3, 4))
        assert ours.dtype == getattr(mx, dt)
        assert_close(ours, ref, rtol=1e-2, atol=1e-2)


def test_identity():
    ours, ref = run(lambda n: n.init.identity(), (5, 5))
    assert_close(ours, ref)
    with pytest.raises(ValueError, match="square matrix"):
        nn.init.identity()(mx.zeros((2, 3)))


def test_fan_errors():
    for name in ("glorot_normal", "glorot_uniform", "he_normal", "he_uniform"):
        with pytest.raises(ValueError, match="at least 2 dimensional"):
            getattr(nn.init, name)()(mx.zeros((4,)))


def test_statistics():
    mx.random.seed(0)
    w = np.array(nn.init.he_normal()(mx.zeros((400, 300))))
    assert abs(w.std() - 1 / math.sqrt(300)) < 3e-3
    w = np.array(nn.init.glorot_uniform()(mx.zeros((400, 300))))
    limit = math.sqrt(6 / 700)
    assert w.max() <= limit and w.min() >= -limit and abs(w.std() - limit / math.sqrt(3)) < 3e-3


@needs("argsort", "indexing")
def test_sparse():
    ours, ref = run(lambda n: n.init.sparse(0.3), (6, 10))
    assert_close(ours, ref, rtol=1e-6, atol=1e-7)
    assert ((np.array(ours) == 0).sum(axis=1) >= 3).all()
    with pytest.raises(ValueError, match="2 dimensions"):
        nn.init.sparse(0.5)(mx.zeros((2, 2, 2)))


@needs("linalg.qr")
@pytest.mark.parametrize("shape", [(4, 4), (3, 6), (6, 3)])
def test_orthogonal(shape):
    ours, ref = run(lambda n: n.init.orthogonal(gain=1.5), shape)
    assert_close(ours, ref, rtol=1e-4, atol=1e-5)
    q = np.array(ours) / 1.5
    eye = q @ q.T if shape[0] <= shape[1] else q.T @ q
    np.testing.assert_allclose(eye, np.eye(min(shape)), atol=1e-5)


def test_orthogonal_rejects_non_matrix():
    with pytest.raises(ValueError, match="2D array"):
        nn.init.orthogonal()(mx.zeros((2, 2, 2)))
