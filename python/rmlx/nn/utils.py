"""Training helpers for modules (MLX's ``mlx.nn.utils``): ``value_and_grad``
and ``checkpoint`` over a model's trainable parameters, and the
data-parallel gradient helpers."""

from functools import reduce, wraps
from typing import Any, Callable, Optional

from .. import core as mx
from ..utils import tree_flatten, tree_map, tree_reduce, tree_unflatten
from .layers.base import Module


def value_and_grad(model: Module, fn: Callable):
    """Turns ``fn(*args, **kwargs)`` into a function returning ``(value,
    grads)``, with ``grads`` the gradient with respect to
    ``model.trainable_parameters()`` (a tree shaped like them)."""

    def with_params(params, *args, **kwargs):
        model.update(params)
        return fn(*args, **kwargs)

    value_grad_fn = mx.value_and_grad(with_params)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        return value_grad_fn(model.trainable_parameters(), *args, **kwargs)

    return wrapped


def checkpoint(module: Module, fn: Optional[Callable] = None):
    """``fn`` (default: ``module`` itself) with gradient checkpointing that
    also covers ``module``'s trainable parameters: the backward pass
    recomputes it instead of keeping its intermediate values."""
    if fn is None:
        fn = module

    def with_params(params, *args, **kwargs):
        module.update(params)
        return fn(*args, **kwargs)

    checkpointed = mx.checkpoint(with_params)

    @wraps(fn)
    def wrapped(*args, **kwargs):
        return checkpointed(module.trainable_parameters(), *args, **kwargs)

    return wrapped


def _distributed():
    """``mx.distributed``, or ``None`` while rmlx lacks it (single process)."""
    return getattr(mx, "distributed", None)


def _group_by_size(sizes, itemsize, communication_size):
    """Consecutive index groups of at least ``communication_size`` bytes
    (the last one may be smaller)."""
    groups, current, nbytes = [], [], 0
    for i, size in enumerate(sizes):
        current.append(i)
        nbytes += size * itemsize
        if nbytes >= communication_size:
            groups.append(current)
            current, nbytes = [], 0
    if current:
        groups.append(current)
    return groups


def average_gradients(
    gradients: Any,
    group: Optional["mx.distributed.Group"] = None,
    all_reduce_size: int = 32 * 1024**2,
    communication_stream: Optional["mx.Stream"] = None,
):
    """Averages ``gradients`` over the processes of ``group``.

    Gradients are concatenated into buffers of about ``all_reduce_size``
    bytes (``<= 0``: one all-reduce per array) before the all-reduce. In a
    single process (and while rmlx has no ``mx.distributed``) the gradients
    are returned unchanged.
    """
    dist = _distributed()
    if group is None:
        if dist is None:
            return gradients
        group = dist.init()
    n = group.size()
    if n == 1:
        return gradients

    def all_mean(x):
        return dist.all_sum(x, group=group, stream=communication_stream) / n

    if all_reduce_size <= 0:
        return tree_map(all_mean, gradients)

    flat = tree_flatten(gradients)
    if not flat:
        return gradients
    keys = [k for k, _ in flat]
    shapes = [g.shape for _, g in flat]
    sizes = [g.size for _, g in flat]
    dtypes = [g.dtype for _, g in flat]
    if any(dt != dtypes[0] for dt in dtypes):
        return average_gradients(gradients, group, 0)

    out = []
    for members in _group_by_size(sizes, dtypes[0].size, all_reduce_size):
        offsets = reduce(lambda acc, i: acc + [acc[-1] + sizes[i]], members, [0])
        big = all_mean(mx.concatenate([flat[i][1].reshape(-1) for i in members]))
        pieces = mx.split(big, offsets[1:-1])
        out.extend((keys[j], pieces[i].reshape(shapes[j])) for i, j in enumerate(members))
    return tree_unflatten(out)


def clip_grad_norm_sharded(gradients: Any, max_norm: float, group: Optional["mx.distributed.Group"] = None):
    """Clips gradients sharded over ``group`` to a global norm of at most
    ``max_norm``; returns ``(clipped gradients, global norm)``. Without
    ``mx.distributed`` the local norm is the global one."""
    local = tree_reduce(lambda acc, g: acc + g.square().sum(), gradients, 0.0)
    dist = _distributed()
    total = dist.all_sum(local, group=group) if dist is not None else local
    norm = mx.sqrt(total)
    factor = mx.minimum(max_norm / (norm + 1e-6), 1.0)
    return tree_map(lambda g: g * factor, gradients), norm
