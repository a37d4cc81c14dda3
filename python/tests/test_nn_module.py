"""rmlx.nn.Module against mlx.nn.Module: parameter trees, children, freezing,
updates, modes, dtypes, weight files, repr, and nn.value_and_grad."""

import numpy as np
import pytest

import rmlx.core as mx
import rmlx.nn as nn
from rmlx.utils import tree_flatten

from conftest import mxr
from nn_common import assert_close, need_ref, needs, nnr, ref_tree_flatten, to_ref

pytestmark = need_ref


def build(nnm, mxm):
    """A model exercising every kind of item a module can hold."""

    class Leaf(nnm.Module):
        def __init__(self, n):
            super().__init__()
            self.weight = mxm.arange(n, dtype=mxm.float32) / 10
            self.bias = mxm.zeros((n,))
            self.count = mxm.array([1, 2], mxm.int32)
            self._hidden = mxm.ones((2,))
            self.scale = 2.0
            self.name = "leaf"

        def __call__(self, x):
            return x * self.weight + self.bias

    class Model(nnm.Module):
        def __init__(self):
            super().__init__()
            self.layers = [Leaf(3), Leaf(3)]
            self.blocks = {"a": Leaf(3), "b": [Leaf(3), mxm.ones((3,))]}
            self.head = Leaf(3)
            self.extra = mxm.full((3,), 0.5)
            self.pair = (mxm.ones((1,)), mxm.zeros((1,)))
            self.empty = []
            self.act = nnm.ReLU()

        def __call__(self, x):
            for layer in self.layers:
                x = layer(x)
            x = self.blocks["a"](x) * self.blocks["b"][1]
            x = self.blocks["b"][0](x)
            return self.act(self.head(x) + self.extra)

    return Model()


def models():
    return build(nn, mx), build(nnr, mxr)


def keys(tree):
    return [k for k, _ in tree_flatten(tree)]


def ref_keys(tree):
    return [k for k, _ in ref_tree_flatten(tree)]


def module_view(tree, flatten):
    """Flattened (path, class name) of a tree whose leaves are modules."""
    return [(k, type(v).__name__) for k, v in flatten(tree, is_leaf=lambda v: hasattr(v, "children"))]


def test_parameter_trees_match_mlx():
    ours, ref = models()
    assert keys(ours.parameters()) == ref_keys(ref.parameters())
    assert keys(ours.trainable_parameters()) == ref_keys(ref.trainable_parameters())
    assert_close(ours.parameters(), ref.parameters())
    # "_hidden" is private, "scale"/"name" are plain attributes, "pair" is a tuple.
    flat = dict(tree_flatten(ours.parameters()))
    assert "layers.0.weight" in flat and "blocks.b.1" in flat
    assert not any("_hidden" in k or "scale" in k or "pair" in k for k in flat)
    # Empty containers stay in the tree as they do in MLX.
    assert ours.parameters()["empty"] == [] == ref.parameters()["empty"]


def test_children_leaf_modules_and_named_modules_match_mlx():
    ours, ref = models()
    assert module_view(ours.children(), tree_flatten) == module_view(ref.children(), ref_tree_flatten)
    assert module_view(ours.leaf_modules(), tree_flatten) == module_view(ref.leaf_modules(), ref_tree_flatten)
    assert [(k, type(m).__name__) for k, m in ours.named_modules()] == [
        (k, type(m).__name__) for k, m in ref.named_modules()
    ]
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in ref.modules()]
    assert ours.modules()[0] is ours


def test_forward_matches_mlx():
    ours, ref = models()
    x = np.linspace(-1, 1, 3).astype(np.float32)
    assert_close(ours(mx.array(x)), ref(mxr.array(x)))


def test_attribute_semantics():
    m = nn.Module()
    m.a = mx.ones((2,))
    assert "a" in m and m.a is m["a"]
    m.a = 3  # a plain value moves out of the dict
    assert "a" not in m and m.a == 3
    m.a = [mx.zeros((1,))]  # and back in
    assert "a" in m and isinstance(m.a, list)
    del m.a
    assert "a" not in m
    m.b = 1
    del m.b
    with pytest.raises(AttributeError):
        m.b
    with pytest.raises(AttributeError):
        m.missing
    assert m.training is True and m.state is m
    assert isinstance(m, dict)


def test_freeze_unfreeze_match_mlx():
    for action in [
        lambda m: m.freeze(),
        lambda m: m.freeze(keys="bias"),
        lambda m: m.freeze(keys=["weight", "extra"]),
        lambda m: m.freeze(recurse=False),
        lambda m: m.freeze(recurse=False, keys="extra"),
        lambda m: m.freeze().unfreeze(keys="bias"),
        lambda m: m.freeze().unfreeze(recurse=False),
        lambda m: m.freeze(keys="weight").unfreeze(),
        lambda m: m.layers[0].freeze(),
        lambda m: m.freeze(keys="bias", strict=True),
    ]:
        ours, ref = models()
        assert action(ours) is not None
        action(ref)
        assert keys(ours.trainable_parameters()) == ref_keys(ref.trainable_parameters())
        assert keys(ours.parameters()) == ref_keys(ref.parameters())


def test_freeze_strict_errors():
    ours, ref = models()
    for m in (ours, ref):
        with pytest.raises(KeyError):
            m.freeze(keys="nope", strict=True)
        with pytest.raises(KeyError):
            m.unfreeze(keys="nope", strict=True)
        with pytest.raises(KeyError):
            m.freeze(keys="weight", strict=True, recurse=False)  # not on the top module
        m.freeze(keys="nope")  # not strict: ignored


def test_update_and_its_errors():
    ours, ref = models()
    new = {"layers": [{"weight": mx.full((3,), 7.0)}], "extra": mx.zeros((3,))}
    assert ours.update(new) is ours
    ref.update(to_ref(new))
    assert_close(ours.parameters(), ref.parameters())

    bad = [
        {"nope": mx.zeros((1,))},
        {"layers": [{}, {}, {}]},
        {"extra": 3},
        {"layers": 5},
    ]
    for b in bad:
        with pytest.raises(ValueError) as e1:
            ours.update(b)
        with pytest.raises(ValueError) as e2:
            ref.update(to_ref(b))
        assert str(e1.value) == str(e2.value)
    # Non-strict ignores unknown names and out-of-range indices.
    ours.update({"nope": 1, "layers": [{}, {}, {}]}, strict=False)


def test_update_modules():
    ours, ref = models()
    ours.update_modules({"head": nn.Identity(), "blocks": {"b": [nn.Tanh(), {}]}})
    ref.update_modules({"head": nnr.Identity(), "blocks": {"b": [nnr.Tanh(), {}]}})
    assert module_view(ours.children(), tree_flatten) == module_view(ref.children(), ref_tree_flatten)
    assert keys(ours.parameters()) == ref_keys(ref.parameters())
    for m, lib in ((ours, nn), (ref, nnr)):
        with pytest.raises(ValueError, match="sub-module named"):
            m.update_modules({"nope": lib.Identity()})
        with pytest.raises(ValueError, match="out of bounds"):
            m.update_modules({"layers": [{}, {}, lib.Identity()]})
        m.update_modules({"nope": lib.Identity()}, strict=False)


def test_apply_and_set_dtype():
    ours, ref = models()
    ours.set_dtype(mx.float16)
    ref.set_dtype(mxr.float16)
    assert_close(ours.parameters(), ref.parameters())
    assert ours.layers[0].count.dtype == mx.int32  # integers untouched by default
    ours.set_dtype(mx.float32, predicate=None)
    assert ours.layers[0].count.dtype == mx.float32
    ours, ref = models()
    assert ours.apply(lambda x: x * 2) is ours
    ref.apply(lambda x: x * 2)
    assert_close(ours.parameters(), ref.parameters())
    ours.apply(lambda x: x + 1, filter_fn=lambda m, k, v: k != "bias" and nn.Module.valid_parameter_filter(m, k, v))
    flat = dict(tree_flatten(ours.parameters()))
    assert float(flat["head.bias"][0]) == 0.0 and float(flat["head.weight"][0]) == 1.0


def test_train_eval():
    ours, _ = models()
    assert ours.eval() is ours
    assert not any(m.training for m in ours.modules())
    ours.train()
    assert all(m.training for m in ours.modules())
    ours.layers[0].train(False)
    assert [m.training for m in ours.modules()].count(False) == 1


def test_filter_and_map_placeholders_match_mlx():
    ours, ref = models()

    def flt(m, k, v):
        return nn.Module.valid_parameter_filter(m, k, v) and not k.endswith(".1")

    def flt_ref(m, k, v):
        return nnr.Module.valid_parameter_filter(m, k, v) and not k.endswith(".1")

    a = ours.filter_and_map(flt, map_fn=lambda x: x.shape)
    b = ref.filter_and_map(flt_ref, map_fn=lambda x: tuple(x.shape))
    assert a == b


def test_repr_matches_mlx():
    ours, ref = models()
    assert repr(ours) == repr(ref)
    for make in (
        lambda n: n.Linear(3, 4),
        lambda n: n.Linear(3, 4, bias=False),
        lambda n: n.Sequential(n.Linear(2, 3), n.ReLU(), n.Dropout(0.25)),
        lambda n: n.Conv2d(3, 6, (3, 2), stride=2, groups=3),
        lambda n: n.ConvTranspose3d(2, 4, 3),
        lambda n: n.MaxPool2d(3, stride=1, padding=1),
        lambda n: n.LayerNorm(5, affine=False),
        lambda n: n.GroupNorm(2, 4, pytorch_compatible=True),
        lambda n: n.BatchNorm(3, momentum=0.2),
        lambda n: n.TransformerEncoder(1, 8, 2),
        lambda n: n.Upsample(2.0, mode="linear"),
        lambda n: n.Embedding(5, 3),
        lambda n: n.LSTM(3, 4),
        lambda n: n.RoPE(16, traditional=True),
    ):
        assert repr(make(nn)) == repr(make(nnr))


def test_load_weights_from_list():
    ours, _ = models()
    flat = tree_flatten(ours.parameters())
    new = [(k, v + 1) for k, v in flat]
    ours.load_weights(new)
    for (k, v), (_, w) in zip(tree_flatten(ours.parameters()), new):
        assert np.array_equal(np.array(v), np.array(w))

    ours, ref = models()
    rflat = ref_tree_flatten(ref.parameters())
    cases = [
        flat[1:],  # missing
        flat + [("nope", mx.zeros((1,)))],  # extra
        [(k, mx.zeros((9,)) if i == 0 else v) for i, (k, v) in enumerate(flat)],  # shape
        [(k, 3 if i == 0 else v) for i, (k, v) in enumerate(flat)],  # type
    ]
    rcases = [
        rflat[1:],
        rflat + [("nope", mxr.zeros((1,)))],
        [(k, mxr.zeros((9,)) if i == 0 else v) for i, (k, v) in enumerate(rflat)],
        [(k, 3 if i == 0 else v) for i, (k, v) in enumerate(rflat)],
    ]
    for c, rc in zip(cases, rcases):
        with pytest.raises(ValueError) as e1:
            ours.load_weights(c)
        with pytest.raises(ValueError) as e2:
            ref.load_weights(rc)
        assert str(e1.value).replace("mlx.core", "rmlx.core") == str(e2.value).replace("mlx.core", "rmlx.core")
    # Non-strict: partial lists load, shapes are not checked.
    ours.load_weights([("extra", mx.zeros((5,)))], strict=False)
    assert ours.extra.shape == (5,)
    ours.load_weights([], strict=False)


@needs("savez", "load", "save_safetensors")
@pytest.mark.parametrize("ext", ["npz", "safetensors"])
def test_weight_files_roundtrip_with_mlx(tmp_path, ext):
    ours, ref = models()
    ours.apply(lambda x: x + 0.25)
    path = str(tmp_path / f"ours.{ext}")
    ours.save_weights(path)
    ref.load_weights(path)  # rmlx -> MLX
    assert_close(ours.parameters(), ref.parameters())

    ref.apply(lambda x: x * 3)
    rpath = str(tmp_path / f"ref.{ext}")
    ref.save_weights(rpath)
    ours.load_weights(rpath)  # MLX -> rmlx
    assert_close(ours.parameters(), ref.parameters())


def test_save_weights_bad_extension(tmp_path):
    ours, _ = models()
    with pytest.raises(ValueError, match="Unsupported file extension"):
        ours.save_weights(str(tmp_path / "w.bin"))


def test_value_and_grad_matches_mlx():
    ours, ref = models()
    x = np.linspace(-1, 2, 3).astype(np.float32)

    def loss(model, x):
        return (model(x) ** 2).sum()

    for freeze in (False, True):
        if freeze:
            ours.freeze(keys="bias")
            ref.freeze(keys="bias")
        v1, g1 = nn.value_and_grad(ours, loss)(ours, mx.array(x))
        v2, g2 = nnr.value_and_grad(ref, loss)(ref, mxr.array(x))
        assert_close(v1, v2)
        assert_close(g1, g2)
        assert keys(g1) == keys(ours.trainable_parameters())


def test_checkpoint_matches_plain_gradients():
    ours, _ = models()
    x = mx.array(np.linspace(-1, 2, 3).astype(np.float32))

    def loss_plain(model, x):
        return model(x).sum()

    def loss_ckpt(model, x):
        return nn.utils.checkpoint(model)(x).sum()

    v1, g1 = nn.value_and_grad(ours, loss_plain)(ours, x)
    v2, g2 = nn.value_and_grad(ours, loss_ckpt)(ours, x)
    assert np.allclose(np.array(v1), np.array(v2))
    for (k, a), (_, b) in zip(tree_flatten(g1), tree_flatten(g2)):
        np.testing.assert_allclose(np.array(a), np.array(b), rtol=1e-6, err_msg=k)


def test_average_gradients_single_process_is_identity():
    grads = {"a": mx.ones((2,)), "b": [mx.zeros((3,))]}
    assert nn.average_gradients(grads) is grads
    clipped, norm = nn.utils.clip_grad_norm_sharded({"a": mx.full((4,), 2.0)}, 1.0)
    assert abs(float(norm) - 4.0) < 1e-6
    assert np.allclose(np.array(clipped["a"]), 0.5, atol=1e-6)


def test_batchnorm_unfreeze_keeps_running_stats_frozen():
    bn = nn.BatchNorm(3)
    assert sorted(bn.trainable_parameters()) == ["bias", "weight"]
    bn.unfreeze()
    assert sorted(bn.trainable_parameters()) == ["bias", "weight"]
    assert sorted(bn.parameters()) == ["bias", "running_mean", "running_var", "weight"]
