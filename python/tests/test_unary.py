"""Unary elementwise ops against the reference MLX (names, result dtypes,
error types, values) and NumPy (values; float64 must be float64-accurate),
over every dtype, odd and empty shapes, strided/broadcast views, large
(parallel) inputs, the array methods and the unary Python operators."""

import math

import numpy as np
import pytest

from conftest import (DTYPE_NAMES, FLOAT_NAMES, INT_NAMES, TOL, assert_allclose, make, mx,
                      need_mlx, same_dtype, to_numpy)

mxr_mod = pytest.importorskip("mlx.core")

FLOAT_FNS = ["sqrt", "rsqrt", "reciprocal", "exp", "expm1", "log", "log1p", "log2", "log10",
             "sin", "cos", "tan", "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh",
             "arcsinh", "arccosh", "arctanh", "erf", "erfinv", "sigmoid", "degrees", "radians"]
OTHER_FNS = ["abs", "negative", "sign", "square", "floor", "ceil", "round", "logical_not",
             "bitwise_invert", "isnan", "isinf", "isposinf", "isneginf", "isfinite",
             "conjugate", "conj", "real", "imag", "stop_gradient"]
ALL_FNS = FLOAT_FNS + OTHER_FNS

NP_REF = {
    "sqrt": np.sqrt, "rsqrt": lambda x: 1 / np.sqrt(x), "reciprocal": lambda x: 1 / x,
    "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p, "log2": np.log2,
    "log10": np.log10, "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh,
    "erf": np.vectorize(math.erf, otypes=[np.float64]), "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
    "degrees": np.degrees, "radians": np.radians, "abs": np.abs, "negative": np.negative,
    "square": np.square, "floor": np.floor, "ceil": np.ceil, "round": np.round,
    "isnan": np.isnan, "isinf": np.isinf, "isposinf": np.isposinf, "isneginf": np.isneginf,
    "isfinite": np.isfinite, "logical_not": np.logical_not, "conjugate": np.conjugate,
    "conj": np.conjugate, "real": np.real, "imag": np.imag, "stop_gradient": lambda x: x,
}
# Complex-valued NumPy references (MLX defines these for complex64).
NP_COMPLEX = {
    "sqrt": np.sqrt, "rsqrt": lambda z: 1 / np.sqrt(z), "reciprocal": lambda z: 1 / z,
    "exp": np.exp, "log": np.log, "log1p": lambda z: np.log(1 + z), "log2": np.log2,
    "log10": np.log10, "sin": np.sin, "cos": np.cos, "tan": np.tan, "arcsin": np.arcsin,
    "arccos": np.arccos, "arctan": np.arctan, "sinh": np.sinh, "cosh": np.cosh,
    "tanh": np.tanh, "arcsinh": np.arcsinh, "arccosh": np.arccosh, "arctanh": np.arctanh,
    "abs": np.abs, "negative": np.negative, "square": np.square, "sign": lambda z: z / np.abs(z),
    "conjugate": np.conjugate, "conj": np.conjugate, "real": np.real, "imag": np.imag,
    "degrees": lambda z: z * (180 / np.pi), "radians": lambda z: z * (np.pi / 180),
}


def domain_data(rng, op, shape, name):
    """Random inputs inside the op's real domain (where one exists)."""
    if name == "bool_":
        return np.asarray(rng.random(shape) > 0.5)
    if name in INT_NAMES:
        lo = 0 if name.startswith("u") else -20
        hi = 20
        if op in ("log", "log2", "log10", "sqrt", "rsqrt", "arccosh", "reciprocal"):
            lo = 1
        if op in ("arcsin", "arccos", "arctanh", "erfinv"):
            lo, hi = (0, 1) if name.startswith("u") else (-1, 1)
        if op == "log1p":
            lo = 0
        return rng.integers(lo, hi, size=shape).astype(name)
    if name == "complex64":
        return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    x = rng.standard_normal(shape) * 2
    if op in ("log", "log2", "log10", "sqrt", "rsqrt"):
        x = np.abs(x) + 0.05
    elif op == "log1p":
        x = np.abs(x) - 0.9
    elif op in ("arcsin", "arccos", "arctanh", "erfinv"):
        x = rng.uniform(-0.98, 0.98, size=shape)
    elif op == "arccosh":
        x = np.abs(x) + 1.0
    elif op == "round":
        x = np.round(x * 8) / 8  # many exact halves
    return x.astype(np.float64 if name == "float64" else np.float32)


def mk(mod, x, name):
    """`make`, with 0-d inputs built from a Python scalar."""
    if np.ndim(x) == 0:
        return mod.array(np.asarray(x).item(), dtype=getattr(mod, name))
    if np.size(x) == 0:
        return mod.zeros(np.shape(x), dtype=getattr(mod, name))
    return make(mod, x, name)


def call(mod, op, a):
    return getattr(mod, op)(a)


def outcome(mod, op, a):
    try:
        r = call(mod, op, a)
        if mod is mx:
            r = mx.array(r) if not isinstance(r, mx.array) else r
        return r, None
    except Exception as e:  # noqa: BLE001 - the type is what we compare
        return None, e


@pytest.mark.parametrize("name", DTYPE_NAMES)
@pytest.mark.parametrize("op", ALL_FNS)
def test_matches_mlx_and_numpy(op, name, rng):
    mxr = need_mlx()
    for shape in [(3, 4), (0, 3), (), (2, 3, 5)]:
        x = domain_data(rng, op, shape, name)
        a, ar = mk(mx, x, name), mk(mxr, x, name)
        got, err = outcome(mx, op, a)
        ref, rerr = outcome(mxr, op, ar)
        if rerr is not None:
            assert err is not None and type(err) is type(rerr), f"{op}({name}): mlx raised {rerr!r}, rmlx {err!r}"
            continue
        assert err is None, f"{op}({name}) raised {err!r}"
        assert same_dtype(got, ref), f"{op}({name}): {got.dtype} vs {ref.dtype}"
        assert tuple(got.shape) == tuple(ref.shape)
        out_name = str(ref.dtype).split(".")[-1]
        if name == "float64" and op in NP_REF:
            # MLX computes float64 transcendentals in float32: use NumPy.
            exp = NP_REF[op](np.array(a))  # the values rmlx actually holds
            assert_allclose(got, exp, "float64", rtol=1e-13, atol=1e-14)
        elif name == "complex64" and op in NP_COMPLEX:
            with np.errstate(all="ignore"):
                exp = NP_COMPLEX[op](x.astype(np.complex128))
            assert_allclose(got, exp, "complex64", rtol=2e-5, atol=2e-6)
            assert_allclose(got, to_numpy(ref), "complex64", rtol=1e-3, atol=1e-4)
        elif out_name in TOL:
            r, at = TOL[out_name]
            if out_name == "float64":  # erfinv: MLX is float32-accurate
                r, at = 1e-6, 1e-7
            if out_name == "float32":
                r, at = 2e-5, 2e-6
            assert_allclose(got, to_numpy(ref), out_name, rtol=2 * r, atol=2 * at)
        else:
            np.testing.assert_array_equal(to_numpy(got), to_numpy(ref))


SPECIAL = [np.nan, np.inf, -np.inf, -0.0, 0.0, 0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 1.0, -1.0, 2.0,
           3.75, -7.25, 1e-30, -1e30, 100.0, -100.0]


@pytest.mark.parametrize("name", FLOAT_NAMES)
@pytest.mark.parametrize("op", ["abs", "negative", "sign", "square", "floor", "ceil", "round",
                                "logical_not", "isnan", "isinf", "isposinf", "isneginf",
                                "isfinite", "sigmoid", "reciprocal", "exp", "tanh", "erf",
                                "erfinv", "sqrt", "log"])
def test_special_values(op, name):
    mxr = need_mlx()
    x = np.array(SPECIAL, dtype=np.float64)
    got = call(mx, op, make(mx, x, name))
    ref = call(mxr, op, make(mxr, x, name))
    assert same_dtype(got, ref)
    g, r = to_numpy(got), to_numpy(ref)
    rt, at = TOL.get(name, (1e-5, 1e-6))
    if name == "float64" and op in NP_REF:  # MLX's float64 is float32-accurate
        with np.errstate(all="ignore"):
            r = NP_REF[op](x)
    elif name == "float64":
        rt, at = 1e-6, 1e-7
    if g.dtype == bool or op in ("abs", "negative", "sign", "floor", "ceil", "round", "square"):
        np.testing.assert_array_equal(g, r)
    else:
        np.testing.assert_allclose(g.astype(np.float64), r.astype(np.float64), rtol=2 * rt,
                                   atol=2 * at, equal_nan=True)


def test_sign_nan_is_zero_as_mlx():
    # MLX's sign gives 0 for NaN (NumPy gives NaN).
    got = mx.sign(mx.array([np.nan, -3.0, 0.0, 2.0]))
    assert got.tolist() == [0.0, -1.0, 0.0, 1.0]


FLOAT64_PRECISE = ["exp", "expm1", "log", "log1p", "log2", "log10", "sin", "cos", "tan",
                   "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
                   "arctanh", "sqrt", "rsqrt", "sigmoid", "erf", "degrees", "radians"]


@pytest.mark.parametrize("op", FLOAT64_PRECISE)
def test_float64_is_float64_accurate(op, rng):
    x = domain_data(rng, op, (257,), "float64").astype(np.float64)
    if op in ("exp", "sin", "cos", "sinh", "cosh", "tanh", "erf", "sigmoid"):
        x = x * 3.1
    if op == "arccosh":
        x = np.concatenate([x, 1 + np.geomspace(1e-12, 1e-2, 20)])
    if op in ("arcsinh", "arctanh", "expm1", "log1p", "erf"):
        x = np.concatenate([x, np.geomspace(1e-15, 1e-3, 20) * 0.9])
    got = call(mx, op, make(mx, x, "float64"))
    assert str(got.dtype).endswith("float64")
    exp = NP_REF[op](x)
    np.testing.assert_allclose(np.array(got), exp, rtol=2e-14, atol=1e-300)


def test_erfinv_float64_roundtrip():
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 1001), [1e-12, -1e-7, 0.0],
                        1 - np.geomspace(1e-15, 1e-3, 15), -(1 - np.geomspace(1e-15, 1e-3, 15))])
    got = np.array(mx.erfinv(make(mx, y, "float64")))
    back = np.array([math.erf(v) for v in got])
    np.testing.assert_allclose(back, y, rtol=1e-14, atol=2e-16)
    # erfc-accuracy near +-1: x = erfinv(1 - d) must solve erfc(x) = d
    d = np.geomspace(1e-15, 1e-3, 15)
    x = np.array(mx.erfinv(make(mx, 1 - d, "float64")))
    np.testing.assert_allclose([math.erfc(v) for v in x], 1 - (1 - d), rtol=1e-9)
    edge = mx.erfinv(mx.array([1.0, -1.0, 1.5, np.nan], dtype=mx.float64)).tolist()
    assert edge[0] == math.inf and edge[1] == -math.inf and all(math.isnan(v) for v in edge[2:])


def test_erf_float64_wide_range():
    x = np.concatenate([np.linspace(-7, 7, 2001), [1e-300, -1e-20, 30.0, -30.0]])
    got = np.array(mx.erf(make(mx, x, "float64")))
    np.testing.assert_allclose(got, [math.erf(v) for v in x], rtol=5e-15, atol=1e-300)


@pytest.mark.parametrize("decimals", [0, 1, 2, 3, -1, -2])
@pytest.mark.parametrize("name", ["float32", "float16", "bfloat16", "int32", "int64", "uint8",
                                  "int8", "bool_", "complex64"])
def test_round_decimals_matches_mlx(decimals, name, rng):
    mxr = need_mlx()
    if name in INT_NAMES:
        x = rng.integers(0 if name.startswith("u") else -120, 120, size=(50,)).astype(name)
    elif name == "bool_":
        x = rng.random(8) > 0.5
    elif name == "complex64":
        x = ((rng.standard_normal(20) + 1j * rng.standard_normal(20)) * 50).astype(np.complex64)
    else:
        x = np.concatenate([rng.standard_normal(60) * 300, [0.5, 1.5, 2.5, -2.5, 0.25, 0.35, 15, 25, -35]])
    got = mx.round(make(mx, x, name), decimals)
    ref = mxr_mod.round(make(mxr, x, name), decimals)
    assert same_dtype(got, ref)
    np.testing.assert_array_equal(to_numpy(got), to_numpy(ref))


@pytest.mark.parametrize("decimals", [0, 1, 2, 5, -1, -3])
def test_round_float64_matches_numpy(decimals, rng):
    x = np.concatenate([rng.standard_normal(200) * 1000, [0.5, 1.5, 2.5, -0.5, 2.675, 1.005, 125.0, 135.0]])
    got = mx.round(make(mx, x, "float64"), decimals)
    np.testing.assert_array_equal(np.array(got), np.round(x, decimals))


def test_round_half_to_even():
    x = mx.array([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5])
    assert mx.round(x).tolist() == [0.0, 2.0, 2.0, 4.0, -0.0, -2.0, -2.0]
    assert mx.round(mx.array([15, 25, -35, 123]), -1).tolist() == [20, 20, -40, 120]
    assert mx.round(mx.array([1.25, 1.35]), decimals=1).tolist() == pytest.approx([1.2, 1.4])


def strided_views(base):
    """Non-contiguous rmlx views of a 2-d array `base` and their NumPy twins."""
    n0, n1 = base.shape
    a = mx.array(base)
    yield mx.transpose(a), base.T
    yield a[::2], base[::2]
    yield a[:, ::-3], base[:, ::-3]
    yield a[1:, 2:-1], base[1:, 2:-1]
    yield mx.broadcast_to(a[:1], (n0, n1)), np.broadcast_to(base[:1], (n0, n1))
    yield mx.broadcast_to(a[:, :1], (n0, n1)), np.broadcast_to(base[:, :1], (n0, n1))
    yield mx.transpose(a[::2]), base[::2].T
    yield mx.transpose(a[:, 1:]), base[:, 1:].T
    yield mx.broadcast_to(mx.transpose(a)[None], (2, n1, n0)), np.broadcast_to(base.T[None], (2, n1, n0))


@pytest.mark.parametrize("dtype", ["float32", "float16", "bfloat16", "float64", "int16", "complex64"])
@pytest.mark.parametrize("op", ["exp", "sin", "tanh", "abs", "negative", "floor", "square",
                                "isnan", "sign", "log1p", "sigmoid", "round"])
@pytest.mark.parametrize("size", [(7, 9), (300, 517)])  # the large one runs in parallel
def test_noncontiguous_and_large(op, dtype, size, rng):
    if dtype == "complex64" and op in ("floor", "sigmoid"):
        pytest.skip("not defined for complex64")
    base = rng.standard_normal(size)
    if dtype == "complex64":
        base = base + 1j * rng.standard_normal(size)
    if dtype == "int16":
        base = np.round(base * 10)
    if op == "log1p":
        base = np.abs(base)
    for view, npv in strided_views(base):
        if dtype == "float64":
            view = view.astype(mx.float64)  # float32 values, computed in float64
            npv = np.asarray(np.array(view), dtype=np.float64)
        else:
            view = view.astype(getattr(mx, dtype))
            npv = to_numpy(view)
        got = call(mx, op, view)
        with np.errstate(all="ignore"):
            if dtype == "complex64":
                exp = NP_COMPLEX.get(op, NP_REF.get(op))(npv.astype(np.complex128))
            else:
                exp = NP_REF.get(op, np.sign)(npv.astype(np.float64 if dtype != "int16" else np.int64))
        if op == "sign" and dtype != "complex64":
            exp = np.sign(npv)
        name = dtype if dtype in TOL else "float32"
        if op in ("floor", "abs", "negative", "isnan", "sign", "round", "square") and dtype in ("float32", "float64", "int16"):
            exp = exp.astype(to_numpy(got).dtype)
        r, a = TOL.get(name, (1e-5, 1e-6))
        if dtype == "float64":
            r, a = 1e-14, 1e-300
        assert_allclose(got, exp, name, rtol=r * 2, atol=a * 2)


def test_large_contiguous_all_float_types(rng):
    n = 200_003
    x = rng.uniform(-4, 4, n)
    for name in ["float32", "float16", "bfloat16", "float64"]:
        a = make(mx, x, name)
        xv = to_numpy(a).astype(np.float64)
        for op in ["exp", "sin", "tanh", "sqrt", "erf"]:
            with np.errstate(all="ignore"):
                exp = NP_REF[op](xv)
            r, at = TOL[name]
            if name == "float64":
                r, at = 1e-14, 1e-300
            assert_allclose(call(mx, op, a), exp, name, rtol=2 * r, atol=2 * at)


def test_layout_preserving_outputs_feed_other_ops(rng):
    x = rng.standard_normal((130, 257)).astype(np.float32)
    a = mx.array(x)
    y = mx.exp(mx.transpose(a))  # keeps the transposed layout
    z = mx.abs(mx.negative(y))
    w = z + mx.transpose(a) * 2
    np.testing.assert_allclose(np.array(w), np.exp(x.T) + 2 * x.T, rtol=1e-5, atol=1e-6)
    b = mx.broadcast_to(a[:1], (130, 257))
    s = mx.sin(b)
    assert tuple(s.shape) == (130, 257)
    np.testing.assert_allclose(np.array(mx.sin(s) * 1), np.sin(np.sin(np.broadcast_to(x[:1], (130, 257)))), rtol=1e-5)
    assert mx.isnan(mx.transpose(a)).tolist() == np.isnan(x.T).tolist()


def test_chain_with_donated_buffers(rng):
    x = rng.standard_normal((513, 129)).astype(np.float32)
    a = mx.array(x)
    y = mx.tanh(mx.exp(mx.sin(mx.abs(a) * 0.5)))
    np.testing.assert_allclose(np.array(y), np.tanh(np.exp(np.sin(np.abs(x) * 0.5))), rtol=1e-5)
    # the input survives its consumers
    np.testing.assert_array_equal(np.array(a), x)
    h = mx.array(x).astype(mx.float16)
    z = mx.negative(mx.exp(mx.negative(h)))
    np.testing.assert_allclose(to_numpy(z), -np.exp(-to_numpy(h).astype(np.float32)), rtol=4e-3, atol=1e-3)


def test_error_types_and_messages():
    with pytest.raises(ValueError, match=r"\[negative\]"):
        mx.negative(mx.array([True]))
    with pytest.raises(ValueError, match="bitwise_invert"):
        mx.bitwise_invert(mx.array([1.0]))
    for op in ["expm1", "floor", "ceil", "erf", "erfinv", "sigmoid"]:
        with pytest.raises(ValueError, match=rf"\[{op}\] Not supported for complex64"):
            getattr(mx, op)(mx.array([1 + 1j]))
    with pytest.raises(ValueError, match="Floating point types not allowed"):
        ~mx.array([1.0])
    with pytest.raises(ValueError):
        -mx.array([True, False])
    with pytest.raises(TypeError):
        mx.stop_gradient(1.0)
    with pytest.raises(TypeError):
        mx.exp(None)
    with pytest.raises(ValueError, match="Invalid type list"):
        mx.exp([1.0, 2.0])
    with pytest.raises(ValueError, match="Invalid type str"):
        mx.abs("x")
    with pytest.raises(ValueError, match="Invalid type object"):
        mx.sin(object())
    with pytest.raises(TypeError):
        mx.round(mx.array([1.0]), 1.5)
    with pytest.raises(TypeError):
        mx.exp(a=mx.array([1.0]))  # positional-only, as MLX
    with pytest.raises(AttributeError):
        mx.array([1.0]).real = 2


def test_error_types_agree_with_mlx():
    mxr = need_mlx()
    cases = [("exp", None), ("exp", [1, 2]), ("abs", "s"), ("stop_gradient", 2),
             ("bitwise_invert", 2.5), ("negative", True)]
    for op, arg in cases:
        with pytest.raises(Exception) as ref:
            getattr(mxr, op)(arg)
        with pytest.raises(type(ref.value)):
            getattr(mx, op)(arg)


def test_scalar_and_numpy_operands():
    mxr = need_mlx()
    for op, arg in [("exp", 1), ("abs", -2), ("abs", True), ("degrees", 1), ("bitwise_invert", 5),
                    ("isnan", 1.0), ("round", 2.5), ("conj", 1 + 2j), ("real", 1 + 2j),
                    ("negative", 2.5), ("logical_not", 0), ("sqrt", np.array([4.0, 9.0])),
                    ("square", np.arange(4, dtype=np.int16))]:
        got, ref = getattr(mx, op)(arg), getattr(mxr, op)(arg)
        assert same_dtype(got, ref), (op, arg, got.dtype, ref.dtype)
        np.testing.assert_allclose(np.array(got), np.array(ref), rtol=1e-6)


def test_keyword_signatures():
    x = mx.array([1.0, float("nan")])
    assert mx.isnan(a=x).tolist() == [False, True]
    assert mx.isfinite(x, stream=mx.cpu).tolist() == [True, False]
    assert mx.conj(a=x).tolist()[0] == 1.0
    assert mx.conjugate(a=mx.array([1 + 2j])).tolist() == [1 - 2j]
    assert mx.bitwise_invert(a=mx.array(1)).item() == -2
    assert mx.round(x, decimals=1).tolist()[0] == 1.0
    assert mx.exp(x, stream=mx.cpu).tolist()[0] == pytest.approx(math.e)


def test_aliases_are_the_same_functions():
    for alias, name in [("asin", "arcsin"), ("acos", "arccos"), ("atan", "arctan"),
                        ("asinh", "arcsinh"), ("acosh", "arccosh"), ("atanh", "arctanh")]:
        assert getattr(mx, alias) is getattr(mx, name)
    assert mx.asin(mx.array(0.5)).item() == pytest.approx(math.asin(0.5))


def test_array_methods_and_operators(rng):
    mxr = need_mlx()
    x = rng.uniform(0.1, 3, (4, 5)).astype(np.float32)
    a, ar = mx.array(x), mxr.array(x)
    for m in ["abs", "conj", "cos", "exp", "log", "log10", "log1p", "log2", "reciprocal",
              "round", "rsqrt", "sin", "sqrt", "square"]:
        got, ref = getattr(a, m)(), getattr(ar, m)()
        assert same_dtype(got, ref)
        np.testing.assert_allclose(np.array(got), np.array(ref), rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(np.array(a.round(1)), np.array(ar.round(1)))
    np.testing.assert_allclose(np.array(a.round(decimals=2, stream=mx.cpu)), np.array(ar.round(decimals=2)))
    np.testing.assert_array_equal(np.array(-a), -x)
    np.testing.assert_array_equal(np.array(abs(mx.array([-1, 2, -3]))), [1, 2, 3])
    assert (~mx.array([1, 2, 3])).tolist() == [-2, -3, -4]
    inv = ~mx.array([True, False])
    assert inv.tolist() == [False, True] and str(inv.dtype).endswith("bool")
    assert (~mx.array([0, 255], dtype=mx.uint8)).tolist() == [255, 0]
    c = mx.array([1 + 2j, -3.5 - 4j])
    assert c.real.tolist() == [1.0, -3.5] and c.imag.tolist() == [2.0, -4.0]
    assert str(c.real.dtype).endswith("float32")
    assert mx.array([1, 2]).imag.tolist() == [0, 0]
    assert str(mx.array([1, 2]).imag.dtype).endswith("int32")
    assert mx.array([1.5, 2]).real.tolist() == [1.5, 2.0]
    assert abs(c).tolist() == pytest.approx([math.hypot(1, 2), math.hypot(3.5, 4)])


def test_stop_gradient_is_identity(rng):
    for name in ["float32", "int8", "bool_", "complex64", "bfloat16"]:
        x = rng.standard_normal((3, 4)) > 0 if name == "bool_" else rng.standard_normal((3, 4))
        a = make(mx, x, name)
        b = mx.stop_gradient(mx.transpose(a))
        assert b.dtype == a.dtype and tuple(b.shape) == (4, 3)
        np.testing.assert_array_equal(to_numpy(b), to_numpy(a).T)


def test_predicates_on_integers_and_complex():
    i = mx.array([1, -2, 3], dtype=mx.int64)
    assert mx.isnan(i).tolist() == [False] * 3 and mx.isfinite(i).tolist() == [True] * 3
    assert mx.isposinf(mx.array([1, 2], dtype=mx.uint8)).tolist() == [False, False]
    inf, nan = float("inf"), float("nan")
    c = mx.array([complex(1, inf), complex(inf, 0), complex(-inf, 0), complex(nan, 1), 1 + 1j])
    assert mx.isinf(c).tolist() == [True, True, True, False, False]
    assert mx.isposinf(c).tolist() == [False, True, False, False, False]
    assert mx.isneginf(c).tolist() == [False, False, True, False, False]
    assert mx.isnan(c).tolist() == [False, False, False, True, False]
    assert mx.isfinite(c).tolist() == [False, False, False, False, True]
    assert mx.logical_not(mx.array([0j, 1j, nan])).tolist() == [True, False, False]


def test_integer_wrapping_semantics():
    mxr = need_mlx()
    for name in ["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]:
        info = np.iinfo(name)
        vals = np.array([info.min, info.max, 0, 1, info.max // 3], dtype=name)
        for op in ["abs", "negative", "sign", "square", "bitwise_invert", "logical_not"]:
            got = getattr(mx, op)(mx.array(vals))
            ref = getattr(mxr, op)(mxr.array(vals))
            assert same_dtype(got, ref), (op, name)
            np.testing.assert_array_equal(np.array(got), np.array(ref), err_msg=f"{op} {name}")


def test_empty_and_scalar_shapes():
    for shape in [(0,), (2, 0, 3), ()]:
        x = np.ones(shape, dtype=np.float32) * 0.5
        for op in ["exp", "abs", "isnan", "round", "erfinv", "imag"]:
            got = getattr(mx, op)(mk(mx, x, "float32"))
            assert tuple(got.shape) == shape
            assert np.array(got).size == x.size
