"""The sort family against the reference MLX (bit for bit: MLX's NaN order,
-0.0 kept in place, stable ties, partition order of libstdc++'s
nth_element) and NumPy: sort, argsort, partition, argpartition, topk,
searchsorted, median; every dtype and axis, odd and empty shapes,
non-contiguous inputs, errors, gradients (float64 finite differences and
MLX's rules) and vmap against a loop."""

import numpy as np
import pytest

from conftest import DTYPE_NAMES, FLOAT_NAMES, INT_NAMES, make, mx, need_mlx, to_numpy

UINT_OF_SIZE = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64"}


def raw(a):
    """The bits of an rmlx or MLX array as a NumPy unsigned array."""
    mod = mx if type(a).__module__.startswith("rmlx") else need_mlx()
    if str(a.dtype).endswith("bool"):
        return np.array(a).astype(np.uint8)
    return np.array(a.view(getattr(mod, UINT_OF_SIZE[a.dtype.size])))


def special_data(rng, shape, name):
    """Values with ties, and for floats NaNs of both signs, infinities and
    signed zeros, as NumPy data for dtype `name`."""
    n = int(np.prod(shape))
    if name == "bool_":
        return (rng.random(n) > 0.5).reshape(shape)
    if name in INT_NAMES:
        lo = 0 if name.startswith("u") else -4
        return rng.integers(lo, 4, n).astype(name).reshape(shape)
    if name == "complex64":
        re = rng.integers(-2, 3, n).astype(np.float32)
        im = rng.integers(-2, 3, n).astype(np.float32)
        re[rng.random(n) < 0.1] = np.nan
        im[rng.random(n) < 0.1] = np.nan
        re[rng.random(n) < 0.1] = -0.0
        return (re + 1j * im).astype(np.complex64).reshape(shape)
    x = np.where(rng.random(n) < 0.5, rng.integers(-3, 4, n), rng.standard_normal(n) * 4)
    x = x.astype(np.float64)
    pick = rng.random(n)
    x[pick < 0.06] = np.nan
    x[(pick >= 0.06) & (pick < 0.09)] = -np.nan
    x[(pick >= 0.09) & (pick < 0.12)] = np.inf
    x[(pick >= 0.12) & (pick < 0.15)] = -np.inf
    x[(pick >= 0.15) & (pick < 0.2)] = -0.0
    x[(pick >= 0.2) & (pick < 0.25)] = 0.0
    return x.reshape(shape)


def pair(np_value, name):
    """The same data as an rmlx array and an MLX array with identical bits."""
    mxr = need_mlx()
    if name == "bool_":
        return mx.array(np_value), mxr.array(np_value)
    a = make(mx, np_value, name)
    b = mxr.array(raw(a)).view(getattr(mxr, name))
    return a, b


def same(a, ref):
    """Equal dtype, shape and bits."""
    assert str(a.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
    assert a.shape == ref.shape
    np.testing.assert_array_equal(raw(a), raw(ref))


AXES = [None, 0, 1, 2, -1, -2, -3]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_sort_argsort_match_mlx(name):
    mxr = need_mlx()
    rng = np.random.default_rng(1)
    a, r = pair(special_data(rng, (5, 6, 7), name), name)
    for axis in AXES:
        same(mx.sort(a, axis=axis), mxr.sort(r, axis=axis))
        same(mx.argsort(a, axis=axis), mxr.argsort(r, axis=axis))
    same(mx.sort(a), mxr.sort(r))
    same(mx.argsort(a), mxr.argsort(r))


@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16", "int32",
                                  "int64", "uint16", "int8", "uint64", "complex64", "bool_"])
@pytest.mark.parametrize("n", [255, 256, 3000, 70_000, 300_000])
def test_long_rows_match_mlx(name, n):
    # Long rows take the radix path (parallel above 2**17 elements).
    mxr = need_mlx()
    rng = np.random.default_rng(n)
    a, r = pair(special_data(rng, (n,), name), name)
    same(mx.sort(a), mxr.sort(r))
    same(mx.argsort(a), mxr.argsort(r))


def test_sort_matches_numpy_stable():
    rng = np.random.default_rng(2)
    for name in ["float32", "float64", "int16", "uint32", "int64", "float16"]:
        x = special_data(rng, (4, 50), name).astype(name)
        a = mx.array(x) if name != "float64" else mx.array(x, dtype=mx.float64)
        for axis in [0, 1, -1]:
            np.testing.assert_array_equal(np.array(mx.sort(a, axis=axis)), np.sort(x, axis=axis, kind="stable"))
            np.testing.assert_array_equal(np.array(mx.argsort(a, axis=axis)),
                                          np.argsort(x, axis=axis, kind="stable"))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_partition_topk_match_mlx(name):
    mxr = need_mlx()
    rng = np.random.default_rng(3)
    a, r = pair(special_data(rng, (4, 5, 33), name), name)
    for axis, n in [(-1, 33), (0, 4), (1, 5), (None, 660)]:
        for kth in [0, 1, n // 2, n - 1, -1, -n]:
            same(mx.partition(a, kth, axis=axis), mxr.partition(r, kth, axis=axis))
            same(mx.argpartition(a, kth, axis=axis), mxr.argpartition(r, kth, axis=axis))
        for k in [0, 1, n // 3, n]:
            same(mx.topk(a, k, axis=axis), mxr.topk(r, k, axis=axis))
    same(mx.partition(a, 3), mxr.partition(r, 3))
    same(mx.topk(a, 2), mxr.topk(r, 2))


def test_partition_adversarial_and_long_rows():
    # Inputs that drive introselect into its heap-select fallback, and long rows.
    mxr = need_mlx()
    rng = np.random.default_rng(4)
    rows = [np.arange(2000, dtype=np.float32)[::-1].copy(), np.tile([3, 1, 2], 700).astype(np.float32),
            np.concatenate([np.arange(500), np.arange(500)[::-1]]).astype(np.float32),
            rng.standard_normal(100_000).astype(np.float32)]
    # McIlroy's adversary against median-of-three quicksort.
    n = 1000
    gas, val, state = n, [n] * n, {"solid": 0, "cand": 0}

    def less(i, j):
        if val[i] == gas and val[j] == gas:
            if i == state["cand"]:
                val[i] = state["solid"]
            else:
                val[j] = state["solid"]
            state["solid"] += 1
        if val[i] == gas:
            state["cand"] = i
        elif val[j] == gas:
            state["cand"] = j
        return val[i] < val[j]

    import functools
    sorted(range(n), key=functools.cmp_to_key(lambda i, j: -1 if less(i, j) else (1 if less(j, i) else 0)))
    for i in range(n):
        if val[i] == gas:
            val[i] = state["solid"]
            state["solid"] += 1
    rows.append(np.array(val, dtype=np.float32))
    for x in rows:
        for kth in [0, len(x) // 3, len(x) // 2, len(x) - 1]:
            a, r = mx.array(x), mxr.array(x)
            same(mx.partition(a, kth), mxr.partition(r, kth))
            same(mx.argpartition(a, kth), mxr.argpartition(r, kth))


def test_non_contiguous_inputs():
    mxr = need_mlx()
    rng = np.random.default_rng(5)
    x = special_data(rng, (6, 8, 10), "float32").astype(np.float32)
    a, r = mx.array(x), mxr.array(x)
    views = [
        (lambda m, t: m.transpose(t, (2, 0, 1))),
        (lambda m, t: t[::2, ::-1, 1::3]),
        (lambda m, t: m.broadcast_to(t[:, :1, :], (6, 8, 10))),
        (lambda m, t: m.swapaxes(t, 0, 2)[:, 3]),
    ]
    for v in views:
        va, vr = v(mx, a), v(mxr, r)
        for axis in [None, 0, -1]:
            same(mx.sort(va, axis=axis), mxr.sort(vr, axis=axis))
            same(mx.argsort(va, axis=axis), mxr.argsort(vr, axis=axis))
            same(mx.partition(va, 1, axis=axis), mxr.partition(vr, 1, axis=axis))
            same(mx.argpartition(va, -2, axis=axis), mxr.argpartition(vr, -2, axis=axis))
            same(mx.topk(va, 2, axis=axis), mxr.topk(vr, 2, axis=axis))
        same(mx.median(va, axis=(0, 1)), mxr.median(vr, axis=(0, 1)))
        seq = mx.sort(va, axis=None)
        same(mx.searchsorted(seq, va), mxr.searchsorted(mxr.sort(vr, axis=None), vr))


def test_empty_and_scalar_shapes():
    mxr = need_mlx()
    for shape in [(0,), (3, 0), (0, 3), (2, 0, 4)]:
        x = np.zeros(shape, np.float32)
        a, r = mx.array(x), mxr.array(x)
        for axis in [None, 0, -1]:
            same(mx.sort(a, axis=axis), mxr.sort(r, axis=axis))
            same(mx.argsort(a, axis=axis), mxr.argsort(r, axis=axis))
        if shape[-1] > 0:
            same(mx.partition(a, 0), mxr.partition(r, 0))
            same(mx.topk(a, 1), mxr.topk(r, 1))
        same(mx.topk(a, shape[-1]), mxr.topk(r, shape[-1]))
    s = mx.array(5.0)
    assert mx.sort(s, axis=None).tolist() == [5.0]
    assert mx.argsort(s, axis=None).tolist() == [0]
    assert mx.topk(s, 1, axis=None).tolist() == [5.0]
    with pytest.raises(IndexError):
        mx.sort(s)
    with pytest.raises(IndexError):
        mx.argsort(s)
    with pytest.raises(IndexError):
        mx.partition(s, 0)


def test_errors():
    a = mx.array([[3.0, 1.0, 2.0], [0.0, 5.0, 4.0]])
    for f in [lambda: mx.sort(a, axis=2), lambda: mx.argsort(a, axis=-3),
              lambda: mx.partition(a, 1, axis=3), lambda: mx.argpartition(a, 0, axis=2),
              lambda: mx.topk(a, 1, axis=2), lambda: mx.median(a, axis=2)]:
        with pytest.raises(IndexError):
            f()
    for f in [lambda: mx.partition(a, 3), lambda: mx.partition(a, -4), lambda: mx.argpartition(a, 3),
              lambda: mx.topk(a, 4), lambda: mx.topk(a, -1), lambda: mx.median(a, axis=(0, 0)),
              lambda: mx.median(mx.zeros((0, 3)), axis=0), lambda: mx.median(mx.array([])),
              lambda: mx.partition(mx.zeros((3, 0)), 0),
              lambda: mx.searchsorted(a, mx.array([1.0])),
              lambda: mx.searchsorted(mx.array(1.0), mx.array([1.0])),
              lambda: mx.searchsorted(mx.array([1.0]), mx.array([1.0]), side="middle")]:
        with pytest.raises(ValueError):
            f()
    for f in [lambda: mx.sort([3, 1]), lambda: mx.sort(np.array([3, 1])), lambda: mx.sort(a, 1.0),
              lambda: mx.topk(a, 2.0), lambda: mx.median([1, 2]), lambda: mx.argsort(3),
              lambda: mx.searchsorted(mx.array([1]), 2), lambda: mx.partition(a, kth="1"),
              lambda: mx.sort(a, axis=(0, 1))]:
        with pytest.raises(TypeError):
            f()
    # Positional-only operand, keyword arguments as MLX names them.
    assert mx.sort(a, axis=0).shape == (2, 3)
    assert mx.partition(a, kth=1, axis=None).shape == (6,)
    assert mx.topk(a, k=1, axis=0).shape == (1, 3)
    with pytest.raises(TypeError):
        mx.sort(a=a)


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_searchsorted_matches_mlx(name):
    mxr = need_mlx()
    rng = np.random.default_rng(6)
    seq_np = special_data(rng, (40,), name)
    vals_np = special_data(rng, (3, 7), name)
    sa, sr = pair(seq_np, name)
    va, vr = pair(vals_np, name)
    # A sorted sequence (MLX's order) and an unsorted one (MLX's binary
    # search answers are reproduced step for step).
    for s_a, s_r in [(mx.sort(sa), mxr.sort(sr)), (sa, sr)]:
        for side in ["left", "right"]:
            same(mx.searchsorted(s_a, va, side=side), mxr.searchsorted(s_r, vr, side=side))
            same(mx.searchsorted(s_a, va[1:, ::-2], side), mxr.searchsorted(s_r, vr[1:, ::-2], side))
    same(mx.searchsorted(mx.sort(sa), va), mxr.searchsorted(mxr.sort(sr), vr))


def test_searchsorted_numpy_and_promotion():
    mxr = need_mlx()
    rng = np.random.default_rng(7)
    seq = np.sort(rng.integers(-20, 20, 50)).astype(np.int32)
    v = rng.standard_normal((4, 5)) * 15
    for side in ["left", "right"]:
        got = mx.searchsorted(mx.array(seq), mx.array(v.astype(np.float32)), side=side)
        assert got.dtype == mx.uint32
        np.testing.assert_array_equal(np.array(got), np.searchsorted(seq.astype(np.float32),
                                                                      v.astype(np.float32), side=side))
    pairs = [(np.array([1, 2, 3], np.uint8), np.array([-1, 2], np.int8)),
             (np.array([1, 2, 3], np.int64), np.array([1.5, 2.5], np.float16)),
             (np.array([0.5, 1.5]), np.array([True, False]))]
    for s, v in pairs:
        same(mx.searchsorted(mx.array(s), mx.array(v)), mxr.searchsorted(mxr.array(s), mxr.array(v)))
    same(mx.searchsorted(mx.array([]), mx.zeros((2, 2))), mxr.searchsorted(mxr.array([]), mxr.zeros((2, 2))))
    same(mx.searchsorted(mx.array([1, 2]), mx.array([])), mxr.searchsorted(mxr.array([1, 2]), mxr.array([])))


MEDIAN_AXES = [None, 0, 1, -1, (0, 1), (2, 0), [0, 1, 2], (1,)]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_median_matches_mlx(name):
    mxr = need_mlx()
    rng = np.random.default_rng(8)
    x = special_data(rng, (4, 5, 6), name)
    if name in FLOAT_NAMES or name == "complex64":
        # Mostly NaN-free slices, so that the middle values matter.
        x = np.where(np.isnan(x), 1, x).astype(x.dtype)
        x[0, 0, ::5] = np.nan
    a, r = pair(x, name)
    for axis in MEDIAN_AXES:
        for keepdims in [False, True]:
            got, ref = mx.median(a, axis=axis, keepdims=keepdims), mxr.median(r, axis=axis, keepdims=keepdims)
            assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
            assert got.shape == ref.shape
            np.testing.assert_array_equal(to_numpy(got), to_numpy(ref))


def test_median_numpy_and_specials():
    mxr = need_mlx()
    rng = np.random.default_rng(9)
    x = rng.standard_normal((5, 6, 7))
    x[0, 0, 0] = np.nan
    a = mx.array(x, dtype=mx.float64)
    for axis in [None, 0, 2, (0, 2), (1, 2)]:
        np.testing.assert_array_equal(np.array(mx.median(a, axis=axis)), np.median(x, axis=axis))
    assert mx.median(mx.array(5)).item() == 5.0
    assert mx.median(mx.array(5)).dtype == mx.float32
    assert mx.median(mx.array([True, False, True, False])).item() == 0.5
    assert mx.median(mx.array([2**24 + 1, 2**24 + 3])).item() == mxr.median(mxr.array([2**24 + 1, 2**24 + 3])).item()
    assert np.isinf(mx.median(mx.array([65504.0, 65504.0], dtype=mx.float16)).item())
    assert mx.median(mx.zeros((0, 3)), axis=1).shape == (0,)
    # Beyond MLX: an empty axis list is the identity (MLX raises a flatten error).
    assert mx.median(mx.array([[1, 2], [3, 4]]), axis=[]).tolist() == [[1.0, 2.0], [3.0, 4.0]]


# --- transformations ---------------------------------------------------------

def _distinct(rng, shape):
    return rng.permutation(np.prod(shape)).reshape(shape).astype(np.float64) / 7 + rng.random(shape) * 0.01


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in np.ndindex(x.shape):
        d = np.zeros_like(x)
        d[i] = eps
        g[i] = (f(x + d) - f(x - d)) / (2 * eps)
    return g


SORT_FNS = {
    "sort0": lambda m, x: m.sort(x, axis=0),
    "sort-1": lambda m, x: m.sort(x),
    "sortNone": lambda m, x: m.sort(x, axis=None),
    "partition": lambda m, x: m.partition(x, 2, axis=1),
    "partitionNone": lambda m, x: m.partition(x, -3, axis=None),
    "topk": lambda m, x: m.topk(x, 2, axis=0),
    "median": lambda m, x: m.median(x, axis=1),
    "median_all": lambda m, x: m.median(x),
}


@pytest.mark.parametrize("fname", list(SORT_FNS))
def test_grad_finite_differences_and_mlx(fname):
    mxr = need_mlx()
    f = SORT_FNS[fname]
    rng = np.random.default_rng(10)
    x = _distinct(rng, (4, 5))
    out_shape = np.array(f(mx, mx.array(x, dtype=mx.float64))).shape
    w = rng.standard_normal(out_shape)

    def loss(m):
        return lambda t: (f(m, t) * m.array(w, dtype=m.float64)).sum()

    g = np.array(mx.grad(loss(mx))(mx.array(x, dtype=mx.float64)))
    fd = _fd_grad(lambda v: np.array(loss(mx)(mx.array(v, dtype=mx.float64))).item(), x)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6)
    ref = np.array(mxr.grad(loss(mxr))(mxr.array(x, dtype=mxr.float64)))
    np.testing.assert_allclose(g, ref, rtol=1e-12, atol=1e-12)
    t = rng.standard_normal(x.shape)
    _, jt = mx.jvp(lambda v: f(mx, v), [mx.array(x, dtype=mx.float64)], [mx.array(t, dtype=mx.float64)])
    _, rt = mxr.jvp(lambda v: f(mxr, v), [mxr.array(x, dtype=mxr.float64)], [mxr.array(t, dtype=mxr.float64)])
    np.testing.assert_allclose(np.array(jt[0]), np.array(rt[0]), rtol=1e-12, atol=1e-12)


def test_grad_with_ties_follows_the_forward_permutation():
    # With ties, the cotangent of partition must go back to the positions the
    # forward pass took each output from (the tie-free index partition).
    rng = np.random.default_rng(11)
    x = rng.integers(0, 3, 40).astype(np.float32)
    w = rng.standard_normal(40).astype(np.float32)
    p = mx.partition(mx.array(x), 17)
    g = mx.grad(lambda t: (mx.partition(t, 17) * mx.array(w)).sum())(mx.array(x))
    # Each output value's weight lands on an input of the same value.
    np.testing.assert_allclose(np.sort(np.array(g)), np.sort(w), rtol=1e-6)
    for v in np.unique(x):
        np.testing.assert_allclose(np.array(g)[x == v].sum(), w[np.array(p) == v].sum(), rtol=1e-5)
    # sort with ties: stable, so the cotangent goes back in index order.
    gs = np.array(mx.grad(lambda t: (mx.sort(t) * mx.array(w)).sum())(mx.array(x)))
    np.testing.assert_allclose(gs[np.argsort(x, kind="stable")], w, rtol=1e-6)
    # median over ties picks the stable middle element (as MLX).
    mxr = need_mlx()
    t = [2.0, 2.0, 2.0, 1.0]
    np.testing.assert_array_equal(np.array(mx.grad(mx.median)(mx.array(t))),
                                  np.array(mxr.grad(mxr.median)(mxr.array(t))))
    # A NaN makes the median NaN and its gradient zero.
    assert np.array(mx.grad(mx.median)(mx.array([1.0, np.nan, 2.0]))).tolist() == [0, 0, 0]


def test_index_outputs_are_not_differentiable():
    x = mx.array([3.0, 1.0, 2.0])
    for f in [lambda t: mx.argsort(t), lambda t: mx.argpartition(t, 1),
              lambda t: mx.searchsorted(mx.array([1.0, 2.0]), t)]:
        g = mx.grad(lambda t: f(t).astype(mx.float32).sum())(x)
        assert g.tolist() == [0, 0, 0]
        _, (jt,) = mx.jvp(f, [x], [mx.ones(3)])
        assert jt.dtype == mx.uint32 and jt.tolist() == [0, 0, 0]
    g = mx.grad(lambda s: mx.searchsorted(s, mx.array([1.5])).astype(mx.float32).sum())(mx.array([1.0, 2.0]))
    assert g.tolist() == [0, 0]
    # Integer inputs: zero cotangents.
    gi = mx.vjp(lambda t: mx.sort(t), [mx.array([3, 1, 2])], [mx.array([1, 2, 3])])[1][0]
    assert gi.tolist() == [0, 0, 0]


VMAP_FNS = {
    "sort": lambda m, x: m.sort(x),
    "sort0": lambda m, x: m.sort(x, axis=0),
    "sortNone": lambda m, x: m.sort(x, axis=None),
    "argsort": lambda m, x: m.argsort(x, axis=-1),
    "partition": lambda m, x: m.partition(x, 1, axis=0),
    "argpartition": lambda m, x: m.argpartition(x, -1),
    "topk": lambda m, x: m.topk(x, 2, axis=None),
    "median": lambda m, x: m.median(x, axis=0),
    "searchsorted": lambda m, x: m.searchsorted(m.array([-1.0, 0.0, 0.5, 2.0]), x),
}


@pytest.mark.parametrize("fname", list(VMAP_FNS))
@pytest.mark.parametrize("in_axis", [0, 1, 2])
def test_vmap_matches_loop(fname, in_axis):
    f = VMAP_FNS[fname]
    rng = np.random.default_rng(12)
    x = special_data(rng, (3, 4, 5), "float32").astype(np.float32)
    a = mx.array(x)
    got = mx.vmap(lambda t: f(mx, t), in_axes=in_axis)(a)
    loop = mx.stack([f(mx, a[(slice(None),) * in_axis + (i,)]) for i in range(x.shape[in_axis])])
    np.testing.assert_array_equal(raw(got), raw(loop))


def test_vmap_searchsorted_sequence_refused():
    with pytest.raises(ValueError):
        mx.vmap(lambda s: mx.searchsorted(s, mx.array([1.5])))(mx.array([[1.0, 2.0], [0.0, 1.0]]))
    # Nested: grad of vmapped sort.
    x = mx.array(np.random.default_rng(13).standard_normal((3, 4)).astype(np.float32))
    g = mx.grad(lambda t: (mx.vmap(mx.sort)(t) * mx.arange(4)).sum())(x)
    expect = np.argsort(np.argsort(np.array(x), axis=1, kind="stable"), axis=1, kind="stable")
    np.testing.assert_array_equal(np.array(g), expect.astype(np.float32))
