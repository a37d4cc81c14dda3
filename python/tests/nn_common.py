"""Shared helpers of the rmlx.nn / rmlx.optimizers tests: building a layer in
rmlx and in the reference MLX with identical weights, moving arrays across,
comparing trees, and skip guards for core ops that have not landed yet."""

import numpy as np
import pytest

import rmlx.core as mx
from rmlx.utils import tree_flatten, tree_map, tree_unflatten

from conftest import mxr

if mxr is not None:
    import mlx.nn as nnr
    import mlx.optimizers as optr
    from mlx.utils import tree_flatten as ref_tree_flatten
else:  # pragma: no cover
    nnr = optr = ref_tree_flatten = None

import rmlx.nn as nn


def has(name):
    """Whether rmlx.core has ``name`` (dotted: ``"fast.layer_norm"``)."""
    obj = mx
    for part in name.split("."):
        if not hasattr(obj, part):
            return False
        obj = getattr(obj, part)
    return True


def _array_indexing():
    try:
        mx.eval(mx.arange(4)[mx.array([1, 2])])
        return True
    except Exception:
        return False


def needs(*names):
    """A skip marker until every core name in ``names`` exists in rmlx.
    The pseudo-name ``"indexing"`` stands for array (gather) indexing."""
    missing = [n for n in names if not (_array_indexing() if n == "indexing" else has(n))]
    return pytest.mark.skipif(bool(missing), reason=f"rmlx.core lacks {', '.join(missing)} yet")


need_ref = pytest.mark.skipif(mxr is None, reason="reference MLX not installed")


def to_ref(x):
    """An rmlx array (or tree of them) as reference-MLX arrays."""
    return tree_map(lambda a: mxr.array(np.array(a)) if isinstance(a, mx.array) else a, x)


def to_ours(x):
    """A reference-MLX array (or tree) as rmlx arrays."""
    return tree_map(lambda a: mx.array(np.array(a)) if isinstance(a, mxr.array) else a, x)


def pair(factory, seed=0):
    """``(ours, ref)``: ``factory(nn_module)`` built in rmlx and MLX from the
    same seed; the parameter names must match and the weights are made
    identical (copied from ours when the draws differ)."""
    mx.random.seed(seed)
    mxr.random.seed(seed)
    ours = factory(nn)
    ref = factory(nnr)
    ours_flat = tree_flatten(ours.parameters())
    ref_flat = ref_tree_flatten(ref.parameters())
    assert [k for k, _ in ours_flat] == [k for k, _ in ref_flat]
    for (_, a), (_, b) in zip(ours_flat, ref_flat):
        assert a.shape == tuple(b.shape) and str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1]
    ref.update(tree_unflatten([(k, mxr.array(np.array(v))) for k, v in ours_flat]), strict=False)
    return ours, ref


def assert_close(ours, ref, rtol=1e-5, atol=1e-6):
    """Compares an rmlx result with an MLX one (arrays or trees of arrays)."""
    # Sorted: dict order may differ (MLX's tree_merge iterates a set).
    a_flat = sorted(tree_flatten(ours), key=lambda kv: kv[0])
    b_flat = sorted(ref_tree_flatten(ref), key=lambda kv: kv[0])
    assert [k for k, _ in a_flat] == [k for k, _ in b_flat]
    for (key, a), (_, b) in zip(a_flat, b_flat):
        if isinstance(a, mx.array):
            assert str(a.dtype).split(".")[-1] == str(b.dtype).split(".")[-1], (key, a.dtype, b.dtype)
            an = np.array(a.astype(mx.float32) if a.dtype == mx.bfloat16 else a)
            bn = np.array(b.astype(mxr.float32) if b.dtype == mxr.bfloat16 else b)
            assert an.shape == bn.shape, (key, an.shape, bn.shape)
            if an.dtype.kind in "fc":
                np.testing.assert_allclose(an, bn, rtol=rtol, atol=atol, err_msg=key)
            else:
                np.testing.assert_array_equal(an, bn, err_msg=key)
        else:
            assert a == b, key


def randn(rng, *shape, dtype=np.float32):
    """Standard normal NumPy data."""
    return rng.standard_normal(shape).astype(dtype)


def both(np_value):
    """The same NumPy data as an rmlx array and an MLX array."""
    return mx.array(np_value), mxr.array(np_value)
