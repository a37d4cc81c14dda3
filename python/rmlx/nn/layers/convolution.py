"""Convolutions over channels-last inputs: Conv1d, Conv2d, Conv3d.

Weights are ``(out_channels, *kernel_size, in_channels // groups)`` and
start uniform in :math:`[-k, k]`, :math:`k = 1/\\sqrt{\\text{fan-in}}`; biases
start at zero.
"""

import math
from typing import Union

from ... import core as mx
from .base import Module


def _ntuple(value, n):
    return (value,) * n if isinstance(value, int) else value


def _check_groups(in_channels, groups):
    if in_channels % groups != 0:
        raise ValueError(
            f"The number of input channels ({in_channels}) must be "
            f"divisible by the number of groups ({groups})"
        )


def _init_weight(out_channels, kernel_size, in_per_group):
    scale = math.sqrt(1 / (in_per_group * math.prod(kernel_size)))
    return mx.random.uniform(low=-scale, high=scale, shape=(out_channels, *kernel_size, in_per_group))


class _ConvNd(Module):
    def _add_bias(self, y):
        return y + self.bias if "bias" in self else y


class Conv1d(_ConvNd):
    """1-D convolution over ``(N, L, C_in)`` inputs."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        groups: int = 1,
        bias: bool = True,
    ):
        super().__init__()
        _check_groups(in_channels, groups)
        self.weight = _init_weight(out_channels, (kernel_size,), in_channels // groups)
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.padding = padding
        self.dilation = dilation
        self.stride = stride
        self.groups = groups

    def _extra_repr(self):
        return (
            f"{self.weight.shape[-1] * self.groups}, {self.weight.shape[0]}, "
            f"kernel_size={self.weight.shape[1]}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, "
            f"groups={self.groups}, bias={'bias' in self}"
        )

    def __call__(self, x):
        y = mx.conv1d(x, self.weight, self.stride, self.padding, self.dilation, self.groups)
        return self._add_bias(y)


class Conv2d(_ConvNd):
    """2-D convolution over ``(N, H, W, C_in)`` inputs; ``kernel_size``,
    ``stride``, ``padding`` and ``dilation`` are ints or pairs."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Union[int, tuple],
        stride: Union[int, tuple] = 1,
        padding: Union[int, tuple] = 0,
        dilation: Union[int, tuple] = 1,
        groups: int = 1,
        bias: bool = True,
    ):
        super().__init__()
        _check_groups(in_channels, groups)
        kernel_size, stride, padding = (_ntuple(v, 2) for v in (kernel_size, stride, padding))
        self.weight = _init_weight(out_channels, kernel_size, in_channels // groups)
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.padding = padding
        self.stride = stride
        self.dilation = dilation
        self.groups = groups

    def _extra_repr(self):
        return (
            f"{self.weight.shape[-1] * self.groups}, {self.weight.shape[0]}, "
            f"kernel_size={self.weight.shape[1:3]}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, "
            f"groups={self.groups}, bias={'bias' in self}"
        )

    def __call__(self, x):
        y = mx.conv2d(x, self.weight, self.stride, self.padding, self.dilation, self.groups)
        return self._add_bias(y)


class Conv3d(_ConvNd):
    """3-D convolution over ``(N, D, H, W, C_in)`` inputs; ``kernel_size``,
    ``stride``, ``padding`` and ``dilation`` are ints or triples."""

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Union[int, tuple],
        stride: Union[int, tuple] = 1,
        padding: Union[int, tuple] = 0,
        dilation: Union[int, tuple] = 1,
        bias: bool = True,
    ):
        super().__init__()
        kernel_size, stride, padding = (_ntuple(v, 3) for v in (kernel_size, stride, padding))
        self.weight = _init_weight(out_channels, kernel_size, in_channels)
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.padding = padding
        self.stride = stride
        self.dilation = dilation

    def _extra_repr(self):
        return (
            f"{self.weight.shape[-1]}, {self.weight.shape[0]}, "
            f"kernel_size={self.weight.shape[1:4]}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, "
            f"bias={'bias' in self}"
        )

    def __call__(self, x):
        y = mx.conv3d(x, self.weight, self.stride, self.padding, self.dilation)
        return self._add_bias(y)
