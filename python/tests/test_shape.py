"""Shape ops (reshape, flatten, squeeze, transpose family, concatenate,
stack, split, repeat, tile, pad, flip, roll, diagonal, diag, trace,
broadcasting helpers, atleast_*d) and the T / mT / real / imag properties,
against the reference MLX and NumPy: every dtype, zero-size axes, negative
axes, non-contiguous inputs, signatures and error types."""

import numpy as np
import pytest

mxr = pytest.importorskip("mlx.core")

from conftest import DTYPE_NAMES, make, mx, random_array, same_dtype, to_numpy  # noqa: E402


def _is_array(x):
    return isinstance(x, (mx.array, mxr.array))


def assert_same(got, ref):
    """`got` (rmlx) equals `ref` (MLX): container type, dtype, shape, values."""
    if isinstance(ref, (list, tuple)):
        assert type(got) is type(ref), f"{type(got).__name__} vs {type(ref).__name__}"
        assert len(got) == len(ref)
        for g, r in zip(got, ref):
            assert_same(g, r)
        return
    if _is_array(ref):
        assert isinstance(got, mx.array), type(got)
        assert same_dtype(got, ref), f"{got.dtype} vs {ref.dtype}"
        assert tuple(got.shape) == tuple(ref.shape), f"{got.shape} vs {ref.shape}"
        np.testing.assert_array_equal(to_numpy(got), to_numpy(ref))
        return
    assert got == ref


def run_both(fn, inputs, name="float32"):
    """Runs `fn(module, *arrays)` in rmlx and in MLX on the same NumPy
    inputs (as dtype `name`) and compares; if MLX raises, rmlx must raise
    the same exception type."""
    try:
        ref = fn(mxr, *[make(mxr, x, name) for x in inputs])
        mxr.eval(ref)
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        with pytest.raises(type(e)):
            mx.eval(fn(mx, *[make(mx, x, name) for x in inputs]))
        return None
    got = fn(mx, *[make(mx, x, name) for x in inputs])
    assert_same(got, ref)
    return got


# Non-contiguous views applied identically in both modules.
VIEWS = {
    "plain": lambda m, x: x,
    "T": lambda m, x: x.T,
    "step": lambda m, x: x[::2] if x.ndim else x,
    "rev": lambda m, x: x[..., ::-1] if x.ndim else x,
    "bcast": lambda m, x: m.broadcast_to(x, (2,) + tuple(x.shape)),
}

SHAPES = [(3, 4), (2, 3, 5), (0, 3), (4, 0, 2), (5,), (1, 1)]


def _pair(x):
    return x[::-1] if x.ndim else x


COPY_CASES = {
    "concat0": lambda m, x: m.concatenate([x, _pair(x), x], 0),
    "concat_neg": lambda m, x: m.concatenate([x, x[..., :1], x], axis=-1),
    "concat_none": lambda m, x: m.concatenate([x, x.T], axis=None),
    "concat_alias": lambda m, x: m.concat([_pair(x), x], 0),
    "stack": lambda m, x: m.stack([x, _pair(x)], axis=-1),
    "stack0": lambda m, x: m.stack([x, x, _pair(x)]),
    "pad_const": lambda m, x: m.pad(x, 2, constant_values=1),
    "pad_pairs": lambda m, x: m.pad(x, [(1, 0)] + [(0, 2)] * (x.ndim - 1)),
    "pad_edge": lambda m, x: m.pad(x, (2, 1), mode="edge"),
    "pad_reflect": lambda m, x: m.pad(x, ((1, 2),) * x.ndim, "reflect"),
    "pad_symmetric": lambda m, x: m.pad(x, (3,), mode="symmetric"),
    "pad_reflect_wide": lambda m, x: m.pad(x, 7, mode="reflect"),
    "repeat_axis": lambda m, x: m.repeat(x, 3, axis=-1),
    "repeat_flat": lambda m, x: m.repeat(x, 2),
    "repeat_zero": lambda m, x: m.repeat(x, 0, 0),
    "tile": lambda m, x: m.tile(x, (2, 1, 3)),
    "tile_int": lambda m, x: m.tile(x, 2),
    "roll_axis": lambda m, x: m.roll(x, 2, axis=0),
    "roll_axes": lambda m, x: m.roll(x, (1, -2), axis=(0, -1)),
    "roll_flat": lambda m, x: m.roll(x, -5),
    "flip_all": lambda m, x: m.flip(x),
    "flip_neg": lambda m, x: m.flip(x, -1),
    "diagonal": lambda m, x: m.diagonal(x, 1, -1, 0),
    "diag": lambda m, x: m.diag(x, -1),
    "split": lambda m, x: m.split(x, [1, -1], axis=-1),
    "unstack": lambda m, x: m.unstack(x, axis=-1),
    "moveaxis_contig": lambda m, x: m.contiguous(m.moveaxis(x, 0, -1)),
    "flatten_expand": lambda m, x: m.expand_dims(m.flatten(x), (0, -1)),
}


@pytest.mark.parametrize("case", sorted(COPY_CASES))
@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_copy_ops_all_dtypes(case, name):
    rng = np.random.default_rng(7)
    fn = COPY_CASES[case]
    for shape in SHAPES:
        data = random_array(rng, shape, name)
        views = VIEWS if shape == (3, 4) else {"plain": VIEWS["plain"], "T": VIEWS["T"]}
        for view in views.values():
            run_both(lambda m, x: fn(m, view(m, x)), [data], name)


# (rmlx/MLX call, NumPy equivalent) on float32 and int32 inputs.
NUMPY_CASES = {
    "concat": (lambda m, x: m.concatenate([x, x[::-1]], 1), lambda x: np.concatenate([x, x[::-1]], 1)),
    "stack": (lambda m, x: m.stack([x, x], 1), lambda x: np.stack([x, x], 1)),
    "pad_const": (lambda m, x: m.pad(x, [(1, 2), (0, 3), (2, 0)], constant_values=-3),
                  lambda x: np.pad(x, [(1, 2), (0, 3), (2, 0)], constant_values=-3)),
    "pad_edge": (lambda m, x: m.pad(x, 2, "edge"), lambda x: np.pad(x, 2, "edge")),
    "pad_reflect": (lambda m, x: m.pad(x, [(5, 1), (0, 4), (3, 3)], "reflect"),
                    lambda x: np.pad(x, [(5, 1), (0, 4), (3, 3)], "reflect")),
    "pad_symmetric": (lambda m, x: m.pad(x, [(5, 1), (0, 9), (3, 3)], "symmetric"),
                      lambda x: np.pad(x, [(5, 1), (0, 9), (3, 3)], "symmetric")),
    "repeat": (lambda m, x: m.repeat(x, 3, 1), lambda x: np.repeat(x, 3, 1)),
    "tile": (lambda m, x: m.tile(x, (2, 1, 1, 2)), lambda x: np.tile(x, (2, 1, 1, 2))),
    "roll": (lambda m, x: m.roll(x, (4, -1), (0, 2)), lambda x: np.roll(x, (4, -1), (0, 2))),
    "roll_same_axis": (lambda m, x: m.roll(x, (1, 2), 1), lambda x: np.roll(x, (1, 2), 1)),
    "roll_flat": (lambda m, x: m.roll(x, 7), lambda x: np.roll(x, 7)),
    "flip": (lambda m, x: m.flip(x, (0, 2)), lambda x: np.flip(x, (0, 2))),
    "diagonal": (lambda m, x: m.diagonal(x, -1, 2, 0), lambda x: np.diagonal(x, -1, 2, 0)),
    "trace": (lambda m, x: m.trace(x, 1, 0, 2), lambda x: np.trace(x, 1, 0, 2)),
    "swapaxes": (lambda m, x: m.swapaxes(x, 0, -1), lambda x: np.swapaxes(x, 0, -1)),
    "moveaxis": (lambda m, x: m.moveaxis(x, -1, 0), lambda x: np.moveaxis(x, -1, 0)),
    "transpose": (lambda m, x: m.transpose(x, (1, 2, 0)), lambda x: np.transpose(x, (1, 2, 0))),
    "squeeze": (lambda m, x: m.squeeze(m.expand_dims(x, (0, 2))), lambda x: x),
    "atleast_3d": (lambda m, x: m.atleast_3d(x[0, 0]), lambda x: np.atleast_3d(x[0, 0])),
}


@pytest.mark.parametrize("case", sorted(NUMPY_CASES))
@pytest.mark.parametrize("name", ["float32", "int32"])
def test_against_numpy(case, name):
    rng = np.random.default_rng(11)
    ours, ref = NUMPY_CASES[case]
    x = random_array(rng, (4, 5, 3), name)
    base = make(mx, x, name)
    views = [
        (base, x),
        (base[::-1, :, ::2], x[::-1, :, ::2]),
        (mx.transpose(base, (0, 2, 1))[:, :, :4], np.transpose(x, (0, 2, 1))[:, :, :4]),
    ]
    for k, (arr, npv) in enumerate(views):
        got = ours(mx, arr)
        exp = ref(npv)
        assert tuple(got.shape) == exp.shape, f"view {k}"
        np.testing.assert_allclose(to_numpy(got), exp, rtol=1e-6, err_msg=f"view {k}")


def test_large_copies_parallel(rng):
    x = rng.standard_normal((300, 257)).astype(np.float32)
    a = mx.array(x)
    np.testing.assert_array_equal(np.array(mx.concatenate([a, a.T[:257, :300].T], 0)), np.concatenate([x, x], 0))
    np.testing.assert_array_equal(np.array(mx.pad(a, ((3, 5), (7, 1)), "reflect")), np.pad(x, ((3, 5), (7, 1)), "reflect"))
    np.testing.assert_array_equal(np.array(mx.pad(a.T, 4, constant_values=2.5)), np.pad(x.T, 4, constant_values=2.5))
    np.testing.assert_array_equal(np.array(mx.roll(a, (17, -40), (0, 1))), np.roll(x, (17, -40), (0, 1)))
    np.testing.assert_array_equal(np.array(mx.tile(a, (2, 3))), np.tile(x, (2, 3)))
    np.testing.assert_array_equal(np.array(mx.repeat(a, 3, 0)), np.repeat(x, 3, 0))
    np.testing.assert_array_equal(np.array(mx.stack([a, a[::-1]], 1)), np.stack([x, x[::-1]], 1))
    np.testing.assert_array_equal(np.array(mx.diag(a[0])), np.diag(x[0]))
    np.testing.assert_allclose(np.array(mx.trace(a)), np.trace(x), rtol=1e-4)


def test_reshape_signatures():
    a = mx.arange(24)
    r = mxr.arange(24)
    assert_same(a.reshape(4, 6), r.reshape(4, 6))
    assert_same(a.reshape((4, 6)), r.reshape((4, 6)))
    assert_same(a.reshape([2, -1, 3]), r.reshape([2, -1, 3]))
    assert_same(a.reshape(24), r.reshape(24))
    assert_same(mx.reshape(a, (6, -1)), mxr.reshape(r, (6, -1)))
    assert_same(mx.reshape(a, shape=[3, 8]), mxr.reshape(r, shape=[3, 8]))
    assert_same(a.reshape(2, 12, stream=mx.cpu), r.reshape(2, 12, stream=mxr.cpu))
    for bad in [(5, -1), (-1, -1), (-2, 12), (7,)]:
        with pytest.raises(ValueError):
            mxr.reshape(r, bad)
        with pytest.raises(ValueError):
            mx.reshape(a, bad)
    with pytest.raises(TypeError):
        mxr.reshape(r, 24)
    with pytest.raises(TypeError):
        mx.reshape(a, 24)
    with pytest.raises(ValueError):
        mx.zeros((0, 3)).reshape(0, -1)


def test_transpose_family_signatures():
    x = np.arange(24).reshape(2, 3, 4).astype(np.int32)
    a, r = mx.array(x), mxr.array(x)
    assert_same(a.transpose(), r.transpose())
    assert_same(a.transpose(2, 0, 1), r.transpose(2, 0, 1))
    assert_same(a.transpose((2, 0, 1)), r.transpose((2, 0, 1)))
    assert_same(a.transpose([-1, 0, 1]), r.transpose([-1, 0, 1]))
    assert_same(mx.transpose(a, axes=None), mxr.transpose(r, axes=None))
    assert_same(mx.permute_dims(a, (1, 0, 2)), mxr.permute_dims(r, (1, 0, 2)))
    assert_same(mx.permute_dims(a), mxr.permute_dims(r))
    assert_same(mx.matrix_transpose(a), mxr.matrix_transpose(r))
    assert_same(a.T, r.T)
    assert_same(a.mT, r.mT)
    assert_same(mx.array(3).T, mxr.array(3).T)
    assert_same(a.swapaxes(0, 2), r.swapaxes(0, 2))
    assert_same(mx.swapaxes(a, axis1=-1, axis2=-2), mxr.swapaxes(r, axis1=-1, axis2=-2))
    assert_same(a.moveaxis(0, -1), r.moveaxis(0, -1))
    assert_same(mx.moveaxis(a, source=2, destination=0), mxr.moveaxis(r, source=2, destination=0))
    np.testing.assert_array_equal(np.array(a.mT), np.swapaxes(x, -1, -2))


def test_flatten_unflatten_squeeze_expand():
    x = np.zeros((2, 1, 3, 1), np.float32) + np.arange(6, dtype=np.float32).reshape(2, 1, 3, 1)
    a, r = mx.array(x), mxr.array(x)
    for s, e in [(0, -1), (1, 2), (-3, -2), (0, 5), (-10, -1), (3, 10), (2, 2)]:
        assert_same(mx.flatten(a, s, e), mxr.flatten(r, s, e))
        assert_same(a.flatten(start_axis=s, end_axis=e), r.flatten(start_axis=s, end_axis=e))
    assert_same(mx.flatten(mx.array(1)), mxr.flatten(mxr.array(1)))
    assert_same(a.flatten(), r.flatten())
    assert_same(mx.unflatten(a, 2, (3, 1)), mxr.unflatten(r, 2, (3, 1)))
    assert_same(mx.unflatten(a, -2, (-1, 1, 3)), mxr.unflatten(r, -2, (-1, 1, 3)))
    assert_same(mx.unflatten(mx.zeros((0, 3)), 0, (-1, 2)), mxr.unflatten(mxr.zeros((0, 3)), 0, (-1, 2)))
    assert_same(mx.squeeze(a), mxr.squeeze(r))
    assert_same(mx.squeeze(a, (1, -1)), mxr.squeeze(r, (1, -1)))
    assert_same(a.squeeze(axis=1), r.squeeze(axis=1))
    assert_same(a.squeeze([]), r.squeeze([]))
    assert_same(mx.expand_dims(a, 0), mxr.expand_dims(r, 0))
    assert_same(mx.expand_dims(a, axis=(0, -1, 3)), mxr.expand_dims(r, axis=(0, -1, 3)))
    assert_same(mx.expand_dims(mx.array(2), -1), mxr.expand_dims(mxr.array(2), -1))
    np.testing.assert_array_equal(np.array(mx.flatten(a, 1, 2)), x.reshape(2, 3, 1))


def test_broadcasting_helpers():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    a, r = mx.array(x), mxr.array(x)
    assert_same(mx.broadcast_to(a, (4, 2, 3)), mxr.broadcast_to(r, (4, 2, 3)))
    assert_same(mx.broadcast_to(1.5, [3]), mxr.broadcast_to(1.5, [3]))
    assert_same(mx.broadcast_arrays(a, mx.array([1.0]), mx.zeros((5, 1, 1))),
                mxr.broadcast_arrays(r, mxr.array([1.0]), mxr.zeros((5, 1, 1))))
    assert_same(mx.broadcast_arrays(), mxr.broadcast_arrays())
    assert_same(mx.broadcast_arrays(a), mxr.broadcast_arrays(r))
    for shapes in [((2, 3), (3,)), ((2, 3),), ([2, 3], [1, 1, 1]), ((2, 0), (1,)), ((5, 1, 4), (3, 1))]:
        assert mx.broadcast_shapes(*shapes) == mxr.broadcast_shapes(*shapes) == np.broadcast_shapes(*shapes)
        assert isinstance(mx.broadcast_shapes(*shapes), tuple)
    for bad in [((2, 3), (2,)), ((2, 0), (2,)), ()]:
        with pytest.raises(ValueError):
            mxr.broadcast_shapes(*bad)
        with pytest.raises(ValueError):
            mx.broadcast_shapes(*bad)


def test_atleast():
    for f in ["atleast_1d", "atleast_2d", "atleast_3d"]:
        for shape in [(), (3,), (2, 3), (2, 1, 3, 1)]:
            x = np.arange(int(np.prod(shape)), dtype=np.int32).reshape(shape)
            got = getattr(mx, f)(mx.array(x))
            assert_same(got, getattr(mxr, f)(mxr.array(x)))
            np.testing.assert_array_equal(np.array(got), getattr(np, f)(x))
        got = getattr(mx, f)(mx.array(1), mx.zeros((2, 3)), stream=mx.cpu)
        assert_same(got, getattr(mxr, f)(mxr.array(1), mxr.zeros((2, 3)), stream=mxr.cpu))
        assert_same(getattr(mx, f)(), getattr(mxr, f)())


def test_split_unstack_forms():
    x = np.arange(24, dtype=np.int32).reshape(4, 6)
    a, r = mx.array(x), mxr.array(x)
    for spec, axis in [(2, 0), (3, 1), (6, -1), ([1], 1), ([1, 5], 1), ([2, 1], 1), ((1, 2), 1),
                       ([], 1), ([-1], 1), ([-10, 10], 0), ([0, 0], 0)]:
        got = mx.split(a, spec, axis)
        assert_same(got, mxr.split(r, spec, axis))
        exp = np.split(x, spec, axis)
        for g, e in zip(got, exp):
            np.testing.assert_array_equal(np.array(g), e)
    assert_same(a.split(3, axis=1), r.split(3, axis=1))
    assert_same(mx.split(a, mx.array(2)), mxr.split(r, mxr.array(2)))
    assert_same(mx.split(a, indices_or_sections=[1], axis=0), mxr.split(r, indices_or_sections=[1], axis=0))
    assert_same(mx.split(mx.zeros((0, 3)), 2), mxr.split(mxr.zeros((0, 3)), 2))
    assert_same(mx.unstack(a), mxr.unstack(r))
    assert_same(mx.unstack(a, axis=-1), mxr.unstack(r, axis=-1))
    assert_same(mx.unstack(mx.zeros((0, 3))), mxr.unstack(mxr.zeros((0, 3))))


def test_roll_forms():
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    a, r = mx.array(x), mxr.array(x)
    cases = [(1, None), (-7, None), ((1, 2), None), (1, 0), (-9, 1), ((1, 2), 1), ((1, 2), (0, 1)),
             (1, (0, 1)), ((1, 2, 3), (0, 1)), ((1, 1), (1, 1)), ([1, 1], [1, 1]), (1, ()), ((1, 2), (0,)),
             (2**31 - 1, 1)]
    for shift, axis in cases:
        assert_same(mx.roll(a, shift, axis), mxr.roll(r, shift, axis))
    assert_same(mx.roll(a, shift=1, axis=0), mxr.roll(r, shift=1, axis=0))
    assert_same(mx.roll(a, mx.array(3)), mxr.roll(r, mxr.array(3)))
    assert_same(mx.roll(mx.zeros((0, 3)), 1), mxr.roll(mxr.zeros((0, 3)), 1))
    assert_same(mx.roll(mx.array(3), 2), mxr.roll(mxr.array(3), 2))


def test_pad_forms():
    x = np.arange(6, dtype=np.int32).reshape(2, 3)
    a, r = mx.array(x), mxr.array(x)
    for width in [1, (1,), (1, 2), [(1, 2)], [(1, 2), (0, 1)], [[1, 2], [3, 4]], ((1, 2), (3, 4)), 0]:
        assert_same(mx.pad(a, width), mxr.pad(r, width))
    assert_same(mx.pad(a, 1, constant_values=2.5), mxr.pad(r, 1, constant_values=2.5))
    assert_same(mx.pad(a, 1, constant_values=mx.array(7)), mxr.pad(r, 1, constant_values=mxr.array(7)))
    assert_same(mx.pad(a, 1, "edge", 5), mxr.pad(r, 1, "edge", 5))
    assert_same(mx.pad(a, pad_width=2, mode="symmetric"), mxr.pad(r, pad_width=2, mode="symmetric"))
    assert_same(mx.pad(mx.array(1.0), 2), mxr.pad(mxr.array(1.0), 2))
    b, rb = a.astype(mx.bool_), r.astype(mxr.bool_)
    assert_same(mx.pad(b, 1, constant_values=3), mxr.pad(rb, 1, constant_values=3))
    c, rc = a.astype(mx.complex64), r.astype(mxr.complex64)
    assert_same(mx.pad(c, 1, constant_values=1 + 2j), mxr.pad(rc, 1, constant_values=1 + 2j))
    assert_same(mx.pad(mx.zeros((0, 3)), [(0, 0), (1, 1)], "reflect"),
                mxr.pad(mxr.zeros((0, 3)), [(0, 0), (1, 1)], "reflect"))
    assert tuple(mx.pad(mx.zeros((0, 3)), 2, "edge").shape) == (4, 7)


def test_diag_trace():
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    a, r = mx.array(x), mxr.array(x)
    m, rm = a[0], r[0]
    for k in [-4, -1, 0, 1, 3, 10]:
        assert_same(mx.diagonal(m, k), mxr.diagonal(rm, k))
        assert_same(m.diagonal(offset=k, axis1=1, axis2=0), rm.diagonal(offset=k, axis1=1, axis2=0))
        assert_same(mx.diag(m, k), mxr.diag(rm, k))
        assert_same(mx.diag(m[0], k), mxr.diag(rm[0], k))
        assert_same(m[1].diag(k=k), rm[1].diag(k=k))
        assert_same(mx.trace(m, k), mxr.trace(rm, k))
        np.testing.assert_array_equal(np.array(mx.diag(m[0], k)), np.diag(x[0, 0], k))
    assert_same(mx.diagonal(a, 1, 2, 1), mxr.diagonal(r, 1, 2, 1))
    assert_same(mx.diagonal(a.T, 0, -1, 0), mxr.diagonal(r.T, 0, -1, 0))
    assert_same(mx.trace(a, 0, 1, 2), mxr.trace(r, 0, 1, 2))
    assert_same(mx.trace(a, offset=1, axis1=2, axis2=0, dtype=mx.float16),
                mxr.trace(r, offset=1, axis1=2, axis2=0, dtype=mxr.float16))
    assert_same(mx.trace(mx.zeros((0, 3))), mxr.trace(mxr.zeros((0, 3))))
    assert_same(mx.diag(mx.zeros((0,)), 2), mxr.diag(mxr.zeros((0,)), 2))


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_trace_dtypes(name):
    rng = np.random.default_rng(3)
    x = random_array(rng, (3, 5, 4), name)
    run_both(lambda m, a: m.trace(a, 1, 2, 0), [x], name)
    run_both(lambda m, a: m.trace(a[::-1], -1, 0, 1, dtype=m.int32), [x], name)
    run_both(lambda m, a: m.trace(a.T, dtype=m.bool_), [x], name)


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_real_imag_properties(name):
    rng = np.random.default_rng(5)
    x = random_array(rng, (3, 4), name)
    run_both(lambda m, a: a.real, [x], name)
    run_both(lambda m, a: a.imag, [x], name)
    run_both(lambda m, a: a.T.real, [x], name)
    run_both(lambda m, a: a[::2, ::-1].imag, [x], name)


def test_real_imag_values():
    z = (np.arange(6) + 1j * np.arange(6)[::-1]).astype(np.complex64).reshape(2, 3)
    a = mx.array(z)
    np.testing.assert_array_equal(np.array(a.real), z.real)
    np.testing.assert_array_equal(np.array(a.T.imag), z.T.imag)
    assert a.real.dtype == mx.float32


def test_concatenate_promotion_and_identity():
    x = np.arange(6).reshape(2, 3)
    pairs = [("int8", "float16"), ("bool_", "uint64"), ("int32", "float32"), ("uint8", "int8"),
             ("bfloat16", "float16"), ("float32", "complex64")]
    for d1, d2 in pairs:
        run_both(lambda m, p: m.concatenate([p.astype(getattr(m, d1)), p.astype(getattr(m, d2))]), [x], "int32")
        run_both(lambda m, p: m.stack([p.astype(getattr(m, d1)), p.astype(getattr(m, d2))], 1), [x], "int32")
    run_both(lambda m, p: m.concatenate([p]), [x], "int32")
    run_both(lambda m, p: m.concatenate([m.array(1), m.array(2)], None), [x], "int32")
    run_both(lambda m, p: m.concatenate([p, m.zeros((2, 0), m.int32), p], 1), [x], "int32")


def test_contiguous_and_lazy_graph():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    a = mx.array(x)
    c = mx.contiguous(a.T)
    np.testing.assert_array_equal(np.array(c), x.T)
    np.testing.assert_array_equal(np.array(mx.contiguous(a, allow_col_major=True)), x)
    # Shape ops compose lazily; intermediate views of one buffer stay values.
    y = mx.concatenate([mx.pad(a, 1), mx.roll(mx.pad(a, 1), 1, 0)], 1)
    z = mx.flip(y, 0)
    exp = np.flip(np.concatenate([np.pad(x, 1), np.roll(np.pad(x, 1), 1, 0)], 1), 0)
    np.testing.assert_array_equal(np.array(z), exp)
    np.testing.assert_array_equal(np.array(y), exp[::-1])


# Bad calls: rmlx must raise what MLX raises (MLX calls that crash or raise
# RuntimeError(bad_cast) are left out).
ERRORS = [
    lambda m, a: m.reshape(a, (4, -1)),
    lambda m, a: m.flatten(a, 1, 0),
    lambda m, a: m.flatten(a, 5),
    lambda m, a: m.unflatten(a, 1, (2, 2)),
    lambda m, a: m.unflatten(a, 2, (3,)),
    lambda m, a: m.unflatten(a, 1, ()),
    lambda m, a: m.unflatten(a, 1, (-1, -1)),
    lambda m, a: m.squeeze(a, 0),
    lambda m, a: m.squeeze(a, 4),
    lambda m, a: m.squeeze(m.zeros((1, 1)), (1, -1)),
    lambda m, a: m.expand_dims(a, 3),
    lambda m, a: m.expand_dims(a, -4),
    lambda m, a: m.expand_dims(a, (0, 0)),
    lambda m, a: m.expand_dims(a, 1.0),
    lambda m, a: m.transpose(a, (1,)),
    lambda m, a: m.transpose(a, (1, 1)),
    lambda m, a: m.transpose(a, (2, 0)),
    lambda m, a: m.transpose(a, (1.0, 0)),
    lambda m, a: m.matrix_transpose(m.arange(3)),
    lambda m, a: m.arange(3).mT,
    lambda m, a: m.swapaxes(a, 0, 2),
    lambda m, a: m.moveaxis(a, 0, 2),
    lambda m, a: m.broadcast_to(a, (3, 3)),
    lambda m, a: m.broadcast_to(a, (-1, 3)),
    lambda m, a: m.broadcast_to(a, 3),
    lambda m, a: m.broadcast_arrays(a, m.array([1, 2])),
    lambda m, a: m.concatenate([]),
    lambda m, a: m.concatenate([a, m.zeros((2, 2))], 0),
    lambda m, a: m.concatenate([a, m.zeros((3,))], 0),
    lambda m, a: m.concatenate([a, a], 2),
    lambda m, a: m.concatenate([m.array(1), m.array(2)]),
    lambda m, a: m.concatenate([a, [[1, 2, 3]]]),
    lambda m, a: m.stack([]),
    lambda m, a: m.stack([a, a.T]),
    lambda m, a: m.stack([a, a], 3),
    lambda m, a: m.unstack(a, 1),
    lambda m, a: m.unstack(a, axis=2),
    lambda m, a: m.unstack(m.array(1)),
    lambda m, a: m.split(a, 3),
    lambda m, a: m.split(a, 0),
    lambda m, a: m.split(a, -1),
    lambda m, a: m.split(a, 2, axis=2),
    lambda m, a: m.split(a, 2.0),
    lambda m, a: m.split(a, [1.0], 1),
    lambda m, a: m.repeat(a, -1, 1),
    lambda m, a: m.repeat(a, 2, 2),
    lambda m, a: m.repeat(m.array(3), 2, 0),
    lambda m, a: m.repeat(a, [1, 2], 0),
    lambda m, a: m.tile(a, 2.0),
    lambda m, a: m.tile(a, (-1, 2)),
    lambda m, a: m.pad(a, [(1, 2), (0, 1), (1, 1)]),
    lambda m, a: m.pad(a, -1),
    lambda m, a: m.pad(a, [1, 2, 3]),
    lambda m, a: m.pad(a, (1, 2, 3)),
    lambda m, a: m.pad(a, 1, "foo"),
    lambda m, a: m.pad(m.zeros((2, 0)), 1, mode="symmetric"),
    lambda m, a: m.pad(m.zeros((0, 2)), 1, mode="reflect"),
    lambda m, a: m.flip(a, 2),
    lambda m, a: m.flip(m.array(3), 0),
    lambda m, a: m.roll(a, 1, 2),
    lambda m, a: m.roll(a, (1,), (0, 1)),
    lambda m, a: m.roll(a, (), (0,)),
    lambda m, a: m.diagonal(a, 0, 0, 0),
    lambda m, a: m.diagonal(a, 0, 0, 2),
    lambda m, a: m.diagonal(m.arange(3)),
    lambda m, a: m.diag(m.array(1)),
    lambda m, a: m.diag(m.zeros((1, 2, 3))),
    lambda m, a: m.trace(m.arange(3)),
    lambda m, a: m.trace(a, 0, 0, 0),
    lambda m, a: m.trace(a, 0, 0, 5),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_error_types_match_mlx(i):
    fn = ERRORS[i]
    with pytest.raises(Exception) as ref:
        mxr.eval(fn(mxr, mxr.arange(6).reshape(2, 3)))
    assert ref.type is not RuntimeError, "only cases MLX refuses cleanly belong here"
    with pytest.raises(ref.type):
        mx.eval(fn(mx, mx.arange(6).reshape(2, 3)))


def test_api_names_exist():
    for name in ["reshape", "flatten", "unflatten", "squeeze", "expand_dims", "transpose", "permute_dims",
                 "matrix_transpose", "swapaxes", "moveaxis", "broadcast_to", "broadcast_arrays",
                 "broadcast_shapes", "concatenate", "concat", "stack", "unstack", "split", "repeat", "tile",
                 "pad", "flip", "roll", "atleast_1d", "atleast_2d", "atleast_3d", "contiguous", "diagonal",
                 "diag", "trace"]:
        assert callable(getattr(mx, name)), name
    assert not hasattr(mx, "copy") and not hasattr(mxr, "copy")
    for meth in ["flatten", "squeeze", "swapaxes", "moveaxis", "split", "diagonal", "diag", "transpose", "reshape"]:
        assert callable(getattr(mx.array, meth)), meth
    # Keyword names as in MLX.
    a = mx.arange(6).reshape(2, 3)
    mx.repeat(array=a, repeats=2, axis=0)
    mx.concatenate(arrays=[a, a], axis=1)
    mx.stack(arrays=[a, a], axis=0)
    mx.pad(a, pad_width=1, mode="constant", constant_values=0)
    mx.diagonal(a=a, offset=0, axis1=0, axis2=1)
    mx.unflatten(a, axis=1, shape=(3, 1))
    mx.tile(a, (1, 2), stream=mx.cpu)
