"""Transposed convolutions over channels-last inputs: ConvTranspose1d/2d/3d.

Weights are ``(out_channels, *kernel_size, in_channels)`` and start uniform
in :math:`[-k, k]`, :math:`k = 1/\\sqrt{\\text{in\\_channels} \\cdot
\\prod \\text{kernel\\_size}}`; biases start at zero.
"""

from typing import Union

from ... import core as mx
from .base import Module
from .convolution import _init_weight, _ntuple


class _ConvTransposeNd(Module):
    _ndim = 1
    _op = "conv_transpose1d"

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, bias):
        super().__init__()
        n = self._ndim
        if n > 1:
            kernel_size, stride, padding, output_padding = (
                _ntuple(v, n) for v in (kernel_size, stride, padding, output_padding)
            )
            kernel = kernel_size
        else:
            kernel = (kernel_size,)
        self.weight = _init_weight(out_channels, kernel, in_channels)
        if bias:
            self.bias = mx.zeros((out_channels,))
        self.padding = padding
        self.dilation = dilation
        self.stride = stride
        self.output_padding = output_padding

    def _extra_repr(self):
        n = self._ndim
        kernel = self.weight.shape[1] if n == 1 else self.weight.shape[1 : 1 + n]
        return (
            f"{self.weight.shape[-1]}, {self.weight.shape[0]}, "
            f"kernel_size={kernel}, stride={self.stride}, "
            f"padding={self.padding}, dilation={self.dilation}, "
            f"output_padding={self.output_padding}, "
            f"bias={'bias' in self}"
        )

    def __call__(self, x):
        op = getattr(mx, self._op)
        y = op(x, self.weight, self.stride, self.padding, self.dilation, self.output_padding)
        return y + self.bias if "bias" in self else y


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution over ``(N, L, C_in)`` inputs."""

    _ndim = 1
    _op = "conv_transpose1d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        stride: int = 1,
        padding: int = 0,
        dilation: int = 1,
        output_padding: int = 0,
        bias: bool = True,
    ):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, bias)


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution over ``(N, H, W, C_in)`` inputs."""

    _ndim = 2
    _op = "conv_transpose2d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Union[int, tuple],
        stride: Union[int, tuple] = 1,
        padding: Union[int, tuple] = 0,
        dilation: Union[int, tuple] = 1,
        output_padding: Union[int, tuple] = 0,
        bias: bool = True,
    ):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, bias)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution over ``(N, D, H, W, C_in)`` inputs."""

    _ndim = 3
    _op = "conv_transpose3d"

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Union[int, tuple],
        stride: Union[int, tuple] = 1,
        padding: Union[int, tuple] = 0,
        dilation: Union[int, tuple] = 1,
        output_padding: Union[int, tuple] = 0,
        bias: bool = True,
    ):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, output_padding, bias)
