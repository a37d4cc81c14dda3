"""Dtypes against the reference MLX: promotion of every dtype pair, the weak
Python-scalar rules (both operand orders, several ops), overflow errors,
`mx.array` inference from lists / NumPy arrays / NumPy scalars, Dtype and
DtypeCategory objects, issubdtype, finfo / iinfo, result_type, can_cast."""

import itertools

import numpy as np
import pytest

import rmlx.core as mx

mxr = pytest.importorskip("mlx.core")

INF, NAN = float("inf"), float("nan")

# Converting 1e300 to float32 (as MLX does for float64 NumPy data) warns.
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")

NAMES = ["bool_", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
         "int64", "float16", "float32", "float64", "bfloat16", "complex64"]
CATEGORIES = ["complexfloating", "floating", "inexact", "signedinteger",
              "unsignedinteger", "integer", "number", "generic"]


def dname(d):
    """'float32' for rmlx.core.float32 and mlx.core.float32 alike."""
    return str(d).split(".")[-1]


def as_np(a):
    """An rmlx / MLX array as NumPy (bfloat16 through float32)."""
    if dname(a.dtype) == "bfloat16":
        a = a.astype(mx.float32 if isinstance(a, mx.array) else mxr.float32)
    return np.array(a)


def outcome(f, mod):
    """('ok', dtype name, values) or ('err', exception type) of f(mod)."""
    try:
        r = f(mod)
        return ("ok", dname(r.dtype), as_np(r))
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return ("err", type(e))


def mismatch(f, exact=True):
    """None when rmlx and MLX agree on f (dtype, values or error type),
    else a description of the difference."""
    ref = outcome(f, mxr)
    got = outcome(f, mx)
    if ref[0] == "err":
        if got[0] != "err":
            return f"MLX raises {ref[1].__name__}, rmlx gives {got[1]} {got[2]!r}"
        if not (issubclass(got[1], ref[1]) or ref[1] is RuntimeError):
            return f"rmlx raises {got[1].__name__}, MLX {ref[1].__name__}"
        return None
    if got[0] != "ok":
        return f"rmlx raises {got[1].__name__}, MLX gives {ref[1]} {ref[2]!r}"
    if got[1] != ref[1]:
        return f"dtype {got[1]} vs MLX {ref[1]}"
    if got[2].shape != ref[2].shape:
        return f"shape {got[2].shape} vs MLX {ref[2].shape}"
    try:
        if exact:
            np.testing.assert_array_equal(got[2], ref[2])
        else:
            np.testing.assert_allclose(got[2], ref[2], rtol=1e-3, atol=1e-3, equal_nan=True)
    except AssertionError:
        return f"values {got[2]!r} vs MLX {ref[2]!r}"
    return None


def same_outcome(f, exact=True, what=""):
    m = mismatch(f, exact)
    assert m is None, f"{what}: {m}"


# ------------------------------------------------------------ promotion

@pytest.mark.parametrize("a", NAMES)
def test_promotion_every_pair(a):
    for b in NAMES:
        x, y = mx.ones((2,), getattr(mx, a)), mx.ones((2,), getattr(mx, b))
        rx, ry = mxr.ones((2,), getattr(mxr, a)), mxr.ones((2,), getattr(mxr, b))
        want = dname((rx + ry).dtype)
        assert dname((x + y).dtype) == want, f"{a} + {b}"
        assert dname(mx.multiply(x, y).dtype) == dname(mxr.multiply(rx, ry).dtype), f"{a} * {b}"
        assert dname(mx.result_type(x, y)) == dname(mxr.result_type(rx, ry))
        assert dname(mx.result_type(getattr(mx, a), getattr(mx, b))) == want
        assert dname(mx.divide(x, y).dtype) == dname(mxr.divide(rx, ry).dtype), f"{a} / {b}"


# ------------------------------------------------------------ weak scalars

SCALARS = [True, False, 0, 3, -1, 127, 128, 255, 256, -129, 1000, 70000, 2**31, 2**40, -(2**40),
           2**63 - 1, 2.5, -0.5, 1e10, 1e40, float("inf"), float("nan"), 1 + 2j]
SCALAR_OPS = {
    "add": lambda m, a, b: m.add(a, b),
    "multiply": lambda m, a, b: m.multiply(a, b),
    "divide": lambda m, a, b: m.divide(a, b),
    "power": lambda m, a, b: m.power(a, b),
    "less": lambda m, a, b: m.less(a, b),
    "equal": lambda m, a, b: m.equal(a, b),
    "op+": lambda m, a, b: a + b,
    "op*": lambda m, a, b: a * b,
    "op>=": lambda m, a, b: a >= b,
}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("op", sorted(SCALAR_OPS))
def test_scalar_rules(name, op):
    f = SCALAR_OPS[op]
    vals = [0, 1, 2] if name != "bool_" else [True, False, True]
    bad = []
    for s in SCALARS:
        if op == "op>=" and isinstance(s, complex):
            continue
        for order in (0, 1):
            def run(m, s=s, order=order):
                arr = m.array(vals, dtype=getattr(m, name))
                return f(m, arr, s) if order == 0 else f(m, s, arr)
            exact = name not in ("float16", "bfloat16", "complex64") or op in ("less", "equal", "op>=")
            m = mismatch(run, exact)
            if m:
                bad.append(f"{op}({'arr, ' + repr(s) if order == 0 else repr(s) + ', arr'}) [{name}]: {m}")
    assert not bad, "\n".join(bad)


def test_negative_int_with_uint64_wraps_like_mlx():
    same_outcome(lambda m: m.array([1, 2], dtype=m.uint64) + -1)


def test_big_int_with_bool_array_like_mlx():
    same_outcome(lambda m: m.array([True, False]) + 2**31)


def test_complex_edge_values():
    c = [0, 1, 2]
    same_outcome(lambda m: m.divide(1 + 2j, m.array(c, dtype=m.complex64)))
    same_outcome(lambda m: m.divide(m.array(c, dtype=m.complex64), float("inf")))
    same_outcome(lambda m: m.power(m.array(c, dtype=m.complex64), 0))


EDGE_COMPLEX = [0, 1, -1, 2, 1j, -1j, 0.5 + 0.5j, complex(INF, 0), complex(-INF, 0), complex(0, INF),
                complex(INF, INF), complex(NAN, 0), complex(0, NAN), complex(NAN, 5), complex(-1, NAN),
                1e30 + 1e30j, 3e38 - 3e38j, 1e-30, 100, 1e10, 2j, 1000j, 200, -0.5, 1e-45 + 1e-45j]


@pytest.mark.parametrize("op", ["divide", "floor_divide", "power", "maximum", "minimum"])
def test_complex_ops_every_edge_pair(op):
    # Division and power as C++ std::complex<float> (Annex G recovery of
    # infinities, 0 ** 0 = NaN, overflow to inf + 0j); maximum / minimum
    # propagate NaN in MLX's order.
    pairs = list(itertools.product(EDGE_COMPLEX, repeat=2))
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    same_outcome(lambda m: getattr(m, op)(m.array(a, dtype=m.complex64), m.array(b, dtype=m.complex64)), what=op)


def test_complex_divide_power_random_bits():
    rng = np.random.default_rng(3)
    n = 5000

    def rand(lo, hi):
        re = rng.standard_normal(n) * 10.0 ** rng.integers(lo, hi, n)
        return (re + 1j * rng.standard_normal(n) * 10.0 ** rng.integers(lo, hi, n)).astype(np.complex64)

    a, b, e = rand(-30, 30), rand(-30, 30), rand(0, 1)
    same_outcome(lambda m: m.divide(m.array(a), m.array(b)))
    same_outcome(lambda m: m.power(m.array(a), m.array(e)))
    same_outcome(lambda m: m.power(m.array(e), m.array(e)))


@pytest.mark.parametrize("name", ["float16", "bfloat16", "float32", "float64"])
def test_maximum_minimum_nan_every_float(name):
    a = [NAN, 1, NAN, 2, -0.0, INF, -INF]
    b = [1, NAN, NAN, 1, 0.0, NAN, 3]
    for op in ("maximum", "minimum"):
        same_outcome(lambda m: getattr(m, op)(m.array(a, dtype=getattr(m, name)), m.array(b, dtype=getattr(m, name))),
                     what=op)
        same_outcome(lambda m: getattr(m, op)(m.array(a, dtype=getattr(m, name)), NAN), what=op)


def test_unary_plus_keeps_array():
    for name in NAMES:
        a = mx.array([1, 0, 2], dtype=getattr(mx, name))
        same_outcome(lambda m: +m.array([1, 0, 2], dtype=getattr(m, name)), what=name)
        b = +a
        assert isinstance(b, mx.array) and b is not a and b.dtype == a.dtype
    with pytest.raises(TypeError):
        +mx.float32  # noqa: B018 - a dtype has no unary plus


def test_scalar_only_operands():
    for a, b in itertools.product([True, 3, 2**40, 2.5, 1j], repeat=2):
        same_outcome(lambda m: m.add(a, b), what=f"add({a!r}, {b!r})")
        same_outcome(lambda m: m.multiply(a, b), what=f"multiply({a!r}, {b!r})")


def test_overflow_errors():
    with pytest.raises(ValueError):
        mx.array([1], dtype=mx.int8) + 1000
    with pytest.raises(ValueError):
        1000 + mx.array([1], dtype=mx.int8)
    with pytest.raises(ValueError):
        mx.array([1], dtype=mx.uint8) * -1
    with pytest.raises(ValueError):
        mx.array([1], dtype=mx.int16) - 70000
    with pytest.raises(ValueError):
        mx.array([1], dtype=mx.int32) + 2**40
    for m in (mx, mxr):  # the same in MLX
        with pytest.raises(ValueError):
            m.array([1], dtype=m.int8) + 1000
        with pytest.raises(ValueError):
            m.array([1], dtype=m.uint32) + -1
    # In range: stays in the array's dtype.
    assert (mx.array([1], dtype=mx.int8) + 127).dtype == mx.int8
    assert (mx.array([1], dtype=mx.int8) + -128).dtype == mx.int8
    assert (mx.array([1], dtype=mx.uint8) + 255).dtype == mx.uint8
    assert (mx.array([1], dtype=mx.int64) + (2**63 - 1)).dtype == mx.int64


@pytest.mark.parametrize("name", ["bool_", "int8", "uint64", "float16"])
def test_numpy_operands_take_the_array_dtype(name):
    for npv in [np.array([1, 2, 3]), np.array([1.5, 2.5, 3.5]), np.int64(2), np.float32(1.5)]:
        same_outcome(lambda m: m.add(m.array([1, 0, 1], dtype=getattr(m, name)), npv),
                     exact=name not in ("float16", "bfloat16"), what=repr(npv))


# ------------------------------------------------------------ mx.array inference

LISTS = [
    [1, 2, 3], [True, False], [1.5, 2], [[1, 2], [3, 4]], [True, 2], [True, 2.5], [1, 2**40],
    [2**40, 1.5], [1j, 2], [[True], [3.5]], [], [[]], [[], []], (1, 2), ((1.0, 2.0), (3.0, 4.0)),
    [2**63 - 1], [-(2**63)], 5, 2.5, True, 1 + 1j, 2**40, [0.1, 1e300], [1e-50], [0.5, -3.75, 100.0],
    [[1, 2.5], [True, -7]],
]


def out_of_range(v, name):
    """Conversions that are undefined behaviour in MLX (C++ casts of values
    outside the target range: MLX raises std::bad_cast or gives garbage);
    not compared."""
    flat = np.array(v, dtype=object).ravel().tolist() if isinstance(v, (list, tuple)) else [v]
    if name == "bool_":
        return any(isinstance(x, int) and not -(2**31) <= x < 2**31 for x in flat)
    if name in ("float16", "bfloat16", "float32", "float64", "complex64"):
        return False
    info = np.iinfo(name)
    return any(not isinstance(x, complex) and not info.min <= x <= info.max for x in flat)


@pytest.mark.parametrize("i", range(len(LISTS)))
def test_array_from_python(i):
    v = LISTS[i]
    same_outcome(lambda m: m.array(v))
    for name in NAMES:
        if out_of_range(v, name):
            continue
        same_outcome(lambda m: m.array(v, dtype=getattr(m, name)),
                     exact=name not in ("float16", "bfloat16"), what=name)


def test_array_from_python_errors():
    for bad in [[[1, 2], [3]], [1, [2]], ["a"], [None], "abc", 2**64, [2**64]]:
        same_outcome(lambda m: m.array(bad), what=repr(bad))


NP_DTYPES = ["bool", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64",
             "float16", "float32", "float64", "complex64", "complex128"]


@pytest.mark.parametrize("npd", NP_DTYPES)
def test_array_from_numpy(npd):
    rng = np.random.default_rng(7)
    base = rng.standard_normal((3, 4)) * 50
    if npd == "bool":
        x = base > 0
    elif npd.startswith("complex"):
        x = (base + 1j * base[::-1]).astype(npd)
    elif npd.startswith("u"):
        x = np.abs(base).astype(npd)
    else:
        x = base.astype(npd)
    for v in [x, x.T, x[:, ::2], x[0], np.ascontiguousarray(x[:0]), x.reshape(2, 3, 2)]:
        same_outcome(lambda m: m.array(v), what="plain")
        same_outcome(lambda m: m.array(v, dtype=m.float32), exact=False, what="float32")
    # MLX refuses NumPy arrays with negative strides; rmlx copies them.
    got = mx.array(x[::-1])
    want = x[::-1].astype(np.float32 if npd == "float64" else np.complex64 if npd == "complex128" else npd)
    np.testing.assert_array_equal(np.array(got), want)


def test_float64_numpy_becomes_float32_like_mlx():
    x = np.array([0.1, 1e300, -2.5])
    assert dname(mxr.array(x).dtype) == "float32"
    assert mx.array(x).dtype == mx.float32
    np.testing.assert_array_equal(np.array(mx.array(x)), np.array(mxr.array(x)))


def test_float64_numpy_with_float64_dtype_keeps_precision():
    x = np.array([0.1, 1e300, 1 / 3])
    ref = np.array(mxr.array(x, dtype=mxr.float64))
    np.testing.assert_array_equal(ref, x)  # MLX keeps every bit
    np.testing.assert_array_equal(np.array(mx.array(x, dtype=mx.float64)), ref)


NP_SCALARS = [np.float64(0.1), np.float32(0.1), np.float16(2.5), np.int8(-3), np.int16(7), np.int32(9),
              np.int64(2**40), np.uint8(200), np.uint16(7), np.uint32(7), np.uint64(2**63), np.bool_(True),
              np.complex64(1 + 2j), np.complex128(3j)]


FLOAT_VALUES = [1.1, 1e-50, 16777217.0, 1 + 2**-11 + 2**-40, 1 + 2**-8 + 2**-40, 1e300, -0.0, 1 / 3]


@pytest.mark.parametrize("name", ["float64", "float32", "float16", "bfloat16", "complex64", "bool_", "int64"])
def test_python_floats_converted_straight_to_dtype(name):
    # MLX converts the double straight to the target (float16 / bfloat16
    # through float32), never through float32 for float64.
    for v in FLOAT_VALUES:
        if name == "int64" and abs(v) > 2**53:
            continue
        same_outcome(lambda m: m.array(v, dtype=getattr(m, name)), what=f"array({v!r})")
        same_outcome(lambda m: m.array([v, 2.5], dtype=getattr(m, name)), what=f"array([{v!r}])")
        same_outcome(lambda m: m.array(np.array([v, 0.5]), dtype=getattr(m, name)), what=f"array(np [{v!r}])")
        same_outcome(lambda m: m.full((2,), v, getattr(m, name)), what=f"full({v!r})")
        same_outcome(lambda m: m.ones((2,), getattr(m, name)) * v, what=f"ones * {v!r}")


def test_complex_values_to_bool_use_the_real_part():
    # MLX's constructor makes bools of complex values from the real part,
    # while astype tests both parts.
    for f in [lambda m: m.array(1j, dtype=m.bool_), lambda m: m.array([1j, 0.5, 2 + 0j], dtype=m.bool_),
              lambda m: m.array(np.array([1 + 2j, 1j, 1e-50 + 0j]), dtype=m.bool_),
              lambda m: m.array(np.array([1 + 2j, 1j], dtype=np.complex64), dtype=m.bool_),
              lambda m: m.array([True, False]) + np.complex128(1j),
              lambda m: m.array([1j, 0j, 2]).astype(m.bool_), lambda m: m.array([m.array(1j)], dtype=m.bool_)]:
        same_outcome(f)


def test_numpy_scalars_next_to_arrays_and_in_fills():
    c = [True, False, True]
    for npv in [np.complex128(1j), np.complex64(2 + 1j), np.bool_(True), np.float64(2.5), np.uint64(2**63),
                np.float16(0.5), np.int16(-3), np.array(3.5), np.array([1.5, -2.5, 0.5])]:
        for name in ["bool_", "int8", "uint32", "float32", "bfloat16", "complex64"]:
            def arr(m):
                return m.array([1, 0, 1], dtype=getattr(m, name))
            exact = name != "bfloat16"
            same_outcome(lambda m: arr(m) + npv, exact=exact, what=f"{name} + {npv!r}")
            same_outcome(lambda m: m.multiply(npv, arr(m)), exact=exact, what=f"{npv!r} * {name}")
            same_outcome(lambda m: m.where(m.array(c), arr(m), npv), exact=exact, what=f"where {name} {npv!r}")
            same_outcome(lambda m: m.full((3,), npv, getattr(m, name)), exact=exact, what=f"full {name} {npv!r}")
    same_outcome(lambda m: m.add(np.array([1.5]), np.int8(3)))
    same_outcome(lambda m: m.add(np.float32(1.5), 2))


def test_python_ints_beyond_int64_raise():
    for v in [2**63, 2**64, -(2**63) - 1]:
        for f in [lambda m: m.array(v), lambda m: m.array([1, v]), lambda m: m.array([1], dtype=m.uint64) + v,
                  lambda m: m.full((2,), v, m.uint64)]:
            same_outcome(f, what=repr(v))
        with pytest.raises(RuntimeError):
            mx.array(v)
    assert mx.array(-(2**63)).item() == -(2**63)


@pytest.mark.parametrize("sc", [np.float64(0.1), np.complex128(3j)])
def test_array_from_numpy_python_subclass_scalar(sc):
    same_outcome(lambda m: m.array(sc))


@pytest.mark.parametrize("sc", NP_SCALARS[1:-1] + [np.array(2.5, dtype=np.float32)])
def test_array_from_numpy_scalar(sc):
    same_outcome(lambda m: m.array(sc))


def test_array_from_bfloat16_numpy():
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = np.array([1.5, -2.25, 3e38], dtype=ml_dtypes.bfloat16)
    same_outcome(lambda m: m.array(x))


def test_array_from_arrays_and_nested_arrays():
    same_outcome(lambda m: m.array(m.array([1, 2], dtype=m.int8)))
    same_outcome(lambda m: m.array([m.array([1, 2], dtype=m.int8), m.array([3, 4], dtype=m.int8)]))
    same_outcome(lambda m: m.array([m.array([1, 2], dtype=m.int8), [3, 4]]))
    same_outcome(lambda m: m.array(m.array([1, 2]), dtype=m.float16))


def test_array_from_list_of_scalar_arrays():
    same_outcome(lambda m: m.array([m.array(1.5), m.array(2.5)]))


def test_array_from_lists_mixing_arrays_and_values():
    # MLX converts each item on its own (with the dtype) and stacks them.
    cases = [
        lambda m: m.array([m.array(1.5), 2]), lambda m: m.array([2, m.array(1.5)]),
        lambda m: m.array([m.array(1, dtype=m.int8), m.array(2, dtype=m.int16)]),
        lambda m: m.array([m.array(1, dtype=m.int8), 1000]), lambda m: m.array([[m.array(1)], [m.array(2)]]),
        lambda m: m.array([m.array(True), 2.5]), lambda m: m.array([m.array(1.5)], dtype=m.int32),
        lambda m: m.array([m.array(1.1, dtype=m.float64)], dtype=m.float64),
        lambda m: m.array([1.1, m.array(1.1, dtype=m.float64)]),
        lambda m: m.array([m.array(2, dtype=m.uint64), -1]), lambda m: m.array([m.array(1 + 2j), 2]),
        lambda m: m.array([[1.5, 2], m.array([1, 2], dtype=m.int8)]),
        lambda m: m.array((m.array(1.5), m.array(2.5)), dtype=m.float16),
        lambda m: m.array([m.array([1, 2]), m.array(3)]), lambda m: m.array([3, m.array([1, 2])]),
        lambda m: m.array([m.array([1, 2]), 3]), lambda m: m.array([m.array(1), "a"]),
    ]
    for i, f in enumerate(cases):
        same_outcome(f, what=f"case {i}")


# ------------------------------------------------------------ Dtype objects

def test_dtype_repr_size_and_identity():
    for name in NAMES:
        d, r = getattr(mx, name), getattr(mxr, name)
        assert repr(d) == repr(r).replace("mlx.core.", "rmlx.core."), name
        assert str(d) == str(r).replace("mlx.core.", "rmlx.core."), name
        assert d.size == r.size
        assert d == getattr(mx, name) and hash(d) == hash(getattr(mx, name))
        assert mx.array([1], dtype=d).dtype == d
        assert mx.ones((1,), d).itemsize == r.size
    assert len({getattr(mx, n) for n in NAMES}) == 14
    assert mx.float32 != mx.float16


def test_categories_repr():
    for c in CATEGORIES:
        assert repr(getattr(mx, c)) == repr(getattr(mxr, c))


def test_issubdtype_every_pair():
    every = NAMES + CATEGORIES
    for a, b in itertools.product(every, repeat=2):
        want = mxr.issubdtype(getattr(mxr, a), getattr(mxr, b))
        assert mx.issubdtype(getattr(mx, a), getattr(mx, b)) == want, f"issubdtype({a}, {b})"


FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64"]


def test_finfo_repr_like_mlx():
    for name in FLOATS + ["complex64"]:
        assert repr(mx.finfo(getattr(mx, name))) == repr(mxr.finfo(getattr(mxr, name)))
        assert mx.finfo(getattr(mx, name)).bits == mxr.finfo(getattr(mxr, name)).bits


def test_finfo_matches_mlx():
    for name in FLOATS + ["complex64"]:
        f, r = mx.finfo(getattr(mx, name)), mxr.finfo(getattr(mxr, name))
        assert f.min == r.min and f.max == r.max and f.eps == r.eps, name
        assert dname(f.dtype) == dname(r.dtype), name


@pytest.mark.parametrize("attr", ["bits", "smallest_normal"])
def test_finfo_extra_fields(attr):
    for name in FLOATS:
        assert getattr(mx.finfo(getattr(mx, name)), attr) == getattr(mxr.finfo(getattr(mxr, name)), attr)


def test_finfo_iinfo_errors():
    for name in INTS + ["bool_"]:
        same_outcome(lambda m: m.ones(1) if m.finfo(getattr(m, name)) else None)
    for name in FLOATS + ["bool_", "complex64"]:
        same_outcome(lambda m: m.ones(1) if m.iinfo(getattr(m, name)) else None)


def test_iinfo_matches_mlx():
    for name in INTS:
        i, r = mx.iinfo(getattr(mx, name)), mxr.iinfo(getattr(mxr, name))
        assert (i.min, i.max) == (r.min, r.max), name
        assert dname(i.dtype) == dname(r.dtype)
        assert i.max == np.iinfo(name).max and i.min == np.iinfo(name).min


def test_result_type_mixed():
    rng = np.random.default_rng(3)
    for _ in range(60):
        names = list(rng.choice(NAMES, size=int(rng.integers(1, 4))))
        as_arr = rng.random(len(names)) > 0.5
        def args(m):
            return [m.ones((1,), getattr(m, n)) if arr else getattr(m, n) for n, arr in zip(names, as_arr)]
        assert dname(mx.result_type(*args(mx))) == dname(mxr.result_type(*args(mxr))), names


def test_can_cast_every_pair():
    for a, b in itertools.product(NAMES, repeat=2):
        want = mxr.can_cast(getattr(mxr, a), getattr(mxr, b))
        assert mx.can_cast(getattr(mx, a), getattr(mx, b)) == want, f"can_cast({a}, {b})"
        arr_want = mxr.can_cast(mxr.ones((1,), getattr(mxr, a)), getattr(mxr, b))
        assert mx.can_cast(mx.ones((1,), getattr(mx, a)), getattr(mx, b)) == arr_want


def test_astype_every_pair_values():
    vals = [0, 1, 2, 100, 127]
    for a, b in itertools.product(NAMES, repeat=2):
        same_outcome(lambda m: m.array(vals, dtype=getattr(m, a)).astype(getattr(m, b)))
