"""mx.compile runs the function with MLX's results, including captured state."""

from functools import partial

import numpy as np
import pytest

from conftest import mx


def test_compile_matches_eager_and_mlx():
    mxr = pytest.importorskip("mlx.core")
    f = lambda x, y: mx.exp(x) * mx.sin(y) + x * y
    fr = lambda x, y: mxr.exp(x) * mxr.sin(y) + x * y
    x = np.random.default_rng(0).standard_normal((3, 5)).astype(np.float32)
    out = mx.compile(f)(mx.array(x), mx.array(x.T.copy().T))
    ref = mxr.compile(fr)(mxr.array(x), mxr.array(x))
    np.testing.assert_allclose(np.array(out), np.array(ref), rtol=1e-6)
    g = mx.compile(mx.grad(lambda x: mx.sum(mx.tanh(x))), shapeless=True)
    np.testing.assert_allclose(np.array(g(mx.array(x))), 1 - np.tanh(x) ** 2, rtol=1e-5)


def test_compile_with_captured_state_updates_it():
    state = [mx.array(1.0)]

    @partial(mx.compile, inputs=state, outputs=state)
    def step(x):
        state[0] = state[0] * x
        return state[0] + 1

    assert step(mx.array(2.0)).item() == 3.0
    assert step(mx.array(3.0)).item() == 7.0
    assert state[0].item() == 6.0


def test_compile_errors_and_toggles():
    with pytest.raises(TypeError):
        mx.compile(3)
    mx.disable_compile()
    assert mx.compile(lambda x: x + 1)(mx.array(1)).item() == 2
    mx.enable_compile()
