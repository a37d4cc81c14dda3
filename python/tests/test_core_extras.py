"""as_strided, depends, get_array_buffer_size, device_info, thread-local
streams, ArrayIterator / ArrayLike, matrix_norm, export_to_dot and the
function-export stubs, against NumPy and the reference MLX."""

import io
import re
import threading

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided as np_as_strided

from conftest import mx, need_mlx, to_numpy

# ---------------------------------------------------------------- as_strided

# (source shape, out shape, element strides, offset)
CASES = [
    ((10,), (3, 3), (1, 1), 0),
    ((10,), (3, 3), (2, 1), 1),
    ((12,), (2, 3, 2), (6, 2, 1), 0),
    ((3, 4), (4, 3), (1, 4), 0),
    ((10,), (3,), (-1,), 9),
    ((10,), (2,), (0,), 3),
    ((10,), (0, 3), (1, 1), 0),
    ((10,), (), (), 4),
    ((2, 3, 4), (5, 4), (4, 1), 3),
]


def _np_ref(src, shape, strides, offset):
    flat = np.ascontiguousarray(src).reshape(-1)
    isz = flat.itemsize
    return np_as_strided(
        flat[offset:], shape=shape, strides=[s * isz for s in strides]
    ).copy() if all(s >= 0 for s in strides) else np.array(
        [flat[offset + sum(i * s for i, s in zip(idx, strides))]
         for idx in np.ndindex(*shape)]
    ).reshape(shape)


@pytest.mark.parametrize("src_shape,shape,strides,offset", CASES)
@pytest.mark.parametrize("dtype", ["int32", "float32", "float64", "uint8"])
def test_as_strided_values(src_shape, shape, strides, offset, dtype):
    rng = np.random.default_rng(0)
    src = (rng.random(src_shape) * 100).astype(dtype)
    out = mx.as_strided(mx.array(src, dtype=getattr(mx, dtype)), shape, strides, offset)
    assert out.shape == shape and str(out.dtype).endswith(dtype)
    np.testing.assert_array_equal(to_numpy(out), _np_ref(src, shape, strides, offset))
    mxr = need_mlx()
    ref = mxr.as_strided(mxr.array(src, dtype=getattr(mxr, dtype)), shape, strides, offset)
    np.testing.assert_array_equal(to_numpy(out), np.array(ref))


def test_as_strided_non_contiguous_input():
    """The strides apply to the row-contiguous layout, not the input's."""
    mxr = need_mlx()
    src = np.arange(20, dtype=np.float32).reshape(4, 5)
    for view in [lambda m, a: a.T, lambda m, a: a[::2, 1:], lambda m, a: m.broadcast_to(a[:1], (3, 5))]:
        out = mx.as_strided(view(mx, mx.array(src)), (3, 3), (1, 2), 1)
        ref = mxr.as_strided(view(mxr, mxr.array(src)), (3, 3), (1, 2), 1)
        np.testing.assert_array_equal(np.array(out), np.array(ref))


def test_as_strided_defaults():
    mxr = need_mlx()
    src = np.arange(12, dtype=np.int32).reshape(3, 4)
    for args in [(), ((4, 3),), ((2, 3), None, 6), (None, (4, 1))]:
        out = mx.as_strided(mx.array(src), *args)
        ref = mxr.as_strided(mxr.array(src), *args)
        assert out.shape == ref.shape
        np.testing.assert_array_equal(np.array(out), np.array(ref))
    out = mx.as_strided(mx.array(src), shape=(2, 2), strides=(1, 1), offset=2)
    np.testing.assert_array_equal(np.array(out), [[2, 3], [3, 4]])


def test_as_strided_errors():
    x = mx.arange(10)
    with pytest.raises(ValueError):
        mx.as_strided(x, (3, 3), (1,))
    # MLX reads stray memory here; rmlx refuses.
    with pytest.raises(ValueError):
        mx.as_strided(x, (30,), (1,))
    with pytest.raises(ValueError):
        mx.as_strided(x, (3,), (-1,), 1)
    with pytest.raises(ValueError):
        mx.as_strided(x, (2,), (1,), 9)


def test_as_strided_is_a_view():
    x = mx.arange(16, dtype=mx.float32)
    mx.eval(x)
    y = mx.as_strided(x, (4, 4), (1, 1))
    mx.eval(y)
    assert mx.get_array_buffer_size(x, y) == mx.get_array_buffer_size(x)
    # Writes to a later result never show through the view.
    z = y * 2
    np.testing.assert_array_equal(np.array(y), np_as_strided(np.arange(16.0), (4, 4), (8, 8)))
    np.testing.assert_array_equal(np.array(z), 2 * np.array(y))


def _fd_grad(f, x, eps=1e-6):
    g = np.zeros_like(x)
    for i in range(x.size):
        e = np.zeros_like(x)
        e.flat[i] = eps
        g.flat[i] = (f(x + e) - f(x - e)) / (2 * eps)
    return g


@pytest.mark.parametrize("src_shape,shape,strides,offset", [c for c in CASES if 0 not in c[1]])
def test_as_strided_grad(src_shape, shape, strides, offset):
    rng = np.random.default_rng(1)
    x = rng.standard_normal(src_shape)
    w = rng.standard_normal(shape)

    def f(mod):
        return lambda a: (mod.sin(mod.as_strided(a, shape, strides, offset)) * mod.array(w).astype(a.dtype)).sum()

    f64 = lambda v: mx.array(v, dtype=mx.float64)
    g = np.array(mx.grad(f(mx))(f64(x)))
    assert g.dtype == np.float64
    fd = _fd_grad(lambda v: float(f(mx)(f64(v)).item()), x)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-8)
    mxr = need_mlx()
    gr = mxr.grad(f(mxr))(mxr.array(x.astype(np.float32)))
    np.testing.assert_allclose(g, np.array(gr), rtol=1e-4, atol=1e-5)


def test_as_strided_jvp():
    rng = np.random.default_rng(2)
    x, t = rng.standard_normal(10), rng.standard_normal(10)
    fn = lambda a: mx.as_strided(a, (3, 3), (2, 1), 1) ** 2
    (out,), (tan,) = mx.jvp(fn, [mx.array(x, dtype=mx.float64)], [mx.array(t, dtype=mx.float64)])
    idx = np.array([[1, 2, 3], [3, 4, 5], [5, 6, 7]])
    np.testing.assert_allclose(np.array(out), x[idx] ** 2)
    np.testing.assert_allclose(np.array(tan), 2 * x[idx] * t[idx])
    mxr = need_mlx()
    fr = lambda a: mxr.as_strided(a, (3, 3), (2, 1), 1) ** 2
    _, (tr,) = mxr.jvp(fr, [mxr.array(x.astype(np.float32))], [mxr.array(t.astype(np.float32))])
    np.testing.assert_allclose(np.array(tan), np.array(tr), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("in_axis", [0, 1, 2])
def test_as_strided_vmap(in_axis):
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((3, 4, 5))
    fn = lambda a: mx.as_strided(a, (3, 2, 2), (2, 1, 3), 1)
    got = mx.vmap(fn, in_axes=in_axis)(mx.array(xs))
    xm = np.moveaxis(xs, in_axis, 0)
    want = np.stack([np.array(fn(mx.array(xm[i]))) for i in range(xm.shape[0])])
    np.testing.assert_array_equal(np.array(got), want)
    # vmap of grad (grad rule under batching)
    g = mx.vmap(mx.grad(lambda a: (fn(a) ** 2).sum()), in_axes=in_axis)(mx.array(xs))
    gl = np.stack([np.array(mx.grad(lambda a: (fn(a) ** 2).sum())(mx.array(xm[i]))) for i in range(xm.shape[0])])
    np.testing.assert_allclose(np.array(g), gl)


# ------------------------------------------------------------------- depends

def test_depends_forms():
    a, b = mx.array([1.0, 2.0, 3.0]), mx.array([4.0, 5.0])
    out = mx.depends(a, b)
    assert isinstance(out, mx.array)
    np.testing.assert_array_equal(np.array(out), [1, 2, 3])
    outs = mx.depends([a, a * 2], (b,))
    assert isinstance(outs, list) and len(outs) == 2
    np.testing.assert_array_equal(np.array(outs[1]), [2, 4, 6])
    outs = mx.depends((a,), b)
    assert isinstance(outs, list)
    np.testing.assert_array_equal(np.array(mx.depends(a, [b, b * 3])), [1, 2, 3])
    np.testing.assert_array_equal(np.array(mx.depends([a], [])[0]), [1, 2, 3])
    with pytest.raises(RuntimeError):
        mx.depends(1.0, b)
    with pytest.raises(RuntimeError):
        mx.depends(a, 1.0)


def test_depends_evaluates_dependencies():
    a = mx.array([1.0, 2.0])
    dep = mx.exp(a)
    out = mx.depends(a + 1, dep)
    mx.eval(out)
    # the dependency was computed alongside the output
    assert mx.get_array_buffer_size(dep) > 0


def test_depends_grad_jvp_vmap():
    mxr = need_mlx()
    a, b = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0, 7.0])
    g = mx.grad(lambda x, y: (mx.depends(x, y) * 3).sum(), argnums=(0, 1))(mx.array(a), mx.array(b))
    gr = mxr.grad(lambda x, y: (mxr.depends(x, y) * 3).sum(), argnums=(0, 1))(mxr.array(a), mxr.array(b))
    for u, v in zip(g, gr):
        np.testing.assert_array_equal(np.array(u), np.array(v))
    # MLX has no jvp/vmap rule for Depends; rmlx passes through.
    _, (t,) = mx.jvp(lambda x, y: mx.depends(x, y) * 3, [mx.array(a), mx.array(b)],
                     [mx.array(a), mx.array(b)])
    np.testing.assert_array_equal(np.array(t), 3 * a)
    xs = np.arange(6.0).reshape(3, 2)
    out = mx.vmap(lambda x, y: mx.depends(x, y) * 3, in_axes=(1, 0))(mx.array(xs), mx.ones((2, 4)))
    np.testing.assert_array_equal(np.array(out), 3 * xs.T)
    outs = mx.vmap(lambda x, y: mx.depends([x, y], [x]))(mx.array(xs), mx.array(xs + 1))
    np.testing.assert_array_equal(np.array(outs[1]), xs + 1)


# ---------------------------------------------------- get_array_buffer_size

def test_buffer_size():
    a = mx.ones(3)
    with pytest.raises(ValueError, match="evaluated"):
        mx.get_array_buffer_size(a)
    mx.eval(a)
    one = mx.get_array_buffer_size(a)
    assert one >= a.nbytes and one % 64 == 0
    s = a[1:]
    mx.eval(s)
    assert mx.get_array_buffer_size(a, a, s) == one
    assert mx.get_array_buffer_size([a, {"x": (a, 3, "str")}, None]) == one
    assert mx.get_array_buffer_size() == 0
    assert mx.get_array_buffer_size(3, None, "x") == 0
    b = mx.arange(1000).astype(mx.uint8)
    mx.eval(b)
    assert mx.get_array_buffer_size(a, b) == one + mx.get_array_buffer_size(b)
    assert mx.get_array_buffer_size(b) >= 1000
    e = mx.zeros((0,))
    mx.eval(e)
    assert mx.get_array_buffer_size(e) == 0
    with pytest.raises(ValueError):
        mx.get_array_buffer_size([a, a + 1])


# --------------------------------------------------------------- device_info

def test_device_info():
    mxr = need_mlx()
    info = mx.device_info()
    assert info == mxr.device_info()
    assert set(info) == {"architecture", "device_name"}
    assert mx.device_info(mx.cpu) == info == mx.device_info(mx.Device(mx.cpu))
    assert mx.device_info(mx.gpu) == mxr.device_info(mxr.gpu) == {}


# ------------------------------------------------------------------- streams

def test_thread_local_stream():
    s = mx.new_thread_local_stream(mx.cpu)
    s2 = mx.new_thread_local_stream(mx.cpu)
    assert isinstance(s, mx.ThreadLocalStream)
    assert re.fullmatch(r"ThreadLocalStream\(Device\(cpu, 0\), \d+\)", repr(s))
    assert int(repr(s2)[:-1].split(", ")[-1]) == int(repr(s)[:-1].split(", ")[-1]) + 1
    assert s.device == mx.cpu
    with mx.stream(s):
        here = mx.default_stream(mx.cpu)
        np.testing.assert_array_equal(np.array(mx.ones(2) + 1), [2, 2])
    with mx.stream(s):
        assert mx.default_stream(mx.cpu) == here
    other = {}

    def work():
        with mx.stream(s):
            other["s"] = mx.default_stream(mx.cpu)
            other["v"] = np.array(mx.arange(3) * 2)

    t = threading.Thread(target=work)
    t.start()
    t.join()
    assert other["s"] != here
    np.testing.assert_array_equal(other["v"], [0, 2, 4])
    np.testing.assert_array_equal(np.array(mx.add(mx.ones(2), 1, stream=s)), [2, 2])
    mx.clear_streams()
    with mx.stream(s):
        assert mx.default_stream(mx.cpu) != here
    assert mx.clear_streams() is None


def test_thread_unsafe_stream():
    u = mx.new_thread_unsafe_stream(mx.cpu)
    assert isinstance(u, mx.Stream) and u.device == mx.cpu
    with pytest.raises(ValueError, match="new_thread_unsafe_stream"):
        mx.new_thread_unsafe_stream(mx.gpu)
    mxr = need_mlx()
    with pytest.raises(ValueError, match="new_thread_unsafe_stream"):
        mxr.new_thread_unsafe_stream(mxr.gpu)


# ------------------------------------------------- ArrayIterator / ArrayLike

def test_array_iterator():
    a = mx.arange(6).reshape(2, 3)
    it = iter(a)
    assert type(it) is mx.ArrayIterator
    np.testing.assert_array_equal(np.array(next(it)), [0, 1, 2])
    rest = list(it)
    assert len(rest) == 1
    np.testing.assert_array_equal(np.array(rest[0]), [3, 4, 5])
    assert list(iter(mx.zeros((0, 3)))) == []
    assert [x.item() for x in mx.array([4, 5, 6])] == [4, 5, 6]
    with pytest.raises(TypeError):
        iter(mx.array(1))
    with pytest.raises(TypeError):
        mx.ArrayIterator()
    # lazily: an element is a graph node until evaluated
    b = mx.exp(mx.ones((3, 2)))
    first = next(iter(b))
    assert first.shape == (2,)


def test_array_like():
    mxr = need_mlx()
    x = mx.ArrayLike(np.ones(3))
    assert type(x) is mx.ArrayLike
    mx.ArrayLike(3)
    with pytest.raises(TypeError):
        mx.ArrayLike()
    with pytest.raises(TypeError):
        mx.ArrayLike(None)
    with pytest.raises(TypeError):
        mxr.ArrayLike(None)


def test_matrix_norm_alias():
    mxr = need_mlx()
    assert mx.matrix_norm is mx.linalg.norm
    assert mxr.matrix_norm is mxr.linalg.norm
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.testing.assert_allclose(np.array(mx.matrix_norm(mx.array(a))),
                               np.array(mxr.matrix_norm(mxr.array(a))), rtol=1e-6)


# ------------------------------------------------------------- export_to_dot

def _dot(mod, *args, **kwargs):
    f = io.StringIO()
    mod.export_to_dot(f, *args, **kwargs)
    # primitive ids are addresses: number them in order of appearance
    ids = {}
    return re.sub(r"\b\d{6,}\b", lambda m: ids.setdefault(m.group(0), f"P{len(ids)}"), f.getvalue())


def _graphs(mod):
    a = mod.array([1.0, 2.0])
    b = mod.array([3.0, 4.0])
    x = a * b
    y = mod.exp(x + b)
    z = mod.sin(x) * y
    return [
        ((y,), {}),
        ((x, y), {}),
        ((y, x), {}),
        ((y, z), {}),
        (([y, {"k": z}],), {}),
        ((z,), {"x": x, "a": a}),
        ((mod.split(mod.concatenate([a, b]), 2)[0],), {}),
    ]


def test_export_to_dot_matches_mlx():
    mxr = need_mlx()
    for (args, kw), (rargs, rkw) in zip(_graphs(mx), _graphs(mxr)):
        got, want = _dot(mx, *args, **kw), _dot(mxr, *rargs, **rkw)
        if "Split" in want:  # rmlx splits by slicing
            assert got.startswith("digraph {\n") and got.endswith("}")
            continue
        assert got == want


def test_export_to_dot_misc(tmp_path):
    a = mx.array([1.0, 2.0])
    mx.eval(a)
    assert _dot(mx, a) == 'digraph {\n{ rank=source; "A"; }\n}'
    p = tmp_path / "g.dot"
    mx.export_to_dot(str(p), a * a)
    text = p.read_text()
    assert text.startswith("digraph {") and 'label ="Multiply"' in text
    with pytest.raises(ValueError):
        mx.export_to_dot(io.StringIO(), a, x=3)
    with pytest.raises(ValueError):
        mx.export_to_dot(io.StringIO(), [a, 3])
    # a deep chain does not recurse
    y = a
    for _ in range(20000):
        y = y + a
    assert _dot(mx, y).count("Add") == 20000


# ----------------------------------------------------------- function export

@pytest.mark.parametrize("call", [
    lambda: mx.export_function("f.mlxfn", lambda x: x, mx.ones(2)),
    lambda: mx.import_function("f.mlxfn"),
    lambda: mx.exporter("f.mlxfn", lambda x: x),
])
def test_function_export_not_implemented(call):
    with pytest.raises(NotImplementedError, match="not implemented in rmlx"):
        call()
    assert isinstance(mx.FunctionExporter, type)
