"""Python indexing: `a[idx]`, `a[idx] = v` and `a.at[idx].op(v)` against
NumPy and the reference MLX for every index form (ints, slices with any
step, None, Ellipsis, integer arrays from mx / NumPy / lists, boolean masks,
mixes with NumPy's broadcasting and axis placement), out-of-range and
empty selections, every dtype and non-contiguous inputs."""

import numpy as np
import pytest

from conftest import DTYPE_NAMES, assert_allclose, make, mx, need_mlx, random_array, to_numpy


def np_of(a):
    return to_numpy(a)


# ---------------------------------------------------------------- helpers

def random_item(rng, n, kind, allow_neg):
    """One index item for an axis of extent `n` and its NumPy twin."""
    if kind == "int":
        i = int(rng.integers(-n if allow_neg else 0, n))
        return i, i
    if kind == "slice":
        s = int(rng.integers(-n - 2, n + 2)) if rng.random() < 0.7 else None
        e = int(rng.integers(-n - 2, n + 2)) if rng.random() < 0.7 else None
        k = int(rng.choice([1, 1, 2, 3, -1, -2])) if rng.random() < 0.8 else None
        return slice(s, e, k), slice(s, e, k)
    ishape = tuple(rng.integers(1, 4, size=rng.integers(0, 3)))
    vals = rng.integers(-n if allow_neg else 0, n, size=ishape)
    if kind == "list":
        lst = vals.tolist() if vals.ndim else [int(vals)]
        return lst, np.array(lst)
    if kind == "np":
        return vals.astype(np.int64), vals
    return mx.array(vals.astype(np.int32)), vals


def random_index(rng, shape, *, kinds=("int", "slice", "none", "ellipsis", "list", "np", "mx"),
                 allow_neg=True):
    """A random index tuple for `shape` and its NumPy twin: items for a
    prefix of the axes, maybe an Ellipsis, items for a suffix, with None
    sprinkled in."""
    nd = len(shape)
    axis_kinds = [k for k in kinds if k not in ("none", "ellipsis")]
    p = int(rng.integers(0, nd + 1))
    use_ellipsis = "ellipsis" in kinds and rng.random() < 0.3
    q = int(rng.integers(0, nd - p + 1)) if use_ellipsis else 0
    axes = list(range(p)) + [None] * use_ellipsis + list(range(nd - q, nd))
    items, np_items = [], []
    for ax in axes:
        if "none" in kinds and rng.random() < 0.15:
            items.append(None)
            np_items.append(None)
        if ax is None:
            items.append(Ellipsis)
            np_items.append(Ellipsis)
            continue
        it, npit = random_item(rng, shape[ax], axis_kinds[rng.integers(len(axis_kinds))], allow_neg)
        items.append(it)
        np_items.append(npit)
    return tuple(items), tuple(np_items)


def broadcastable(np_items):
    shapes = [np.shape(i) for i in np_items if isinstance(i, np.ndarray)]
    try:
        np.broadcast_shapes(*shapes)
        return True
    except ValueError:
        return False


# ------------------------------------------------------------- __getitem__

def test_getitem_random_mixes_match_numpy(rng):
    for trial in range(400):
        shape = tuple(rng.integers(1, 5, size=rng.integers(1, 5)))
        x = rng.standard_normal(shape).astype(np.float32)
        idx, np_idx = random_index(rng, shape)
        if not broadcastable(np_idx):
            with pytest.raises(IndexError):
                mx.array(x)[idx]
            continue
        want = x[np_idx]
        got = mx.array(x)[idx]
        assert got.shape == want.shape, (shape, np_idx)
        np.testing.assert_array_equal(np_of(got), want)


def test_getitem_matches_mlx_shapes_and_values(rng):
    mxr = need_mlx()
    for trial in range(200):
        shape = tuple(rng.integers(1, 5, size=rng.integers(1, 5)))
        x = rng.standard_normal(shape).astype(np.float32)
        idx, np_idx = random_index(rng, shape, kinds=("int", "slice", "none", "mx"))
        if not broadcastable(np_idx):
            continue
        ridx = tuple(mxr.array(np.array(i)) if isinstance(i, mx.array) else i for i in idx)
        want = mxr.array(x)[ridx]
        got = mx.array(x)[idx]
        assert got.shape == tuple(want.shape), (shape, np_idx)
        np.testing.assert_array_equal(np_of(got), np.array(want))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_getitem_all_dtypes(rng, name):
    x = random_array(rng, (5, 3, 4), name)
    a = make(mx, x, name)
    idx = np.array([[4, 0], [-1, 2]])
    assert_allclose(a[mx.array(idx)], x[idx] if name != "bfloat16" else np_of(a)[idx], name)
    assert_allclose(a[1:4:2, [2, 0], ::-1], np_of(a)[1:4:2, [2, 0], ::-1], name)
    assert_allclose(a[..., 1], np_of(a)[..., 1], name)
    assert_allclose(a[:, None, -1, [3, 3, 1]], np_of(a)[:, None, -1, [3, 3, 1]], name)


def test_getitem_noncontiguous_inputs(rng):
    x = rng.standard_normal((6, 5, 4)).astype(np.float32)
    for a, xn in [
        (mx.transpose(mx.array(x), (2, 0, 1)), x.transpose(2, 0, 1)),
        (mx.array(x)[::2, ::-1], x[::2, ::-1]),
        (mx.broadcast_to(mx.array(x[:1]), (3, 5, 4)), np.broadcast_to(x[:1], (3, 5, 4))),
    ]:
        for idx in [([1, 0, 1],), (slice(None), [2, -1]), ([0, 1], slice(None, None, -1), [3, 0]),
                    (1, Ellipsis, [0, 0])]:
            np.testing.assert_array_equal(np_of(a[idx]), xn[idx])


def test_numpy_axis_placement():
    x = np.arange(2 * 3 * 4 * 5).reshape(2, 3, 4, 5)
    a = mx.array(x)
    i = [0, 1, 2]
    j = [0, 1, 1]
    cases = [
        (slice(None), i, None, i),            # separated by None: front
        (1, slice(None), slice(None), i),     # int and array separated: front
        (slice(None), 1, i),                  # adjacent: in place
        (slice(None), i, i),
        (j, slice(1, 3), 1),
        (slice(None), i, Ellipsis, i, slice(None)),  # NumPy: an ellipsis separates
        ([[0, 1]], slice(None), [[1], [2]]),
        (Ellipsis, [1, 0]),
        (None, j, None),
        (j, None, slice(None), i),
        (j, 0),
    ]
    for idx in cases:
        want = x[idx]
        got = a[idx]
        assert got.shape == want.shape, idx
        np.testing.assert_array_equal(np_of(got), want)


def test_bool_scalars_and_masks(rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32)
    a = mx.array(x)
    for idx in [True, False, (slice(None), True), (Ellipsis, None, False)]:
        assert a[idx].shape == x[idx].shape
        np.testing.assert_array_equal(np_of(a[idx]), x[idx])
    m2 = x[:, :, 0] > 0
    m1 = x[0, :, 0] > 0
    for idx, np_idx in [
        (mx.array(m2), m2),
        (m2, m2),
        ((slice(None), mx.array(m1)), (slice(None), m1)),
        ((1, mx.array(m1)), (1, m1)),
        ((mx.array(m2), [0, 4, 1][: int(m2.sum())] or [0]), None),
        (mx.array(x > 0), x > 0),
        (mx.array(np.zeros((3, 4), bool)), np.zeros((3, 4), bool)),
    ]:
        if np_idx is None:
            continue
        got = a[idx]
        want = x[np_idx]
        assert got.shape == want.shape
        np.testing.assert_array_equal(np_of(got), want)
    with pytest.raises(IndexError):
        a[mx.array(np.ones((4,), bool))]


def test_array_scalar_slice_bounds():
    a = mx.arange(10)
    i = mx.array(2)
    assert a[i:i + 3].tolist() == [2, 3, 4]
    assert a[: mx.array(-7)].tolist() == [0, 1, 2]
    assert a[:: mx.array(3)].tolist() == [0, 3, 6, 9]
    assert a[mx.array(4)].item() == 4


def test_out_of_range_indices_raise_index_error():
    a = mx.arange(12).reshape(3, 4)
    with pytest.raises(IndexError, match="index 3 is out of bounds for axis 0 with size 3"):
        a[3]
    with pytest.raises(IndexError, match="-5"):
        a[:, -5]
    with pytest.raises(IndexError, match="index 7"):
        a[[0, 7]]
    with pytest.raises(IndexError):
        a[np.array([-4])]
    with pytest.raises(IndexError, match="too many indices"):
        a[0, 0, 0]
    # mx.array indices are checked when the gather runs.
    b = a[mx.array([1, 5])]
    with pytest.raises(IndexError, match="index 5 is out of bounds for axis 0 with size 3"):
        mx.eval(b)
    with pytest.raises(IndexError):
        b.tolist()
    c = a[:, mx.array([-5])]
    with pytest.raises(IndexError, match="-5"):
        c.item() if c.size == 1 else mx.eval(c)
    with pytest.raises(IndexError):
        a[mx.array([0.5])]
    with pytest.raises(IndexError):
        a[1.5]


def test_empty_selections():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    a = mx.array(x)
    for idx in [[], (slice(None), []), mx.array(np.zeros((0,), np.int32)), (slice(2, 2),),
                (slice(None), np.zeros((0, 2), np.int64)), (x[..., 0] > 100,),
                (slice(None), slice(5, None), [1])]:
        np_idx = tuple(np.array(i, dtype=np.int64) if isinstance(i, list) else np.array(i) if isinstance(i, mx.array) else i
                       for i in (idx if isinstance(idx, tuple) else (idx,)))
        got = a[idx]
        want = x[np_idx]
        assert got.shape == want.shape, idx
    z = mx.zeros((0, 3))
    assert z[[]].shape == (0, 3)
    assert z[:, [1, 2]].shape == (0, 2)


# ------------------------------------------------------------- __setitem__

def test_setitem_random_mixes_match_numpy(rng):
    for trial in range(300):
        shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
        x = rng.standard_normal(shape).astype(np.float32)
        idx, np_idx = random_index(rng, shape)
        if not broadcastable(np_idx):
            continue
        target = x[np_idx].shape
        # A value of the full target shape, a broadcast row, or a scalar.
        choice = rng.integers(3)
        if choice == 0:
            v = rng.standard_normal(target).astype(np.float32)
        elif choice == 1 and len(target):
            v = rng.standard_normal(target[-1:]).astype(np.float32)
        else:
            v = np.float32(rng.standard_normal())
        # NumPy writes duplicates in order (last wins), as rmlx does.
        want = x.copy()
        want[np_idx] = v
        a = mx.array(x)
        a[idx] = mx.array(v) if np.ndim(v) else float(v)
        np.testing.assert_array_equal(np_of(a), want, err_msg=str(np_idx))


def test_setitem_value_semantics():
    a = mx.arange(5)
    b = a * 1
    a[1] = 10
    assert a.tolist() == [0, 10, 2, 3, 4]
    assert b.tolist() == [0, 1, 2, 3, 4]
    c = a[:]
    c[2] = 0
    assert a.tolist() == [0, 10, 2, 3, 4]
    assert c.tolist() == [0, 10, 0, 3, 4]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_setitem_all_dtypes(rng, name):
    x = random_array(rng, (4, 3), name)
    v = random_array(rng, (2, 3), name)
    a = make(mx, x, name)
    want = np_of(a).copy()
    vv = np_of(make(mx, v, name))
    want[[3, 0]] = vv
    want[1, ::-2] = vv[0, :2]
    a[mx.array([3, 0])] = make(mx, v, name)
    a[1, ::-2] = make(mx, v, name)[0, :2]
    assert_allclose(a, want, name)
    assert a.dtype == getattr(mx, name)


def test_setitem_casts_and_broadcasts():
    a = mx.zeros((3, 4), dtype=mx.int32)
    a[1] = 2.7
    assert a.dtype == mx.int32 and a[1].tolist() == [2, 2, 2, 2]
    a[0] = mx.array([[1, 2, 3, 4]])  # leading size-1 axis dropped, as NumPy
    assert a[0].tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError):
        a[0] = mx.array([1, 2, 3])
    f = mx.zeros((2, 2), dtype=mx.float16)
    f[:, 0] = mx.array([1.5, 2.5], dtype=mx.float32)
    assert f.dtype == mx.float16


def test_setitem_duplicates_last_wins_and_iadd_does_not_accumulate():
    mxr = need_mlx()
    a = mx.zeros(5)
    a[mx.array([0, 0, 1])] = mx.array([1.0, 2.0, 3.0])
    r = mxr.zeros(5)
    r[mxr.array([0, 0, 1])] = mxr.array([1.0, 2.0, 3.0])
    assert a.tolist() == np.array(r).tolist() == [2, 3, 0, 0, 0]
    b = mx.zeros(3)
    b[mx.array([1, 1, 1])] += 1
    assert b.tolist() == [0, 1, 0]
    assert b.at[mx.array([1, 1, 1])].add(1).tolist() == [0, 4, 0]


def test_setitem_masks(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    m = x > 0
    for v in [0.0, np.float32(3.5)]:
        a = mx.array(x)
        a[mx.array(m)] = float(v)
        want = x.copy()
        want[m] = v
        np.testing.assert_array_equal(np_of(a), want)
    with pytest.raises(ValueError):
        a[mx.array(m)] = mx.arange(5)  # NumPy: values broadcast to the selection
    # Values for exactly the selected elements, in order.
    a = mx.array(x)
    vals = np.arange(int(m.sum()), dtype=np.float32)
    a[m] = mx.array(vals)
    want = x.copy()
    want[m] = vals
    np.testing.assert_array_equal(np_of(a), want)
    # Row mask with rows of values.
    rm = np.array([True, False, True, False])
    a = mx.array(x)
    a[mx.array(rm)] = mx.array(np.ones((2, 5), np.float32))
    want = x.copy()
    want[rm] = 1
    np.testing.assert_array_equal(np_of(a), want)


# -------------------------------------------------------------------- .at

AT_OPS = {
    "add": np.add, "subtract": np.subtract, "multiply": np.multiply,
    "divide": np.divide, "maximum": np.maximum, "minimum": np.minimum,
}


@pytest.mark.parametrize("op", list(AT_OPS))
def test_at_accumulates_like_ufunc_at(rng, op):
    mxr = need_mlx()
    x = rng.uniform(0.5, 2.0, (6, 3)).astype(np.float32)
    idx = rng.integers(-6, 6, size=10)
    v = rng.uniform(0.5, 2.0, (10, 3)).astype(np.float32)
    want = x.copy()
    AT_OPS[op].at(want, idx, v)
    got = getattr(mx.array(x).at[mx.array(idx)], op)(mx.array(v))
    np.testing.assert_allclose(np_of(got), want, rtol=1e-5)
    ref = getattr(mxr.array(x).at[mxr.array(idx)], op)(mxr.array(v))
    np.testing.assert_allclose(np_of(got), np.array(ref), rtol=1e-5)
    # Mixed with slices, and a scalar value.
    want = x.copy()
    AT_OPS[op].at(want, (idx[:4], slice(1, None)), np.float32(1.5))
    got = getattr(mx.array(x).at[mx.array(idx[:4]), 1:], op)(1.5)
    np.testing.assert_allclose(np_of(got), want, rtol=1e-5)


def test_at_integer_dtypes_and_masks():
    mxr = need_mlx()
    a = mx.array([4, 8, 6])
    r = mxr.array([4, 8, 6])
    for op in AT_OPS:
        got = getattr(a.at[mx.array([0, 0, 2])], op)(2)
        ref = getattr(r.at[mxr.array([0, 0, 2])], op)(2)
        assert got.tolist() == np.array(ref).tolist(), op
        assert got.dtype == mx.int32
    m = mx.array([True, False, True])
    assert a.at[m].add(1).tolist() == [5, 8, 7]
    assert a.at[1:].multiply(2).tolist() == [4, 16, 12]
    with pytest.raises(ValueError):
        a.at.add(1)
    assert isinstance(a.at, mx.ArrayAt)
