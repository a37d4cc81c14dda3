"""Core behaviour: laziness and evaluation, binary ops against NumPy and the
reference MLX, operators, basic indexing, conversions, devices and streams,
memory statistics, error types."""

import operator
import threading

import numpy as np
import pytest

from conftest import (DTYPE_NAMES, INT_NAMES, assert_allclose, make, mx, need_mlx,
                      random_array, same_dtype, to_numpy)

BINARY = ["add", "subtract", "multiply", "divide", "floor_divide", "remainder", "power",
          "maximum", "minimum", "equal", "not_equal", "less", "less_equal", "greater",
          "greater_equal", "logical_and", "logical_or", "bitwise_and", "bitwise_or",
          "bitwise_xor", "left_shift", "right_shift", "arctan2", "logaddexp"]


def _inputs(rng, op, name, shape_a, shape_b):
    a = random_array(rng, shape_a, name)
    b = random_array(rng, shape_b, name)
    if op in ("floor_divide", "remainder", "divide") and name in INT_NAMES + ["bool_"]:
        b = np.where(b == 0, 1, b).astype(b.dtype) if name != "bool_" else np.ones_like(b)
    if op == "power" and name in INT_NAMES:
        a = np.clip(a, -3, 3).astype(a.dtype)
        b = np.clip(np.abs(b), 0, 4).astype(b.dtype)
    if op in ("left_shift", "right_shift") and name in INT_NAMES:
        b = (np.abs(b.astype(np.int64)) % 7).astype(b.dtype)
    return a, b


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_binary_matches_mlx(op, name, rng):
    mxr = need_mlx()
    shapes = [((3, 4), (3, 4)), ((2, 3, 4), (4,)), ((5, 1), (1, 6)), ((0, 3), (3,)), ((), (7,))]
    for sa, sb in shapes:
        a, b = _inputs(rng, op, name, sa, sb)
        try:
            ref = getattr(mxr, op)(make(mxr, a, name), make(mxr, b, name))
            mxr.eval(ref)
        except Exception as e:  # MLX refuses: we must refuse with the same type
            with pytest.raises(type(e)):
                mx.eval(getattr(mx, op)(make(mx, a, name), make(mx, b, name)))
            continue
        got = getattr(mx, op)(make(mx, a, name), make(mx, b, name))
        assert same_dtype(got, ref), f"{op} {name}: {got.dtype} vs {ref.dtype}"
        expected = to_numpy(ref)
        if name == "float64" and op in ("power", "arctan2", "logaddexp", "divide"):
            # MLX computes some float64 functions at float32 precision.
            expected = getattr(np, {"power": "power", "arctan2": "arctan2", "logaddexp": "logaddexp",
                                    "divide": "divide"}[op])(a.astype(np.float64), b.astype(np.float64))
        assert_allclose(got, expected, str(ref.dtype).split(".")[-1], rtol=2e-5 if name == "float64" else None)


def test_binary_float64_is_float64_precise(rng):
    a = rng.standard_normal(100)
    b = rng.standard_normal(100)
    x = mx.array(a.tolist(), dtype=mx.float64)
    y = mx.array(b.tolist(), dtype=mx.float64)
    np.testing.assert_allclose(np.array(mx.arctan2(x, y)), np.arctan2(a, b), rtol=1e-14)
    np.testing.assert_allclose(np.array(mx.logaddexp(x, y)), np.logaddexp(a, b), rtol=1e-14)
    np.testing.assert_allclose(np.array(x / y), a / b, rtol=1e-15)


@pytest.mark.parametrize("name", ["float32", "int32", "float16"])
def test_noncontiguous_operands(name, rng):
    a = random_array(rng, (6, 8), name)
    b = random_array(rng, (8, 6), name)
    x = make(mx, a, name)
    y = make(mx, b, name)
    np.testing.assert_allclose(to_numpy(x + y.T), (a.astype(np.float64) + b.T.astype(np.float64)), rtol=1e-2)
    np.testing.assert_allclose(to_numpy(x[::2, 1::3] * y.T[::2, 1::3]),
                               a[::2, 1::3].astype(np.float64) * b.T[::2, 1::3].astype(np.float64), rtol=1e-2)
    z = mx.broadcast_to(x[:1], (6, 8)) if hasattr(mx, "broadcast_to") else x
    np.testing.assert_allclose(to_numpy(z - x), np.broadcast_to(a[:1], (6, 8)).astype(np.float64) - a, rtol=1e-2)


def test_large_parallel_paths(rng):
    a = rng.standard_normal((513, 1031)).astype(np.float32)
    b = rng.standard_normal((1031,)).astype(np.float32)
    x, y = mx.array(a), mx.array(b)
    np.testing.assert_allclose(np.array(x * y + 1.0), a * b + 1.0, rtol=1e-6)
    np.testing.assert_allclose(np.array(x.T - 2.0), a.T - 2.0, rtol=1e-6)
    np.testing.assert_allclose(np.array(mx.maximum(x[:, ::3], 0.0)), np.maximum(a[:, ::3], 0.0))


@pytest.mark.parametrize("py_op,name", [
    (operator.add, "add"), (operator.sub, "subtract"), (operator.mul, "multiply"),
    (operator.truediv, "divide"), (operator.floordiv, "floor_divide"), (operator.mod, "remainder"),
    (operator.pow, "power"), (operator.lt, "less"), (operator.le, "less_equal"),
    (operator.gt, "greater"), (operator.ge, "greater_equal"), (operator.eq, "equal"),
    (operator.ne, "not_equal")])
def test_operators_and_scalars_match_mlx(py_op, name):
    mxr = need_mlx()
    for dname in ["int8", "uint8", "int32", "float16", "bfloat16", "float32", "bool_"]:
        for scalar in [2, 2.5, True]:
            a = mx.array([1, 2, 3]).astype(getattr(mx, dname))
            r = mxr.array([1, 2, 3]).astype(getattr(mxr, dname))
            for lhs_first in (True, False):
                try:
                    ref = py_op(r, scalar) if lhs_first else py_op(scalar, r)
                except Exception as e:
                    with pytest.raises(type(e)):
                        py_op(a, scalar) if lhs_first else py_op(scalar, a)
                    continue
                got = py_op(a, scalar) if lhs_first else py_op(scalar, a)
                assert same_dtype(got, ref), f"{name} {dname} {scalar!r} {lhs_first}: {got.dtype} vs {ref.dtype}"
                np.testing.assert_allclose(to_numpy(got).astype(np.float64), to_numpy(ref).astype(np.float64),
                                           rtol=1e-2)


def test_inplace_operators_rebind():
    a = mx.array([1.0, 2.0])
    b = a
    a += 1
    assert a.tolist() == [2.0, 3.0]
    assert b.tolist() == [2.0, 3.0]  # MLX updates the object in place
    a *= mx.array([2.0, 2.0])
    a -= 1
    a /= 2
    assert a.tolist() == [1.5, 2.5]


def test_scalar_overflow_raises_like_mlx():
    with pytest.raises(ValueError):
        mx.array([1], dtype=mx.int8) + 1000
    with pytest.raises(ValueError):
        mx.array([200], dtype=mx.uint8) + 300


def test_divmod():
    q, r = mx.divmod(mx.array([7, -7, 0]), mx.array([2, 2, 3]))
    assert q.tolist() == [3, -4, 0]
    assert r.tolist() == [1, 1, 0]


def test_lazy_and_eval():
    a = mx.array([1.0, 2.0])
    b = a * 2
    mx.eval(b)
    mx.eval([b, {"x": a}], (b,))
    assert b.tolist() == [2.0, 4.0]
    c = b + 1
    mx.async_eval(c)
    mx.eval(c)
    assert c.tolist() == [3.0, 5.0]


def test_deep_chain_python():
    y = mx.array(0.0)
    for _ in range(200_000):
        y = y + 1.0
    mx.eval(y)
    assert y.item() == 200_000.0


def test_implicit_evaluation():
    a = mx.array([[1, 2], [3, 4]]) * 2
    assert len(a) == 2
    assert [r.tolist() for r in a] == [[2, 4], [6, 8]]
    assert bool(mx.array(1) > 0)
    with pytest.raises(ValueError):
        bool(a)
    assert np.array(a).tolist() == [[2, 4], [6, 8]]
    assert a[1, 0].item() == 6
    assert isinstance(mx.array(2.5).item(), float)
    assert isinstance(mx.array(True).item(), bool)
    assert mx.array(1 + 2j).item() == 1 + 2j
    assert repr(a) == "array([[2, 4],\n       [6, 8]], dtype=int32)"


def test_basic_indexing_against_numpy(rng):
    a = rng.standard_normal((4, 5, 6)).astype(np.float32)
    x = mx.array(a)
    for idx in [1, -1, (1, 2), slice(1, 3), slice(None, None, -1), (Ellipsis, 2), (None, 1),
                (slice(None), None, slice(4, 0, -2)), (2, Ellipsis, slice(1, None, 2)), slice(10, 20),
                (slice(None), slice(None), slice(-100, 100, 3))]:
        np.testing.assert_array_equal(np.array(x[idx]), a[idx])


def test_out_of_bounds_index_raises():
    x = mx.array([1, 2, 3])
    with pytest.raises(IndexError):
        x[3]
    with pytest.raises(IndexError):
        x[-4]
    with pytest.raises(IndexError):
        x[0, 0]


def test_numpy_roundtrip_all_dtypes(rng):
    for name in ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
                 "float16", "float32", "complex64"]:
        a = random_array(rng, (3, 4), name)
        x = mx.array(a)
        assert str(x.dtype) == f"rmlx.core.{name.rstrip('_')}"
        np.testing.assert_array_equal(np.array(x), a)
        np.testing.assert_array_equal(np.array(x.T), a.T)


def test_array_from_nested_and_errors():
    assert mx.array([[1, 2], [3, 4]]).shape == (2, 2)
    assert mx.array([1, 2.0]).dtype == mx.float32
    assert mx.array([True, 1]).dtype == mx.int32
    assert mx.array([1, 2 ** 40]).dtype == mx.int64
    assert mx.array([]).shape == (0,)
    assert mx.array([mx.array([1, 2]), mx.array([3, 4])]).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError):
        mx.array([[1, 2], [3]])


def test_devices_and_streams():
    assert mx.default_device() == mx.cpu
    assert repr(mx.default_device()) == "Device(cpu, 0)"
    assert repr(mx.cpu) == "DeviceType.cpu"
    assert mx.is_available(mx.cpu) and not mx.is_available(mx.gpu)
    assert mx.device_count(mx.cpu) == 1
    assert not mx.metal.is_available() and not mx.cuda.is_available()
    s = mx.new_stream(mx.cpu)
    with mx.stream(s):
        y = mx.add(mx.array(1), mx.array(2))
    assert y.item() == 3
    assert mx.add(mx.array(1), 2, stream=mx.cpu).item() == 3
    with pytest.raises(ValueError):
        mx.set_default_device(mx.gpu)
    with pytest.raises(ValueError):
        mx.add(mx.array(1), mx.array(2), stream=mx.gpu)
    mx.synchronize()


def test_memory_functions():
    mx.clear_cache()
    mx.reset_peak_memory()
    a = mx.zeros((1 << 20,)) + 1.0
    mx.eval(a)
    assert mx.get_active_memory() >= 4 << 20
    assert mx.get_peak_memory() >= mx.get_active_memory()
    del a
    assert mx.get_cache_memory() >= 4 << 20
    mx.clear_cache()
    assert mx.get_cache_memory() == 0
    old = mx.set_cache_limit(0)
    mx.set_cache_limit(old)
    lim = mx.get_memory_limit()
    assert mx.set_memory_limit(lim) == lim
    mx.set_wired_limit(0)


def test_peak_memory_of_update_loop():
    n = 1 << 22
    y = mx.zeros((n,)) + 0.0
    mx.eval(y)
    mx.reset_peak_memory()
    base = mx.get_active_memory()
    for _ in range(1000):
        y = y * 1.0001 + 0.5
    mx.eval(y)
    assert mx.get_peak_memory() - base <= 4 * n + 65536


def test_threads_build_and_evaluate_concurrently():
    results = [None] * 4

    def work(i):
        x = mx.array(float(i))
        for _ in range(2000):
            x = x + 1.0
        mx.eval(x)
        results[i] = x.item()

    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert results == [2000.0, 2001.0, 2002.0, 2003.0]


def test_dtype_objects():
    assert repr(mx.float32) == "rmlx.core.float32"
    assert mx.float16.size == 2 and mx.complex64.size == 8
    assert mx.issubdtype(mx.int8, mx.signedinteger)
    assert not mx.issubdtype(mx.uint8, mx.signedinteger)
    assert mx.issubdtype(mx.floating, mx.inexact)
    assert mx.finfo(mx.float16).max == 65504.0
    assert mx.iinfo(mx.int8).min == -128
