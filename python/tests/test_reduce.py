"""Reductions (sum ... count_nonzero), softmax and scans (cumsum ...
logcumsumexp) against the reference MLX (result dtypes, error types,
values) and NumPy (values), over every dtype, odd and empty shapes, every
axis layout (rows, columns, mixed, copies), non-contiguous and broadcast
views, large (parallel) inputs, NaN/inf rules and the array methods."""

import numpy as np
import pytest

from conftest import DTYPE_NAMES, INT_NAMES, mx

mxr = pytest.importorskip("mlx.core")

REDUCE_OPS = ["sum", "prod", "max", "min", "all", "any", "mean", "var", "std", "logsumexp",
              "count_nonzero"]
SCAN_OPS = ["cumsum", "cumprod", "cummax", "cummin", "logcumsumexp"]
RTOL = {"float16": 3e-3, "bfloat16": 2e-2, "float32": 2e-5, "float64": 1e-12, "complex64": 2e-5}


def dname(a):
    return str(a.dtype).split(".")[-1]


def np_of(a):
    """An rmlx or MLX array as NumPy (bfloat16 widened to float32)."""
    if dname(a) == "bfloat16":
        a = a.astype(type(a).__module__.startswith("rmlx") and mx.float32 or mxr.float32)
    return np.array(a)


def data(rng, shape, name, lo=-3, hi=4):
    if name == "bool_":
        return rng.random(shape) > 0.5
    if name in INT_NAMES:
        lo = 0 if name.startswith("u") else lo
        return rng.integers(lo, hi, size=shape).astype(name)
    if name == "complex64":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    return rng.standard_normal(shape).astype(np.float32)


def both(x, name):
    """The same values as an rmlx and an MLX array of dtype `name`."""
    return mx.array(x).astype(getattr(mx, name)), mxr.array(x).astype(getattr(mxr, name))


def check(got, ref, name=None, rtol=None, atol=None):
    """Same shape, same dtype and close values as the MLX result."""
    assert dname(got) == dname(ref), f"dtype {dname(got)} != {dname(ref)}"
    g, r = np_of(got), np_of(ref)
    assert g.shape == r.shape, f"shape {g.shape} != {r.shape}"
    if g.dtype.kind in "fc":
        rt = rtol if rtol is not None else RTOL.get(name or dname(got), 2e-5)
        at = atol if atol is not None else rt
        np.testing.assert_allclose(g, r, rtol=rt, atol=at, equal_nan=True)
    else:
        np.testing.assert_array_equal(g, r)


def call(mod, op, a, *args, **kw):
    return getattr(mod, op)(a, *args, **kw)


# ---------------------------------------------------------------------------
# Reductions: every dtype, against MLX.


@pytest.mark.parametrize("name", DTYPE_NAMES)
@pytest.mark.parametrize("op", REDUCE_OPS)
def test_reduce_dtypes(op, name):
    rng = np.random.default_rng(1)
    x = data(rng, (3, 5, 7), name, -2, 3)
    a, r = both(x, name)
    for axis in (None, 0, 1, 2, -1, (0, 2), [1, 2], (0, 1, 2)):
        for keepdims in (False, True):
            if op == "logsumexp" and (name == "bool_" or name.startswith("u")) and axis not in (2, -1):
                # MLX's composite path computes `a - max(a)` in bool / unsigned
                # arithmetic there (a bug: garbage or inf); rmlx computes the
                # float logsumexp.
                ax = tuple(axis) if isinstance(axis, list) else axis
                want = np.log(np.exp(x.astype(np.float64)).sum(axis=ax, keepdims=keepdims))
                np.testing.assert_allclose(np_of(mx.logsumexp(a, axis=axis, keepdims=keepdims)), want, rtol=1e-6)
                continue
            try:
                ref = call(mxr, op, r, axis=axis, keepdims=keepdims)
                mxr.eval(ref)
            except Exception as e:  # noqa: BLE001 - the oracle decides
                with pytest.raises(type(e)):
                    mx.eval(call(mx, op, a, axis=axis, keepdims=keepdims))
                continue
            # sums of small ints and products grow: allow float rounding in halves
            rt = 5e-2 if op == "prod" and name in ("float16", "bfloat16") else None
            if name == "float64" and op == "logsumexp":
                rt = 1e-6  # MLX's float64 exp/log have float32 precision
            check(call(mx, op, a, axis=axis, keepdims=keepdims), ref, rtol=rt)


@pytest.mark.parametrize("name", ["float32", "float64", "int32", "uint8", "int8", "float16", "bool_"])
def test_reduce_numpy_values(name):
    rng = np.random.default_rng(2)
    x = data(rng, (4, 6, 5), name, -5, 6)
    a = mx.array(x).astype(getattr(mx, name))
    x = np_of(a)
    xs = x.astype(np.float64) if name != "bool_" else x
    for axis in (None, 0, 1, 2, (0, 2), (1, 2)):
        np.testing.assert_allclose(np_of(mx.sum(a, axis=axis)), np.sum(xs, axis=axis), rtol=2e-3)
        np.testing.assert_allclose(np_of(mx.max(a, axis=axis)), np.max(xs, axis=axis))
        np.testing.assert_allclose(np_of(mx.min(a, axis=axis)), np.min(xs, axis=axis))
        np.testing.assert_array_equal(np_of(mx.all(a, axis=axis)), np.all(x, axis=axis))
        np.testing.assert_array_equal(np_of(mx.any(a, axis=axis)), np.any(x, axis=axis))
        np.testing.assert_allclose(np_of(mx.mean(a, axis=axis)), np.mean(xs, axis=axis), rtol=2e-3)
        np.testing.assert_allclose(np_of(mx.var(a, axis=axis)), np.var(xs, axis=axis), rtol=5e-3, atol=1e-4)
        np.testing.assert_array_equal(np_of(mx.count_nonzero(a, axis=axis)), np.count_nonzero(x, axis=axis))
    for axis in (0, 1, 2):
        np.testing.assert_array_equal(np_of(mx.argmax(a, axis=axis)), np.argmax(x, axis=axis))
        np.testing.assert_array_equal(np_of(mx.argmin(a, axis=axis)), np.argmin(x, axis=axis))


LAYOUT_SHAPES = [
    ((2, 3, 4, 5), [(0,), (1,), (2,), (3,), (0, 1), (0, 2), (1, 3), (0, 3), (1, 2), (0, 1, 3), (0, 2, 3)]),
    ((7, 33, 40), [(0,), (1,), (2,), (0, 2), (0, 1), (1, 2)]),
    ((1, 50, 1, 20), [(0,), (1,), (2,), (3,), (0, 2), (1, 3), (0, 1, 2)]),
    ((17,), [(0,)]),
]


@pytest.mark.parametrize("shape,axes_list", LAYOUT_SHAPES)
def test_reduce_layouts(shape, axes_list):
    """Row, column, mixed and copied plans give NumPy's answers."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape).astype(np.float32)
    a = mx.array(x)
    views = {
        "contig": (a, x),
        "transposed": (a.T, x.T),
        "sliced": (a[::2], x[::2]) if shape[0] > 1 else (a, x),
        "reversed": (a[::-1], x[::-1]),
    }
    for label, (av, xv) in views.items():
        for axes in axes_list:
            axes = tuple(ax for ax in axes if ax < xv.ndim)
            msg = f"{label} {shape} {axes}"
            np.testing.assert_allclose(np_of(mx.sum(av, axis=axes)), xv.sum(axis=axes, dtype=np.float64), rtol=1e-4, atol=1e-4, err_msg=msg)
            np.testing.assert_allclose(np_of(mx.max(av, axis=axes)), xv.max(axis=axes), err_msg=msg)
            np.testing.assert_allclose(np_of(mx.prod(av, axis=axes)), xv.prod(axis=axes, dtype=np.float64), rtol=1e-3, atol=1e-6, err_msg=msg)
            lse = np.log(np.exp(xv.astype(np.float64)).sum(axis=axes))
            np.testing.assert_allclose(np_of(mx.logsumexp(av, axis=axes)), lse, rtol=1e-5, atol=1e-6, err_msg=msg)
            if len(axes) == 1:
                np.testing.assert_array_equal(np_of(mx.argmax(av, axis=axes[0])), xv.argmax(axis=axes[0]), err_msg=msg)
                np.testing.assert_array_equal(np_of(mx.argmin(av, axis=axes[0])), xv.argmin(axis=axes[0]), err_msg=msg)


def test_reduce_broadcast_views():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((1, 30)).astype(np.float32)
    a = mx.broadcast_to(mx.array(x), (20, 30))
    xb = np.broadcast_to(x, (20, 30))
    for axis in (None, 0, 1):
        np.testing.assert_allclose(np_of(mx.sum(a, axis=axis)), xb.sum(axis=axis), rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np_of(mx.min(a, axis=axis)), xb.min(axis=axis))
    np.testing.assert_array_equal(np_of(mx.argmax(a, axis=0)), np.zeros(30))
    np.testing.assert_allclose(np_of(mx.softmax(a, axis=-1)), np_of(mx.softmax(mx.array(xb), axis=-1)), rtol=1e-6)
    np.testing.assert_allclose(np_of(mx.cumsum(a, axis=0)), np.cumsum(xb, axis=0), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape,axis", [((3000, 40), 0), ((40, 3000), 1), ((200000,), 0), ((100000, 3), 0),
                                        ((3, 100000), 1), ((5, 300, 70), (0, 2)), ((2, 70000), None),
                                        ((70000, 2), 1), ((300, 500), 0), ((400, 2, 300), (0, 2)),
                                        ((64, 50, 100), 1), ((6, 20000), 0)])
def test_reduce_large(shape, axis):
    """Parallel paths: many outputs, few outputs (split and merged), short columns."""
    rng = np.random.default_rng(5)
    x = rng.standard_normal(shape).astype(np.float32)
    a = mx.array(x)
    np.testing.assert_allclose(np_of(mx.sum(a, axis=axis)), x.sum(axis=axis, dtype=np.float64), rtol=1e-4, atol=2e-3)
    np.testing.assert_allclose(np_of(mx.max(a, axis=axis)), x.max(axis=axis))
    np.testing.assert_allclose(np_of(mx.mean(a, axis=axis)), x.mean(axis=axis, dtype=np.float64), rtol=1e-4, atol=1e-6)
    xi = (x * 10).astype(np.int32)
    np.testing.assert_array_equal(np_of(mx.sum(mx.array(xi), axis=axis)), xi.sum(axis=axis))
    if isinstance(axis, int):
        np.testing.assert_array_equal(np_of(mx.argmax(a, axis=axis)), x.argmax(axis=axis))
        np.testing.assert_array_equal(np_of(mx.argmin(a, axis=axis)), x.argmin(axis=axis))


def test_accumulation_types():
    # halves accumulate in float32, small ints in 32 bits (wrapping)
    check(mx.sum(mx.ones(10000, dtype=mx.float16)), mxr.sum(mxr.ones(10000, dtype=mxr.float16)))
    check(mx.sum(mx.ones(100000, dtype=mx.bfloat16)), mxr.sum(mxr.ones(100000, dtype=mxr.bfloat16)))
    for dt in ("int8", "uint8", "int16", "uint16", "int32", "uint32", "int64"):
        x = np.full((300,), 200 if dt.startswith("u") else 100).astype(dt)
        a, r = both(x, dt)
        check(mx.sum(a), mxr.sum(r))
        check(mx.prod(a[:7]), mxr.prod(r[:7]))
    x = np.full((3,), 2**31 - 1, dtype=np.int32)
    a, r = both(x, "int32")
    check(mx.sum(a), mxr.sum(r))
    check(mx.mean(a), mxr.mean(r))


def test_nan_and_ties():
    nan, inf = float("nan"), float("inf")
    cases = [[1.0, nan, 3.0], [nan, nan, 3.0], [3.0, 1.0, 3.0], [1.0, 1.0, 3.0], [-inf, -inf],
             [inf, 1.0], [0.0, -0.0, 0.0], [2.0, 5.0, nan, 5.0]]
    for c in cases:
        for dt in ("float32", "float16", "bfloat16", "float64"):
            a, r = both(np.array(c, dtype=np.float32), dt)
            for op in ("max", "min", "argmax", "argmin", "logsumexp", "sum", "softmax", "cummax", "cummin",
                       "logcumsumexp"):
                if op in ("cummax", "cummin") and dt in ("float16", "bfloat16") and np.isnan(c).any():
                    # MLX turns NaN into 0 there (a bug); rmlx propagates NaN as for float32.
                    want = (np.maximum if op == "cummax" else np.minimum).accumulate(np.array(c))
                    np.testing.assert_array_equal(np_of(call(mx, op, a)), want)
                    continue
                check(call(mx, op, a), call(mxr, op, r), rtol=1e-6 if dt == "float64" else None)
    # long rows exercise the vectorised paths
    x = np.random.default_rng(6).standard_normal((4, 1000)).astype(np.float32)
    x[1, 517] = np.nan
    x[2, 3] = x[2, 900] = 50.0
    x[3, :] = 1.0
    a, r = both(x, "float32")
    for op in ("max", "min", "argmax", "argmin"):
        check(call(mx, op, a, axis=1), call(mxr, op, r, axis=1))
        check(call(mx, op, a.T, axis=0), call(mxr, op, r.T, axis=0))
    assert mx.argmax(a, axis=1).tolist() == [int(np.argmax(x[0])), 517, 3, 0]


def test_complex():
    rng = np.random.default_rng(7)
    x = (rng.integers(-2, 3, (4, 5)) + 1j * rng.integers(-2, 3, (4, 5))).astype(np.complex64)
    a, r = both(x, "complex64")
    for op in ("sum", "prod", "max", "min", "mean", "var", "std", "all", "any", "argmax", "argmin",
               "logsumexp", "softmax", "count_nonzero"):
        for axis in (None, 0, 1):
            check(call(mx, op, a, axis=axis), call(mxr, op, r, axis=axis), rtol=1e-4)
    for op in SCAN_OPS:
        check(call(mx, op, a, axis=1), call(mxr, op, r, axis=1), rtol=1e-4)


def test_empty_and_scalar():
    e, er = mx.zeros((0, 3)), mxr.zeros((0, 3))
    for op, axis in [("sum", None), ("sum", 0), ("sum", 1), ("prod", None), ("prod", 0), ("mean", 0),
                     ("var", None), ("all", None), ("any", 0), ("count_nonzero", None), ("max", 1),
                     ("softmax", None), ("softmax", 0), ("cumsum", 0), ("cumsum", None),
                     ("logcumsumexp", None), ("cummax", 1)]:
        check(call(mx, op, e, axis=axis), call(mxr, op, er, axis=axis))
    for op, axis in [("max", None), ("min", 0), ("argmax", None), ("argmax", 1), ("argmin", 0),
                     ("logsumexp", None), ("logsumexp", 1)]:
        with pytest.raises(ValueError):
            mx.eval(call(mx, op, e, axis=axis))
        with pytest.raises(ValueError):
            mxr.eval(call(mxr, op, er, axis=axis))
    with pytest.raises(ValueError, match="axis 1"):
        mx.max(mx.zeros((2, 0, 3)), axis=[2, 1])
    check(mx.max(mx.zeros((2, 0, 3)), axis=[0, 2]), mxr.max(mxr.zeros((2, 0, 3)), axis=[0, 2]))
    # 0-d inputs, empty axis lists: MLX's shortcuts keep or cast the input
    for name in ("int8", "float16", "bool_"):
        a, r = mx.array(3).astype(getattr(mx, name)), mxr.array(3).astype(getattr(mxr, name))
        ops = REDUCE_OPS + ["argmax", "argmin"] + (["softmax"] if name == "float16" else [])
        for op in ops:
            check(call(mx, op, a), call(mxr, op, r))
        b, br = both(np.array([[1, 2, 3]]), name)
        for op in ops[:len(REDUCE_OPS)] + ops[len(REDUCE_OPS) + 2:]:
            check(call(mx, op, b, axis=[]), call(mxr, op, br, axis=[]))
            check(call(mx, op, b, axis=0), call(mxr, op, br, axis=0))
    check(mx.cumsum(mx.array(3.0)), mxr.cumsum(mxr.array(3.0)))
    check(mx.argmax(mx.zeros((2, 3, 4)), keepdims=True), mxr.argmax(mxr.zeros((2, 3, 4)), keepdims=True))


def test_var_std_ddof():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    a, r = both(x, "float32")
    for ddof in (0, 1, 2, 5, 23, 24, 30, -1):
        for axis in (None, 0, 1, [0, 1]):
            check(mx.var(a, axis=axis, ddof=ddof), mxr.var(r, axis=axis, ddof=ddof))
            check(mx.std(a, axis, False, ddof), mxr.std(r, axis, False, ddof))
    np.testing.assert_allclose(np_of(mx.var(a, axis=0, ddof=1)), x.var(axis=0, ddof=1), rtol=1e-5)
    check(a.var(correction=1), r.var(correction=1))
    check(a.var(ddof=1, correction=2), r.var(ddof=1, correction=2))
    check(a.std(0, True, 1), r.std(0, True, 1))
    for name in ("int32", "float16", "bfloat16", "uint8"):
        b, br = both(np.array([1, 2, 3, 4]), name)
        check(mx.var(b), mxr.var(br))
        check(mx.std(b, ddof=1), mxr.std(br, ddof=1))


# ---------------------------------------------------------------------------
# Softmax.


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "int32", "bool_", "uint8"])
def test_softmax(name):
    rng = np.random.default_rng(9)
    x = data(rng, (5, 37), name)
    a, r = both(x, name)
    for axis in (None, -1, 1, 0, [0, 1], [1, 0]):
        for precise in (False, True):
            if name in ("int32", "bool_", "uint8") and axis not in (-1, 1):
                # MLX casts this result back to the integer dtype (zeros): a
                # bug rmlx does not copy; it returns the float32 softmax.
                got = mx.softmax(a, axis=axis, precise=precise)
                ax = tuple(axis) if isinstance(axis, list) else axis
                xf = np.asarray(x, dtype=np.float64)
                e = np.exp(xf - xf.max(axis=ax, keepdims=True))
                assert dname(got) == "float32"
                np.testing.assert_allclose(np_of(got), e / e.sum(axis=ax, keepdims=True), rtol=1e-5, atol=1e-7)
                continue
            check(mx.softmax(a, axis=axis, precise=precise), mxr.softmax(r, axis=axis, precise=precise),
                  rtol=1e-6 if name == "float64" else None)
    xf = np.asarray(x, dtype=np.float64)
    e = np.exp(xf - xf.max(axis=-1, keepdims=True))
    np.testing.assert_allclose(np_of(mx.softmax(a, axis=-1)).astype(np.float64), e / e.sum(-1, keepdims=True),
                               rtol=RTOL.get(name, 2e-5) * 10, atol=1e-3 if name in ("float16", "bfloat16") else 1e-7)


def test_softmax_half_accumulation():
    # without `precise`, MLX accumulates float16 in float16 (the sum saturates)
    for dt in ("float16", "bfloat16"):
        a, r = both(np.ones(10000, dtype=np.float32), dt)
        check(mx.softmax(a), mxr.softmax(r), rtol=0, atol=0)
        check(mx.softmax(a, precise=True), mxr.softmax(r, precise=True))
        check(mx.logsumexp(a), mxr.logsumexp(r))


def test_softmax_layouts_and_masks():
    rng = np.random.default_rng(10)
    x = rng.standard_normal((64, 1024)).astype(np.float32) * 10
    x[:, 500:] = -np.inf  # masked attention rows
    x[3, :] = -np.inf
    a, r = both(x, "float32")
    check(mx.softmax(a, axis=-1), mxr.softmax(r, axis=-1))
    check(mx.softmax(a.T, axis=0), mxr.softmax(r.T, axis=0))
    check(mx.softmax(a[:, ::3], axis=-1), mxr.softmax(r[:, ::3], axis=-1))
    out = np_of(mx.softmax(a, axis=-1))
    assert np.all(out[:, 500:][np.arange(64) != 3] == 0.0)
    np.testing.assert_allclose(out[np.arange(64) != 3].sum(-1), 1.0, rtol=1e-5)
    y = rng.standard_normal((3, 4, 5)).astype(np.float32)
    b, br = both(y, "float32")
    for axis in (0, 1, (0, 2), (2, 0), None):
        check(mx.softmax(b, axis=axis), mxr.softmax(br, axis=axis))
    # the exp is accurate over the whole range softmax uses
    z = np.linspace(-100, 0, 20001, dtype=np.float32)
    got = np_of(mx.softmax(mx.array(np.stack([z, np.full_like(z, -np.inf)]).T), axis=-1))
    np.testing.assert_array_equal(got[:, 0], 1.0)
    lse = np_of(mx.logsumexp(mx.array(np.stack([z, z - 3]).T), axis=-1))
    np.testing.assert_allclose(lse, z + np.log1p(np.exp(-3.0)), rtol=2e-7, atol=2e-6)


# ---------------------------------------------------------------------------
# Scans.


@pytest.mark.parametrize("name", DTYPE_NAMES)
@pytest.mark.parametrize("op", SCAN_OPS)
def test_scan_dtypes(op, name):
    rng = np.random.default_rng(11)
    x = data(rng, (3, 4, 6), name, -2, 3)
    a, r = both(x, name)
    for axis in (None, 0, 1, 2, -1):
        for reverse in (False, True):
            for inclusive in (True, False):
                kw = dict(axis=axis, reverse=reverse, inclusive=inclusive)
                try:
                    ref = call(mxr, op, r, **kw)
                    mxr.eval(ref)
                except Exception as e:  # noqa: BLE001
                    with pytest.raises(type(e)):
                        mx.eval(call(mx, op, a, **kw))
                    continue
                check(call(mx, op, a, **kw), ref, rtol=1e-6 if name == "float64" else None)


def test_scan_numpy_and_views():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((50, 300)).astype(np.float32)
    a = mx.array(x)
    for axis in (0, 1):
        np.testing.assert_allclose(np_of(mx.cumsum(a, axis=axis)), np.cumsum(x, axis=axis, dtype=np.float64), rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(np_of(mx.cummax(a.T, axis=axis)), np.maximum.accumulate(x.T, axis=axis))
        np.testing.assert_allclose(np_of(mx.cumprod(a[:, :20], axis=axis)), np.cumprod(x[:, :20], axis=axis, dtype=np.float64), rtol=1e-4, atol=1e-30)
        lce = np.logaddexp.accumulate(x.astype(np.float64), axis=axis)
        np.testing.assert_allclose(np_of(mx.logcumsumexp(a, axis=axis)), lce, rtol=1e-5)
        rev = np.flip(np.cumsum(np.flip(x, axis), axis=axis), axis)
        np.testing.assert_allclose(np_of(mx.cumsum(a, axis=axis, reverse=True)), rev, rtol=1e-4, atol=1e-4)
    big = rng.integers(-5, 5, (400, 300)).astype(np.int32)
    for axis in (None, 0, 1):
        np.testing.assert_array_equal(np_of(mx.cumsum(mx.array(big), axis=axis)), np.cumsum(big, axis=axis))
    # dtype= casts first; saturating/wrapping like MLX
    check(mx.cumsum(a, dtype=mx.float16), mxr.cumsum(mxr.array(x), dtype=mxr.float16), rtol=5e-2, atol=1.0)
    check(mx.cumsum(mx.array([True, True]), dtype=mx.bool_), mxr.cumsum(mxr.array([True, True]), dtype=mxr.bool_))
    check(mx.cumprod(mx.array([2, 3, 5, 7]), dtype=mx.int8), mxr.cumprod(mxr.array([2, 3, 5, 7]), dtype=mxr.int8))
    check(mx.cumsum(mx.ones(3000, dtype=mx.float16)), mxr.cumsum(mxr.ones(3000, dtype=mxr.float16)))


# ---------------------------------------------------------------------------
# Errors and the Python surface.


def test_errors():
    a, r = mx.zeros((2, 3)), mxr.zeros((2, 3))
    cases = [
        ("sum", dict(axis=2)), ("sum", dict(axis=-3)), ("sum", dict(axis=[0, 0])), ("sum", dict(axis=[0, -2])),
        ("max", dict(axis=5)), ("mean", dict(axis=2)), ("mean", dict(axis=[0, 0])), ("var", dict(axis=-3)),
        ("std", dict(axis=[1, 1])), ("argmax", dict(axis=2)), ("logsumexp", dict(axis=3)),
        ("logsumexp", dict(axis=[1, 1])), ("softmax", dict(axis=2)), ("softmax", dict(axis=[1, 1])),
        ("count_nonzero", dict(axis=2)), ("cumsum", dict(axis=2)), ("cumprod", dict(axis=-3)),
        ("logcumsumexp", dict(axis=9)), ("sum", dict(axis=1.0)), ("sum", dict(axis="x")),
        ("sum", dict(axis=[0, 1.0])), ("sum", dict(keepdims=1)), ("sum", dict(keepdims=None)),
        ("argmax", dict(axis=[0])), ("cumsum", dict(axis=[0])), ("var", dict(ddof=1.5)),
    ]
    for op, kw in cases:
        with pytest.raises(Exception) as ref:
            mxr.eval(call(mxr, op, r, **kw))
        with pytest.raises(ref.type):
            mx.eval(call(mx, op, a, **kw))
    for op in ("logsumexp", "softmax"):
        with pytest.raises(ValueError):
            call(mx, op, mx.array(2.0), axis=0)
    for bad in ([1, 2, 3], 3, 3.0, np.array([1, 2])):
        for op in REDUCE_OPS + SCAN_OPS + ["argmax", "softmax"]:
            with pytest.raises(TypeError):
                call(mx, op, bad)
    with pytest.raises(TypeError):
        mx.softmax(a, 1, True)  # precise is keyword-only
    with pytest.raises(TypeError):
        mx.cumsum(a, 0, True)  # reverse is keyword-only


def test_signatures_and_methods():
    rng = np.random.default_rng(13)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    a, r = both(x, "float32")
    check(mx.sum(a, 1, True), mxr.sum(r, 1, True))
    check(mx.sum(a, None, True), mxr.sum(r, None, True))
    check(mx.sum(a, axis=mx.array(0)), mxr.sum(r, axis=mxr.array(0)))
    check(mx.sum(a, axis=mx.array([0, 1])), mxr.sum(r, axis=mxr.array([0, 1])))
    check(mx.sum(a, axis=np.int64(1)), mxr.sum(r, axis=np.int64(1)))
    check(mx.sum(a, axis=True), mxr.sum(r, axis=True))
    check(mx.count_nonzero(a, 1), mxr.count_nonzero(r, 1))
    check(mx.count_nonzero(a, axis=0, keepdims=True), mxr.count_nonzero(r, axis=0, keepdims=True))
    check(mx.var(a, 0, False, 1), mxr.var(r, 0, False, 1))
    check(mx.softmax(a, 0, precise=True), mxr.softmax(r, 0, precise=True))
    check(mx.cumsum(a, 1, reverse=True, inclusive=False), mxr.cumsum(r, 1, reverse=True, inclusive=False))
    check(mx.sum(a, stream=mx.cpu), mxr.sum(r, stream=mxr.cpu))
    for m in ("sum", "prod", "max", "min", "all", "any", "mean", "var", "std", "logsumexp", "argmax", "argmin"):
        check(getattr(a, m)(), getattr(r, m)())
        check(getattr(a, m)(0, True), getattr(r, m)(0, True))
        check(getattr(a, m)(axis=-1), getattr(r, m)(axis=-1))
    for m in SCAN_OPS:
        check(getattr(a, m)(), getattr(r, m)())
        check(getattr(a, m)(1, reverse=True), getattr(r, m)(1, reverse=True))
        check(getattr(a, m)(axis=0, inclusive=False), getattr(r, m)(axis=0, inclusive=False))
    assert not hasattr(a, "softmax") and not hasattr(a, "count_nonzero")
