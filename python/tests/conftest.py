"""Shared test helpers: the rmlx module, the reference MLX oracle, dtype
lists and tolerant comparisons."""

import numpy as np
import pytest

import rmlx.core as mx

try:  # the reference MLX CPU wheel is the oracle for MLX semantics
    import mlx.core as mxr
except ImportError:  # pragma: no cover - CI installs it
    mxr = None

DTYPE_NAMES = [
    "bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
    "int64", "float16", "float32", "float64", "bfloat16", "complex64",
]
FLOAT_NAMES = ["float16", "bfloat16", "float32", "float64"]
INT_NAMES = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]

# Relative/absolute tolerances by dtype name for float comparisons.
TOL = {
    "float16": (2e-3, 2e-3),
    "bfloat16": (1.6e-2, 1.6e-2),
    "float32": (1e-5, 1e-6),
    "float64": (1e-12, 1e-13),
    "complex64": (1e-5, 1e-6),
}


def need_mlx():
    """Skips the calling test when the reference MLX is not installed."""
    if mxr is None:
        pytest.skip("reference MLX (mlx[cpu]) not installed")
    return mxr


def dt(name, mod=mx):
    """The dtype object called `name` in module `mod`."""
    return getattr(mod, name)


def to_numpy(a):
    """An rmlx or MLX array as a NumPy array (bfloat16 widened to float32)."""
    if str(a.dtype).endswith("bfloat16"):
        a = a.astype(_mod_of(a).float32)
    return np.array(a)


def _mod_of(a):
    return mx if type(a).__module__.startswith("rmlx") else mxr


def random_array(rng, shape, name):
    """Random NumPy data suitable for dtype `name` (values in a safe range)."""
    if name == "bool_":
        return rng.random(shape) > 0.5
    if name in INT_NAMES:
        lo = 0 if name.startswith("u") else -50
        return rng.integers(lo, 50, size=shape).astype(name)
    if name == "complex64":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    if name in ("float16", "float64"):
        return rng.standard_normal(shape).astype(name)
    return rng.standard_normal(shape).astype(np.float32)  # bfloat16 has no NumPy dtype


def make(mod, np_value, name):
    """`mod.array(np_value)` as dtype `name` (works for bfloat16 too)."""
    if name == "float64":
        # Without a dtype MLX turns float64 NumPy data into float32.
        return mod.array(np.asarray(np_value, dtype=np.float64), dtype=mod.float64)
    return mod.array(np_value).astype(getattr(mod, name))


def assert_allclose(actual, expected, name="float32", rtol=None, atol=None):
    """Compares an rmlx array with an expected NumPy array (shape and values)."""
    got = to_numpy(actual)
    exp = np.asarray(expected)
    assert got.shape == exp.shape, f"shape {got.shape} != {exp.shape}"
    r, a = TOL.get(name, (0, 0))
    r = r if rtol is None else rtol
    a = a if atol is None else atol
    if got.dtype.kind in "fc" or exp.dtype.kind in "fc":
        np.testing.assert_allclose(got.astype(np.complex128 if got.dtype.kind == "c" else np.float64),
                                   exp, rtol=r, atol=a, equal_nan=True)
    else:
        np.testing.assert_array_equal(got, exp)


def same_dtype(a, ref):
    """Whether an rmlx array and an MLX array have the same dtype name."""
    return str(a.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]


@pytest.fixture
def rng():
    """A seeded NumPy generator."""
    return np.random.default_rng(1234)
