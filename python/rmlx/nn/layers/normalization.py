"""Normalisation layers: LayerNorm, RMSNorm, GroupNorm, InstanceNorm, BatchNorm.

All work on channels-last inputs (features on the last axis).
"""

from typing import Tuple

from ... import core as mx
from .base import Module


def _check_eps(name, eps):
    if eps <= 0.0:
        raise ValueError(f"[{name}] 'eps' must be positive but got {eps}.")


class InstanceNorm(Module):
    r"""Normalises each channel of each sample over the spatial axes.

    Inputs are ``(N, ..., C)`` with at least one spatial axis. With
    ``affine`` a per-channel ``weight`` (ones) and ``bias`` (zeros) follow.
    """

    def __init__(self, dims: int, eps: float = 1e-5, affine: bool = False):
        super().__init__()
        _check_eps("InstanceNorm", eps)
        if affine:
            self.weight = mx.ones((dims,))
            self.bias = mx.zeros((dims,))
        self.dims = dims
        self.eps = eps

    def _extra_repr(self):
        return f"{self.dims}, eps={self.eps}, affine={'weight' in self}"

    def __call__(self, x: mx.array) -> mx.array:
        if x.ndim < 3:
            raise ValueError(
                f"InstanceNorm expects inputs with at least 3 dimensions"
                f" (N, ..., C) but the input has {x.ndim} dimensions."
            )
        n, c = x.shape[0], x.shape[-1]
        spatial = x.shape[1:-1]
        # Channels first so that each (sample, channel) row is normalised.
        rows = mx.transpose(x, (0, x.ndim - 1, *range(1, x.ndim - 1))).reshape(n, c, -1)
        y = mx.fast.layer_norm(rows, None, None, self.eps)
        y = mx.transpose(y.reshape(n, c, *spatial), (0, *range(2, len(spatial) + 2), 1))
        return (self.weight * y + self.bias) if "weight" in self else y


class LayerNorm(Module):
    r"""Normalises over the last axis to zero mean and unit variance.

    With ``affine`` a ``weight`` (ones) scales the result and, with ``bias``
    too, a ``bias`` (zeros) shifts it.
    """

    def __init__(self, dims: int, eps: float = 1e-5, affine: bool = True, bias: bool = True):
        super().__init__()
        _check_eps("LayerNorm", eps)
        if affine:
            self.weight = mx.ones((dims,))
            if bias:
                self.bias = mx.zeros((dims,))
        self.eps = eps
        self.dims = dims

    def _extra_repr(self):
        return f"{self.dims}, eps={self.eps}, affine={'weight' in self}"

    def __call__(self, x):
        weight = self.weight if "weight" in self else None
        bias = self.bias if "bias" in self else None
        return mx.fast.layer_norm(x, weight, bias, self.eps)


class RMSNorm(Module):
    r"""Divides by the root mean square over the last axis and scales by
    ``weight`` (ones)."""

    def __init__(self, dims: int, eps: float = 1e-5):
        super().__init__()
        _check_eps("RMSNorm", eps)
        self.weight = mx.ones((dims,))
        self.eps = eps

    def _extra_repr(self):
        return f"{self.weight.shape[0]}, eps={self.eps}"

    def __call__(self, x):
        return mx.fast.rms_norm(x, self["weight"], self.eps)


class GroupNorm(Module):
    r"""Normalises groups of channels over the group's channels and all
    spatial positions.

    Channels are split into ``num_groups`` groups. By default channel ``c``
    belongs to group ``c % num_groups`` (MLX's layout); with
    ``pytorch_compatible`` the groups are contiguous runs of channels as in
    PyTorch. With ``affine`` a per-channel ``weight`` and ``bias`` follow.
    """

    def __init__(
        self,
        num_groups: int,
        dims: int,
        eps: float = 1e-5,
        affine: bool = True,
        pytorch_compatible: bool = False,
    ):
        super().__init__()
        _check_eps("GroupNorm", eps)
        if num_groups <= 0:
            raise ValueError(f"The number of groups ({num_groups}) must be a positive integer.")
        if dims <= 0:
            raise ValueError(f"The number of features ({dims}) must be a positive integer.")
        if dims % num_groups != 0:
            raise ValueError(
                f"The number of features ({dims}) must be evenly divisible"
                f" by the number of groups ({num_groups})."
            )
        if affine:
            self.bias = mx.zeros((dims,))
            self.weight = mx.ones((dims,))
        self.num_groups = num_groups
        self.dims = dims
        self.eps = eps
        self.pytorch_compatible = pytorch_compatible

    def _extra_repr(self):
        return (
            f"{self.num_groups}, {self.dims}, eps={self.eps}, "
            f"affine={'weight' in self}, pytorch_compatible={self.pytorch_compatible}"
        )

    def _contiguous_groups(self, x):
        g = self.num_groups
        batch, *rest, dims = x.shape
        size = dims // g
        y = x.reshape(batch, -1, g, size).transpose(0, 2, 1, 3).reshape(batch, g, -1)
        y = mx.fast.layer_norm(y, eps=self.eps, weight=None, bias=None)
        y = y.reshape(batch, g, -1, size).transpose(0, 2, 1, 3)
        return y.reshape(batch, *rest, dims)

    def _strided_groups(self, x):
        batch, *rest, dims = x.shape
        y = x.reshape(batch, -1, self.num_groups)
        mean = mx.mean(y, axis=1, keepdims=True)
        var = mx.var(y, axis=1, keepdims=True)
        y = (y - mean) * mx.rsqrt(var + self.eps)
        return y.reshape(batch, *rest, dims)

    def __call__(self, x):
        y = self._contiguous_groups(x) if self.pytorch_compatible else self._strided_groups(x)
        return (self.weight * y + self.bias) if "weight" in self else y


class BatchNorm(Module):
    r"""Normalises each feature over the batch (and spatial) axes.

    Accepts ``(N, C)``, ``(N, L, C)`` or ``(N, H, W, C)`` inputs. In training
    mode the batch statistics are used and, with ``track_running_stats``,
    folded into ``running_mean`` / ``running_var`` (frozen arrays) with
    ``momentum``; in evaluation mode the running statistics are used. With
    ``affine`` a per-feature ``weight`` and ``bias`` follow.
    """

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
    ):
        super().__init__()
        _check_eps("BatchNorm", eps)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = mx.ones((num_features,))
            self.bias = mx.zeros((num_features,))
        if self.track_running_stats:
            self.running_mean = mx.zeros((num_features,))
            self.running_var = mx.ones((num_features,))
            self.freeze(keys=["running_mean", "running_var"], recurse=False)

    def unfreeze(self, *args, **kwargs):
        """Unfreezes as :meth:`Module.unfreeze`, keeping the running
        statistics frozen."""
        super().unfreeze(*args, **kwargs)
        self.freeze(keys=["running_mean", "running_var"], recurse=False)

    def _extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, "
            f"momentum={self.momentum}, affine={'weight' in self}, "
            f"track_running_stats={self.track_running_stats}"
        )

    def _calc_stats(self, x: mx.array, ddof: int = 0) -> Tuple[mx.array, mx.array]:
        axes = tuple(range(0, x.ndim - 1))
        return mx.mean(x, axis=axes), mx.var(x, axis=axes, ddof=ddof)

    def __call__(self, x: mx.array) -> mx.array:
        if x.ndim < 2 or x.ndim > 4:
            raise ValueError(f"Expected input tensor to have 2, 3 or 4 dimensions, but got {x.ndim}")
        if self.training:
            count = 1
            for size in x.shape[:-1]:
                count *= size
            if count == 1:
                raise ValueError("BatchNorm training requires more than one value per channel.")

        mean, var = self._calc_stats(x)
        if self.training and self.track_running_stats:
            mu = self.momentum
            # The running variance is the unbiased estimate.
            _, unbiased = self._calc_stats(x, ddof=1)
            self.running_mean = (1 - mu) * self.running_mean + mu * mean
            self.running_var = (1 - mu) * self.running_var + mu * unbiased
        elif self.track_running_stats:
            mean, var = self.running_mean, self.running_var
        x = (x - mean) * mx.rsqrt(var + self.eps)
        return (self.weight * x + self.bias) if "weight" in self else x
