"""Tests of the Python API of the function transformations (grad,
value_and_grad, vjp, jvp, vmap, custom_function, checkpoint) against the
reference MLX: pytree handling, argnums/argnames, error types and messages,
nesting, and the user-defined rules of custom_function.

Many tests run the same builder `build(mod)` with rmlx.core and mlx.core and
compare the results; they differentiate ordinary ops (multiply, exp, sum,
reshape, ...) and so need those ops' derivative rules in the engine.
"""

from collections import namedtuple

import numpy as np
import pytest

import rmlx.core as mx

from conftest import mxr, need_mlx

Pair = namedtuple("Pair", "u v")


# --------------------------------------------------------------------------
# helpers


def is_array(x):
    return isinstance(x, mx.array) or (mxr is not None and isinstance(x, mxr.array))


def assert_same(got, exp, rtol=1e-5, atol=1e-6, path="out"):
    """Compares an rmlx result tree with an MLX one: same containers, same
    non-array leaves, arrays of the same shape, dtype and values."""
    if is_array(exp):
        assert isinstance(got, mx.array), f"{path}: {type(got).__name__} is not an array"
        assert got.shape == exp.shape, f"{path}: shape {got.shape} != {exp.shape}"
        gd, ed = str(got.dtype).split(".")[-1], str(exp.dtype).split(".")[-1]
        assert gd == ed, f"{path}: dtype {gd} != {ed}"
        g = np.array(got.astype(mx.float32) if gd == "bfloat16" else got)
        e = np.array(exp.astype(mxr.float32) if ed == "bfloat16" else exp)
        if g.dtype.kind in "fc":
            np.testing.assert_allclose(g, e, rtol=rtol, atol=atol, err_msg=path)
        else:
            np.testing.assert_array_equal(g, e, err_msg=path)
    elif isinstance(exp, (list, tuple)):
        assert type(got) is type(exp), f"{path}: {type(got).__name__} != {type(exp).__name__}"
        assert len(got) == len(exp), f"{path}: length {len(got)} != {len(exp)}"
        for i, (g, e) in enumerate(zip(got, exp)):
            assert_same(g, e, rtol, atol, f"{path}[{i}]")
    elif isinstance(exp, dict):
        assert type(got) is type(exp), f"{path}: {type(got).__name__} != {type(exp).__name__}"
        assert list(got) == list(exp), f"{path}: keys {list(got)} != {list(exp)}"
        for k in exp:
            assert_same(got[k], exp[k], rtol, atol, f"{path}[{k!r}]")
    else:
        assert got == exp, f"{path}: {got!r} != {exp!r}"


def same(build, **tol):
    """Runs build(mod) with rmlx and MLX and compares the results."""
    ref = need_mlx()
    exp = build(ref)
    got = build(mx)
    assert_same(got, exp, **tol)
    return got


def same_error(build, exact=True):
    """build(mod) must raise the same exception type in rmlx and in MLX, and
    with `exact` the same message."""
    ref = need_mlx()
    with pytest.raises(Exception) as want:
        build(ref)
    with pytest.raises(Exception) as got:
        build(mx)
    assert type(got.value) is type(want.value), (
        f"rmlx raised {type(got.value).__name__}: {got.value}; "
        f"MLX raised {type(want.value).__name__}: {want.value}"
    )
    if exact:
        assert str(got.value) == str(want.value)
    return got.value


def arr(mod, values, dtype=None):
    return mod.array(values, dtype=dtype) if dtype is not None else mod.array(values)


X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
Y = [[1.0, 2.0, -3.0], [0.5, -0.5, 4.0]]


# --------------------------------------------------------------------------
# exports


NAMES = ["grad", "value_and_grad", "vjp", "jvp", "vmap", "custom_function", "checkpoint"]


@pytest.mark.parametrize("name", NAMES)
def test_exported_on_core(name):
    assert callable(getattr(mx, name))
    ref = need_mlx()
    assert callable(getattr(ref, name))


def test_custom_function_is_a_class():
    assert isinstance(mx.custom_function, type)

    @mx.custom_function
    def f(a):
        return a

    assert isinstance(f, mx.custom_function)


def test_transformed_functions_keep_name_and_doc():
    def loss(a):
        "the loss"
        return a.sum()

    for t in (mx.grad, mx.value_and_grad, mx.vmap, mx.checkpoint):
        g = t(loss)
        assert g.__name__ == "loss" and g.__doc__ == "the loss"


# --------------------------------------------------------------------------
# grad: values (need the engine's derivative rules)


GRAD_FUNS = {
    "square_sum": lambda m, a: (a * a).sum(),
    "exp_sum": lambda m, a: m.exp(a).sum(),
    "add_mul": lambda m, a: ((a + 2.0) * a).sum(),
    "reshape": lambda m, a: (a.reshape(3, 2) * m.array([[1.0, 2.0]] * 3)).sum(),
    "axis_sum": lambda m, a: m.sum(m.sum(a * a, axis=0) * m.array([1.0, 2.0, 3.0])),
    "broadcast": lambda m, a: (a * m.array([1.0, -1.0, 2.0])).sum(),
}


@pytest.mark.parametrize("name", list(GRAD_FUNS))
def test_grad_matches_mlx(name):
    fn = GRAD_FUNS[name]
    same(lambda m: m.grad(lambda a: fn(m, a))(arr(m, X)))


def test_grad_scalar_input():
    same(lambda m: m.grad(lambda a: a * a * a)(m.array(2.0)))


def test_grad_argnums_variants():
    def build(m, argnums):
        f = lambda a, b, c: (a * b + c * c).sum()  # noqa: E731
        return m.grad(f, argnums=argnums)(arr(m, X), arr(m, Y), arr(m, X))

    for argnums in [0, 1, 2, (0, 1), [2, 0], (1,), range(3), np.int64(1), True]:
        same(lambda m: build(m, argnums))


def test_grad_argnames_variants():
    def build(m, argnums, argnames):
        f = lambda a, b=None, c=None: (a * b + c * c).sum()  # noqa: E731
        g = m.grad(f, argnums=argnums, argnames=argnames)
        return g(arr(m, X), b=arr(m, Y), c=arr(m, Y))

    for argnums, argnames in [
        (None, "b"),
        (None, ["c", "b"]),
        (None, ("b",)),
        (0, ["b"]),
        ([], "c"),
        ((0,), ["b", "c"]),
        (None, ["b", "b"]),
    ]:
        same(lambda m: build(m, argnums, argnames))


def test_grad_pytree_arguments():
    def build(m):
        def f(p, q):
            return (p["w"][0] * p["w"][1].v).sum() + (q[0] * q[1]["k"]).sum()

        p = {"w": [arr(m, X), Pair(arr(m, Y), arr(m, X))], "empty": [], "e2": {}}
        q = (arr(m, Y), {"k": arr(m, X)}, ())
        return m.grad(f, argnums=(0, 1))(p, q)

    out = same(build)
    # Containers come back with the argument's structure, empty ones included.
    assert type(out[0]["w"][1]) is Pair and out[0]["empty"] == [] and out[1][2] == ()


def test_grad_non_differentiated_arguments_pass_through():
    marker = object()
    seen = []

    def build(m):
        def f(a, scale, name, extra, opts=None):
            seen.append((scale, name, extra, opts))
            return (a * scale).sum()

        return m.grad(f)(arr(m, X), 3.0, "name", marker, opts={"k": [1, "s"]})

    same(build)
    for scale, name, extra, opts in seen:
        assert scale == 3.0 and name == "name" and extra is marker and opts == {"k": [1, "s"]}


def test_grad_unused_argument_is_zero():
    same(lambda m: m.grad(lambda a, b: (a * 2.0).sum(), argnums=(0, 1))(arr(m, X), arr(m, Y)))


@pytest.mark.parametrize("dtype", ["float16", "bfloat16", "float64", "int32"])
def test_grad_dtypes(dtype):
    def build(m):
        a = arr(m, [1, 2, 3]).astype(getattr(m, dtype))
        return m.grad(lambda v: (v * v).sum())(a)

    if dtype == "float64":
        # MLX's CPU reference has float64; compare on values only.
        got = mx.grad(lambda v: (v * v).sum())(mx.array([1.0, 2.0, 3.0], dtype=mx.float64))
        assert str(got.dtype).endswith("float64")
        np.testing.assert_allclose(np.array(got), [2.0, 4.0, 6.0])
        return
    same(build)


def test_grad_of_identity():
    # Needs no primitive rule: the argument is the output.
    assert mx.grad(lambda a: a)(mx.array(3.0)).item() == 1.0
    same(lambda m: m.grad(lambda a, b: b, argnums=(0, 1))(m.array(1.0), m.array(2.0)))


def test_grad_through_custom_rule_only():
    # A custom_function with a vjp rule differentiates without engine rules.
    def build(m):
        @m.custom_function
        def loss(a):
            return (a * a).sum()

        @loss.vjp
        def loss_vjp(a, cot, out):
            return cot * 2 * a

        return m.grad(loss)(arr(m, X))

    same(build)


# --------------------------------------------------------------------------
# value_and_grad


def test_value_and_grad_scalar():
    same(lambda m: m.value_and_grad(lambda a: m.exp(a).sum())(arr(m, X)))


def test_value_and_grad_aux_outputs():
    def build(m):
        def f(a, b):
            loss = (a * b).sum()
            return loss, {"pred": a * 2.0, "n": 3, "s": "txt"}, [b], None

        return m.value_and_grad(f, argnums=(0, 1))(arr(m, X), arr(m, Y))

    same(build)


def test_value_and_grad_aux_is_not_differentiated():
    # Only the first element is differentiated.
    same(lambda m: m.value_and_grad(lambda a: ((a * a).sum(), (a * 100.0).sum()))(arr(m, X)))


def test_value_and_grad_identity_with_aux():
    def build(m):
        return m.value_and_grad(lambda a: (a, {"k": a, "s": 1}, Pair(2, a)))(m.array(3.0))

    same(build)


def test_value_and_grad_argnames():
    def build(m):
        f = lambda a, w=None: ((a * w["x"]).sum(), w)  # noqa: E731
        return m.value_and_grad(f, argnames="w")(arr(m, X), w={"x": arr(m, Y)})

    same(build)


# --------------------------------------------------------------------------
# grad / value_and_grad errors: same type and message as MLX


def x3(m):
    return arr(m, [1.0, 2.0, 3.0])


GRAD_ERRORS = {
    "non_scalar": lambda m: m.grad(lambda a: a * a)(x3(m)),
    "size_one_not_scalar": lambda m: m.grad(lambda a: a * a)(m.array([2.0])),
    "size_one_2d": lambda m: m.grad(lambda a: a)(m.array([[2.0]])),
    "returns_list": lambda m: m.grad(lambda a: [a.sum()])(x3(m)),
    "returns_tuple": lambda m: m.grad(lambda a: (a.sum(), 1))(x3(m)),
    "returns_float": lambda m: m.grad(lambda a: 1.0)(x3(m)),
    "returns_empty_tuple": lambda m: m.grad(lambda a: ())(x3(m)),
    "vag_returns_float": lambda m: m.value_and_grad(lambda a: 1.0)(x3(m)),
    "vag_returns_list": lambda m: m.value_and_grad(lambda a: [a.sum()])(x3(m)),
    "vag_returns_empty_tuple": lambda m: m.value_and_grad(lambda a: ())(x3(m)),
    "vag_tuple_first_not_array": lambda m: m.value_and_grad(lambda a: (1, a))(x3(m)),
    "vag_tuple_first_not_scalar": lambda m: m.value_and_grad(lambda a: (a, a))(x3(m)),
    "vag_tuple_first_size_one": lambda m: m.value_and_grad(lambda a: (a[:1], a))(x3(m)),
    "negative_argnum": lambda m: m.grad(lambda a: a.sum(), argnums=-1),
    "negative_argnums_dup": lambda m: m.grad(lambda a: a.sum(), argnums=(-1, -1)),
    "duplicate_argnums": lambda m: m.grad(lambda a, b: a.sum(), argnums=(1, 0, 1)),
    "no_argument": lambda m: m.grad(lambda a: a.sum(), argnums=()),
    "vag_no_argument": lambda m: m.value_and_grad(lambda a: a.sum(), argnums=[]),
    "argnum_out_of_range": lambda m: m.grad(lambda a, b: a.sum(), argnums=(0, 2))(x3(m), x3(m)),
    "called_with_keyword": lambda m: m.grad(lambda a: a.sum())(a=x3(m)),
    "called_without_args": lambda m: m.grad(lambda: m.array(1.0))(),
    "missing_argname": lambda m: m.grad(lambda a, b=1, c=1: a.sum(), argnames="b")(x3(m), c=x3(m)),
    "missing_argname_none": lambda m: m.value_and_grad(lambda a, b=1: a.sum(), argnames=["b"])(x3(m)),
    "argname_given_positionally": lambda m: m.grad(lambda a, b: a.sum(), argnames=["b"])(x3(m), x3(m)),
    "python_float_argument": lambda m: m.grad(lambda a: a * a)(3.0),
    "python_int_argument": lambda m: m.grad(lambda a: a * a)(3),
    "string_argument": lambda m: m.grad(lambda a: m.array(1.0))("s"),
    "none_argument": lambda m: m.grad(lambda a: m.array(1.0))(None),
    "float_leaf_in_tree": lambda m: m.grad(lambda p: p["a"].sum())({"a": x3(m), "c": 3.0}),
    "none_leaf_in_tree": lambda m: m.grad(lambda p: p[0].sum())([x3(m), None]),
}


@pytest.mark.parametrize("name", list(GRAD_ERRORS))
def test_grad_errors_match_mlx(name):
    same_error(GRAD_ERRORS[name])


GRAD_TYPE_ERRORS = {
    "argnums_str": lambda m: m.grad(lambda a: a.sum(), argnums="a"),
    "argnums_float": lambda m: m.grad(lambda a: a.sum(), argnums=1.0),
    "argnames_int": lambda m: m.grad(lambda a: a.sum(), argnames=3),
    "argnames_list_of_int": lambda m: m.value_and_grad(lambda a: a.sum(), argnames=[3]),
    "fun_not_callable": lambda m: m.grad(3),
    "vag_fun_not_callable": lambda m: m.value_and_grad(None),
}


@pytest.mark.parametrize("name", list(GRAD_TYPE_ERRORS))
def test_grad_type_errors_match_mlx(name):
    err = same_error(GRAD_TYPE_ERRORS[name], exact=False)
    assert "incompatible function arguments" in str(err)


# --------------------------------------------------------------------------
# exceptions raised inside transformed code come out unchanged


class Boom(Exception):
    pass


def _raiser(*args, **kwargs):
    raise _raiser.err


def _custom_with(rule_name):
    f = mx.custom_function(lambda a: a)
    rule = {
        "vjp": lambda p, c, o: _raiser(),
        "jvp": lambda p, t: _raiser(),
        "vmap": lambda i, ax: _raiser(),
    }[rule_name]
    getattr(f, rule_name)(rule)
    return f


x_ = mx.array([1.0, 2.0, 3.0])
RAISING = {
    "grad": lambda: mx.grad(_raiser)(x_),
    "value_and_grad": lambda: mx.value_and_grad(_raiser)(x_),
    "vjp": lambda: mx.vjp(_raiser, [x_], [x_]),
    "jvp": lambda: mx.jvp(_raiser, [x_], [x_]),
    "vmap": lambda: mx.vmap(_raiser)(x_),
    "checkpoint": lambda: mx.checkpoint(_raiser)(x_),
    "custom_function_body": lambda: mx.custom_function(_raiser).vjp(lambda p, c, o: c)(x_),
    "custom_vjp_rule": lambda: mx.vjp(_custom_with("vjp"), [x_], [x_]),
    "custom_jvp_rule": lambda: mx.jvp(_custom_with("jvp"), [x_], [x_]),
    "custom_vmap_rule": lambda: mx.vmap(_custom_with("vmap"))(mx.ones((2, 3))),
    "nested_grad": lambda: mx.grad(mx.grad(_raiser))(mx.array(1.0)),
    "vmap_of_grad": lambda: mx.vmap(mx.grad(_raiser))(x_),
    "grad_of_vmap": lambda: mx.grad(lambda a: mx.vmap(_raiser)(a))(x_),
}


@pytest.mark.parametrize("name", list(RAISING))
@pytest.mark.parametrize("kind", [Boom, KeyError, ZeroDivisionError])
def test_exceptions_propagate_unchanged(name, kind):
    _raiser.err = kind("raised inside")
    with pytest.raises(kind) as info:
        RAISING[name]()
    assert info.value is _raiser.err


def test_exception_types_match_mlx():
    def build(m):
        return m.grad(lambda a: 1 / 0)(m.array(1.0))

    same_error(build)


# --------------------------------------------------------------------------
# nesting


def test_grad_of_grad():
    same(lambda m: m.grad(m.grad(lambda a: a * a * a))(m.array(2.0)))


def test_grad_of_grad_of_grad():
    same(lambda m: m.grad(m.grad(m.grad(lambda a: m.exp(a) * a)))(m.array(0.5)))


def test_grad_of_grad_of_identity():
    # The inner gradient is a constant.
    same(lambda m: m.grad(m.grad(lambda a: a))(m.array(2.0)))


def test_grad_of_value_and_grad():
    def build(m):
        def inner(a):
            v, g = m.value_and_grad(lambda b: (m.exp(b) * b).sum())(a)
            return v + (g * g).sum()

        return m.grad(inner)(arr(m, X))

    same(build)


def test_vmap_of_grad():
    same(lambda m: m.vmap(m.grad(lambda a: (a * a).sum()))(arr(m, X)))


def test_grad_of_vmap():
    same(lambda m: m.grad(lambda a: m.vmap(lambda r: r * r)(a).sum())(arr(m, X)))


def test_jvp_of_grad():
    def build(m):
        g = m.grad(lambda a: (a * a * a).sum())
        return m.jvp(g, [arr(m, X)], [arr(m, Y)])

    same(build)


def test_vjp_of_vmap():
    def build(m):
        f = m.vmap(lambda a, b: m.exp(a) * b, in_axes=(0, 1))
        return m.vjp(f, [arr(m, X), arr(m, Y).T], [arr(m, X)])

    same(build)


# --------------------------------------------------------------------------
# vjp / jvp


def test_vjp_matches_mlx():
    same(lambda m: m.vjp(lambda a, b: a * b, [arr(m, X), arr(m, Y)], [arr(m, X)]))
    same(lambda m: m.vjp(lambda a: m.exp(a), (arr(m, X),), (arr(m, Y),)))


def test_vjp_multiple_outputs():
    for wrap in (list, tuple):
        same(
            lambda m: m.vjp(
                lambda a, b: wrap([a * b, a + b]), [arr(m, X), arr(m, Y)], [arr(m, Y), arr(m, X)]
            )
        )


def test_vjp_identity():
    same(lambda m: m.vjp(lambda a: a, [arr(m, X)], [arr(m, Y)]))
    same(lambda m: m.vjp(lambda a, b: (b, a), [arr(m, X), arr(m, Y)], [arr(m, X), arr(m, Y)]))


def test_vjp_extra_cotangents_are_ignored():
    # MLX ignores cotangents beyond the outputs, whatever their shapes.
    same(lambda m: m.vjp(lambda a: (a,), [arr(m, X)], [arr(m, Y), m.ones((5,))]))


def test_vjp_without_dependence_gives_zeros():
    same(lambda m: m.vjp(lambda a: m.ones((3,)), [arr(m, X)], [m.ones((3,))]))
    same(lambda m: m.vjp(lambda a: [], [arr(m, X)], []))


def test_vjp_cotangent_dtype_follows_output():
    same(lambda m: m.vjp(lambda a: a, [arr(m, X)], [m.ones((2, 3), dtype=m.int32)]))


VJP_ERRORS = {
    "more_outputs_than_cotangents": lambda m: m.vjp(lambda a: (a, a), [x3(m)], [x3(m)]),
    "shape_mismatch": lambda m: m.vjp(lambda a: a, [x3(m)], [m.array(1.0)]),
    "shape_mismatch_2d": lambda m: m.vjp(lambda a: a.reshape(3, 1), [x3(m)], [m.ones((1, 3))]),
    "size_one_hint": lambda m: m.vjp(lambda a: a[:1], [x3(m)], [m.array(1.0)]),
    "size_one_two_outputs": lambda m: m.vjp(lambda a: (a[:1], a), [x3(m)], [m.array(1.0), x3(m)]),
    "jvp_count": lambda m: m.jvp(lambda a: a, [x3(m)], [x3(m), x3(m)]),
    "jvp_shape": lambda m: m.jvp(lambda a: a, [x3(m)], [m.array(1.0)]),
}


@pytest.mark.parametrize("name", list(VJP_ERRORS))
def test_vjp_jvp_errors_match_mlx(name):
    same_error(VJP_ERRORS[name])


VJP_TYPE_ERRORS = {
    "vjp_scalar_primal": lambda m: m.vjp(lambda a: a, [1.0], [m.array(1.0)]),
    "vjp_nested_primals": lambda m: m.vjp(lambda a: a, [[x3(m)]], [x3(m)]),
    "vjp_not_callable": lambda m: m.vjp(3, [x3(m)], [x3(m)]),
    "jvp_scalar_tangent": lambda m: m.jvp(lambda a: a, [x3(m)], [2.0]),
}


@pytest.mark.parametrize("name", list(VJP_TYPE_ERRORS))
def test_vjp_jvp_type_errors(name):
    same_error(VJP_TYPE_ERRORS[name], exact=False)


@pytest.mark.parametrize(
    "fn",
    [lambda a: {"a": a}, lambda a: 1.0, lambda a: [a, [a]], lambda a: [a, 3]],
    ids=["dict", "float", "nested_list", "list_with_int"],
)
def test_vjp_jvp_bad_outputs(fn):
    # MLX fails converting the result (RuntimeError "std::bad_cast").
    same_error(lambda m: m.vjp(fn, [x3(m)], [x3(m), x3(m)]), exact=False)
    same_error(lambda m: m.jvp(fn, [x3(m)], [x3(m)]), exact=False)


def test_jvp_matches_mlx():
    same(lambda m: m.jvp(lambda a, b: a * b, [arr(m, X), arr(m, Y)], [arr(m, Y), m.ones((2, 3))]))
    same(lambda m: m.jvp(lambda a: [a, m.exp(a) * a], [arr(m, X)], [arr(m, Y)]))


def test_jvp_identity_and_constants():
    same(lambda m: m.jvp(lambda a, b: (b, a, m.ones((2,))), [arr(m, X), arr(m, Y)], [arr(m, Y), arr(m, X)]))


def test_jvp_integer_tangent():
    same(lambda m: m.jvp(lambda a: a * 2.0, [arr(m, X)], [m.ones((2, 3), dtype=m.int32)]))


# --------------------------------------------------------------------------
# vmap: axis plumbing (identity-like functions need no engine rules)


def z(m, shape=(2, 3, 4)):
    return m.array(np.arange(int(np.prod(shape)), dtype=np.float32).reshape(shape))


VMAP_PLUMBING = {
    "default": lambda m: m.vmap(lambda a: a)(z(m)),
    "in_axis_1": lambda m: m.vmap(lambda a: a, in_axes=1)(z(m)),
    "in_axis_neg": lambda m: m.vmap(lambda a: a, in_axes=-1)(z(m)),
    "in_axis_bool": lambda m: m.vmap(lambda a: a, in_axes=True)(z(m)),
    "out_axis_2": lambda m: m.vmap(lambda a: a, in_axes=1, out_axes=2)(z(m)),
    "out_axis_neg": lambda m: m.vmap(lambda a: a, out_axes=-1)(z(m)),
    "tuple_in_axes": lambda m: m.vmap(lambda a, b: (b, a), in_axes=(0, 2))(z(m), z(m, (4, 3, 2))),
    "one_tuple_for_array": lambda m: m.vmap(lambda a: a, in_axes=(2,))(z(m)),
    "unmapped_arg": lambda m: m.vmap(lambda a, b: (a, b), in_axes=(0, None))(z(m), z(m, (5,))),
    "unmapped_out_axis_1": lambda m: m.vmap(lambda a, b: b, in_axes=(0, None), out_axes=1)(z(m), z(m, (5,))),
    "tuple_out_axes": lambda m: m.vmap(lambda a, b: (a, b), out_axes=(0, 1))(z(m), z(m)),
    # (MLX mishandles one array returned several times: distinct ones here.)
    "int_out_axes_for_tree": lambda m: m.vmap(lambda a, b, c: (a, [b], {"k": c}), out_axes=1)(z(m), z(m), z(m)),
    "dict_out_axes": lambda m: m.vmap(lambda a, b: {"p": a, "q": [b]}, out_axes={"p": 1, "q": 0})(z(m), z(m)),
    "nested_out_axes": lambda m: m.vmap(lambda a, b, c: ((a, b), c), out_axes=((1, 2), 0))(z(m), z(m), z(m)),
    "single_tuple_arg": lambda m: m.vmap(lambda t: t, in_axes=(1,))((z(m),)),
    "single_list_arg": lambda m: m.vmap(lambda l: l[::-1], in_axes=[1, None])([z(m), z(m, (2,))]),
    "dict_arg": lambda m: m.vmap(lambda d: d, in_axes={"a": 2, "b": None})({"a": z(m), "b": z(m, (7,))}),
    "mixed_args": lambda m: m.vmap(lambda l, d: (l, d), in_axes=([0], {"k": 1}))([z(m)], {"k": z(m, (3, 2))}),
    "int_for_subtree": lambda m: m.vmap(lambda l: l, in_axes=1)([z(m), {"x": z(m, (1, 3))}]),
    "empty_output": lambda m: m.vmap(lambda a: ())(z(m)),
    "out_none_unmapped": lambda m: m.vmap(lambda a, b: (b,), in_axes=(0, None), out_axes=(None,))(z(m), z(m, (5,))),
    "nested_vmap": lambda m: m.vmap(m.vmap(lambda a: a, in_axes=1), in_axes=2)(z(m)),
    "int_dtype": lambda m: m.vmap(lambda a: a)(m.array([[1, 2], [3, 4]])),
}


@pytest.mark.parametrize("name", list(VMAP_PLUMBING))
def test_vmap_axes_match_mlx(name):
    same(VMAP_PLUMBING[name])


VMAP_OPS = {
    "add": lambda m: m.vmap(lambda a, b: a + b)(z(m, (2, 3)), z(m, (2, 3))),
    "broadcast_unmapped": lambda m: m.vmap(lambda a, b: a * b, in_axes=(0, None))(z(m, (2, 3)), z(m, (3,))),
    "axis_1_and_0": lambda m: m.vmap(lambda a, b: a - b, in_axes=(1, 0))(z(m, (3, 2)), z(m, (2, 3))),
    "exp_sum": lambda m: m.vmap(lambda a: m.exp(a * 0.1).sum())(z(m)),
    "reshape": lambda m: m.vmap(lambda a: a.reshape(6), in_axes=2, out_axes=1)(z(m)),
    "sum_axis": lambda m: m.vmap(lambda a: a.sum(axis=0), in_axes=1)(z(m)),
    "dict_tree": lambda m: m.vmap(lambda d: {"s": d["x"] * d["y"]}, in_axes={"x": 0, "y": None})(
        {"x": z(m, (2, 3)), "y": z(m, (3,))}
    ),
    "nested": lambda m: m.vmap(m.vmap(lambda a, b: a * b, in_axes=(0, None)), in_axes=(1, None))(
        z(m), z(m, (4,))
    ),
}


@pytest.mark.parametrize("name", list(VMAP_OPS))
def test_vmap_ops_match_mlx(name):
    same(VMAP_OPS[name])


VMAP_ERRORS = {
    "axis_out_of_bounds": lambda m: m.vmap(lambda a: a, in_axes=3)(z(m)),
    "neg_axis_out_of_bounds": lambda m: m.vmap(lambda a: a, in_axes=-4)(z(m)),
    "scalar_input": lambda m: m.vmap(lambda a: a)(m.array(1.0)),
    "out_axis_out_of_bounds": lambda m: m.vmap(lambda a: a * 1, out_axes=4)(z(m)),
    "out_axis_neg_out_of_bounds": lambda m: m.vmap(lambda a: a, out_axes=-5)(z(m)),
    "float_axis": lambda m: m.vmap(lambda a: a, in_axes=1.0)(z(m)),
    "str_axis": lambda m: m.vmap(lambda a: a, in_axes="a")(z(m)),
    "numpy_int_axis": lambda m: m.vmap(lambda a: a, in_axes=np.int64(1))(z(m)),
    "list_axes_for_args": lambda m: m.vmap(lambda a, b: a, in_axes=[0, None])(z(m), z(m)),
    "list_out_axes_for_tuple": lambda m: m.vmap(lambda a: (a, a), out_axes=[0, 1])(z(m)),
    "too_many_axes": lambda m: m.vmap(lambda a, b: a, in_axes=(0, 0, 0))(z(m), z(m)),
    "too_few_axes": lambda m: m.vmap(lambda a, b: a, in_axes=(0,))(z(m), z(m)),
    "dict_missing_key": lambda m: m.vmap(lambda d: d["a"], in_axes={"a": 0})({"a": z(m), "b": z(m)}),
    "dict_other_key": lambda m: m.vmap(lambda a: {"p": a}, out_axes={"q": 0})(z(m)),
    "dict_axes_for_array": lambda m: m.vmap(lambda a: a, in_axes={"q": 0})(z(m)),
    "list_axes_for_array": lambda m: m.vmap(lambda a: a, in_axes=[0])(z(m)),
    "tuple_axis_in_tree": lambda m: m.vmap(lambda a, b: a, in_axes=((0,), None))(z(m), z(m)),
    "inconsistent_sizes": lambda m: m.vmap(lambda a, b: a)(z(m), z(m, (3, 3))),
    "all_unmapped": lambda m: m.vmap(lambda a: a, in_axes=(None,))(z(m)),
    "no_arguments": lambda m: m.vmap(lambda: z(m))(),
    "python_scalar_argument": lambda m: m.vmap(lambda a, s: a, in_axes=(0, None))(z(m), 2.0),
    "python_scalar_output": lambda m: m.vmap(lambda a: (a, 1))(z(m)),
    "none_output": lambda m: m.vmap(lambda a: None)(z(m)),
    "eval_inside": lambda m: m.vmap(lambda a: a * a.sum().item())(z(m)),
}


@pytest.mark.parametrize("name", list(VMAP_ERRORS))
def test_vmap_errors_match_mlx(name):
    same_error(VMAP_ERRORS[name])


VMAP_TYPE_ERRORS = {
    "keyword_arguments": lambda m: m.vmap(lambda a, s=1: a)(z(m), s=z(m)),
    "in_axes_none": lambda m: m.vmap(lambda a: a, in_axes=None),
    "out_axes_none": lambda m: m.vmap(lambda a: a, out_axes=None),
    "not_callable": lambda m: m.vmap(3),
}


@pytest.mark.parametrize("name", list(VMAP_TYPE_ERRORS))
def test_vmap_type_errors(name):
    same_error(VMAP_TYPE_ERRORS[name], exact=(name == "keyword_arguments"))


# --------------------------------------------------------------------------
# custom_function


def _record_rules(m, log):
    """A custom function of (a, b) returning a tree, with all three rules
    logging what they receive."""

    @m.custom_function
    def f(a, b):
        return {"o": a, "q": [b]}

    @f.vjp
    def f_vjp(primals, cotangents, outputs):
        log.append(("vjp", primals, cotangents, outputs))
        a, b = primals
        return cotangents["o"] * 10.0, cotangents["q"][0] * 20.0

    @f.jvp
    def f_jvp(primals, tangents):
        log.append(("jvp", primals, tangents))
        return {"o": tangents[0] * 3.0, "q": [tangents[1] * 5.0]}

    @f.vmap
    def f_vmap(inputs, axes):
        log.append(("vmap", inputs, axes))
        a, b = inputs
        return {"o": a + 100.0, "q": [b]}, {"o": axes[0], "q": [axes[1]]}

    return f


def test_custom_function_decorators_return_the_custom_function():
    f = mx.custom_function(lambda a: a)
    assert f.vjp(lambda p, c, o: c) is f
    assert f.jvp(lambda p, t: t) is f
    assert f.vmap(lambda i, a: (i, a)) is f


def test_custom_function_without_rules_is_a_plain_call():
    # No rule: the function is just called (non-array results allowed).
    same(lambda m: m.custom_function(lambda a, s: (a, s, "x"))(m.array(1.0), 3))


def test_custom_vjp_rule_receives_trees():
    def build(m):
        log = []
        f = _record_rules(m, log)
        out = m.vjp(lambda a, b: f(a, b)["o"], [arr(m, X), arr(m, Y)], [m.ones((2, 3))])
        assert [entry[0] for entry in log] == ["vjp"]
        return out, log[0][1:]

    same(build)


def test_custom_vjp_rule_single_argument_is_unwrapped():
    def build(m):
        log = []

        @m.custom_function
        def g(a):
            return a * 2.0

        @g.vjp
        def g_vjp(primal, cotangent, output):
            log.append((primal, cotangent, output))
            return cotangent * 100.0

        grads = m.vjp(g, [arr(m, X)], [arr(m, Y)])
        return grads, log

    same(build)


def test_custom_vjp_rule_gets_keyword_arguments_and_non_arrays():
    def build(m):
        log = []

        @m.custom_function
        def h(d, scale=1.0):
            return {"o": d["p"] * scale, "q": [d["p"]]}

        @h.vjp
        def h_vjp(primals, cotangents, outputs, scale=1.0):
            log.append((primals, cotangents, outputs, scale))
            return {"p": cotangents["o"] * 7.0 + cotangents["q"][0]}

        f = lambda a: h({"p": a, "tag": "str"}, scale=3.0)["o"]  # noqa: E731
        return m.vjp(f, [arr(m, X)], [arr(m, Y)]), log

    same(build)


def test_custom_vjp_rule_extra_cotangents_ignored():
    def build(m):
        f = m.custom_function(lambda a: a * 2.0)
        f.vjp(lambda p, c, o: (c, c * 5.0))
        return m.vjp(f, [arr(m, X)], [arr(m, Y)])

    same(build)


def test_custom_jvp_rule_is_called():
    def build(m):
        log = []
        f = _record_rules(m, log)
        out = m.jvp(lambda a, b: [f(a, b)["o"], f(a, b)["q"][0]], [arr(m, X), arr(m, Y)], [arr(m, Y), arr(m, X)])
        assert {entry[0] for entry in log} == {"jvp"}
        return out, log[0][1:]

    same(build)


def test_custom_vmap_rule_is_called():
    def build(m):
        log = []
        f = _record_rules(m, log)
        out = m.vmap(f, in_axes=(1, 0))(arr(m, X), arr(m, Y).T)
        assert [entry[0] for entry in log] == ["vmap"]
        return out, log[0][2]

    same(build)


def test_custom_vmap_rule_single_argument_axis():
    def build(m):
        log = []

        @m.custom_function
        def g(a):
            return a

        @g.vmap
        def g_vmap(x, axis):
            log.append(axis)
            return x * 2.0, axis

        return m.vmap(g, in_axes=1)(z(m)), log

    same(build)


@pytest.mark.parametrize(
    "ret",
    [lambda x, ax: x, lambda x, ax: (x, ax, 0), lambda x, ax: [x, ax]],
    ids=["array", "triple", "list"],
)
def test_custom_vmap_rule_bad_return(ret):
    def build(m):
        g = m.custom_function(lambda a: a)
        g.vmap(ret)
        return m.vmap(g)(z(m))

    same_error(build)


def test_custom_rules_need_positional_arguments():
    def build_jvp(m):
        f = m.custom_function(lambda a, b=None: a * b)
        f.jvp(lambda p, t: t)
        return m.jvp(lambda a: f(a, b=arr(m, X)), [arr(m, X)], [arr(m, X)])

    def build_vmap(m):
        f = m.custom_function(lambda a, b=None: a)
        f.vmap(lambda i, ax: (i, ax))
        return m.vmap(lambda a: f(a, b=z(m, (3, 4))))(z(m))

    same_error(build_jvp)
    same_error(build_vmap)


def test_custom_function_with_rules_needs_array_outputs():
    def build(m):
        f = m.custom_function(lambda a: (a, 3))
        f.vjp(lambda p, c, o: c)
        return f(arr(m, X))

    same_error(build)


def test_custom_function_not_callable():
    same_error(lambda m: m.custom_function(3), exact=False)


def test_custom_function_fallback_transformations():
    # A rule that is not given falls back to transforming the body.
    def build(m):
        f = m.custom_function(lambda a, b: m.exp(a) * b)
        f.vjp(lambda p, c, o: (c * 2.0, c * 3.0))
        v = m.vjp(f, [arr(m, X), arr(m, Y)], [m.ones((2, 3))])
        j = m.jvp(f, [arr(m, X), arr(m, Y)], [m.ones((2, 3)), m.ones((2, 3))])
        b = m.vmap(f)(arr(m, X), arr(m, Y))
        return v, j, b

    same(build)


def test_grad_of_custom_function_uses_rule():
    def build(m):
        @m.custom_function
        def f(a, b):
            return m.sin(a) * b

        @f.vjp
        def f_vjp(primals, cotangent, output):
            a, b = primals
            return cotangent * m.cos(a) * b * 0.0 + 1.0, cotangent * 0.0 - 1.0

        return m.grad(lambda a, b: f(a, b).sum(), argnums=(0, 1))(arr(m, X), arr(m, Y))

    same(build)


# --------------------------------------------------------------------------
# checkpoint


def _ckpt_body(m):
    def body(a, b, scale=1.0, tag=None):
        return {"o": m.exp(a) * b * scale, "tag": tag, "n": 3}

    return body


def test_checkpoint_value_and_non_array_leaves():
    def build(m):
        f = m.checkpoint(_ckpt_body(m))
        return f(arr(m, X), arr(m, Y), scale=2.0, tag="t")

    same(build)


def test_checkpoint_gives_the_same_gradients():
    def build(m, wrap):
        f = wrap(_ckpt_body(m))
        loss = lambda a, b: (f(a, b=b, scale=0.5)["o"] * a).sum()  # noqa: E731
        return m.value_and_grad(loss, argnums=(0, 1))(arr(m, X), arr(m, Y))

    ref = same(lambda m: build(m, m.checkpoint))
    assert_same(ref, build(mx, lambda f: f))


def test_checkpoint_recomputes_in_backward():
    def build(m):
        calls = []

        def body(b):
            calls.append(1)
            return b

        g = m.grad(lambda a: m.checkpoint(body)(a))(m.array(2.0))
        return g, len(calls)

    same(build)


def test_checkpoint_not_callable():
    same_error(lambda m: m.checkpoint(3), exact=False)
