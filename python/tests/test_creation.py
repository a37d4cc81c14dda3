"""Creation ops against the reference MLX and NumPy: zeros / ones / full /
empty and their _like forms, arange (every argument form, dtype inference,
float and negative steps, MLX's accumulated rounding), linspace, eye,
identity, tri, tril, triu, meshgrid, asarray."""

import itertools

import numpy as np
import pytest

import rmlx.core as mx

mxr = pytest.importorskip("mlx.core")

NAMES = ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
         "int64", "float16", "float32", "float64", "bfloat16", "complex64"]


def dname(d):
    return str(d).split(".")[-1]


def as_np(a):
    if dname(a.dtype) == "bfloat16":
        a = a.astype(mx.float32 if isinstance(a, mx.array) else mxr.float32)
    return np.array(a)


def outcome(f, mod):
    try:
        r = f(mod)
        if isinstance(r, tuple):
            return ("ok", tuple(dname(x.dtype) for x in r), [as_np(x) for x in r])
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
    gs, rs = (got[2], ref[2]) if isinstance(got[2], list) else ([got[2]], [ref[2]])
    for g, r in zip(gs, rs):
        assert g.shape == r.shape, f"{what}: shape {g.shape} vs MLX {r.shape}"
        if exact:
            np.testing.assert_array_equal(g, r, err_msg=what)
        else:
            np.testing.assert_allclose(g, r, rtol=1e-6, atol=0, equal_nan=True, err_msg=what)


# ------------------------------------------------------------ fills

SHAPES = [3, (2, 3), [4], (), (0,), (2, 0, 3), (1, 1, 1, 1), [2, 3]]


@pytest.mark.parametrize("fn", ["zeros", "ones", "empty"])
def test_zeros_ones_empty(fn):
    for shape in SHAPES:
        check(lambda m: getattr(m, fn)(shape), what=f"{fn}({shape})")
        for name in NAMES:
            check(lambda m: getattr(m, fn)(shape, getattr(m, name)), what=f"{fn}({shape}, {name})")
            check(lambda m: getattr(m, fn)(shape=shape, dtype=getattr(m, name)), what=f"{fn}(shape={shape})")
    for bad in [(-1,), (2, -3), -2]:
        check(lambda m: getattr(m, fn)(bad), what=f"{fn}({bad})")
    with pytest.raises(TypeError):
        getattr(mx, fn)((2,), np.float32)
    with pytest.raises(TypeError):
        getattr(mx, fn)("ab")


def test_empty_is_zeros():
    assert mx.empty is mx.zeros or mx.empty.__name__ == "zeros"
    assert mx.empty_like is mx.zeros_like or mx.empty_like.__name__ == "zeros_like"


FILL_VALUES = [True, False, 0, 3, -1, 127, 300, -129, 70000, 2**40, 2.5, -3.7, 1e10, float("nan"),
               float("inf"), 1 + 2j]


def ub_cast(v, target):
    """A float that C++ cannot convert to integer dtype `target` (NaN, inf,
    out of range): undefined behaviour in MLX, so not compared."""
    if not isinstance(v, float) or target in ("bool_", "float16", "bfloat16", "float32", "float64", "complex64"):
        return False
    info = np.iinfo(target)
    return not (np.isfinite(v) and info.min <= v <= info.max)


@pytest.mark.parametrize("name", NAMES + [None])
def test_full_scalar_values_and_hints(name):
    for v in FILL_VALUES:
        def f(m, v=v):
            return m.full((2, 3), v, None if name is None else getattr(m, name))
        check(f, exact=name not in ("float16", "bfloat16"), what=f"full({v!r}, {name})")


@pytest.mark.parametrize("v,name", [(-1, "uint64"), (2**40, "bool_"), (2.5, "complex64")])
def test_full_weak_edge_cases(v, name):
    # MLX: -1 wraps into uint64, an int next to a bool hint is int32
    # (wrapped), a float with a complex hint stays float32.
    check(lambda m: m.full((2,), v, getattr(m, name)))


def test_full_arrays_and_broadcasting():
    check(lambda m: m.full((2, 3), m.array([1, 2, 3])))
    check(lambda m: m.full((2, 3), m.array([[1], [2]], dtype=m.int8)))
    check(lambda m: m.full((4, 2, 3), m.array([1.5, 2.5, 3.5]), m.int32))  # dtype ignored for arrays
    check(lambda m: m.full((2, 3), m.array(7, dtype=m.uint16), m.float32))
    check(lambda m: m.full(3, m.array([1, 2, 3]), dtype=m.float16))
    check(lambda m: m.full((2,), m.array([1, 2, 3])))
    check(lambda m: m.full((2, 3), np.array([1, 2, 3])))
    check(lambda m: m.full((2, 3), np.array([1, 2, 3]), m.int8))
    check(lambda m: m.full((2,), np.float32(2.5)))
    check(lambda m: m.full((2,), np.float64(2.5)))
    check(lambda m: m.full((-1, 2), 1.0))
    check(lambda m: m.full(shape=(2,), vals=1, dtype=m.int32))
    check(lambda m: m.full((), 5))
    check(lambda m: m.full((0, 4), 5))
    check(lambda m: m.full((3,), 1, dtype=m.int8, stream=m.cpu))


@pytest.mark.parametrize("name", NAMES)
def test_like_functions(name):
    base = [[1, 0, 2], [3, 4, 0]]
    for fn in ["zeros_like", "ones_like", "empty_like"]:
        check(lambda m: getattr(m, fn)(m.array(base, dtype=getattr(m, name))), what=fn)
        for other in ["int8", "float32", "bool_", "complex64"]:
            check(lambda m: getattr(m, fn)(m.array(base, dtype=getattr(m, name)), getattr(m, other)), what=fn)
            check(lambda m: getattr(m, fn)(m.array(base, dtype=getattr(m, name)), dtype=getattr(m, other)))
    for v in FILL_VALUES:
        for target in [None, "float32", "int64"]:
            hint = target or name
            if ub_cast(v, hint):
                continue
            def f(m, v=v, target=target):
                a = m.array(base, dtype=getattr(m, name))
                return m.full_like(a, v) if target is None else m.full_like(a, v, dtype=getattr(m, target))
            check(f, exact=hint not in ("float16", "bfloat16", "float32"), what=f"full_like({name}, {v!r}, {target})")
    check(lambda m: m.full_like(m.array(base, dtype=getattr(m, name)), m.array([1.5, 2.5, 3.5])), exact=False)
    check(lambda m: m.full_like(m.array(base, dtype=getattr(m, name)), m.array([[1], [2]])))
    check(lambda m: m.full_like(m.array(base, dtype=getattr(m, name)), m.array([1, 2])))


def test_like_functions_errors_and_views():
    for fn in ["zeros_like", "ones_like"]:
        check(lambda m: getattr(m, fn)([1, 2]), what=fn)
        check(lambda m: getattr(m, fn)(3), what=fn)
        check(lambda m: getattr(m, fn)(a=m.array([1])), what=fn)
    check(lambda m: m.full_like([1, 2], 3))
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    check(lambda m: m.zeros_like(m.array(x)[:, ::2]))
    check(lambda m: m.full_like(m.array(x)[::-1, 1:], 9))


# ------------------------------------------------------------ arange

ARANGE_CASES = [
    (5,), (5.0,), (1, 5), (1, 5.0), (0, 1, 0.1), (5, 0, -1), (5, 0, -1.5), (0, 5, 2), (0, -5),
    (0, 1, 0.3), (0.5, 5), (-2.5, 3, 1), (0, 10, float("inf")), (0, 10, float("-inf")),
    (10, 0, float("-inf")), (0, 0, float("inf")), (-0.0, 3), (3, 0, 0.5), (3, 5, -1), (0, 5, 0),
    (float("inf"),), (float("nan"),), (0, float("nan")), (2**31,), (0, 2**31, 1), (0, 10, 1e-300),
    (-(2**31) - 1, -(2**31) + 2), (-(2**31), -(2**31) + 2), (2**31 - 3, 2**31 + 3), (0, 10, 2**31),
    (2**62, 2**62 + 3), (True,), (0, True), (True, 5), (0, 5, True), (False, 3), (5, None),
    (1, None, 2), (0, None, None), (3, None, None), (1e9, 1e9 + 5), (-3, 3, 0.7), (0.1, 0.5, 0.1),
    (2**63,), ("a",), (1 + 2j,), (), (1, 2, 3, 4), (np.int32(5),), (1, 5, None),
]


@pytest.mark.parametrize("args", ARANGE_CASES, ids=[repr(a) for a in ARANGE_CASES])
def test_arange_forms(args):
    check(lambda m: m.arange(*args), what=f"arange{args}")


def test_arange_keywords_and_positional_dtype():
    cases = [
        lambda m: m.arange(start=1, stop=5),
        lambda m: m.arange(stop=5),
        lambda m: m.arange(1, 5, step=2),
        lambda m: m.arange(1, stop=5),
        lambda m: m.arange(start=1),
        lambda m: m.arange(5, step=2),
        lambda m: m.arange(stop=5, step=2),
        lambda m: m.arange(3, step=1.0),
        lambda m: m.arange(3.0, step=1),
        lambda m: m.arange(stop=True),
        lambda m: m.arange(start=0, stop=3, step=1, dtype=m.int16),
        lambda m: m.arange(0, 3, dtype=m.int16, step=1),
        lambda m: m.arange(3, dtype=m.int16, stream=m.cpu),
        lambda m: m.arange(0, 3, 1, m.int16, stream=m.cpu),
        lambda m: m.arange(0, 3, 1, None),
        lambda m: m.arange(0, 3, 1, 5),
        lambda m: m.arange(1, 5, 1, m.int8),
        lambda m: m.arange(5, m.int8),
        lambda m: m.arange(5, None, m.int8),
        lambda m: m.arange(1, 5, m.int8),
        lambda m: m.arange(1, 5, 1, m.int8, m.cpu),
        lambda m: m.arange(0, 3, step=None),
        lambda m: m.arange(None, 5),
        lambda m: m.arange(5, foo=1),
        lambda m: m.arange(5, dtype=m.bool_),
        lambda m: m.arange(0, 3, 1, dtype=m.bool_),
    ]
    for i, f in enumerate(cases):
        check(f, what=f"case {i}")


@pytest.mark.parametrize("name", [n for n in NAMES if n != "bool_"])
def test_arange_dtypes_and_accumulation(name):
    rng = np.random.default_rng(11)
    for _ in range(25):
        start = float(rng.uniform(-50, 50))
        step = float(rng.choice([-1, 1]) * rng.uniform(0.05, 7))
        stop = start + step * float(rng.uniform(0, 60))
        check(lambda m: m.arange(start, stop, step, dtype=getattr(m, name)), what=f"arange({start}, {stop}, {step})")
        a, b = int(rng.integers(-30, 30)), int(rng.integers(-30, 30))
        s = int(rng.choice([-3, -2, -1, 1, 2, 3]))
        check(lambda m: m.arange(a, b, s, dtype=getattr(m, name)), what=f"arange({a}, {b}, {s})")
    # Long ranges show MLX's accumulated rounding (float16 drifts far).
    check(lambda m: m.arange(0, 100, 0.1, dtype=getattr(m, name)), what="arange(0, 100, 0.1)")


def test_arange_large_parallel():
    check(lambda m: m.arange(300001))
    check(lambda m: m.arange(-7, 900000, 3, dtype=m.int64))
    check(lambda m: m.arange(5, 250000, 7, dtype=m.uint8))
    check(lambda m: m.arange(0.5, 20000.0, 0.25))
    np.testing.assert_array_equal(np.array(mx.arange(300001)), np.arange(300001, dtype=np.int32))


# ------------------------------------------------------------ linspace

def test_linspace_forms():
    cases = [
        lambda m: m.linspace(0, 1, 5), lambda m: m.linspace(0, 1), lambda m: m.linspace(0, 1, 0),
        lambda m: m.linspace(0, 1, 1), lambda m: m.linspace(0, 1, -1), lambda m: m.linspace(1, 0, 3),
        lambda m: m.linspace(0, 10, 4, dtype=m.int32), lambda m: m.linspace(0, 10, 4, endpoint=False),
        lambda m: m.linspace(0, 10, 4, False), lambda m: m.linspace(0, 10, 1, endpoint=False),
        lambda m: m.linspace(0, 1, 5, dtype=m.bool_), lambda m: m.linspace(-3, 3, 5, dtype=m.int8),
        lambda m: m.linspace(m.array(0), 1, 3), lambda m: m.linspace(0j, 1, 3), lambda m: m.linspace(0, 1, 2.0),
        lambda m: m.linspace(float("nan"), 1, 3), lambda m: m.linspace(0, 1, None),
        lambda m: m.linspace(start=0, stop=1, num=3), lambda m: m.linspace(0.1, 1, 1, dtype=m.float64),
        lambda m: m.linspace(2.7, 1, 1, dtype=m.int32), lambda m: m.linspace(True, 3, 3),
        lambda m: m.linspace(0, 1, 3, endpoint=True, dtype=m.complex64, stream=m.cpu),
        lambda m: m.linspace(0, 1, 7, dtype=m.float64), lambda m: m.linspace(0, 1, 0, dtype=m.int32),
        lambda m: m.linspace(0, float("inf"), 3),
    ]
    for i, f in enumerate(cases):
        check(f, what=f"case {i}")


@pytest.mark.parametrize("name", NAMES)
def test_linspace_random(name):
    rng = np.random.default_rng(5)
    for _ in range(30):
        a, b = (rng.standard_normal(2) * 100).tolist()
        n = int(rng.integers(0, 70))
        ep = bool(rng.integers(0, 2))
        check(lambda m: m.linspace(a, b, n, endpoint=ep, dtype=getattr(m, name)), what=f"linspace({a}, {b}, {n}, {ep})")
    check(lambda m: m.linspace(-1.5, 2.5, 200001, dtype=getattr(m, name)), what="large")


def test_linspace_matches_numpy():
    for a, b, n, ep in [(0, 1, 11, True), (-3, 7, 64, False), (1e-3, 1e3, 5, True)]:
        np.testing.assert_allclose(np.array(mx.linspace(a, b, n, endpoint=ep)),
                                   np.linspace(a, b, n, endpoint=ep), rtol=1e-6, atol=1e-6)
        np.testing.assert_allclose(np.array(mx.linspace(a, b, n, endpoint=ep, dtype=mx.float64)),
                                   np.linspace(a, b, n, endpoint=ep), rtol=1e-14, atol=1e-14)


# ------------------------------------------------------------ eye, identity, tri

def test_eye_identity_tri():
    for n, mm, k in itertools.product([0, 1, 3, 5], [None, 0, 2, 4], [-6, -2, -1, 0, 1, 3, 7]):
        check(lambda m: m.eye(n, mm, k), what=f"eye({n}, {mm}, {k})")
        check(lambda m: m.tri(n, mm, k), what=f"tri({n}, {mm}, {k})")
    for name in NAMES:
        check(lambda m: m.eye(4, 3, 1, getattr(m, name)), what=name)
        check(lambda m: m.eye(4, dtype=getattr(m, name)), what=name)
        check(lambda m: m.identity(3, getattr(m, name)), what=name)
        check(lambda m: m.tri(3, 5, -1, getattr(m, name)), what=name)
        check(lambda m: m.tri(4, dtype=getattr(m, name)), what=name)
    for f in [lambda m: m.eye(-1), lambda m: m.eye(3, -2), lambda m: m.identity(-1), lambda m: m.identity(0),
              lambda m: m.tri(-1), lambda m: m.tri(3, -1), lambda m: m.tri(3, None), lambda m: m.eye(3, dtype=None),
              lambda m: m.identity(3, dtype=None), lambda m: m.eye(n=2, m=3, k=1), lambda m: m.tri(n=2, m=3, k=1),
              lambda m: m.eye(2.5), lambda m: m.eye(3, k=1.5), lambda m: m.identity(4, m.int8, stream=m.cpu)]:
        check(f)


def test_eye_tri_large():
    check(lambda m: m.eye(700, 650, 3))
    check(lambda m: m.tri(650, 700, -5, m.int16))
    np.testing.assert_array_equal(np.array(mx.tri(300, 410, 7)), np.tri(300, 410, 7, dtype=np.float32))
    np.testing.assert_array_equal(np.array(mx.eye(300, 410, -7)), np.eye(300, 410, -7, dtype=np.float32))


@pytest.mark.parametrize("name", NAMES)
def test_tril_triu(name):
    rng = np.random.default_rng(3)
    for shape in [(3, 4), (4, 3), (2, 3, 5), (1, 2, 2, 3), (0, 3), (3, 0), (2, 0, 4), (1, 1)]:
        x = rng.standard_normal(shape) * 10
        if name == "complex64":
            x = x + 1j * rng.standard_normal(shape)
        for k in [-5, -1, 0, 1, 2, 6]:
            for fn in ["tril", "triu"]:
                check(lambda m: getattr(m, fn)(m.array(x).astype(getattr(m, name)), k), what=f"{fn} {shape} {k}")
                np_res = getattr(np, fn)(x, k)
                got = as_np(getattr(mx, fn)(mx.array(x).astype(getattr(mx, name)), k=k))
                want = np_res.astype(got.dtype) if name != "bool_" else getattr(np, fn)(x.astype(bool), k)
                if name not in ("float16", "bfloat16"):
                    np.testing.assert_array_equal(got, want if name != "float64" else np_res.astype(np.float32))


def test_tril_triu_views_and_errors():
    x = np.arange(60, dtype=np.float32).reshape(3, 4, 5)
    check(lambda m: m.tril(m.array(x)[:, ::2, ::-1], 1))
    check(lambda m: m.triu(m.array(x)[::-1, 1:, :3], -1))
    check(lambda m: m.tril(m.broadcast_to(m.array(x[0]), (2, 4, 5)) if hasattr(m, "broadcast_to") else m.array(x)))
    check(lambda m: m.tril(m.array([[float("nan"), 1], [2, float("nan")]])))
    check(lambda m: m.triu(m.array([[float("inf"), 1], [float("nan"), float("nan")]])))
    for f in [lambda m: m.tril(m.ones((4,))), lambda m: m.triu(m.array(1.0)), lambda m: m.tril([[1, 2], [3, 4]]),
              lambda m: m.triu(np.ones((2, 2))), lambda m: m.tril(m.ones((2, 2)), k=1, stream=m.cpu)]:
        check(f)
    big = np.random.default_rng(0).standard_normal((3, 300, 257)).astype(np.float32)
    np.testing.assert_array_equal(np.array(mx.tril(mx.array(big), 4)), np.tril(big, 4))
    np.testing.assert_array_equal(np.array(mx.triu(mx.array(big), -9)), np.triu(big, -9))


# ------------------------------------------------------------ meshgrid

def test_meshgrid():
    def arrays(m):
        return m.array([1, 2, 3]), m.array([4.0, 5.0]), m.array([7, 8, 9, 10], m.int8)
    for sparse, indexing in itertools.product([False, True], ["xy", "ij"]):
        for count in range(0, 4):
            check(lambda m: m.meshgrid(*arrays(m)[:count], sparse=sparse, indexing=indexing),
                  what=f"{count} {sparse} {indexing}")
    check(lambda m: m.meshgrid(m.array([[1, 2], [3, 4]]), m.array([4.0, 5.0])))
    check(lambda m: m.meshgrid(m.array(1), m.array([4.0, 5.0]), indexing="ij"))
    check(lambda m: m.meshgrid(m.array([]), m.array([4.0, 5.0])))
    check(lambda m: m.meshgrid(m.array([1]), m.array([2]), indexing="foo"))
    check(lambda m: m.meshgrid(m.array([1]), m.array([2]), indexing=None))
    check(lambda m: m.meshgrid(m.array([1]), m.array([2]), sparse=None))
    check(lambda m: m.meshgrid(m.array([1, 2]), m.array([2]), stream=m.cpu))
    assert isinstance(mx.meshgrid(mx.array([1])), tuple)
    x, y = np.arange(5.0), np.arange(3.0)
    for ind in ["xy", "ij"]:
        for g, w in zip(mx.meshgrid(mx.array(x), mx.array(y), indexing=ind), np.meshgrid(x, y, indexing=ind)):
            np.testing.assert_array_equal(np.array(g), w)


# ------------------------------------------------------------ asarray

def test_asarray():
    for f in [lambda m: m.asarray([1, 2]), lambda m: m.asarray(3), lambda m: m.asarray(3.0, m.int8),
              lambda m: m.asarray([1, 2], m.float16, copy=True), lambda m: m.asarray([1, 2], copy=False),
              lambda m: m.asarray(m.array([1, 2, 3]), m.float32), lambda m: m.asarray(np.arange(3.0)),
              lambda m: m.asarray(np.arange(6).reshape(2, 3).T), lambda m: m.asarray("abc"),
              lambda m: m.asarray(None), lambda m: m.asarray(a=[1]), lambda m: m.asarray([[1, 2], [3]]),
              lambda m: m.asarray(np.arange(3), copy=False), lambda m: m.asarray(m.array([1]), m.float32, copy=False),
              lambda m: m.asarray(m.array([1, 2]), copy=True)]:
        check(f)
    # rmlx shares an rmlx array with copy=False (arrays are values); MLX
    # 0.32.4 refuses every copy=False on the CPU.
    a = mx.array([1, 2, 3])
    b = mx.asarray(a, copy=False)
    np.testing.assert_array_equal(np.array(b), [1, 2, 3])
    assert mx.asarray(a, mx.int32, copy=False).dtype == mx.int32
