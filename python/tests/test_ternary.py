"""where / clip / isclose / allclose / array_equal / nan_to_num against the
reference MLX and NumPy: every dtype pair, Python scalars with MLX's weak
typing, broadcasting, non-contiguous and zero-size inputs, large inputs
(parallel kernels), special values and error types."""

import itertools

import numpy as np
import pytest

import rmlx.core as mx

mxr = pytest.importorskip("mlx.core")

NAMES = ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
         "int64", "float16", "float32", "float64", "bfloat16", "complex64"]
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INF, NAN = float("inf"), float("nan")


def dname(d):
    return str(d).split(".")[-1]


def as_np(a):
    if dname(a.dtype) == "bfloat16":
        a = a.astype(mx.float32 if isinstance(a, mx.array) else mxr.float32)
    return np.array(a)


def outcome(f, mod):
    try:
        r = f(mod)
        return ("ok", dname(r.dtype), as_np(r))
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return ("err", type(e))


def check(f, exact=True, what=""):
    """rmlx and MLX agree on f: same error type, or same dtype, shape, values."""
    ref, got = outcome(f, mxr), outcome(f, mx)
    if ref[0] == "err":
        assert got[0] == "err", f"{what}: MLX raises {ref[1].__name__}, rmlx gives {got[1:]}"
        assert issubclass(got[1], ref[1]), f"{what}: rmlx raises {got[1].__name__}, MLX {ref[1].__name__}"
        return
    assert got[0] == "ok", f"{what}: rmlx raises {got[1].__name__}, MLX gives {ref[1:]}"
    assert got[1] == ref[1], f"{what}: dtype {got[1]} vs MLX {ref[1]}"
    assert got[2].shape == ref[2].shape, f"{what}: shape {got[2].shape} vs MLX {ref[2].shape}"
    if exact:
        np.testing.assert_array_equal(got[2], ref[2], err_msg=what)
    else:
        np.testing.assert_allclose(got[2], ref[2], rtol=1e-3, atol=1e-3, equal_nan=True, err_msg=what)


def data(rng, shape, name, special=False):
    """Random NumPy data that converts exactly to dtype `name`."""
    if name == "bool_":
        return rng.random(shape) > 0.5
    if name.startswith("uint"):
        return rng.integers(0, 100, size=shape).astype(name)
    if name.startswith("int"):
        return rng.integers(-100, 100, size=shape).astype(name)
    x = (rng.standard_normal(shape) * 4).astype(np.float32)
    if special and x.size:
        flat = x.reshape(-1)
        flat[rng.integers(0, x.size, size=max(1, x.size // 4))] = rng.choice([INF, -INF, NAN, 0.0])
    if name == "complex64":
        return (x + 1j * (rng.standard_normal(shape) * 4)).astype(np.complex64)
    return x


def make(m, x, name):
    return m.array(x).astype(getattr(m, name))


# ------------------------------------------------------------ where

@pytest.mark.parametrize("xn", NAMES)
def test_where_every_dtype_pair(xn):
    rng = np.random.default_rng(1)
    c = rng.random((3, 4)) > 0.5
    x = data(rng, (3, 4), xn)
    for yn in NAMES:
        y = data(rng, (4,), yn)
        check(lambda m: m.where(m.array(c), make(m, x, xn), make(m, y, yn)), what=f"{xn} {yn}")


@pytest.mark.parametrize("name", NAMES)
def test_where_scalars_weak_types(name):
    rng = np.random.default_rng(2)
    c = [True, False, True]
    x = data(rng, (3,), name)
    for s in [True, False, 0, 2, -1, 100, 1000, 2**40, 2.5, -0.5, 1e10, INF, 1 + 2j]:
        check(lambda m: m.where(m.array(c), make(m, x, name), s), what=f"where(c, {name}, {s!r})")
        check(lambda m: m.where(m.array(c), s, make(m, x, name)), what=f"where(c, {s!r}, {name})")
        check(lambda m: m.where(make(m, x, name), s, 7), what=f"where({name}, {s!r}, 7)")


def test_where_scalar_forms_and_errors():
    b = [True, False, True]
    cases = [
        lambda m: m.where(m.array(b), 1, 2), lambda m: m.where(m.array(b), 1.0, 2),
        lambda m: m.where(m.array(b), True, False), lambda m: m.where(m.array(b), True, 2),
        lambda m: m.where(1, 2, 3), lambda m: m.where(True, 2, 3.0), lambda m: m.where(0.5, 2, 3),
        lambda m: m.where(0, m.array([1, 2]), 3), lambda m: m.where(m.array([1, 0, 2]), 2, 3),
        lambda m: m.where(m.array([0.5, 0, NAN]), 2, 3), lambda m: m.where(m.array([1 + 1j, 0j, 1j]), 1, 2),
        lambda m: m.where(m.array(b), m.array([[1], [2]]), 3), lambda m: m.where(m.array(b), m.ones((2,)), 3),
        lambda m: m.where(m.array(b), np.array([1, 2, 3]), 0), lambda m: m.where(np.array(b), 1, 0),
        lambda m: m.where(m.array(b), m.array([1, 2, 3], m.int8), 1000),
        lambda m: m.where(m.array(b), m.array([1, 2, 3], m.uint8), -1),
        lambda m: m.where(m.array(b), m.array([1, 2, 3], m.float16), 1e10),
        lambda m: m.where(condition=m.array(b), x=1, y=2), lambda m: m.where(m.array(b), 1),
        lambda m: m.where(m.array(b), 1, 2, stream=m.cpu),
        lambda m: m.where(m.zeros((0, 3), m.bool_), 1.0, m.array([1, 2, 3])),
        lambda m: m.where(m.array([[True], [False]]), m.zeros((2, 0)), 1),
    ]
    for i, f in enumerate(cases):
        check(f, what=f"case {i}")


@pytest.mark.parametrize("name", NAMES)
def test_where_broadcasting_and_views(name):
    rng = np.random.default_rng(4)
    c = rng.random((2, 3, 4, 5)) > 0.4
    x = data(rng, (5, 4, 3, 2), name)
    y = data(rng, (3, 1, 5), name)
    def f(m):
        cm = m.array(c)[:, ::2, ::-1]          # sliced, reversed
        xm = make(m, x, name).T[:, 1:, :, :]     # transposed
        ym = make(m, y, name)[::2]               # strided
        return m.where(cm, xm, ym)
    check(f)
    want = np.where(c[:, ::2, ::-1], x.T[:, 1:], y[::2])
    got = as_np(f(mx))
    if name not in ("float16", "bfloat16"):
        np.testing.assert_array_equal(got, want.astype(got.dtype) if name != "float64" else want)
    check(lambda m: m.where(m.array(c[0, 0]), make(m, x, name)[0, 0, 0], make(m, y, name)[0, 0]))
    check(lambda m: m.where(m.array(c)[0, 0, 0, 0], make(m, x, name), make(m, y, name)))
    check(lambda m: m.where(m.array(c)[..., :0], 1, make(m, y, name)[:, :, :0]))


@pytest.mark.parametrize("name", ["bool_", "int8", "int16", "float32", "float64", "complex64"])
def test_where_large(name):
    rng = np.random.default_rng(9)
    n = 300_001
    c, x, y = rng.random(n) > 0.5, data(rng, (n,), name), data(rng, (n,), name)
    for cf, xf, yf in [(c, x, y), (c, x, y[:1].reshape(())), (c, x[:1].reshape(()), y),
                       (c[:1].reshape(()), x, y)]:
        got = as_np(mx.where(mx.array(cf), make(mx, np.asarray(xf), name), make(mx, np.asarray(yf), name)))
        want = np.where(cf, xf, yf)
        np.testing.assert_array_equal(got, want.astype(got.dtype) if name != "float64" else want.astype(np.float32))
    c2 = rng.random((700, 701)) > 0.5
    x2 = data(rng, (701, 700), name)
    got = as_np(mx.where(mx.array(c2), make(mx, x2, name).T, make(mx, x2, name)[:1, :1] * 0))
    np.testing.assert_array_equal(got, np.where(c2, x2.T, x2[:1, :1] * 0).astype(got.dtype))


def test_where_result_is_reusable_and_lazy():
    x = mx.array([1.0, 2.0, 3.0])
    w = mx.where(x > 1.5, x, -x)
    z = w * 2 + w
    np.testing.assert_array_equal(np.array(z), [-3.0, 6.0, 9.0])
    np.testing.assert_array_equal(np.array(w), [-1.0, 2.0, 3.0])
    np.testing.assert_array_equal(np.array(x), [1.0, 2.0, 3.0])


# ------------------------------------------------------------ clip

@pytest.mark.parametrize("name", NAMES)
def test_clip(name):
    rng = np.random.default_rng(5)
    x = data(rng, (4, 5), name, special=True)
    lo_hi = [(2, None), (None, 2), (1.5, 2.5), (-1, 3), (0, 1), (False, True), (2, 1), (NAN, 1), (0, NAN),
             (None, None), (1000, None), (-1, None), (1j, None), (2**40, None)]
    for lo, hi in lo_hi:
        check(lambda m: m.clip(make(m, x, name), lo, hi), exact=name not in ("float16", "bfloat16"),
              what=f"clip({name}, {lo!r}, {hi!r})")
    for bn in ["int8", "float32", "uint16", "float16"]:
        b = data(rng, (5,), bn)
        check(lambda m: m.clip(make(m, x, name), make(m, b, bn), None), what=f"clip({name}, {bn} array)")
        check(lambda m: m.clip(make(m, x, name), -1, make(m, b, bn)), what=f"clip({name}, -1, {bn} array)")
    check(lambda m: m.clip(make(m, x, name).T, m.array([[0], [1], [0], [2], [0]]), 3))
    check(lambda m: m.clip(make(m, x, name), a_min=1, a_max=2))


@pytest.mark.parametrize("name", ["float16", "bfloat16", "complex64"])
def test_clip_nan_half_complex(name):
    check(lambda m: m.clip(m.array([0.5, NAN, 3.0]).astype(getattr(m, name)), NAN, 1))
    check(lambda m: m.clip(m.array([0.5, NAN, 3.0]).astype(getattr(m, name)), 0, 1))


def test_clip_forms_and_errors():
    i8 = [1, 2, 3]
    for f in [lambda m: m.clip(m.array(i8, m.int8), 1), lambda m: m.clip(3, 1, 2), lambda m: m.clip([1, 2], 1, 2),
              lambda m: m.clip(m.array(i8, m.int8), np.array([2, 2, 2]), None),
              lambda m: m.clip(m.array(i8), m.array([1, 2]), None),
              lambda m: m.clip(m.zeros((0, 2)), 0, 1), lambda m: m.clip(m.array(5.0), 0, 1),
              lambda m: m.clip(m.array(i8), 0, 1, stream=m.cpu)]:
        check(f)
    # MLX refuses list bounds; rmlx converts them like NumPy bounds.
    assert mx.clip(mx.array(i8, mx.int8), [1, 2, 2], 2).dtype == mx.int8
    n = 250_000
    x = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    np.testing.assert_array_equal(np.array(mx.clip(mx.array(x), -0.5, 0.7)), np.clip(x, -0.5, 0.7))


# ------------------------------------------------------------ isclose / allclose

@pytest.mark.parametrize("an", NAMES)
def test_isclose_every_dtype_pair(an):
    rng = np.random.default_rng(6)
    a = data(rng, (3, 4), an, special=True)
    for bn in NAMES:
        b = data(rng, (4,), bn, special=True)
        for kw in [{}, {"equal_nan": True}, {"rtol": 0.5, "atol": 0.25}]:
            check(lambda m: m.isclose(make(m, a, an), make(m, b, bn), **kw), what=f"isclose {an} {bn} {kw}")
            check(lambda m: m.allclose(make(m, a, an), make(m, b, bn), **kw), what=f"allclose {an} {bn} {kw}")


@pytest.mark.parametrize("name", NAMES)
def test_isclose_near_values(name):
    rng = np.random.default_rng(8)
    a = data(rng, (50,), name, special=True)
    if name in FLOATS + ["complex64"]:
        with np.errstate(invalid="ignore"):  # inf * complex
            b = a * (1 + rng.choice([-1, 1], 50) * 10.0 ** rng.uniform(-8, -2, 50))
        b = b + rng.choice([0, 1e-9, 1e-7], 50)
    else:
        b = a.copy()
        if name != "bool_":
            b[::3] += 1
    b = b.astype(a.dtype)
    for rtol, atol in [(1e-5, 1e-8), (1e-3, 0), (0, 1e-6), (1e-2, 1e-2), (0, 0), (-1, 0)]:
        for en in [False, True]:
            check(lambda m: m.isclose(make(m, a, name), make(m, b, name), rtol, atol, equal_nan=en),
                  what=f"isclose {name} {rtol} {atol} {en}")
            check(lambda m: m.allclose(make(m, a, name), make(m, b, name), rtol=rtol, atol=atol, equal_nan=en),
                  what=f"allclose {name} {rtol} {atol} {en}")
            check(lambda m: m.allclose(make(m, a, name), make(m, a, name), rtol=rtol, atol=atol, equal_nan=en))


def test_isclose_special_values_and_numpy():
    a = np.array([1.0, INF, -INF, INF, NAN, NAN, 0.0, 1e10, -0.0, 1e-9], dtype=np.float32)
    b = np.array([1.0 + 1e-7, INF, INF, 1e38, NAN, 1.0, 1e-9, 1.00001e10, 0.0, 0.0], dtype=np.float32)
    for en in [False, True]:
        check(lambda m: m.isclose(m.array(a), m.array(b), equal_nan=en))
        np.testing.assert_array_equal(np.array(mx.isclose(mx.array(a), mx.array(b), equal_nan=en)),
                                      np.isclose(a, b, equal_nan=en))
    c = np.array([complex(INF, 0), complex(0, INF), complex(NAN, 0), complex(0, NAN), 1 + 1j], dtype=np.complex64)
    for en in [False, True]:
        check(lambda m: m.isclose(m.array(c), m.array(c), equal_nan=en))
        check(lambda m: m.array_equal(m.array(c), m.array(np.ascontiguousarray(c[::-1])), equal_nan=en))
    # Integer differences wrap like MLX's (int8: 100 - (-100) == -56).
    check(lambda m: m.isclose(m.array([100, -128], m.int8), m.array([-100, 0], m.int8), atol=60))
    check(lambda m: m.isclose(m.array([1.0], m.float64), m.array([1.0 + 9.9999999e-6], m.float64), rtol=0, atol=1e-5))


def test_isclose_forms_and_errors():
    i8 = [1, 2, 3]
    for f in [lambda m: m.isclose(m.array(i8, m.int8), 2), lambda m: m.isclose(2, m.array(i8)),
              lambda m: m.isclose(1, 2), lambda m: m.isclose([1], [1]),
              lambda m: m.isclose(m.array(i8), m.array(i8), 0.1, 0.2, True),
              lambda m: m.isclose(m.array(i8), m.array(i8), 0.1, 0.2, equal_nan=True),
              lambda m: m.isclose(m.array([1.0, 2.0, 3.0, 4.0]), m.array([1, 2])),
              lambda m: m.isclose(m.array(i8), m.array([[1], [2]])),
              lambda m: m.isclose(a=m.array(i8), b=m.array(i8)),
              lambda m: m.isclose(m.array(i8), m.array(i8), stream=m.cpu),
              lambda m: m.allclose(m.array(i8), m.array([[1, 2, 3], [1, 2, 4]])),
              lambda m: m.allclose(m.array([]), m.array([])), lambda m: m.allclose(1, 2),
              lambda m: m.allclose(m.array([1.0, 2.0, 3.0, 4.0]), m.array([1, 2])),
              lambda m: m.allclose(m.zeros((0, 3)), m.zeros((2, 1, 1))),
              lambda m: m.isclose(m.zeros((0, 3)), m.zeros((2, 1, 1)))]:
        check(f)


def test_isclose_allclose_large_and_views():
    rng = np.random.default_rng(12)
    a = rng.standard_normal((600, 601)).astype(np.float32)
    b = a + rng.standard_normal(a.shape).astype(np.float32) * 1e-7
    got = np.array(mx.isclose(mx.array(a).T, mx.array(b).T))
    np.testing.assert_array_equal(got, np.array(mxr.isclose(mxr.array(a).T, mxr.array(b).T)))
    assert mx.allclose(mx.array(a), mx.array(b)).item() == mxr.allclose(mxr.array(a), mxr.array(b)).item()
    b2 = b.copy()
    b2[599, 600] += 1
    assert mx.allclose(mx.array(a), mx.array(b2)).item() is False
    assert mx.allclose(mx.array(a)[::2, ::-1], mx.array(a)[::2, ::-1]).item() is True
    assert mx.allclose(mx.array(a), mx.array(a[:1])).item() is False


# ------------------------------------------------------------ array_equal

@pytest.mark.parametrize("an", NAMES)
def test_array_equal_every_dtype_pair(an):
    rng = np.random.default_rng(13)
    a = data(rng, (2, 3), an, special=True)
    for bn in NAMES:
        for en in [False, True]:
            check(lambda m: m.array_equal(make(m, a, an), make(m, a, an).astype(getattr(m, bn)), equal_nan=en),
                  what=f"{an} {bn} {en}")
            check(lambda m: m.array_equal(make(m, a, an), make(m, data(rng, (2, 3), bn), bn), equal_nan=en))


def test_array_equal_forms():
    i8 = [1, 2, 3]
    f = [1.0, NAN, INF]
    for g in [lambda m: m.array_equal(m.array(i8, m.int8), m.array(i8, m.uint8)),
              lambda m: m.array_equal(m.array(i8), m.array([[1, 2, 3]])),
              lambda m: m.array_equal(m.array(i8), m.array([1, 2])),
              lambda m: m.array_equal(m.array(f), m.array(f)),
              lambda m: m.array_equal(m.array(f), m.array(f), True),
              lambda m: m.array_equal(m.array(f), m.array(f), equal_nan=True),
              lambda m: m.array_equal(m.array(f, m.float16), m.array(f), equal_nan=True),
              lambda m: m.array_equal(1, 1), lambda m: m.array_equal(1, 1.0), lambda m: m.array_equal(m.array(i8), 1),
              lambda m: m.array_equal(m.array([1, 1]), 1), lambda m: m.array_equal(m.array([]), m.array([], m.int32)),
              lambda m: m.array_equal(m.array([True, False]), m.array([1, 0])),
              lambda m: m.array_equal(a=m.array(i8), b=m.array(i8)),
              lambda m: m.array_equal(m.array(i8), m.array(i8), stream=m.cpu),
              lambda m: m.array_equal(m.array(i8)[::-1], m.array([3, 2, 1]))]:
        check(g)
    big = np.arange(400_000, dtype=np.int32)
    assert mx.array_equal(mx.array(big), mx.array(big)).item() is True
    big2 = big.copy()
    big2[-1] = 0
    assert mx.array_equal(mx.array(big), mx.array(big2)).item() is False


# ------------------------------------------------------------ nan_to_num

@pytest.mark.parametrize("name", NAMES)
def test_nan_to_num(name):
    rng = np.random.default_rng(14)
    x = data(rng, (3, 7), name, special=True)
    kws = [{}, {"nan": 1.0, "posinf": 2.0, "neginf": 3.0}, {"nan": 5, "posinf": 1e10, "neginf": -1e10},
           {"posinf": 1e10}, {"nan": 1e10}, {"nan": NAN}, {"posinf": None}, {"nan": 0.1}]
    for kw in kws:
        if name == "float64":  # MLX 0.32.4 refuses float64; rmlx computes it
            got = np.array(mx.nan_to_num(make(mx, x, name), **kw))
            big = np.finfo(np.float64).max
            want = np.nan_to_num(x.astype(np.float64), nan=kw.get("nan", 0.0), posinf=kw.get("posinf") or big,
                                 neginf=kw.get("neginf", -big))
            np.testing.assert_array_equal(got, want)
            continue
        check(lambda m: m.nan_to_num(make(m, x, name), **kw), what=f"{name} {kw}")
    check(lambda m: m.nan_to_num(make(m, x, name).T[::2], 4.0, -1.0, 1.0))


def test_nan_to_num_forms():
    f = [-1.5, NAN, INF, -INF]
    for g in [lambda m: m.nan_to_num(3), lambda m: m.nan_to_num(3.5), lambda m: m.nan_to_num(NAN),
              lambda m: m.nan_to_num(m.array(f), 1.0, 2.0, 3.0), lambda m: m.nan_to_num(m.array(f), nan=None),
              lambda m: m.nan_to_num(m.array(f), 1j), lambda m: m.nan_to_num(m.array(f), m.array(2.0)),
              lambda m: m.nan_to_num(m.array([True])), lambda m: m.nan_to_num(m.array([1, 2], m.int8), nan=1000),
              lambda m: m.nan_to_num(m.array([complex(NAN, INF)])), lambda m: m.nan_to_num(m.zeros((0, 2))),
              lambda m: m.nan_to_num(m.array(f), stream=m.cpu)]:
        check(g)
    n = 300_000
    x = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    x[::7] = NAN
    x[::11] = INF
    x[::13] = -INF
    np.testing.assert_array_equal(np.array(mx.nan_to_num(mx.array(x), 1.0)), np.nan_to_num(x, nan=1.0))
