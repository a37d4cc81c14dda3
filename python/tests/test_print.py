"""repr / str of arrays: the cases captured from MLX 0.32.4 in
print_cases.py, then generated cases comparing repr(rmlx) with repr(MLX)
for random arrays of every dtype and shape: 0-d, empty, summarised (large),
transposed, sliced and broadcast views."""

import numpy as np
import pytest

import rmlx.core as mx
from print_cases import CASES

NAMES = ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
         "int64", "float16", "float32", "float64", "bfloat16", "complex64"]


@pytest.mark.parametrize("expr,expected", CASES, ids=[c[0][:60] for c in CASES])
def test_captured_case(expr, expected):
    a = eval(expr, {"mx": mx})  # noqa: S307 - fixed expressions from print_cases.py
    assert repr(a) == expected
    assert str(a) == expected


def values(rng, shape, name):
    """Random data for dtype `name` with a mix of magnitudes and specials."""
    if name == "bool_":
        return rng.random(shape) > 0.5
    if name.startswith("uint"):
        hi = {"uint8": 255, "uint16": 65535, "uint32": 2**32 - 1, "uint64": 2**63}[name]
        return rng.integers(0, hi, size=shape, dtype=np.uint64).astype(name)
    if name.startswith("int"):
        hi = {"int8": 127, "int16": 32767, "int32": 2**31 - 1, "int64": 2**62}[name]
        return rng.integers(-hi, hi, size=shape, dtype=np.int64).astype(name)
    x = np.asarray(rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 7, size=shape), dtype=np.float64)
    rounded = rng.random(shape) < 0.3
    x[rounded] = np.round(x[rounded])
    x[rng.random(shape) < 0.1] = 0.0
    x[rng.random(shape) < 0.05] = np.inf
    x[rng.random(shape) < 0.05] = -np.inf
    x[rng.random(shape) < 0.05] = np.nan
    if name == "complex64":
        return (x + 1j * rng.standard_normal(shape)).astype(np.complex64)
    return x


def build(m, x, name):
    """The same array in module m (float64 through Python floats, which
    both libraries keep exactly)."""
    if x.ndim == 0:  # through one element: 0-d NumPy input is a convert.rs case of its own
        return build(m, x.reshape(1), name).reshape(())
    if name == "float64":
        return m.array(x.tolist(), dtype=m.float64)
    if name in ("float16", "float32", "bfloat16"):
        return m.array(x.astype(np.float32)).astype(getattr(m, name))
    return m.array(x).astype(getattr(m, name))


SHAPES = [(), (1,), (5,), (6,), (7,), (0,), (3, 0), (0, 4), (2, 3), (4, 1), (1, 7), (3, 4, 2), (7, 7),
          (2, 1, 7, 3), (1000,), (30, 40), (3, 300, 2)]


@pytest.mark.parametrize("name", NAMES)
def test_generated_reprs_match_mlx(name):
    mxr = pytest.importorskip("mlx.core")
    rng = np.random.default_rng(abs(hash(name)) % 2**32)
    bad = []
    for shape in SHAPES:
        x = values(rng, shape, name)
        got, want = repr(build(mx, x, name)), repr(build(mxr, x, name))
        if got != want:
            bad.append(f"{shape}:\n  rmlx {got!r}\n  mlx  {want!r}")
    assert not bad, "\n".join(bad[:5])


@pytest.mark.parametrize("name", NAMES)
def test_view_reprs_match_mlx(name):
    mxr = pytest.importorskip("mlx.core")
    rng = np.random.default_rng(99)
    x = values(rng, (6, 8), name)
    views = [
        lambda a: a.T,
        lambda a: a[::2],
        lambda a: a[:, ::-3],
        lambda a: a[1:4, 2:3],
        lambda a: a[5],
        lambda a: a[2, 3],
        lambda a: a[:, :0],
        lambda a: a.T[::-1, 1::2],
        lambda a: a[None, :, None, 2],
    ]
    for i, v in enumerate(views):
        got, want = repr(v(build(mx, x, name))), repr(v(build(mxr, x, name)))
        assert got == want, f"view {i}:\n  rmlx {got!r}\n  mlx  {want!r}"
    big = values(rng, (50, 60), name)
    assert repr(build(mx, big, name).T[::3]) == repr(build(mxr, big, name).T[::3])


def test_broadcast_and_computed_reprs():
    mxr = pytest.importorskip("mlx.core")
    for f in [lambda m: m.zeros((3, 4)), lambda m: m.full((2, 3), 7, m.int8), lambda m: m.ones((1000, 3)),
              lambda m: m.arange(12).reshape(3, 4) * 2.5, lambda m: m.eye(4, dtype=m.int32),
              lambda m: m.linspace(-1, 1, 9), lambda m: m.where(m.arange(6) > 2, 1.5, -2),
              lambda m: m.array([1, 2, 3]) == 2, lambda m: m.full((2, 2), 1 + 2j)]:
        assert repr(f(mx)) == repr(f(mxr))


def test_str_equals_repr():
    for a in [mx.array(3), mx.arange(10), mx.zeros((2, 0)), mx.array([[1.5, 2], [3, 4]], dtype=mx.float16)]:
        assert str(a) == repr(a)
