"""rmlx.optimizers against mlx.optimizers: several steps of every optimizer
(parameters and state), schedules, MultiOptimizer, clip_grad_norm, state
handling and argument errors."""

import numpy as np
import pytest

import rmlx.core as mx
import rmlx.nn as nn
import rmlx.optimizers as optim
from rmlx.utils import tree_flatten, tree_map

from conftest import mxr
from nn_common import assert_close, need_ref, needs, optr, ref_tree_flatten, to_ref

pytestmark = need_ref


def make_tree(rng, shapes=None):
    shapes = shapes or {"a": (3, 4), "b": [(5,), {"c": (2, 3, 4)}], "d": ()}

    def draw(s):
        return rng.standard_normal(s).astype(np.float32)

    return tree_map(draw, shapes, is_leaf=lambda s: isinstance(s, tuple))


def to_mx(tree):
    return tree_map(lambda a: mx.array(a), tree, is_leaf=lambda a: isinstance(a, np.ndarray))


def to_mxr(tree):
    return tree_map(lambda a: mxr.array(a), tree, is_leaf=lambda a: isinstance(a, np.ndarray))


def run_steps(make, rng, steps=3, rtol=1e-5, atol=1e-6, shapes=None):
    """Runs ``steps`` updates in both libraries and compares parameters and
    the optimizer state after each."""
    params = make_tree(rng, shapes)
    ours_p, ref_p = to_mx(params), to_mxr(params)
    ours_o, ref_o = make(optim), make(optr)
    for _ in range(steps):
        g = make_tree(rng, shapes)
        ours_p = ours_o.apply_gradients(to_mx(g), ours_p)
        ref_p = ref_o.apply_gradients(to_mxr(g), ref_p)
        assert_close(ours_p, ref_p, rtol=rtol, atol=atol)
        assert_close(ours_o.state, ref_o.state, rtol=rtol, atol=atol)
    return ours_o, ref_o


def sched(lib):
    return lib.cosine_decay(0.1, 10, 0.01)


OPTIMIZERS = {
    "sgd": lambda o: o.SGD(0.1),
    "sgd_momentum": lambda o: o.SGD(0.1, momentum=0.9),
    "sgd_all": lambda o: o.SGD(0.05, momentum=0.8, weight_decay=0.01, dampening=0.1),
    "sgd_nesterov": lambda o: o.SGD(0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "sgd_schedule": lambda o: o.SGD(sched(o), momentum=0.5),
    "rmsprop": lambda o: o.RMSprop(0.01),
    "rmsprop_args": lambda o: o.RMSprop(0.01, alpha=0.9, eps=1e-5),
    "adagrad": lambda o: o.Adagrad(0.1),
    "adadelta": lambda o: o.AdaDelta(1.0),
    "adadelta_args": lambda o: o.AdaDelta(0.5, rho=0.5, eps=1e-4),
    "adam": lambda o: o.Adam(1e-2),
    "adam_bias_correction": lambda o: o.Adam(1e-2, betas=[0.8, 0.99], bias_correction=True),
    "adam_schedule": lambda o: o.Adam(o.exponential_decay(1e-2, 0.9)),
    "adamw": lambda o: o.AdamW(1e-2),
    "adamw_args": lambda o: o.AdamW(1e-2, weight_decay=0.1, bias_correction=True, eps=1e-6),
    "adamax": lambda o: o.Adamax(1e-2),
    "adamax_args": lambda o: o.Adamax(1e-2, betas=[0.5, 0.9], eps=1e-4),
    "lion": lambda o: o.Lion(1e-3),
    "lion_wd": lambda o: o.Lion(1e-3, betas=[0.8, 0.95], weight_decay=0.1),
    "adafactor": lambda o: o.Adafactor(),
    "adafactor_beta1": lambda o: o.Adafactor(beta_1=0.9, weight_decay=0.01),
    "adafactor_lr": lambda o: o.Adafactor(learning_rate=1e-2, relative_step=False),
    "adafactor_warmup": lambda o: o.Adafactor(warmup_init=True, scale_parameter=False),
    "adafactor_clip": lambda o: o.Adafactor(clip_threshold=0.1, decay_rate=-0.5),
}


@pytest.mark.parametrize("name", list(OPTIMIZERS))
def test_optimizer_steps_match_mlx(rng, name):
    ours, ref = run_steps(OPTIMIZERS[name], rng)
    assert [k for k, _ in tree_flatten(ours.state)] == [k for k, _ in ref_tree_flatten(ref.state)]
    assert ours.step.dtype == mx.uint64 and int(ours.step) == 3


@needs("matmul", "addmm", "linalg.norm")
@pytest.mark.parametrize("kwargs", [{}, {"nesterov": False, "weight_decay": 0.0}, {"ns_steps": 3, "momentum": 0.9}])
def test_muon_matches_mlx(rng, kwargs):
    run_steps(lambda o: o.Muon(0.02, **kwargs), rng, rtol=1e-4, atol=1e-5,
              shapes={"w": (6, 4), "t": (4, 7), "c": (3, 2, 2, 2), "b": (5,)})


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("name", ["sgd_momentum", "adam", "adamw", "lion", "adafactor"])
def test_half_precision_parameters(rng, name, dtype):
    params = make_tree(rng)
    grads = make_tree(rng)
    cast = lambda t, lib: tree_map(lambda a: lib.array(a).astype(getattr(lib, dtype)), t,  # noqa: E731
                                   is_leaf=lambda a: isinstance(a, np.ndarray))
    ours_o, ref_o = OPTIMIZERS[name](optim), OPTIMIZERS[name](optr)
    out = ours_o.apply_gradients(cast(grads, mx), cast(params, mx))
    ref = ref_o.apply_gradients(cast(grads, mxr), cast(params, mxr))
    assert_close(out, ref, rtol=2e-2, atol=2e-2)


def test_update_on_a_module(rng):
    def make(lib_nn, lib_mx):
        class M(lib_nn.Module):
            def __init__(self):
                super().__init__()
                self.w = lib_mx.array(np.arange(6, dtype=np.float32).reshape(2, 3))
                self.layers = [lib_nn.PReLU(3)]
                self.frozen = lib_mx.ones((2,))
                self.freeze(keys="frozen", recurse=False)

            def __call__(self, x):
                return self.layers[0](x * self.w).sum() + self.frozen.sum()

        return M()

    import mlx.nn as nnr

    ours, ref = make(nn, mx), make(nnr, mxr)
    x = rng.standard_normal((2, 3)).astype(np.float32)
    o1, o2 = optim.Adam(0.1), optr.Adam(0.1)
    for _ in range(2):
        _, g = nn.value_and_grad(ours, lambda m, x: m(x))(ours, mx.array(x))
        _, gr = nnr.value_and_grad(ref, lambda m, x: m(x))(ref, mxr.array(x))
        o1.update(ours, g)
        o2.update(ref, gr)
        assert_close(ours.parameters(), ref.parameters())
        assert_close(o1.state, o2.state)


def test_init_keeps_existing_state_and_extends_it(rng):
    params = to_mx(make_tree(rng))
    opt = optim.Adam(0.1)
    opt.init(params)
    ref = optr.Adam(0.1)
    ref.init(to_ref(params))
    assert_close(opt.state, ref.state)
    # Loaded state survives init; new parameters get fresh state.
    opt.state["a"]["m"] = mx.ones((3, 4))
    params["e"] = [mx.zeros((2,))]
    params["b"].append(mx.zeros((1,)))
    opt.init(params)
    assert np.array_equal(np.array(opt.state["a"]["m"]), np.ones((3, 4)))
    assert opt.state["e"][0]["m"].shape == (2,)
    assert opt.state["b"][2]["v"].shape == (1,)


def test_state_assignment_and_learning_rate(rng):
    params = to_mx(make_tree(rng))
    grads = to_mx(make_tree(rng))
    a = optim.SGD(0.1, momentum=0.9)
    a.apply_gradients(grads, params)
    saved = tree_map(lambda x: x, a.state)
    b = optim.SGD(0.5, momentum=0.9)
    b.state = saved
    assert float(b.learning_rate) == pytest.approx(0.1)
    p1 = a.apply_gradients(grads, params)
    p2 = b.apply_gradients(grads, params)
    assert_close(p1, to_ref(p2))
    a.learning_rate = 0.25
    assert a.learning_rate.dtype == mx.float32 and float(a.learning_rate) == 0.25
    assert float(a.state["learning_rate"]) == 0.25


def test_scheduled_learning_rate_follows_the_step():
    opt = optim.SGD(optim.linear_schedule(0.0, 1.0, 4))
    ref = optr.SGD(optr.linear_schedule(0.0, 1.0, 4))
    p, pr = {"w": mx.zeros((1,))}, {"w": mxr.zeros((1,))}
    for _ in range(6):
        p = opt.apply_gradients({"w": mx.ones((1,))}, p)
        pr = ref.apply_gradients({"w": mxr.ones((1,))}, pr)
        assert_close(opt.learning_rate, ref.learning_rate)
        assert_close(p, pr)


SCHEDULES = [
    lambda o: o.exponential_decay(0.1, 0.9),
    lambda o: o.step_decay(0.1, 0.5, 3),
    lambda o: o.cosine_decay(0.1, 7),
    lambda o: o.cosine_decay(0.2, 5, end=0.05),
    lambda o: o.linear_schedule(0.0, 0.1, 5),
    lambda o: o.linear_schedule(1.0, 0.5, 3),
    lambda o: o.join_schedules([o.linear_schedule(0.0, 0.1, 3), o.cosine_decay(0.1, 5)], [3]),
    lambda o: o.join_schedules(
        [o.linear_schedule(0.0, 1.0, 2), o.exponential_decay(1.0, 0.5), o.step_decay(0.3, 0.5, 2)], [2, 5]
    ),
]


@pytest.mark.parametrize("i", range(len(SCHEDULES)))
def test_schedules_match_mlx(i):
    s, sr = SCHEDULES[i](optim), SCHEDULES[i](optr)
    for step in range(12):
        assert_close(s(mx.array(step)), sr(mxr.array(step)), rtol=1e-6, atol=1e-7)
        assert_close(s(mx.array(step, mx.uint64)), sr(mxr.array(step, mxr.uint64)), rtol=1e-6, atol=1e-7)


def test_schedule_errors():
    for o in (optim, optr):
        with pytest.raises(ValueError, match="step_size"):
            o.step_decay(0.1, 0.5, 0)
        with pytest.raises(ValueError, match="decay_steps"):
            o.cosine_decay(0.1, 0)
        with pytest.raises(ValueError, match="steps"):
            o.linear_schedule(0.1, 0.2, 0)
        with pytest.raises(ValueError, match="at least 1"):
            o.join_schedules([], [])
        with pytest.raises(ValueError, match="boundaries"):
            o.join_schedules([o.exponential_decay(1, 0.5)], [1])


def test_multi_optimizer_matches_mlx(rng):
    def make(o):
        return o.MultiOptimizer(
            [o.Adam(0.01), o.SGD(0.1, momentum=0.5), o.Lion(0.001)],
            [lambda k, g: k.startswith("b"), lambda k, g: g.ndim == 2],
        )

    ours, ref = run_steps(make, rng)
    assert len(ours.state["states"]) == 3
    assert_close(ours.learning_rate, ref.learning_rate)
    ours.learning_rate = 0.5
    assert all(float(o.learning_rate) == 0.5 for o in ours.optimizers)
    with pytest.raises(ValueError, match="Invalid state"):
        ours.state = {"states": []}
    ours.state = ours.state
    with pytest.raises(ValueError, match="filters"):
        optim.MultiOptimizer([optim.SGD(0.1), optim.SGD(0.1)], [])
    single = optim.MultiOptimizer([optim.SGD(0.1)])
    out = single.apply_gradients({"w": mx.ones((2,))}, {"w": mx.zeros((2,))})
    assert np.allclose(np.array(out["w"]), -0.1)


@pytest.mark.parametrize("max_norm", [0.0, 0.5, 100.0])
def test_clip_grad_norm_matches_mlx(rng, max_norm):
    g = make_tree(rng)
    g["h"] = rng.standard_normal((3,)).astype(np.float16)
    ours, n1 = optim.clip_grad_norm(to_mx(g), max_norm)
    ref, n2 = optr.clip_grad_norm(to_mxr(g), max_norm)
    assert_close(n1, n2)
    assert_close(ours, ref, rtol=1e-3, atol=1e-4)
    with pytest.raises(ValueError, match="max_norm"):
        optim.clip_grad_norm(to_mx(g), -1.0)


def test_constructor_errors_match_mlx():
    cases = [
        lambda o: o.SGD(0.1, nesterov=True),
        lambda o: o.SGD(0.1, momentum=0.9, dampening=0.1, nesterov=True),
        lambda o: o.RMSprop(0.1, alpha=-1),
        lambda o: o.RMSprop(0.1, eps=0),
        lambda o: o.Adagrad(0.1, eps=0),
        lambda o: o.AdaDelta(0.1, rho=-0.1),
        lambda o: o.AdaDelta(0.1, eps=0),
        lambda o: o.Adam(0.1, betas=[1.0, 0.9]),
        lambda o: o.Adam(0.1, eps=-1),
        lambda o: o.AdamW(0.1, betas=[0.9, -0.1]),
        lambda o: o.Lion(0.1, betas=[0.9, 1.5]),
    ]
    for make in cases:
        with pytest.raises(ValueError) as e1:
            make(optim)
        with pytest.raises(ValueError) as e2:
            make(optr)
        assert str(e1.value) == str(e2.value)


def test_base_optimizer_is_abstract():
    opt = optim.Optimizer()
    with pytest.raises(NotImplementedError):
        opt.init({"w": mx.zeros((1,))})
    assert int(opt.step) == 0
