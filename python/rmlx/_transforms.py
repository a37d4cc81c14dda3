"""MLX's function transformations (``grad``, ``value_and_grad``, ``vjp``,
``jvp``, ``vmap``, ``custom_function``, ``checkpoint``) on top of the engine
entry points of ``rmlx.core`` (``_vjp``, ``_jvp``, ``_vmap``,
``_custom_function``, ``_checkpoint``).

The engine works on flat lists of arrays; this module turns the user's
pytrees of arguments and results into such lists and back (with the helpers
of ``rmlx.utils``), and reproduces MLX's argument checks and error messages.
An exception raised by the user's function crosses the engine and comes out
of the transformation unchanged.
"""

import functools
import operator
from collections.abc import Sequence

from . import core
from .utils import _array_leaves, _fill_arrays, _tree_visit, tree_map

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jvp",
    "vmap",
    "custom_function",
    "checkpoint",
]


def _fmt_shape(shape):
    """A shape as MLX prints it in messages: ``(2,3)``, ``(3)``, ``()``."""
    return "(" + ",".join(str(d) for d in shape) + ")"


def _incompatible(name, signature, got):
    """The TypeError MLX's bindings raise for arguments of the wrong type."""
    return TypeError(
        f"{name}(): incompatible function arguments. The following argument types are supported:\n"
        f"    1. {signature}\n\nInvoked with types: {got}"
    )


def _check_callable(name, signature, fun):
    if not callable(fun):
        raise _incompatible(name, signature, type(fun).__name__)


# --------------------------------------------------------------------------
# grad / value_and_grad

_GRAD_SIG = (
    "{}(fun: Callable[P, R], argnums: int | Sequence[int] | None = None, "
    "argnames: str | Sequence[str] = []) -> Callable[P, Any]"
)


def _as_int(x):
    # operator.index accepts ints, bools and NumPy integers, as MLX does.
    return operator.index(x)


def _normalize_argnums(name, fun, argnums, argnames):
    """MLX's (argnums, argnames) validation at transformation time.

    Returns the sorted list of argument indices and the list of names.
    """
    sig = _GRAD_SIG.format(name)
    _check_callable(name, sig, fun)
    try:
        if isinstance(argnames, str):
            names = [argnames]
        elif isinstance(argnames, Sequence) and all(isinstance(n, str) for n in argnames):
            names = list(argnames)
        else:
            raise TypeError
        if argnums is None:
            # argnums defaults to 0 only when no keyword argument is requested.
            nums = [] if names else [0]
        elif isinstance(argnums, Sequence) and not isinstance(argnums, (str, bytes)):
            nums = [_as_int(i) for i in argnums]
        else:
            nums = [_as_int(argnums)]
    except TypeError:
        raise _incompatible(
            name, sig, f"function, argnums: {type(argnums).__name__}, argnames: {type(argnames).__name__}"
        ) from None

    tag = f"[{name}]"
    if not nums and not names:
        raise ValueError(f"{tag} Gradient wrt no argument requested")
    # Gradients come back in increasing argument order, whatever the order
    # given (MLX sorts too).
    nums.sort()
    if nums and nums[0] < 0:
        raise ValueError(f"{tag} Can't compute the gradient of negative argument index {nums[0]}")
    for a, b in zip(nums, nums[1:]):
        if a == b:
            # MLX names the smallest index here, whichever one is repeated.
            raise ValueError(f"{tag} Duplicate argument index {nums[0]} is not allowed.")
    return nums, names


def _check_loss_output(tag, scalar_only, out):
    """MLX's checks of what the differentiated function returned."""
    if isinstance(out, core.array):
        return
    kind = type(out).__name__
    if scalar_only:
        raise ValueError(
            f"{tag} The return value of the function whose gradient we want to compute "
            f"should be a scalar array; but {kind} was returned."
        )
    if not isinstance(out, tuple):
        raise ValueError(
            f"{tag} The return value of the function whose gradient we want to compute "
            "should be either a scalar array or a tuple with the first value being a "
            f"scalar array (Union[array, tuple[array, Any, ...]]); but {kind} was returned."
        )
    if len(out) == 0:
        raise ValueError(
            f"{tag} The return value of the function whose gradient we want to compute "
            "should be either a scalar array or a non-empty tuple. The first value should be a "
            "scalar array and the rest can be anything. Instead, we got an empty tuple."
        )
    if not isinstance(out[0], core.array):
        raise ValueError(
            f"{tag} The return value of the function whose gradient we want to compute "
            "should be either a scalar array or a tuple with the first value being a "
            "scalar array (Union[array, tuple[array, Any, ...]]); but it was a tuple with "
            f"the first value being of type {type(out[0]).__name__} ."
        )


def _value_and_grad_call(fun, nums, names, tag, scalar_only, args, kwargs):
    """One call of a ``value_and_grad``/``grad`` transformed function.

    Returns ``(value, grads)`` with ``grads`` shaped as MLX returns them.
    """
    if nums and nums[-1] >= len(args):
        raise ValueError(
            f"{tag} Can't compute the gradient of argument index {nums[-1]} because the "
            f"function is called with only {len(args)} positional arguments."
        )
    for key in names:
        if key not in kwargs:
            present = "".join(f"{k}," for k in kwargs)
            raise ValueError(
                f"{tag} Can't compute the gradient of keyword argument '{key}' because the "
                f"function is called with the following keyword arguments {{{present}}}"
            )

    # The differentiated arguments must be trees of arrays only (MLX's
    # strict flatten); the others are passed through untouched.
    groups = [args[i] for i in nums] + [kwargs[k] for k in names]
    flats = [_array_leaves(g, strict=True) for g in groups]
    primals = [a for flat in flats for a in flat]
    if not primals:
        # MLX's message names grad for value_and_grad too.
        raise ValueError("[grad] Must specify at least one argument.")

    state = {}

    def traced(tracers):
        it = iter(tracers)
        new_args = list(args)
        for i in nums:
            new_args[i] = _fill_arrays(args[i], it)
        new_kwargs = dict(kwargs)
        for k in names:
            new_kwargs[k] = _fill_arrays(kwargs[k], it)
        out = fun(*new_args, **new_kwargs)
        _check_loss_output(tag, scalar_only, out)
        flat_out = _array_leaves(out, strict=False)
        loss = flat_out[0]
        if loss.shape != ():
            hint = (
                " If you are using grad your function must return a scalar."
                if len(flat_out) == 1 and loss.size == 1
                else ""
            )
            raise ValueError(
                f"[vjp] Output shape {_fmt_shape(loss.shape)} does not match cotangent shape ().{hint}"
            )
        state["out"] = out
        # Only the loss is differentiated; the rest of the result (aux
        # values) is returned as the function produced it.
        return [loss]

    # The engine casts the seed to the loss's dtype.
    _, grads = core._vjp(traced, primals, [core.array(1.0)])

    it = iter(grads)
    filled = [_fill_arrays(g, it) for g in groups]
    pos, kw = filled[: len(nums)], filled[len(nums):]
    if len(nums) == 1:
        positional = pos[0]
    elif len(nums) > 1:
        positional = tuple(pos)
    else:
        positional = None
    if not names:
        return state["out"], positional
    by_name = {}
    for k, g in zip(names, kw):
        # A repeated name keeps its last gradient, as in MLX.
        by_name[k] = g
    # MLX lists the keyword gradients in the order of the call's keywords.
    kw_grads = {k: by_name[k] for k in kwargs if k in by_name}
    return state["out"], (positional, kw_grads)


def value_and_grad(fun, argnums=None, argnames=[]):
    """Returns a function computing ``fun``'s value and its gradient.

    ``fun`` must return a scalar array, or a tuple whose first element is a
    scalar array (only that element is differentiated; the rest is returned
    as is). ``argnums`` (an int or a sequence of ints, default ``0`` when no
    ``argnames`` are given) picks the positional arguments and ``argnames``
    (a str or a sequence of str) the keyword arguments to differentiate; each
    may be a tree of arrays. The transformed function returns ``(value,
    grads)``, where ``grads`` is the gradient tree of the single argument, a
    tuple of them for several, and ``(positional, {name: grad})`` when
    ``argnames`` are given.
    """
    nums, names = _normalize_argnums("value_and_grad", fun, argnums, argnames)

    @functools.wraps(fun, updated=())
    def wrapper(*args, **kwargs):
        return _value_and_grad_call(fun, nums, names, "[value_and_grad]", False, args, kwargs)

    return wrapper


def grad(fun, argnums=None, argnames=[]):
    """Returns a function computing the gradient of ``fun``.

    ``fun`` must return a scalar array. ``argnums`` and ``argnames`` pick the
    arguments as in :func:`value_and_grad`, and the gradients have the same
    layout.
    """
    nums, names = _normalize_argnums("grad", fun, argnums, argnames)

    @functools.wraps(fun, updated=())
    def wrapper(*args, **kwargs):
        return _value_and_grad_call(fun, nums, names, "[grad]", True, args, kwargs)[1]

    return wrapper


# --------------------------------------------------------------------------
# vjp / jvp


def _array_list(name, sig, fun, primals, vectors):
    """Checks the argument types of ``vjp``/``jvp`` (lists of arrays)."""

    def ok(seq):
        return isinstance(seq, (list, tuple)) and all(isinstance(a, core.array) for a in seq)

    if not callable(fun) or not ok(primals) or not ok(vectors):
        raise _incompatible(
            name,
            sig,
            f"{type(fun).__name__}, {type(primals).__name__}, {type(vectors).__name__}",
        )
    return list(primals), list(vectors)


def _as_outputs(what, out):
    """A function's result as a list of arrays: one array, or a list or tuple
    of arrays (what MLX's ``vjp``/``jvp`` accept)."""
    if isinstance(out, core.array):
        return [out]
    if isinstance(out, (list, tuple)) and all(isinstance(o, core.array) for o in out):
        return list(out)
    # MLX fails here with a C++ cast error (RuntimeError "std::bad_cast").
    raise RuntimeError(
        f"[{what}] The function must return an array or a list or tuple of arrays; "
        f"got {type(out).__name__}."
    )


_VJP_SIG = (
    "vjp(fun: Callable, primals: list[array], cotangents: list[array]) "
    "-> tuple[list[array], list[array]]"
)
_JVP_SIG = (
    "jvp(fun: Callable, primals: list[array], tangents: list[array]) "
    "-> tuple[list[array], list[array]]"
)


def vjp(fun, primals, cotangents):
    """Computes the vector-Jacobian product of ``fun`` at ``primals``.

    ``fun`` takes the primals as positional arguments and returns an array or
    a list of arrays; ``cotangents`` has one array per output, of the same
    shape. Returns ``(outputs, vjps)``: the outputs of ``fun`` and one
    cotangent per primal.
    """
    primals, cotangents = _array_list("vjp", _VJP_SIG, fun, primals, cotangents)
    n_out = []

    def traced(tracers):
        outs = _as_outputs("vjp", fun(*tracers))
        if len(outs) > len(cotangents):
            raise ValueError(
                f"[vjp] Number of outputs to compute gradients for ({len(outs)}) does not "
                f"match number of cotangents ({len(cotangents)})."
            )
        for o, c in zip(outs, cotangents):
            if o.shape != c.shape:
                hint = (
                    " If you are using grad your function must return a scalar."
                    if len(outs) == 1 and o.size == 1
                    else ""
                )
                raise ValueError(
                    f"[vjp] Output shape {_fmt_shape(o.shape)} does not match cotangent "
                    f"shape {_fmt_shape(c.shape)}.{hint}"
                )
        n_out.append(len(outs))
        # MLX ignores cotangents beyond the outputs. The engine wants one per
        # output, so the extra ones are paired with themselves: constants
        # that depend on no primal and add nothing to the result.
        return outs + cotangents[len(outs):]

    outs, grads = core._vjp(traced, primals, cotangents)
    return outs[: n_out[0]], grads


def jvp(fun, primals, tangents):
    """Computes the Jacobian-vector product of ``fun`` at ``primals``.

    ``fun`` takes the primals as positional arguments and returns an array or
    a list of arrays; ``tangents`` has one array per primal, of the same
    shape. Returns ``(outputs, jvps)``: the outputs of ``fun`` and one tangent
    per output.
    """
    primals, tangents = _array_list("jvp", _JVP_SIG, fun, primals, tangents)
    if len(primals) != len(tangents):
        raise ValueError("[jvp] Number of inputs does not match number of tangents.")
    for p, t in zip(primals, tangents):
        if p.shape != t.shape:
            raise ValueError("[jvp] Input shape does not match shape of tangent.")

    def traced(tracers):
        return _as_outputs("jvp", fun(*tracers))

    return core._jvp(traced, primals, tangents)


# --------------------------------------------------------------------------
# vmap

_VMAP_SIG = "vmap(fun: Callable[P, R], in_axes: object = 0, out_axes: object = 0) -> Callable[P, R]"


def _flat_axes(tree, axes, output):
    """One axis (int, or None for unmapped) per array leaf of ``tree``.

    ``axes`` is a prefix tree of ``tree`` (MLX's rules: an int or None at a
    node applies to its whole subtree; a 1-tuple may stand for the axis of a
    bare array). Axes are checked against each array's rank, plus one for
    output axes, and negative ones are normalised.
    """
    flat = []
    saw_tuple = False

    def visit(pair):
        nonlocal saw_tuple
        x, ax = pair
        if not isinstance(x, core.array):
            raise ValueError("[vmap] The arguments should contain only arrays")
        if isinstance(ax, tuple):
            saw_tuple = True
            if len(ax) == 1 and (ax[0] is None or isinstance(ax[0], int)):
                ax = ax[0]
            else:
                raise ValueError("[vmap] axis must be int or None.")
        if ax is None:
            flat.append(None)
            return
        if not isinstance(ax, int):
            raise ValueError("[vmap] axis must be int or None.")
        bound = x.ndim + (1 if output else 0)
        a = int(ax) + bound if ax < 0 else int(ax)
        if a < 0 or a >= bound:
            kind = " output " if output else " "
            raise IndexError(
                f"[vmap] Invalid{kind}vectorization axis {a} for array with shape {_fmt_shape(x.shape)}"
            )
        flat.append(a)

    _tree_visit([tree, axes], visit)
    if saw_tuple and not isinstance(tree, core.array):
        raise ValueError("[vmap] axis must be int or None.")
    return flat


def vmap(fun, in_axes=0, out_axes=0):
    """Returns a vectorised version of ``fun``.

    ``in_axes`` gives the mapped axis of each argument: an int, ``None``
    (not mapped) inside a tree, or a tree that is a prefix of the positional
    arguments (of the single argument when there is one). ``out_axes`` does
    the same for the result, where the batch axis goes. Arguments and results
    must be trees of arrays; keyword arguments are not supported.
    """
    # MLX's binding refuses None at the top level of either axes argument.
    if not callable(fun) or in_axes is None or out_axes is None:
        got = [type(fun).__name__]
        if in_axes is None:
            got.append("in_axes: NoneType")
        if out_axes is None:
            got.append("out_axes: NoneType")
        raise _incompatible("vmap", _VMAP_SIG, ", ".join(got))

    @functools.wraps(fun, updated=())
    def wrapper(*args, **kwargs):
        if kwargs:
            raise TypeError("[vmap] Keyword arguments are not supported.")
        inputs = _array_leaves(args, strict=True)
        flat_in = _flat_axes(args[0] if len(args) == 1 else args, in_axes, False)

        size = None
        for x, ax in zip(inputs, flat_in):
            if ax is None:
                continue
            n = x.shape[ax]
            if size is not None and n != size:
                raise ValueError(f"[vmap] Inconsistent axis sizes: {size} and {n}.")
            size = n
        if size is None:
            raise ValueError("At least one of in_axes must be non-None.")

        state = {}

        def traced(placeholders):
            out = fun(*_fill_arrays(args, placeholders))
            flat_out = _array_leaves(out, strict=True)
            # The output axes can only be read against the result's
            # structure, which exists only now.
            state["axes"] = _flat_axes(out, out_axes, True)
            state["out"] = out
            return flat_out

        # The engine puts every batch axis first; the requested output axes
        # are applied below, once the result's structure is known.
        outs = core._vmap(traced, inputs, flat_in, [0])
        moved = []
        for o, ax in zip(outs, state["axes"]):
            # MLX treats a None output axis as -1: an output that does not
            # depend on the mapped inputs comes back broadcast with the batch
            # axis last. (MLX raises for an output that does depend on them;
            # the engine's result cannot tell the two apart, so such an
            # output also gets its batch axis last here.)
            target = o.ndim - 1 if ax is None else ax
            moved.append(o if target == 0 else core.moveaxis(o, 0, target))
        return _fill_arrays(state["out"], moved)

    return wrapper


# --------------------------------------------------------------------------
# custom_function / checkpoint


def _per_array(tree, values):
    """``tree`` with its arrays replaced, in order, by ``values`` and its
    other leaves by None (how MLX hands tangents and axes to custom rules)."""
    it = iter(values)
    return tree_map(lambda leaf: next(it) if isinstance(leaf, core.array) else None, tree)


class custom_function:
    """Wraps a function so that its transformations can be user-defined.

    Calling the instance calls the function. The decorators :meth:`vjp`,
    :meth:`jvp` and :meth:`vmap` give the rules that ``grad``/``vjp``,
    ``jvp`` and ``vmap`` then use for it instead of transforming the body
    (a missing rule falls back to transforming the body)::

        @mx.custom_function
        def f(x, y):
            return mx.sin(x) * y

        @f.vjp
        def f_vjp(primals, cotangent, output):
            x, y = primals
            return cotangent * mx.cos(x) * y, cotangent * mx.sin(x)
    """

    def __init__(self, f):
        if not callable(f):
            raise _incompatible("__init__", "__init__(self, f: Callable)", f"custom_function, {type(f).__name__}")
        self._fun = f
        self._vjp = None
        self._jvp = None
        self._vmap = None
        functools.update_wrapper(self, f, updated=())

    def vjp(self, f):
        """Sets the reverse-mode rule and returns this custom function.

        ``f(primals, cotangents, outputs, **kwargs)`` receives the positional
        arguments (the single argument itself when there is one), the
        cotangents and outputs in the structure of the result, and the
        keyword arguments; it returns the cotangents of the positional
        arguments in their structure.
        """
        self._vjp = f
        return self

    def jvp(self, f):
        """Sets the forward-mode rule and returns this custom function.

        ``f(primals, tangents)`` receives the positional arguments and their
        tangents (same structure) and returns the output tangents in the
        structure of the result.
        """
        self._jvp = f
        return self

    def vmap(self, f):
        """Sets the batching rule and returns this custom function.

        ``f(inputs, axes)`` receives the positional arguments and, in their
        structure, the batch axis of each (``None``: not batched); it returns
        ``(outputs, out_axes)``, the batched result and a matching (prefix)
        tree of its batch axes.
        """
        self._vmap = f
        return self

    def __call__(self, *args, **kwargs):
        if self._vjp is None and self._jvp is None and self._vmap is None:
            return self._fun(*args, **kwargs)

        structure = (args, kwargs)
        inputs = _array_leaves(structure, strict=False)
        state = {}

        def unflatten_inputs(arrays):
            a, kw = _fill_arrays(structure, arrays)
            return a, kw

        def forward(arrays):
            a, kw = unflatten_inputs(arrays)
            out = self._fun(*a, **kw)
            flat = _array_leaves(out, strict=True)
            state["out"] = out
            # The outputs of the call itself (the engine may run `forward`
            # again, on other inputs, to transform the body).
            state.setdefault("outputs", flat)
            return flat

        vjp_rule = jvp_rule = vmap_rule = None

        if self._vjp is not None:

            def vjp_rule(primals, cotangents, outputs):
                a, kw = unflatten_inputs(primals)
                cots = _fill_arrays(state["out"], cotangents)
                # The engine hands zeros for outputs that the caller dropped;
                # the rule gets the real values, as in MLX.
                outs = _fill_arrays(state["out"], state["outputs"])
                res = self._vjp(a[0] if len(a) == 1 else a, cots, outs, **kw)
                # MLX ignores cotangents beyond the number of inputs.
                return _array_leaves(res, strict=False)[: len(primals)]

        if self._jvp is not None:

            def jvp_rule(primals, tangents):
                a, kw = unflatten_inputs(primals)
                if kw:
                    raise ValueError("[custom jvp] Function should only accept positional arguments")
                # Every input array has a tangent here (zeros for those the
                # transformation does not differentiate); other leaves get None.
                tans = _per_array(a, tangents)
                res = self._jvp(a[0], tans[0]) if len(a) == 1 else self._jvp(a, tans)
                return _array_leaves(res, strict=False)

        if self._vmap is not None:

            def vmap_rule(arrays, axes):
                a, kw = unflatten_inputs(arrays)
                if kw:
                    raise ValueError("[custom vmap] Function should only accept positional arguments")
                ax = _per_array(a, axes)
                res = self._vmap(a[0], ax[0]) if len(a) == 1 else self._vmap(a, ax)
                if not isinstance(res, tuple) or len(res) != 2:
                    raise ValueError("[custom vmap] Vmap function should return a tuple with 2 items.")
                outs, out_axes = [], []

                def collect(pair):
                    if isinstance(pair[0], core.array):
                        outs.append(pair[0])
                        # MLX encodes "not batched" as -1.
                        ax_ = pair[1]
                        out_axes.append(None if ax_ is None or ax_ < 0 else int(ax_))

                _tree_visit([res[0], res[1]], collect)
                return outs, out_axes

        outs = core._custom_function(forward, inputs, vjp=vjp_rule, jvp=jvp_rule, vmap=vmap_rule)
        return _fill_arrays(state["out"], outs)


def checkpoint(fun):
    """Returns ``fun`` with gradient checkpointing.

    The result is the same; reverse-mode differentiation recomputes ``fun``
    from its inputs instead of keeping its intermediate values. Arguments
    and results may be trees mixing arrays and other values.
    """
    _check_callable("checkpoint", "checkpoint(fun: Callable[P, R]) -> Callable[P, R]", fun)

    @functools.wraps(fun, updated=())
    def wrapper(*args, **kwargs):
        structure = (args, kwargs)
        inputs = _array_leaves(structure, strict=False)
        state = {}

        def inner(arrays):
            a, kw = _fill_arrays(structure, arrays)
            out = fun(*a, **kw)
            state["out"] = out
            return _array_leaves(out, strict=False)

        outs = core._checkpoint(inner, inputs)
        return _fill_arrays(state["out"], outs)

    return wrapper
