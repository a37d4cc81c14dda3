"""Interop: the buffer protocol and __array__ (zero-copy, read-only views,
strided exports), DLPack both ways (NumPy and the reference MLX as
producer and consumer), tolist, pickling, copy / deepcopy, bytes and
bfloat16 through ml_dtypes."""

import copy
import gc
import pickle

import numpy as np
import pytest

from conftest import DTYPE_NAMES, mx, mxr, need_mlx, random_array

try:
    import ml_dtypes
except ImportError:  # pragma: no cover
    ml_dtypes = None

NP_NAMES = [n for n in DTYPE_NAMES if n != "bfloat16"]


def sample(rng, name, shape, mod=mx):
    v = random_array(rng, shape, name)
    if name == "float64":
        return mod.array(v, dtype=mod.float64)
    return mod.array(v).astype(getattr(mod, name))


def expected_np(name, v):
    """The NumPy dtype MLX's `np.array(a)` gives for dtype `name`."""
    return np.asarray(v).astype("bool" if name == "bool_" else name)


def views(a):
    """Contiguous and strided views of a 2-d array."""
    return [a, a.T, a[:, ::2], a[::-1], a[1:, 1:], mx.broadcast_to(a[:1], (3, a.shape[1]))]


# ---------------------------------------------------------------------------
# NumPy conversion and the buffer protocol


@pytest.mark.parametrize("name", NP_NAMES)
def test_numpy_conversion_every_dtype(name):
    rng = np.random.default_rng(0)
    for shape in [(), (0,), (3, 0), (4,), (2, 3, 4)]:
        v = random_array(rng, shape, name)
        a = sample(np.random.default_rng(1), name, shape)
        x = np.array(a)
        assert x.dtype == np.dtype("bool" if name == "bool_" else name)
        assert x.shape == shape
        if mxr is not None:
            r = sample(np.random.default_rng(1), name, shape, mxr)
            np.testing.assert_array_equal(x, np.array(r))
    base = sample(rng, name, (4, 6))
    ref = np.array(base)
    for v, r in zip(views(base), [ref, ref.T, ref[:, ::2], ref[::-1], ref[1:, 1:],
                                  np.broadcast_to(ref[:1], (3, 6))]):
        np.testing.assert_array_equal(np.array(v), r)
        np.testing.assert_array_equal(np.asarray(v), r)
        assert bytes(v) == np.ascontiguousarray(r).tobytes()


def test_asarray_is_a_read_only_zero_copy_view():
    a = mx.arange(12, dtype=mx.float32).reshape(3, 4)
    x, y = np.asarray(a), np.asarray(a)
    assert np.shares_memory(x, y)
    assert not x.flags.writeable
    with pytest.raises(ValueError):
        x[0, 0] = 5
    # Strided views are exported with their strides, without copying.
    t = np.asarray(a.T)
    assert t.strides == (4, 16) and np.shares_memory(t, x)
    r = np.asarray(a[::-1, ::-1])
    assert r.strides == (-16, -4) and np.shares_memory(r, x)
    b = np.asarray(mx.broadcast_to(a[:1], (5, 4)))
    assert b.strides == (0, 4)
    # np.array copies into writable memory.
    c = np.array(a)
    c[0, 0] = 100
    assert a[0, 0].item() == 0
    # Lazy arrays are evaluated on export.
    lazy = mx.exp(a) + 1
    np.testing.assert_allclose(np.asarray(lazy), np.exp(np.arange(12).reshape(3, 4)) + 1, rtol=1e-6)


def test_memoryview():
    a = mx.arange(6, dtype=mx.int32).reshape(2, 3)
    m = memoryview(a)
    assert (m.format, m.shape, m.strides, m.readonly, m.itemsize) == ("i", (2, 3), (12, 4), True, 4)
    assert m.tolist() == [[0, 1, 2], [3, 4, 5]]
    mt = memoryview(a.T)
    assert (mt.shape, mt.strides) == ((3, 2), (4, 12))
    assert mt.tolist() == [[0, 3], [1, 4], [2, 5]]
    formats = {"bool_": "?", "uint8": "B", "uint16": "H", "uint32": "I", "uint64": "Q",
               "int8": "b", "int16": "h", "int32": "i", "int64": "q", "float16": "e",
               "float32": "f", "float64": "d", "complex64": "Zf"}
    for name, f in formats.items():
        assert memoryview(mx.zeros((2,), getattr(mx, name))).format == f
    with pytest.raises(BufferError, match="bfloat16"):
        memoryview(mx.zeros((2,), mx.bfloat16))
    assert memoryview(mx.array(3.5)).shape == ()
    # A contiguous copy for consumers that need C order (here via bytes).
    assert memoryview(a.T).tobytes() == np.arange(6, dtype=np.int32).reshape(2, 3).T.tobytes()


def test_export_keeps_memory_alive_and_unchanged():
    t = mx.ones((100_000,)) * 2
    mx.eval(t)
    v = np.asarray(t)
    u = t + 1  # t is only referenced by this op after `del`: no donation
    del t
    mx.eval(u)
    gc.collect()
    assert (v == 2).all()
    assert (np.array(u) == 3).all()
    w = np.asarray(mx.arange(10) * 3)  # the array object is gone at once
    gc.collect()
    assert w.tolist() == [3 * i for i in range(10)]


def test_array_dunder():
    a = mx.arange(4, dtype=mx.int32)
    x = a.__array__()
    assert x.dtype == np.int32 and not x.flags.writeable
    y = a.__array__(copy=True)
    assert y.flags.writeable
    z = np.asarray(a, dtype=np.float64)
    assert z.dtype == np.float64 and z.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert a.__array__(np.float32).dtype == np.float32


@pytest.mark.skipif(ml_dtypes is None, reason="ml_dtypes not installed")
def test_bfloat16_through_ml_dtypes():
    v = np.array([1.5, -2.25, 3e38, 0.0078125], dtype=ml_dtypes.bfloat16)
    a = mx.array(v)
    assert a.dtype == mx.bfloat16  # MLX misreads this array
    assert a.tolist() == [float(x) for x in v]
    back = np.array(a)
    assert back.dtype == ml_dtypes.bfloat16
    assert back.tobytes() == v.tobytes()
    t = np.array(mx.array(v.reshape(2, 2)).T)
    assert t.tobytes() == np.ascontiguousarray(v.reshape(2, 2).T).tobytes()
    assert np.array(a, dtype=np.float32).tolist() == [float(x) for x in v]
    # Through the bfloat16 bits, the export shares memory.
    assert np.shares_memory(np.asarray(a), np.asarray(a))


# ---------------------------------------------------------------------------
# DLPack


@pytest.mark.parametrize("name", NP_NAMES)
def test_dlpack_to_numpy(name):
    rng = np.random.default_rng(2)
    a = sample(rng, name, (3, 4))
    assert a.__dlpack_device__() == (1, 0)
    ref = np.array(a)
    for v, r in zip(views(a), [ref, ref.T, ref[:, ::2], ref[::-1], ref[1:, 1:],
                               np.broadcast_to(ref[:1], (3, 4))]):
        x = np.from_dlpack(v)
        np.testing.assert_array_equal(x, r)
        assert not x.flags.writeable  # DLPack 1.0 read-only flag
    x = np.from_dlpack(a.T)
    assert x.strides == np.array(a).T.strides  # zero-copy: strides kept
    y = np.from_dlpack(a, copy=True)
    np.testing.assert_array_equal(y, ref)
    s = np.from_dlpack(mx.array(2, getattr(mx, name)))
    assert s.shape == ()


@pytest.mark.parametrize("name", NP_NAMES)
def test_from_dlpack_numpy(name):
    rng = np.random.default_rng(3)
    v = expected_np(name, random_array(rng, (3, 5), name))
    for x in (v, v.T, v[:, ::-2], v[1:2], np.ascontiguousarray(v[0, 0])):
        a = mx.from_dlpack(x)
        want = "float32" if name == "float64" else name  # float64 -> float32, as MLX
        assert a.dtype == getattr(mx, want)
        got = np.array(a)
        np.testing.assert_array_equal(got, x.astype(got.dtype))
        if mxr is not None and min(x.strides, default=0) >= 0:  # MLX refuses negative strides
            r = mxr.from_dlpack(x)
            assert r.dtype == getattr(mxr, want)
    with pytest.raises(ValueError, match="copy"):
        mx.from_dlpack(v, copy=False)
    assert mx.from_dlpack(v, copy=True).shape == v.shape


def test_dlpack_with_mlx():
    m = need_mlx()
    rng = np.random.default_rng(4)
    for name in ["float32", "int64", "uint8", "bool_", "complex64", "float16"]:
        r = sample(rng, name, (2, 3), m)
        a = mx.from_dlpack(r)  # MLX produces, rmlx consumes
        np.testing.assert_array_equal(np.array(a), np.array(r))
        back = m.from_dlpack(sample(np.random.default_rng(5), name, (2, 3)))  # and back
        np.testing.assert_array_equal(np.array(back), np.array(sample(np.random.default_rng(5), name, (2, 3))))
    # A legacy (pre-1.0) capsule is consumed too.
    cap = mx.arange(3).__dlpack__()

    class Legacy:
        def __dlpack__(self, stream=None):
            return cap

        def __dlpack_device__(self):
            return (1, 0)

    assert mx.from_dlpack(Legacy()).tolist() == [0, 1, 2]
    with pytest.raises(ValueError, match="consumed"):
        mx.from_dlpack(Legacy())
    # mx.array accepts objects that only speak DLPack.

    class OnlyDLPack:
        def __dlpack__(self, **kw):
            return mx.arange(4, dtype=mx.int16).__dlpack__(**kw)

        def __dlpack_device__(self):
            return (1, 0)

    b = mx.array(OnlyDLPack())
    assert b.dtype == mx.int16 and b.tolist() == [0, 1, 2, 3]


def test_dlpack_capsules_are_freed():
    before = mx.get_active_memory()
    for _ in range(50):
        x = mx.ones((10_000,))
        mx.eval(x)
        cap = x.__dlpack__(max_version=(1, 0))  # never consumed
        del cap, x
        y = np.from_dlpack(mx.ones((10_000,)))
        del y
    gc.collect()
    assert mx.get_active_memory() - before < 200_000


# ---------------------------------------------------------------------------
# tolist, bytes, pickling, copy


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_tolist_matches_mlx(name):
    m = need_mlx()
    rng = np.random.default_rng(6)
    for shape in [(), (0,), (3,), (2, 3), (2, 0, 2)]:
        a = sample(np.random.default_rng(7), name, shape)
        r = sample(np.random.default_rng(7), name, shape, m)
        got, want = a.tolist(), r.tolist()
        assert got == want
        assert type(got) is type(want)
    t = sample(rng, name, (3, 4))
    assert t.T.tolist() == [list(c) for c in zip(*t.tolist())]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_pickle_round_trip(name):
    rng = np.random.default_rng(8)
    arrays = [sample(rng, name, s) for s in [(), (0,), (5,), (2, 3, 4)]]
    base = sample(rng, name, (4, 6))
    arrays += [base.T, base[::-1, ::2]]
    for proto in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps(arrays, protocol=proto))
        for a, b in zip(arrays, back):
            assert type(b) is type(a)
            assert (b.shape, b.dtype, bytes(b)) == (a.shape, a.dtype, bytes(a))


def test_state_protocol():
    a = mx.arange(6, dtype=mx.float16).reshape(2, 3)
    state = a.__getstate__()
    b = mx.array(0)
    b.__setstate__(state)
    assert b.dtype == mx.float16 and b.tolist() == a.tolist()
    if mxr is not None:  # MLX's state: (ndarray, dtype index)
        r = mxr.arange(6, dtype=mxr.int16).reshape(2, 3)
        c = mx.array(0)
        c.__setstate__(r.__getstate__())
        assert c.dtype == mx.int16 and c.tolist() == r.tolist()


def test_copy_and_deepcopy_are_values():
    a = mx.arange(5)
    b, c = copy.copy(a), copy.deepcopy(a)
    a += 10
    assert b.tolist() == c.tolist() == [0, 1, 2, 3, 4]
    d = copy.deepcopy({"w": [a, a]})
    assert d["w"][0].tolist() == a.tolist()


def test_array_namespace_and_bytes():
    a = mx.arange(3, dtype=mx.uint8)
    assert a.__array_namespace__() is mx
    assert bytes(a) == b"\x00\x01\x02"
    assert bytes(mx.array([1.5], mx.bfloat16)) == b"\xc0?"
    if mxr is not None:
        assert bytes(mxr.arange(3, dtype=mxr.uint8)) == bytes(a)
