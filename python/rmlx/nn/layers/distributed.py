"""Sharded (distributed) layers: placeholders until rmlx has ``mx.distributed``.

The names exist so that code importing them loads; building one raises
``NotImplementedError``.
"""

from .base import Module


def _unavailable(name):
    raise NotImplementedError(f"rmlx.nn.{name} needs mx.distributed, which rmlx does not have yet")


class _Sharded(Module):
    @classmethod
    def from_linear(cls, *args, **kwargs):
        """Not available yet (raises ``NotImplementedError``)."""
        _unavailable(f"{cls.__name__}.from_linear")

    @classmethod
    def from_quantized_linear(cls, *args, **kwargs):
        """Not available yet (raises ``NotImplementedError``)."""
        _unavailable(f"{cls.__name__}.from_quantized_linear")


class AllToShardedLinear(_Sharded):
    """Linear layer whose outputs are sharded over a group (not available yet)."""

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True, group=None):
        _unavailable(type(self).__name__)


class ShardedToAllLinear(_Sharded):
    """Linear layer whose inputs are sharded over a group (not available yet)."""

    def __init__(self, input_dims: int, output_dims: int, bias: bool = True, group=None):
        _unavailable(type(self).__name__)


class QuantizedAllToShardedLinear(_Sharded):
    """Quantized :class:`AllToShardedLinear` (not available yet)."""

    def __init__(
        self,
        input_dims: int,
        output_dims: int,
        bias: bool = True,
        group_size: int = 64,
        bits: int = 4,
        mode: str = "affine",
        group=None,
    ):
        _unavailable(type(self).__name__)


class QuantizedShardedToAllLinear(_Sharded):
    """Quantized :class:`ShardedToAllLinear` (not available yet)."""

    def __init__(
        self,
        input_dims: int,
        output_dims: int,
        bias: bool = True,
        group_size: int = 64,
        bits: int = 4,
        mode: str = "affine",
        group=None,
    ):
        _unavailable(type(self).__name__)


class FullyShardedModule(_Sharded):
    """A module with parameters sharded over a group (not available yet)."""

    def __init__(self, module: Module, group=None, compute_dtype=None):
        _unavailable(type(self).__name__)


def fully_shard(module, *, group=None, compute_dtype=None):
    """Shards ``module``'s parameters over a group (not available yet)."""
    _unavailable("fully_shard")
