"""``Module``: the base class of every layer (MLX's ``mlx.nn.Module``).

A module *is* a ``dict``: its arrays, sub-modules and the lists / dicts that
hold them are stored as items, so that a module is itself a tree that the
function transformations and ``mx.compile`` can walk (``model.state`` is the
module). Everything else (hyper-parameters, the frozen-key set, the training
flag) lives in ordinary instance attributes.
"""

from __future__ import annotations

import textwrap
from typing import Any, Callable, List, Optional, Tuple, Union

from ... import core as mx
from ...utils import tree_flatten, tree_unflatten

# The values that ``__setattr__`` keeps as dict items rather than attributes.
_TREE_TYPES = (mx.array, dict, list, tuple)


def _is_floating(dtype):
    return mx.issubdtype(dtype, mx.floating)


class Module(dict):
    """Base class for building neural networks.

    Assigning an array, a module, or a list / dict / tuple (of them) to an
    attribute stores it as an item of the module, where :meth:`parameters`,
    :meth:`children`, :meth:`update` and the rest find it. Arrays are
    trainable unless frozen with :meth:`freeze`; :func:`rmlx.nn.value_and_grad`
    differentiates only the trainable ones. Subclasses define ``__call__``.
    """

    __call__: Callable

    def __init__(self):
        """Sets up the frozen-key set and training mode; subclasses must call it."""
        self._no_grad = set()
        self._training = True

    # -- attribute access ---------------------------------------------------

    @property
    def training(self):
        """Whether the module is in training mode (see :meth:`train`)."""
        return self._training

    @property
    def state(self):
        """The module itself: a live view of everything stored in it.

        Unlike :meth:`parameters` (a fresh, filtered tree), changes made
        through ``state`` are changes to the module.
        """
        return self

    def __getattr__(self, key: str):
        # Only reached when normal lookup fails: look among the items.
        value = self.get(key, None)
        if value is not None:
            return value
        # Re-run the normal lookup for its standard AttributeError.
        return object.__getattribute__(self, key)

    def __setattr__(self, key: str, val: Any):
        if isinstance(val, _TREE_TYPES):
            # A value that used to be a plain attribute moves into the dict,
            # otherwise the stale attribute would shadow the item.
            if key in self.__dict__ and key not in self:
                del self.__dict__[key]
            self[key] = val
        else:
            object.__setattr__(self, key, val)
            self.pop(key, None)

    def __delattr__(self, name):
        if self.get(name, None) is not None:
            del self[name]
        else:
            object.__delattr__(self, name)

    def _extra_repr(self) -> str:
        return ""

    def __repr__(self):
        children = tree_flatten(self.children(), is_leaf=self.is_module)
        lines = [f"{type(self).__name__}({self._extra_repr()}"]
        for key, child in children:
            lines.append(textwrap.indent(f"({key}): {child!r}", prefix="  "))
        text = "\n".join(lines)
        return text + ("\n)" if children else ")")

    # -- filters ------------------------------------------------------------

    @staticmethod
    def is_module(value):
        """Whether ``value`` is a :class:`Module`."""
        return isinstance(value, Module)

    @staticmethod
    def valid_child_filter(module, key, value):
        """Selects the items that may hold sub-modules (dicts and lists)."""
        return isinstance(value, (dict, list))

    @staticmethod
    def valid_parameter_filter(module, key, value):
        """Selects arrays and the dicts / lists holding them, except private keys."""
        return isinstance(value, (dict, list, mx.array)) and not key.startswith("_")

    @staticmethod
    def trainable_parameter_filter(module, key, value):
        """Like :meth:`valid_parameter_filter`, without the frozen keys."""
        return Module.valid_parameter_filter(module, key, value) and key not in module._no_grad

    def filter_and_map(
        self,
        filter_fn: Callable[[Module, str, Any], bool],
        map_fn: Optional[Callable] = None,
        is_leaf_fn: Optional[Callable[[Module, str, Any], bool]] = None,
    ):
        """The module's contents, recursively kept where ``filter_fn`` says so.

        ``filter_fn(module, key, value)`` decides whether an item is kept;
        inside plain dicts and lists the key is the dotted path from the
        owning module's item (``"layers.0"``), and a rejected entry becomes
        ``{}`` so list positions are preserved. ``is_leaf_fn(module, key,
        value)`` stops the recursion (default: anything that is not a module,
        dict or list) and ``map_fn`` transforms each leaf.
        """
        map_fn = map_fn or (lambda x: x)
        is_leaf_fn = is_leaf_fn or _default_is_leaf
        return _filter_module(self, filter_fn, map_fn, is_leaf_fn)

    def parameters(self):
        """All arrays of the module and its sub-modules as a tree of dicts and lists."""
        return self.filter_and_map(self.valid_parameter_filter)

    def trainable_parameters(self):
        """Like :meth:`parameters`, leaving out the frozen arrays."""
        return self.filter_and_map(self.trainable_parameter_filter)

    def children(self):
        """The direct sub-modules, in the dicts and lists that hold them."""
        return self.filter_and_map(
            self.valid_child_filter, is_leaf_fn=lambda m, k, v: isinstance(v, Module)
        )

    def leaf_modules(self):
        """The sub-modules that contain no modules themselves."""

        def is_leaf_module(m, k, v):
            return isinstance(v, Module) and not tree_flatten(v.children())

        return self.filter_and_map(self.valid_child_filter, is_leaf_fn=is_leaf_module)

    # -- updates ------------------------------------------------------------

    def update(self, parameters: dict, strict: bool = True) -> Module:
        """Replaces arrays of the module with those in ``parameters``.

        ``parameters`` is a full or partial tree shaped like
        :meth:`parameters`; only the places it names change. With ``strict``
        a name the module lacks, a list index past the end, or a non-array
        where an array was is a ``ValueError``. Returns the module.
        """
        _update_arrays(self, parameters, strict)
        return self

    def update_modules(self, modules: dict, strict: bool = True) -> Module:
        """Replaces sub-modules with those in ``modules`` (a tree shaped like
        :meth:`children`); the module counterpart of :meth:`update`."""
        _update_children(self, modules, strict)
        return self

    def apply(
        self,
        map_fn: Callable[[mx.array], mx.array],
        filter_fn: Optional[Callable[[Module, str, Any], bool]] = None,
    ) -> Module:
        """Maps the arrays selected by ``filter_fn`` (default: every
        parameter) through ``map_fn`` and stores the results. Returns the module."""
        filter_fn = filter_fn or Module.valid_parameter_filter
        self.update(self.filter_and_map(filter_fn, map_fn))
        return self

    def apply_to_modules(self, apply_fn: Callable[[str, Module], Any]) -> Module:
        """Calls ``apply_fn(path, module)`` on this module (path ``""``) and
        on every sub-module (dotted paths such as ``"layers.0.attention"``)."""
        pending = [("", self)]
        while pending:
            path, module = pending.pop()
            apply_fn(path, module)
            prefix = "." + path if path else ""
            pending.extend(tree_flatten(module.children(), prefix=prefix, is_leaf=self.is_module))
        return self

    def modules(self):
        """All modules in this one (itself included), as a list."""
        found = []
        self.apply_to_modules(lambda _, m: found.append(m))
        return found

    def named_modules(self):
        """``(dotted path, module)`` for every module in this one (itself: ``""``)."""
        found = []
        self.apply_to_modules(lambda path, m: found.append((path, m)))
        return found

    # -- freezing -----------------------------------------------------------

    def _validate_keys(self, keys, strict):
        keys = keys if isinstance(keys, list) else [keys]
        if strict:
            for k in keys:
                if k not in self:
                    raise KeyError(f"Module doesn't contain member {k}.")
        return keys

    def _validate_keys_recursive(self, keys):
        # A recursive freeze of "bias" only needs some module to have one.
        keys = keys if isinstance(keys, list) else [keys]
        modules = self.modules()
        for k in keys:
            if not any(k in m for m in modules):
                raise KeyError(f"Module doesn't contain member {k}.")

    def freeze(
        self,
        *,
        recurse: bool = True,
        keys: Optional[Union[str, List[str]]] = None,
        strict: bool = False,
    ) -> Module:
        """Excludes parameters from training (idempotent).

        ``keys`` (a name or list of names) limits the freeze to those items;
        without it every parameter is frozen. ``recurse`` applies it to the
        sub-modules too; ``strict`` checks that the keys exist. Returns the
        module.
        """

        def freeze_one(m, check):
            local = keys
            if local is None:
                own = m.filter_and_map(
                    lambda mod, k, v: not isinstance(v, Module) and mod.valid_parameter_filter(mod, k, v)
                )
                local = [k for k, _ in tree_flatten(own)]
            m._no_grad.update(m._validate_keys(local, check))

        self._for_freezing(freeze_one, recurse, keys, strict)
        return self

    def unfreeze(
        self,
        *,
        recurse: bool = True,
        keys: Optional[Union[str, List[str]]] = None,
        strict: bool = False,
    ) -> Module:
        """Makes frozen parameters trainable again (idempotent); the
        arguments are those of :meth:`freeze`. Returns the module."""

        def unfreeze_one(m, check):
            if keys is None:
                m._no_grad.clear()
            else:
                m._no_grad.difference_update(m._validate_keys(keys, check))

        self._for_freezing(unfreeze_one, recurse, keys, strict)
        return self

    def _for_freezing(self, fn, recurse, keys, strict):
        """Runs ``fn(module, strict)`` on this module or, with ``recurse``, on all."""
        if not recurse:
            fn(self, strict)
            return
        if strict and keys is not None:
            # A key needs to exist somewhere in the model, not in every module.
            self._validate_keys_recursive(keys)
            strict = False
        self.apply_to_modules(lambda _, m: fn(m, strict))

    # -- modes and dtypes ---------------------------------------------------

    def _set_training_mode(self, mode: bool) -> None:
        self._training = mode

    def train(self, mode: bool = True) -> Module:
        """Sets training mode (``mode=False``: evaluation mode) on every module.

        It matters to layers such as ``Dropout`` and ``BatchNorm``. Returns
        the module.
        """
        self.apply_to_modules(lambda _, m: m._set_training_mode(mode))
        return self

    def eval(self) -> Module:
        """Sets evaluation mode: ``train(False)``."""
        return self.train(False)

    def set_dtype(
        self,
        dtype: mx.Dtype,
        predicate: Optional[Callable[[mx.Dtype], bool]] = _is_floating,
    ):
        """Casts the parameters whose dtype satisfies ``predicate`` (default:
        the floating ones; ``None``: all) to ``dtype``."""
        if predicate is None:
            predicate = lambda _: True  # noqa: E731
        self.apply(lambda x: x.astype(dtype) if predicate(x.dtype) else x)

    # -- weights files ------------------------------------------------------

    def load_weights(
        self,
        file_or_weights: Union[str, List[Tuple[str, mx.array]]],
        strict: bool = True,
    ) -> Module:
        """Loads weights from a ``.npz`` / ``.safetensors`` file or a list of
        ``(dotted name, array)`` pairs.

        With ``strict`` the names must be exactly the module's parameters,
        and each must be an array of the parameter's shape (``ValueError``
        otherwise); without it the given weights are loaded where the module
        has them and the rest ignored. Returns the module.
        """
        weights = file_or_weights
        if isinstance(weights, str):
            weights = list(mx.load(weights).items())

        if strict:
            given = dict(weights)
            current = tree_flatten(self.parameters(), destination={})
            extras = given.keys() - current.keys()
            if extras:
                names = ",\n".join(sorted(extras))
                raise ValueError(f"Received {len(extras)} parameters not in model: \n{names}.")
            missing = current.keys() - given.keys()
            if missing:
                names = ",\n".join(sorted(missing))
                raise ValueError(f"Missing {len(missing)} parameters: \n{names}.")
            for name, value in current.items():
                new = given[name]
                if not isinstance(new, mx.array):
                    raise ValueError(f"Expected mx.array but received {type(new)} for parameter {name}")
                if new.shape != value.shape:
                    raise ValueError(
                        f"Expected shape {value.shape} but received shape {new.shape} for parameter {name}"
                    )

        if len(weights) != 0:
            self.update(tree_unflatten(weights), strict=False)
        return self

    def save_weights(self, file: str):
        """Saves the parameters to ``file``: ``.npz`` (``mx.savez``) or
        ``.safetensors`` (``mx.save_safetensors``), chosen by the extension."""
        flat = tree_flatten(self.parameters(), destination={})
        if file.endswith(".npz"):
            mx.savez(file, **flat)
        elif file.endswith(".safetensors"):
            mx.save_safetensors(file, flat)
        else:
            raise ValueError(f"Unsupported file extension for {file}. Use '.npz' or '.safetensors'.")


# ---------------------------------------------------------------------------
# Tree walks behind filter_and_map / update / update_modules.


def _default_is_leaf(module, key, value):
    return not isinstance(value, (Module, dict, list))


def _filter_module(module, filter_fn, map_fn, is_leaf_fn):
    return {
        k: _filter_value(module, k, v, filter_fn, map_fn, is_leaf_fn)
        for k, v in module.items()
        if filter_fn(module, k, v)
    }


def _filter_value(owner, key, value, filter_fn, map_fn, is_leaf_fn):
    """Filters one item of module ``owner`` found under (dotted) ``key``."""
    if is_leaf_fn(owner, key, value):
        return map_fn(value)
    if isinstance(value, Module):
        return _filter_module(value, filter_fn, map_fn, is_leaf_fn)
    if isinstance(value, (dict, list)):
        entries = value.items() if isinstance(value, dict) else enumerate(value)
        kept = []
        for k, v in entries:
            path = f"{key}.{k}"
            if filter_fn(owner, path, v):
                kept.append((k, _filter_value(owner, path, v, filter_fn, map_fn, is_leaf_fn)))
            else:
                # A rejected entry leaves an empty placeholder in its place.
                kept.append((k, {}))
        return dict(kept) if isinstance(value, dict) else [v for _, v in kept]
    raise RuntimeError("Unexpected leaf found while traversing the module")


def _pairs(dst, src, strict):
    """The ``(slot, new value)`` pairs of ``src`` that exist in ``dst``.

    ``src`` is a dict (matched by key) or a list (matched by position).
    Slots ``dst`` lacks raise under ``strict`` and are skipped otherwise.
    """
    if isinstance(src, dict):
        for k, v in src.items():
            if k in dst:
                yield k, v
            elif strict:
                raise ValueError(f'Module does not have parameter named "{k}".')
    elif isinstance(src, list):
        for i, v in enumerate(src):
            if i < len(dst):
                yield i, v
            elif strict:
                raise ValueError(f"List index {i} is out of bounds for destination of length {len(dst)}.")
    elif strict:
        raise ValueError(f"Received invalid type: {type(src).__name__}.")


def _update_arrays(dst, src, strict):
    for slot, new in _pairs(dst, src, strict):
        current = dst[slot]
        if isinstance(current, mx.array):
            if strict and not isinstance(new, mx.array):
                raise ValueError(f"Received invalid type: {type(new).__name__}.")
            dst[slot] = new
        else:
            _update_arrays(current, new, strict)


def _update_children(dst, src, strict):
    if isinstance(src, dict):
        for k, new in src.items():
            if k not in dst:
                if strict:
                    raise ValueError(f'Module does not have sub-module named "{k}".')
                continue
            _replace_child(dst, k, new, strict)
    elif isinstance(src, list):
        for i, new in enumerate(src):
            if i >= len(dst):
                if strict:
                    raise ValueError(f"List index {i} is out of bounds for destination of length {len(dst)}.")
                continue
            _replace_child(dst, i, new, strict)
    elif strict:
        raise ValueError(f"Received invalid type: {type(src).__name__}.")


def _replace_child(dst, slot, new, strict):
    current = dst[slot]
    if isinstance(current, Module) and isinstance(new, Module):
        dst[slot] = new
    elif isinstance(current, (dict, list)):
        _update_children(current, new, strict)
    elif strict and new != {}:
        raise ValueError(f"Received invalid type: {type(new).__name__}.")
