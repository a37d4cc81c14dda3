"""Indexing functions (`take`, `take_along_axis`, `put_along_axis`,
dynamic `slice` / `slice_update`, `unique`, and beyond MLX `nonzero`,
`argwhere`, `bincount`) against NumPy and the reference MLX, and the
transformation rules of the gather / scatter / slice-update primitives:
gradients by float64 central differences and against MLX, jvp against the
vjp, vmap against a Python loop."""

import numpy as np
import pytest

from conftest import DTYPE_NAMES, assert_allclose, make, mx, need_mlx, random_array, to_numpy

np_of = to_numpy


# ------------------------------------------------------------------ take

@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_take_all_dtypes(rng, name):
    x = random_array(rng, (5, 4, 3), name)
    a = make(mx, x, name)
    xn = np_of(a)
    idx = rng.integers(-5, 5, size=(2, 3))
    for axis in [None, 0, 1, -1, 2]:
        n = xn.size if axis is None else xn.shape[axis]
        ii = idx % n if axis is not None and n < 5 else idx
        got = mx.take(a, mx.array(ii), axis=axis)
        want = np.take(xn, ii, axis=axis)
        assert_allclose(got, want, name)
    assert_allclose(mx.take(a, 2, axis=1), np.take(xn, 2, axis=1), name)
    assert_allclose(mx.take(a, -1), np.take(xn, -1), name)


def test_take_matches_mlx_and_errors(rng):
    mxr = need_mlx()
    x = rng.standard_normal((7, 5)).astype(np.float32)
    idx = rng.integers(0, 7, size=(4, 2)).astype(np.int32)
    for axis in [0, -2, None]:
        got = mx.take(mx.array(x), mx.array(idx), axis=axis)
        ref = mxr.take(mxr.array(x), mxr.array(idx), axis=axis)
        np.testing.assert_array_equal(np_of(got), np.array(ref))
    with pytest.raises(ValueError):
        mx.take(mx.array(x), mx.array(idx), axis=2)
    with pytest.raises(ValueError):
        mx.take(mx.array(x), mx.array([0.5]), axis=0)
    with pytest.raises(IndexError, match="index 9"):
        mx.eval(mx.take(mx.array(x), mx.array([9]), axis=0))
    with pytest.raises(IndexError):
        mx.take(mx.array(x), 7, axis=0)
    # Unsigned and 64-bit indices.
    for dt in [np.uint8, np.uint32, np.int64, np.uint64, np.int16]:
        got = mx.take(mx.array(x), mx.array(np.array([6, 0], dt)), axis=0)
        np.testing.assert_array_equal(np_of(got), x[[6, 0]])


def test_take_embedding_large_parallel(rng):
    table = rng.standard_normal((300, 256)).astype(np.float32)
    idx = rng.integers(0, 300, size=1000)
    got = mx.take(mx.array(table), mx.array(idx), axis=0)
    np.testing.assert_array_equal(np_of(got), table[idx])


# ------------------------------------------------------ along-axis ops

def test_take_along_axis_matches_numpy_and_mlx(rng):
    mxr = need_mlx()
    x = rng.standard_normal((4, 5, 3)).astype(np.float32)
    for axis in [0, 1, 2, -1]:
        n = x.shape[axis]
        ishape = list(x.shape)
        ishape[axis] = 6
        idx = rng.integers(-n, n, size=ishape)
        got = mx.take_along_axis(mx.array(x), mx.array(idx), axis=axis)
        np.testing.assert_array_equal(np_of(got), np.take_along_axis(x, idx % n, axis=axis))
        ref = mxr.take_along_axis(mxr.array(x), mxr.array(idx % n), axis=axis)
        np.testing.assert_array_equal(np_of(got), np.array(ref))
    # Broadcasting of the other axes, and axis=None.
    idx = rng.integers(0, 5, size=(1, 2, 3))
    got = mx.take_along_axis(mx.array(x), mx.array(idx), axis=1)
    ref = mxr.take_along_axis(mxr.array(x), mxr.array(idx), axis=1)
    np.testing.assert_array_equal(np_of(got), np.array(ref))
    flat_idx = rng.integers(0, x.size, size=7)
    got = mx.take_along_axis(mx.array(x), mx.array(flat_idx), axis=None)
    np.testing.assert_array_equal(np_of(got), x.reshape(-1)[flat_idx])
    with pytest.raises(ValueError):
        mx.take_along_axis(mx.array(x), mx.array(np.zeros((2, 2), np.int32)), axis=0)
    with pytest.raises(IndexError):
        mx.eval(mx.take_along_axis(mx.array(x), mx.array(np.full((1, 1, 1), 9)), axis=0))


def test_put_along_axis_matches_numpy_and_mlx(rng):
    mxr = need_mlx()
    x = rng.standard_normal((4, 5)).astype(np.float32)
    for axis in [0, 1]:
        ishape = list(x.shape)
        ishape[axis] = 2
        # Distinct indices along the axis (NumPy and MLX agree then).
        idx = np.argsort(rng.random(x.shape), axis=axis)
        idx = np.take(idx, [0, 1], axis=axis)
        v = rng.standard_normal(ishape).astype(np.float32)
        want = x.copy()
        np.put_along_axis(want, idx, v, axis=axis)
        got = mx.put_along_axis(mx.array(x), mx.array(idx), mx.array(v), axis=axis)
        np.testing.assert_array_equal(np_of(got), want)
        ref = mxr.put_along_axis(mxr.array(x), mxr.array(idx), mxr.array(v), axis=axis)
        np.testing.assert_array_equal(np_of(got), np.array(ref))
    got = mx.put_along_axis(mx.array(x), mx.array([0, 7]), 9.0, axis=None)
    ref = mxr.put_along_axis(mxr.array(x), mxr.array([0, 7]), mxr.array(9.0), axis=None)
    np.testing.assert_array_equal(np_of(got), np.array(ref))


# ----------------------------------------------------- dynamic slices

def test_dynamic_slice_and_update(rng):
    mxr = need_mlx()
    x = rng.standard_normal((5, 6, 3)).astype(np.float32)
    for start, axes, size in [([1], [0], [2, 6, 3]), ([2, 3], [0, 1], [3, 2, 3]),
                              ([1, 0], [2, 1], [5, 4, 2])]:
        got = mx.slice(mx.array(x), mx.array(start), axes, size)
        ref = mxr.slice(mxr.array(x), mxr.array(start), axes, size)
        np.testing.assert_array_equal(np_of(got), np.array(ref))
    upd = rng.standard_normal((2, 2, 3)).astype(np.float32)
    for start, axes in [([1, 2], [0, 1]), ([3], [0]), ([0, 4, 0], [0, 1, 2])]:
        got = mx.slice_update(mx.array(x), mx.array(upd), mx.array(start), axes)
        ref = mxr.slice_update(mxr.array(x), mxr.array(upd), mxr.array(start), axes)
        np.testing.assert_array_equal(np_of(got), np.array(ref))
    # Negative starts wrap (MLX crashes on them).
    got = mx.slice(mx.array(x), mx.array([-2]), [1], [1, 2, 3])
    np.testing.assert_array_equal(np_of(got), x[:1, 4:6])
    # The start may be computed; a window that does not fit raises IndexError.
    s = mx.array([2]) * 2
    assert mx.slice(mx.arange(8), s, [0], [3]).tolist() == [4, 5, 6]
    with pytest.raises(IndexError, match="out of bounds"):
        mx.eval(mx.slice(mx.arange(8), mx.array([6]), [0], [3]))
    with pytest.raises(IndexError):
        mx.eval(mx.slice_update(mx.arange(8), mx.array([1, 1]), mx.array([7]), [0]))
    with pytest.raises(ValueError):
        mx.slice(mx.arange(8), mx.array([1, 2]), [0], [3])


# ----------------------------------------------- value-dependent ops

def test_unique_matches_mlx(rng):
    mxr = need_mlx()
    x = rng.integers(0, 6, size=(3, 5)).astype(np.int32)
    for size in [0, 3, 6, 9]:
        for flags in [(False, False, False), (True, True, True), (True, False, True)]:
            got = mx.unique(mx.array(x), size, *flags)
            ref = mxr.unique(mxr.array(x), size, *flags)
            got = got if isinstance(got, tuple) else (got,)
            ref = ref if isinstance(ref, tuple) else (ref,)
            for g, r in zip(got, ref):
                assert g.dtype.size == r.dtype.size and g.shape == tuple(r.shape)
                if size == 0 and g.shape == x.shape:
                    continue  # inverse is meaningless for size 0
                np.testing.assert_array_equal(np_of(g), np.array(r))
    got = mx.unique(mx.array(x), 8, True, True, True, fill_value=-1)
    ref = mxr.unique(mxr.array(x), 8, True, True, True, fill_value=-1)
    for g, r in zip(got, ref):
        np.testing.assert_array_equal(np_of(g), np.array(r))
    f = np.array([3.0, np.nan, 1.0, np.nan, 3.0, -0.0, 0.0], np.float32)
    np.testing.assert_array_equal(np_of(mx.unique(mx.array(f), 6)), np.array(mxr.unique(mxr.array(f), 6)))


def test_unique_without_size_matches_numpy(rng):
    x = rng.integers(-3, 4, size=(4, 6))
    v, idx, inv, cnt = mx.unique(mx.array(x), return_index=True, return_inverse=True,
                                 return_counts=True)
    wv, widx, winv, wcnt = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    np.testing.assert_array_equal(np_of(v), wv)
    np.testing.assert_array_equal(np_of(idx), widx)
    np.testing.assert_array_equal(np_of(inv).reshape(-1), winv.reshape(-1))
    np.testing.assert_array_equal(np_of(cnt), wcnt)
    assert mx.unique(mx.array(np.zeros((0,), np.float32))).shape == (0,)


def test_nonzero_argwhere(rng):
    for shape in [(7,), (3, 4), (2, 3, 4), (0, 3)]:
        x = rng.integers(0, 3, size=shape) * (rng.random(shape) > 0.4)
        got = mx.nonzero(mx.array(x))
        want = np.nonzero(x)
        assert len(got) == len(want)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(np_of(g), w)
        np.testing.assert_array_equal(np_of(mx.argwhere(mx.array(x))), np.argwhere(x))
        n = int(np.count_nonzero(x))
        for size in [0, max(n - 1, 0), n + 2]:
            got = mx.nonzero(mx.array(x), size=size, fill_value=-1)
            for g, w in zip(got, want):
                w2 = np.full(size, -1)
                k = min(size, n)
                w2[:k] = w[:k]
                np.testing.assert_array_equal(np_of(g), w2)
    b = mx.array([True, False, True])
    assert mx.nonzero(b)[0].tolist() == [0, 2]
    assert mx.argwhere(b).tolist() == [[0], [2]]


def test_bincount(rng):
    x = rng.integers(0, 7, size=30)
    w = rng.standard_normal(30).astype(np.float32)
    np.testing.assert_array_equal(np_of(mx.bincount(mx.array(x))), np.bincount(x))
    np.testing.assert_allclose(np_of(mx.bincount(mx.array(x), mx.array(w))), np.bincount(x, w),
                               rtol=1e-5)
    np.testing.assert_array_equal(np_of(mx.bincount(mx.array(x), minlength=12)),
                                  np.bincount(x, minlength=12))
    got = mx.bincount(mx.array(x), length=4)
    np.testing.assert_array_equal(np_of(got), np.bincount(x)[:4])
    with pytest.raises(ValueError):
        mx.bincount(mx.array([-1, 2]))
    with pytest.raises(ValueError):
        mx.bincount(mx.array([[1]]))
    assert mx.bincount(mx.array(np.zeros(0, np.int32)), minlength=3).tolist() == [0, 0, 0]


def test_value_dependent_ops_inside_vmap():
    x = mx.array([[0, 1, 2], [3, 0, 0]])
    with pytest.raises(ValueError, match=r"\[nonzero\].*size="):
        mx.vmap(lambda r: mx.nonzero(r)[0])(x)
    with pytest.raises(ValueError, match=r"\[unique\].*size="):
        mx.vmap(lambda r: mx.unique(r))(x)
    with pytest.raises(ValueError, match=r"\[bincount\].*length="):
        mx.vmap(lambda r: mx.bincount(r))(x)
    with pytest.raises(ValueError, match=r"nonzero|mask"):
        mx.vmap(lambda r: r[r > 0])(x)
    # The fixed-size forms work inside vmap.
    got = mx.vmap(lambda r: mx.nonzero(r, size=2, fill_value=-1)[0])(x)
    assert got.tolist() == [[1, 2], [0, -1]]
    got = mx.vmap(lambda r: mx.unique(r, 2))(x)
    assert got.tolist() == [[0, 1], [0, 3]]
    got = mx.vmap(lambda r: mx.bincount(r, length=4))(x)
    assert got.tolist() == [[1, 1, 1, 0], [2, 0, 0, 1]]
    # Masks under grad are fine: the mask's values are known there.
    g = mx.grad(lambda v: (v[v > 0] ** 2).sum())(mx.array([1.0, -2.0, 3.0]))
    assert g.tolist() == [2.0, 0.0, 6.0]


# ------------------------------------------------------ transformations

def fd_grad(f, x, h=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        p = x.copy().reshape(-1)
        m = x.copy().reshape(-1)
        p[i] += h
        m[i] -= h
        g.reshape(-1)[i] = (f(p.reshape(x.shape)) - f(m.reshape(x.shape))) / (2 * h)
    return g


def indexing_functions(mod):
    """Scalar functions of a (4, 5) array exercising each indexing rule."""
    idx = mod.array([3, 0, 3, -1])
    w = mod.array(np.linspace(-1, 1, 20).reshape(4, 5))

    def set_rows(x):
        y = x * 1
        y[mod.array([1, 3, 2])] = x[:3] * 2
        return (y * y).sum()

    def set_dups(x):
        # Duplicate rows: only the last write reaches the output.
        y = x * 1
        y[mod.array([1, 1, 2, 1])] = x * 2
        return (y * y).sum()

    def at_add(x):
        return (x.at[idx].add(x[:, ::-1]) ** 2).sum()

    def at_max(x):
        return (x.at[mod.array([0, 2])].maximum(x[3] * 0.5) * w).sum()

    def at_mul(x):
        return (x.at[idx, 1:].multiply(x[:, :4]) * w).sum()

    def slice_set(x):
        y = x * 1
        y[1:3, ::2] = x[:2, 1:4] ** 2
        return (y * w).sum()

    fs = {
        "getitem_rows": lambda x: (x[idx] ** 2).sum(),
        "getitem_mixed": lambda x: (x[idx, 1:4] * x[0, None, 2]).sum(),
        "getitem_cols": lambda x: (x[:, mod.array([[4, 1], [0, 0]])] ** 3).sum(),
        "take": lambda x: (mod.take(x, mod.array([2, 2, 19]), axis=None) ** 2).sum(),
        "take_along": lambda x: (mod.take_along_axis(x, mod.array([[1, 1], [0, 4], [2, 3], [4, 4]]), axis=1) ** 2).sum(),
        "put_along": lambda x: (mod.put_along_axis(x, mod.array([[1], [0], [2], [3]]), x[:, :1] ** 2, axis=1) * w).sum(),
        "set_rows": set_rows,
        "set_dups": set_dups,
        "put_dups": lambda x: (mod.put_along_axis(x, mod.array([[1, 1, 0]]), x[:, 2:] ** 2, axis=1) * w).sum(),
        "at_add": at_add,
        "at_max": at_max,
        "at_mul": at_mul,
        "slice_set": slice_set,
        "dyn_slice": lambda x: (mod.slice(x, mod.array([1, 2]), [0, 1], [2, 3]) ** 2).sum(),
        "dyn_update": lambda x: (mod.slice_update(x, x[:2, :2] ** 2, mod.array([2, 1]), [0, 1]) * w).sum(),
    }
    return fs


@pytest.mark.parametrize("name", list(indexing_functions(mx)))
def test_gradients_match_finite_differences_and_mlx(rng, name):
    f = indexing_functions(mx)[name]
    x = rng.uniform(-1, 1, (4, 5))
    fx = lambda v: f(mx.array(v, dtype=mx.float64)).item()
    g = mx.grad(f)(mx.array(x, dtype=mx.float64))
    np.testing.assert_allclose(np_of(g), fd_grad(fx, x), rtol=1e-5, atol=1e-7)
    # jvp along a random direction is <grad, t>.
    t = rng.standard_normal((4, 5))
    _, jt = mx.jvp(f, [mx.array(x, dtype=mx.float64)], [mx.array(t, dtype=mx.float64)])
    np.testing.assert_allclose(jt[0].item(), float((np_of(g) * t).sum()), rtol=1e-6, atol=1e-8)
    mxr = need_mlx()
    if name in ("at_mul", "set_dups", "put_dups"):
        # MLX has no vjp for scatter_prod, and gives overwritten duplicates
        # a cotangent.
        return
    fr = indexing_functions(mxr)[name]
    gr = mxr.grad(fr)(mxr.array(x.astype(np.float32)))
    gg = mx.grad(f)(mx.array(x.astype(np.float32)))
    np.testing.assert_allclose(np_of(gg), np.array(gr), rtol=1e-4, atol=1e-5)


def test_scatter_prod_gradient_with_zeros():
    def f(x):
        u = x[:3]
        return (mx.ones(4, dtype=x.dtype).at[mx.array([0, 0, 1])].multiply(u) * mx.array([1.0, 2, 3, 4], dtype=x.dtype)).sum()
    for x in [np.array([0.0, 2.0, 0.0, 1.0]), np.array([0.0, 0.0, 3.0, 1.0]), np.array([1.5, -2.0, 0.5, 1.0])]:
        g = mx.grad(f)(mx.array(x, dtype=mx.float64))
        fx = lambda v: f(mx.array(v, dtype=mx.float64)).item()
        np.testing.assert_allclose(np_of(g), fd_grad(fx, x), rtol=1e-6, atol=1e-8)


def test_vmap_matches_loop(rng):
    x = mx.array(rng.standard_normal((3, 4, 5)).astype(np.float32))
    idx = mx.array(rng.integers(0, 4, size=(3, 2)).astype(np.int32))
    v = mx.array(rng.standard_normal((3, 2, 5)).astype(np.float32))

    def f(a, i, u):
        y = a * 1
        y[i] = u
        return [a[i], a[:, i], a.at[i].add(u), y, mx.take_along_axis(a, i[:, None], axis=0),
                mx.slice(a, i[:1] % 3, [0], [2, 5]), a[i[0], 1:3]]

    for axes in [(0, 0, 0), (0, None, None), (None, 0, None), (None, None, 0), (0, 0, None)]:
        args = [a if ax == 0 else a[0] for a, ax in zip([x, idx, v], axes)]
        got = mx.vmap(f, in_axes=axes)(*args)
        for b in range(3):
            sub = [a[b] if ax == 0 else a for a, ax in zip(args, axes)]
            want = f(*sub)
            for g, w in zip(got, want):
                np.testing.assert_allclose(np_of(g[b]), np_of(w), rtol=1e-6, err_msg=str(axes))


def test_vmap_scatter_prod_max_and_put(rng):
    x = mx.array(rng.uniform(0.5, 2, (2, 6)).astype(np.float32))
    i = mx.array([[0, 0, 5], [1, 2, 1]])
    u = mx.array(rng.uniform(0.5, 2, (2, 3)).astype(np.float32))

    def f(a, j, w):
        return [a.at[j].multiply(w), a.at[j].maximum(w), a.at[j].minimum(w),
                mx.put_along_axis(a, j, w, axis=0)]

    got = mx.vmap(f)(x, i, u)
    for b in range(2):
        for g, w in zip(got, f(x[b], i[b], u[b])):
            np.testing.assert_allclose(np_of(g[b]), np_of(w), rtol=1e-6)
