"""The smaller mlx.core names: aliases, constants, windows, trunc, positive,
logical_xor, diff, minmax, module astype/view, isdtype, get_printoptions —
each against the reference MLX."""

import numpy as np
import pytest

from conftest import assert_allclose, need_mlx, mx, mxr


@pytest.mark.parametrize("alias,name", [
    ("atan2", "arctan2"), ("pow", "power"), ("bitwise_left_shift", "left_shift"),
    ("bitwise_right_shift", "right_shift"), ("cumulative_sum", "cumsum"),
    ("cumulative_prod", "cumprod"),
])
def test_aliases_are_the_same_function(alias, name):
    assert getattr(mx, alias) is getattr(mx, name)


def test_constants_match_mlx():
    need_mlx()
    for n in ["pi", "e", "euler_gamma", "inf"]:
        assert getattr(mx, n) == getattr(mxr, n)
    assert np.isnan(mx.nan) and mx.newaxis is None


@pytest.mark.parametrize("fn", ["hanning", "hamming", "blackman", "bartlett"])
@pytest.mark.parametrize("m", [0, 1, 2, 5, 12, 33])
def test_windows_match_mlx(fn, m):
    need_mlx()
    got = getattr(mx, fn)(m)
    exp = np.array(getattr(mxr, fn)(m))
    assert got.dtype == mx.float32
    assert_allclose(got, exp, rtol=1e-5, atol=1e-6)
    assert_allclose(got, getattr(np, fn)(m), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float16", "int32", "uint8", "float64"])
def test_trunc_and_positive(rng, dtype):
    a = (rng.standard_normal((3, 5)) * 4).astype(np.float64)
    x = mx.array(a.tolist(), dtype=getattr(mx, dtype))
    ref = np.array(x.astype(mx.float64)) if dtype != "float64" else a
    got = mx.trunc(x)
    assert got.dtype == x.dtype
    assert_allclose(got.astype(mx.float64), np.trunc(ref), rtol=0, atol=0)
    assert mx.array_equal(mx.positive(x), x).item()
    # Non-contiguous input.
    assert_allclose(mx.trunc(x.T).astype(mx.float64), np.trunc(ref.T), rtol=0, atol=0)


def test_logical_xor_matches_mlx():
    need_mlx()
    for a, b in [([1, 0, 2], 1.0), ([True, False], [True, True]), ([[0.0], [3.0]], [0, 1, 0])]:
        got = mx.logical_xor(mx.array(a), mx.array(b) if isinstance(b, list) else b)
        exp = mxr.logical_xor(mxr.array(a), mxr.array(b) if isinstance(b, list) else b)
        np.testing.assert_array_equal(np.array(got), np.array(exp))
        assert got.dtype == mx.bool_


@pytest.mark.parametrize("shape,n,axis", [((7,), 1, -1), ((4, 5), 2, 0), ((3, 4, 2), 3, 1),
                                          ((2, 3), 0, -1), ((3,), 5, 0), ((0, 4), 1, 1)])
def test_diff_matches_numpy(rng, shape, n, axis):
    a = rng.integers(-9, 9, size=shape).astype(np.int32)
    got = mx.diff(mx.array(a), n=n, axis=axis)
    np.testing.assert_array_equal(np.array(got), np.diff(a, n=n, axis=axis))
    b = a > 0
    np.testing.assert_array_equal(np.array(mx.diff(mx.array(b), n=n, axis=axis)),
                                  np.diff(b, n=n, axis=axis))


def test_diff_errors_match_mlx():
    with pytest.raises(IndexError, match=r"\[diff\]"):
        mx.diff(mx.array(1.0))
    with pytest.raises(ValueError, match=r"\[diff\] Order `n` must be non-negative"):
        mx.diff(mx.array([1.0]), n=-1)


def test_minmax(rng):
    a = rng.standard_normal((4, 6)).astype(np.float32)
    lo, hi = mx.minmax(mx.array(a), axis=1, keepdims=True)
    np.testing.assert_array_equal(np.array(lo), a.min(1, keepdims=True))
    np.testing.assert_array_equal(np.array(hi), a.max(1, keepdims=True))
    lo, hi = mx.minmax(mx.array(a))
    assert lo.item() == a.min() and hi.item() == a.max()


def test_module_astype_and_view():
    x = mx.array([1.5, -2.0])
    assert mx.astype(x, mx.int32).tolist() == [1, -2]
    assert mx.view(x, mx.uint32).tolist() == np.array([1.5, -2.0], np.float32).view(np.uint32).tolist()


def test_isdtype_matches_mlx():
    need_mlx()
    names = ["bool_", "uint8", "int16", "int64", "float16", "bfloat16", "float32", "float64", "complex64"]
    kinds = ["bool", "signed integer", "unsigned integer", "integral", "real floating",
             "complex floating", "numeric"]
    for n in names:
        for k in kinds:
            assert mx.isdtype(getattr(mx, n), k) == mxr.isdtype(getattr(mxr, n), k), (n, k)
        assert mx.isdtype(getattr(mx, n), (mx.int16, "complex floating")) == \
            mxr.isdtype(getattr(mxr, n), (mxr.int16, "complex floating"))
    with pytest.raises(ValueError, match="Unknown data type kind"):
        mx.isdtype(mx.float32, "xx")
    with pytest.raises(ValueError, match="must be a dtype"):
        mx.isdtype(mx.float32, mx.floating)


def test_get_printoptions_follows_set_printoptions():
    assert mx.get_printoptions().precision == -1
    with mx.printoptions(precision=3):
        assert mx.get_printoptions().precision == 3
    assert mx.PrintOptions().precision == -1


def test_submodule_names_follow_mlx():
    import importlib

    for sub in ("fft", "linalg", "fast", "random"):
        mod = getattr(mx, sub)
        assert mod.__name__ == f"rmlx.core.{sub}"
        assert importlib.import_module(f"rmlx.core.{sub}") is mod
