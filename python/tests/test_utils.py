"""Tests of rmlx.utils, the pytree helpers, against mlx.utils.

Most trees here hold plain Python values, so the results of rmlx.utils and
mlx.utils can be compared directly; a few hold rmlx arrays to check that
arrays are treated as leaves.
"""

from collections import namedtuple

import numpy as np
import pytest

import rmlx.core as mx
from rmlx import utils as ru

from conftest import need_mlx

Point = namedtuple("Point", "x y")


def mlx_utils():
    need_mlx()
    import mlx.utils

    return mlx.utils


TREES = [
    0,
    "leaf",
    None,
    [],
    {},
    (),
    [[[0]]],
    [1, (2, 3), {"a": 4, "b": [5, 6]}],
    {"model": [{"w": 0, "b": 1}, {"w": 2, "b": 3}], "step": 7},
    (1, [2, {"c": (3,)}], []),
    {"a": {}, "b": [], "c": [[], {"d": None}]},
    Point(1, [2, 3]),
    {"x": Point({"p": 1}, (2,))},
]


def ids(trees):
    return [repr(t)[:30] for t in trees]


# --------------------------------------------------------------------------
# tree_flatten


@pytest.mark.parametrize("tree", TREES, ids=ids(TREES))
def test_flatten_matches_mlx(tree):
    mu = mlx_utils()
    assert ru.tree_flatten(tree) == mu.tree_flatten(tree)
    assert ru.tree_flatten(tree, prefix=".p") == mu.tree_flatten(tree, prefix=".p")
    assert ru.tree_flatten(tree, destination={}) == mu.tree_flatten(tree, destination={})


def test_flatten_examples():
    assert ru.tree_flatten([[[0]]]) == [("0.0.0", 0)]
    assert ru.tree_flatten([[[0]]], prefix=".hello") == [("hello.0.0.0", 0)]
    assert ru.tree_flatten({"a": {"b": 1}}, destination={}) == {"a.b": 1}
    # A bare leaf has the empty key; empty containers contribute nothing.
    assert ru.tree_flatten(5) == [("", 5)]
    assert ru.tree_flatten({"a": [], "b": {}}) == []


def test_flatten_destination_is_extended_and_returned():
    dest = [("old", 0)]
    out = ru.tree_flatten({"a": 1}, destination=dest)
    assert out is dest and dest == [("old", 0), ("a", 1)]
    dest = {"old": 0}
    out = ru.tree_flatten({"a": 1}, destination=dest)
    assert out is dest and dest == {"old": 0, "a": 1}


def test_flatten_bad_destination():
    with pytest.raises(ValueError, match="Destination should be either a list or a dictionary or None"):
        ru.tree_flatten([1], destination=(1,))


def test_flatten_is_leaf():
    mu = mlx_utils()
    tree = {"a": [1, 2], "b": {"c": [3]}}
    is_leaf = lambda n: isinstance(n, list)  # noqa: E731
    assert ru.tree_flatten(tree, is_leaf=is_leaf) == [("a", [1, 2]), ("b.c", [3])]
    assert ru.tree_flatten(tree, is_leaf=is_leaf) == mu.tree_flatten(tree, is_leaf=is_leaf)


def test_flatten_arrays_are_leaves():
    x = mx.array([1.0, 2.0])
    flat = ru.tree_flatten({"w": [x, x * 2]})
    assert [k for k, _ in flat] == ["w.0", "w.1"]
    assert flat[0][1] is x


# --------------------------------------------------------------------------
# tree_unflatten


@pytest.mark.parametrize("tree", TREES, ids=ids(TREES))
def test_unflatten_matches_mlx(tree):
    mu = mlx_utils()
    flat = ru.tree_flatten(tree)
    assert ru.tree_unflatten(flat) == mu.tree_unflatten(flat)
    assert ru.tree_unflatten(dict(flat)) == mu.tree_unflatten(dict(flat))


@pytest.mark.parametrize(
    "flat",
    [
        [("hello.world", 42)],
        [("", 42)],
        [("0", "a"), ("2", "c")],  # gap filled with {}
        [("2", "c"), ("0", "a")],  # sorted by index
        [("1", "a"), ("01", "b")],  # "1" and "01" collide: a dict
        [("a", 1), ("a.b", 2)],  # a leaf and a subtree under one key
        [("-1", "m"), ("0", "z")],
        [("x.0.y", 1), ("x.1", 2), ("z", 3)],
        [],
    ],
)
def test_unflatten_edge_cases(flat):
    mu = mlx_utils()
    assert ru.tree_unflatten(flat) == mu.tree_unflatten(flat)


def test_unflatten_examples():
    assert ru.tree_unflatten([("hello.world", 42)]) == {"hello": {"world": 42}}
    assert ru.tree_unflatten({"hello.world": 42}) == {"hello": {"world": 42}}
    assert ru.tree_unflatten([("0", 1), ("2", 3)]) == [1, {}, 3]
    assert ru.tree_unflatten([("", 7)]) == 7


def test_flatten_unflatten_roundtrip_with_arrays():
    x, y = mx.array([1.0]), mx.array([2.0, 3.0])
    tree = {"layers": [{"w": x}, {"w": y}]}
    back = ru.tree_unflatten(ru.tree_flatten(tree))
    assert back["layers"][0]["w"] is x and back["layers"][1]["w"] is y


# --------------------------------------------------------------------------
# tree_map / tree_map_with_path


@pytest.mark.parametrize("tree", TREES, ids=ids(TREES))
def test_map_matches_mlx(tree):
    mu = mlx_utils()
    fn = lambda v: ("mapped", v)  # noqa: E731
    assert ru.tree_map(fn, tree) == mu.tree_map(fn, tree)
    pfn = lambda p, v: (p, v)  # noqa: E731
    assert ru.tree_map_with_path(pfn, tree) == mu.tree_map_with_path(pfn, tree)
    assert ru.tree_map_with_path(pfn, tree, path="root") == mu.tree_map_with_path(pfn, tree, path="root")


def test_map_types():
    out = ru.tree_map(lambda v: v * 10, (1, [2], Point(3, 4)))
    assert out == (10, [20], Point(30, 40))
    assert type(out) is tuple and type(out[2]) is Point

    class D(dict):
        pass

    # Dictionaries come back as plain dicts, as in MLX.
    assert type(ru.tree_map(lambda v: v, D(a=1))) is dict


def test_map_with_rest_trees():
    mu = mlx_utils()
    a = {"x": [1, 2], "y": 3}
    b = {"x": [10, 20], "y": 30, "extra": 0}
    fn = lambda u, v: u + v  # noqa: E731
    assert ru.tree_map(fn, a, b) == {"x": [11, 22], "y": 33}
    assert ru.tree_map(fn, a, b) == mu.tree_map(fn, a, b)
    # Rest trees are indexed like `tree`: a leaf where `tree` has a list
    # cannot be, as in MLX.
    with pytest.raises(TypeError):
        ru.tree_map(fn, [1, 2], 5)


def test_map_is_leaf():
    tree = {"a": [1, 2], "b": [[3]]}
    out = ru.tree_map(lambda v: len(v), tree, is_leaf=lambda n: isinstance(n, list))
    assert out == {"a": 2, "b": 1}


def test_map_with_path_examples():
    tree = {"model": [{"w": 0, "b": 1}, {"w": 0, "b": 1}]}
    paths = []
    ru.tree_map_with_path(lambda p, _: paths.append(p), tree)
    assert paths == ["model.0.w", "model.0.b", "model.1.w", "model.1.b"]
    assert ru.tree_map_with_path(lambda p, v: p, 5) is None
    assert ru.tree_map_with_path(lambda p, v: p, [5], path="pre") == ["pre.0"]


def test_map_over_arrays():
    x = mx.array([1.0, 2.0])
    out = ru.tree_map(lambda a: a * 2, {"p": [x, x]})
    np.testing.assert_allclose(np.array(out["p"][1]), [2.0, 4.0])


# --------------------------------------------------------------------------
# tree_reduce


def test_reduce():
    mu = mlx_utils()
    tree = {"a": [1, 2, 3], "b": [4, 5]}
    add = lambda acc, v: acc + v  # noqa: E731
    assert ru.tree_reduce(add, tree, 0) == 15
    assert ru.tree_reduce(add, tree) == 15
    assert ru.tree_reduce(add, tree, 100) == mu.tree_reduce(add, tree, 100)
    # An empty tree returns the initializer; a bare leaf itself.
    assert ru.tree_reduce(add, [], 3) == 3
    assert ru.tree_reduce(add, {}) is None
    assert ru.tree_reduce(add, 4) == 4
    assert ru.tree_reduce(add, 4, 1) == 5


def test_reduce_is_leaf():
    mu = mlx_utils()
    tree = {"a": [1, 2], "b": [[3, 4]]}
    count = lambda acc, v: acc + [len(v)]  # noqa: E731
    is_leaf = lambda n: isinstance(n, list)  # noqa: E731
    assert ru.tree_reduce(count, tree, [], is_leaf) == [2, 1]
    assert ru.tree_reduce(count, tree, [], is_leaf) == mu.tree_reduce(count, tree, [], is_leaf)


def test_reduce_arrays():
    tree = [mx.array([1.0, 2.0]), {"b": mx.array([3.0])}]
    total = ru.tree_reduce(lambda acc, a: acc + a.sum().item(), tree, 0.0)
    assert total == 6.0


# --------------------------------------------------------------------------
# tree_merge


@pytest.mark.parametrize(
    "a,b",
    [
        ({"a": 1}, {"b": 2}),
        ({"a": {"x": 1}}, {"a": {"y": 2}, "c": 3}),
        ([1, None, 3], [None, 2]),
        ([1], [None, 2, 3]),
        ({"a": []}, {"a": [1]}),
        ({"a": {}}, {"a": {}}),
        ([], []),
        (None, {"z": 1}),
        ({"z": 1}, None),
        ((1, None), (None, 2)),
        (Point(1, None), Point(None, 2)),
    ],
)
def test_merge_matches_mlx(a, b):
    mu = mlx_utils()
    assert ru.tree_merge(a, b) == mu.tree_merge(a, b)


def test_merge_types_and_fn():
    assert type(ru.tree_merge(Point(1, None), Point(None, 2))) is Point
    assert ru.tree_merge({"a": 1}, {"a": 2}, lambda u, v: u + v) == {"a": 3}
    assert ru.tree_merge([1, [2]], [10, [20]], max) == [10, [20]]


def test_merge_errors():
    mu = mlx_utils()
    for mod in (ru, mu):
        with pytest.raises(ValueError, match="Cannot merge list with dict"):
            mod.tree_merge([], {})
        with pytest.raises(
            ValueError,
            match="Trees contain elements at the same locations but no merge function was provided",
        ):
            mod.tree_merge({"a": 1}, {"a": 2})


def test_no_tree_visit_public():
    # mlx.utils has no tree_visit; neither does rmlx.utils.
    mu = mlx_utils()
    assert hasattr(mu, "tree_visit") == hasattr(ru, "tree_visit")


def test_public_names_match_mlx():
    mu = mlx_utils()
    public = {n for n in dir(mu) if n.startswith("tree_")}
    assert public <= set(dir(ru))
