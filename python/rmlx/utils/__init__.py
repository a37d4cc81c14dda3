"""rmlx.utils: MLX's ``mlx.utils`` pytree helpers.

A *tree* is any nesting of ``list``, ``tuple`` (named tuples included) and
``dict``; everything else is a leaf. The public functions behave like their
``mlx.utils`` namesakes. The private helpers at the bottom give the stricter,
array-only view of a tree that MLX's C++ transformations use (``grad``,
``vmap``, ...); ``rmlx._transforms`` builds on them so that all pytree logic
lives here.
"""

from collections import defaultdict
from itertools import zip_longest
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from .. import core

__all__ = [
    "tree_flatten",
    "tree_unflatten",
    "tree_map",
    "tree_map_with_path",
    "tree_reduce",
    "tree_merge",
]


def _rebuild(node, children):
    """A container of `node`'s type holding `children` (a list)."""
    kind = type(node)
    if isinstance(node, dict):
        return dict(children)
    # Named tuples take their fields positionally, not as one iterable.
    if hasattr(node, "_fields"):
        return kind(*children)
    return kind(children)


def tree_map(fn: Callable, tree: Any, *rest: Any, is_leaf: Optional[Callable] = None) -> Any:
    """Applies ``fn`` to the leaves of ``tree`` and returns a tree of the results.

    Each tree in ``rest`` must have ``tree``'s structure (or extend it); its
    matching leaves are passed to ``fn`` as extra positional arguments.
    ``is_leaf(node)`` returning ``True`` stops the recursion at ``node``.
    Dictionaries come back as plain ``dict``; lists, tuples and named tuples
    keep their type.
    """
    if is_leaf is not None and is_leaf(tree):
        return fn(tree, *rest)
    if isinstance(tree, (list, tuple)):
        children = [
            tree_map(fn, child, *[r[i] for r in rest], is_leaf=is_leaf)
            for i, child in enumerate(tree)
        ]
        return _rebuild(tree, children)
    if isinstance(tree, dict):
        return {
            k: tree_map(fn, child, *[r[k] for r in rest], is_leaf=is_leaf)
            for k, child in tree.items()
        }
    return fn(tree, *rest)


def tree_map_with_path(
    fn: Callable,
    tree: Any,
    *rest: Any,
    is_leaf: Optional[Callable] = None,
    path: Optional[Any] = None,
) -> Any:
    """Like :func:`tree_map`, but ``fn`` receives the leaf's dotted path first.

    The path of a leaf joins the list indices and dict keys leading to it with
    dots (``"model.0.w"``), after ``path`` when one is given; a bare leaf gets
    ``path`` itself (``None`` by default).
    """
    if is_leaf is not None and is_leaf(tree):
        return fn(path, tree, *rest)
    # A falsy path (None or "") adds no prefix, as in MLX.
    prefix = f"{path}." if path else ""
    if isinstance(tree, (list, tuple)):
        children = [
            tree_map_with_path(
                fn, child, *[r[i] for r in rest], is_leaf=is_leaf, path=f"{prefix}{i}"
            )
            for i, child in enumerate(tree)
        ]
        return _rebuild(tree, children)
    if isinstance(tree, dict):
        return {
            k: tree_map_with_path(
                fn, child, *[r[k] for r in rest], is_leaf=is_leaf, path=f"{prefix}{k}"
            )
            for k, child in tree.items()
        }
    return fn(path, tree, *rest)


def tree_flatten(
    tree: Any,
    prefix: str = "",
    is_leaf: Optional[Callable] = None,
    destination: Optional[Union[List[Tuple[str, Any]], Dict[str, Any]]] = None,
) -> Union[List[Tuple[str, Any]], Dict[str, Any]]:
    """Flattens ``tree`` into ``(dotted_key, leaf)`` pairs.

    ``tree_flatten([[[0]]])`` is ``[("0.0.0", 0)]``. The first character of
    ``prefix`` is dropped (``prefix=".hello"`` gives keys ``"hello.0..."``).
    With ``destination`` a list the pairs are appended to it, with a dict they
    are stored in it; it is returned either way.
    """
    if destination is None:
        destination = []
    if isinstance(destination, list):
        add = destination.extend
    elif isinstance(destination, dict):
        add = destination.update
    else:
        raise ValueError("Destination should be either a list or a dictionary or None")
    _flatten_into(tree, prefix, is_leaf, add)
    return destination


def _flatten_into(tree, prefix, is_leaf, add):
    if is_leaf is not None and is_leaf(tree):
        add([(prefix[1:], tree)])
    elif isinstance(tree, (list, tuple)):
        for i, child in enumerate(tree):
            _flatten_into(child, f"{prefix}.{i}", is_leaf, add)
    elif isinstance(tree, dict):
        for k, child in tree.items():
            _flatten_into(child, f"{prefix}.{k}", is_leaf, add)
    else:
        add([(prefix[1:], tree)])


def tree_unflatten(tree: Union[List[Tuple[str, Any]], Dict[str, Any]]) -> Any:
    """Rebuilds a tree from its flat ``(dotted_key, leaf)`` form.

    ``tree_unflatten([("hello.world", 42)])`` is ``{"hello": {"world": 42}}``.
    A level whose keys are all integers becomes a list (gaps are filled with
    ``{}``); any other level becomes a dict. A single pair with key ``""`` is
    a bare leaf.
    """
    pairs = tree.items() if isinstance(tree, dict) else tree
    if len(pairs) == 1:
        key, value = next(iter(pairs))
        if key == "":
            return value

    # Group the pairs by their first key component, in order of appearance.
    groups = defaultdict(list)
    for key, value in pairs:
        head, _, tail = key.partition(".")
        groups[head].append((tail, value))

    # A list when every head parses as an integer and no two heads parse to
    # the same one ("1" and "01" would collide).
    indices = {}
    try:
        for head in groups:
            indices[int(head)] = head
        as_list = len(indices) == len(groups)
    except ValueError:
        as_list = False

    if not as_list:
        return {head: tree_unflatten(sub) for head, sub in groups.items()}
    out = []
    for i, head in sorted(indices.items()):
        while len(out) < i:
            out.append({})
        out.append(tree_unflatten(groups[head]))
    return out


def tree_reduce(fn: Callable, tree: Any, initializer: Any = None, is_leaf: Optional[Callable] = None) -> Any:
    """Folds ``fn(accumulator, leaf)`` over the leaves of ``tree``.

    Leaves are visited in :func:`tree_flatten` order. Without an
    ``initializer`` the first leaf starts the accumulation.
    """
    if is_leaf is not None and is_leaf(tree):
        return tree if initializer is None else fn(initializer, tree)
    if isinstance(tree, (list, tuple)):
        children = tree
    elif isinstance(tree, dict):
        children = tree.values()
    else:
        return tree if initializer is None else fn(initializer, tree)
    acc = initializer
    for child in children:
        acc = tree_reduce(fn, child, acc, is_leaf)
    return acc


def _is_empty(node):
    return isinstance(node, (dict, list, tuple)) and len(node) == 0


def tree_merge(tree_a: Any, tree_b: Any, merge_fn: Optional[Callable] = None) -> Any:
    """Deep-merges two trees, like a recursive ``dict.update``.

    Where only one tree has a value (``None`` and empty containers count as
    absent) that value is kept; lists and tuples merge position by position,
    dicts key by key; two leaves at the same place are combined with
    ``merge_fn(a, b)``, and without one that is a ``ValueError``.
    """
    empty_a, empty_b = _is_empty(tree_a), _is_empty(tree_b)
    if empty_a and empty_b:
        if type(tree_a) is not type(tree_b):
            raise ValueError(f"Cannot merge {type(tree_a).__name__} with {type(tree_b).__name__}")
        return type(tree_a)()
    if empty_a:
        tree_a = None
    if empty_b:
        tree_b = None
    if tree_a is None and tree_b is not None:
        return tree_b
    if tree_a is not None and tree_b is None:
        return tree_a

    if isinstance(tree_a, (list, tuple)) and isinstance(tree_b, (list, tuple)):
        children = [tree_merge(a, b, merge_fn) for a, b in zip_longest(tree_a, tree_b)]
        return _rebuild(tree_a, children)
    if isinstance(tree_a, dict) and isinstance(tree_b, dict):
        # MLX iterates a set of the keys; keep a deterministic order instead
        # (a's keys, then b's new ones), which compares equal.
        keys = list(tree_a) + [k for k in tree_b if k not in tree_a]
        return {k: tree_merge(tree_a.get(k), tree_b.get(k), merge_fn) for k in keys}
    if merge_fn is None:
        raise ValueError(
            "Trees contain elements at the same locations but no merge function was provided"
        )
    return merge_fn(tree_a, tree_b)


# ---------------------------------------------------------------------------
# Array-only views of trees, for the function transformations. These follow
# MLX's C++ pytree helpers (python/src/trees.cpp), which differ from the
# public functions above: only arrays are collected, and the "strict" mode
# rejects any other leaf.


def _array_leaves(tree: Any, strict: bool) -> list:
    """The arrays among the leaves of ``tree``, in :func:`tree_flatten` order.

    With ``strict`` any non-array leaf raises MLX's ``ValueError``; otherwise
    non-array leaves are skipped.
    """
    out = []

    def visit(node):
        if isinstance(node, (list, tuple)):
            for child in node:
                visit(child)
        elif isinstance(node, dict):
            for child in node.values():
                visit(child)
        elif isinstance(node, core.array):
            out.append(node)
        elif strict:
            raise ValueError("[tree_flatten] The argument should contain only arrays")

    visit(tree)
    return out


def _fill_arrays(tree: Any, values) -> Any:
    """``tree`` with its array leaves replaced, in order, by ``values``.

    Non-array leaves are kept as they are; ``values`` is consumed as an
    iterator so one iterator can fill several trees in turn.
    """
    it = iter(values)
    return tree_map(lambda leaf: next(it) if isinstance(leaf, core.array) else leaf, tree)


def _check_prefix(subtrees, kind, others):
    """MLX's check that the other trees can be indexed like ``subtrees[0]``."""
    n = len(subtrees[0])
    for t in subtrees:
        if (isinstance(t, kind) and len(t) != n) or isinstance(t, others):
            raise ValueError("[tree_map] Additional input tree is not a valid prefix of the first tree.")


def _tree_visit(trees: list, visitor: Callable) -> None:
    """Walks ``trees[0]`` and calls ``visitor(leaves)`` at each of its leaves.

    The other trees must be prefixes of the first: where one of them has a
    leaf above a subtree of the first, that leaf is repeated for the whole
    subtree (how ``vmap`` axes broadcast). A list and a tuple never match.
    """
    first = trees[0]
    if isinstance(first, list):
        _check_prefix(trees, list, (tuple, dict))
        for i in range(len(first)):
            _tree_visit([t[i] if isinstance(t, list) else t for t in trees], visitor)
    elif isinstance(first, tuple):
        _check_prefix(trees, tuple, (list, dict))
        for i in range(len(first)):
            _tree_visit([t[i] if isinstance(t, tuple) else t for t in trees], visitor)
    elif isinstance(first, dict):
        _check_prefix(trees, dict, (list, tuple))
        for key in first:
            items = []
            for t in trees:
                if isinstance(t, dict):
                    if key not in t:
                        raise ValueError("[tree_visit] Tree is not a valid prefix tree of the first tree.")
                    items.append(t[key])
                else:
                    items.append(t)
            _tree_visit(items, visitor)
    else:
        visitor(trees)
