"""Recurrent layers: Elman RNN, GRU and LSTM.

Inputs are ``(N, L, D)`` or ``(L, D)``; the outputs stack the hidden state of
every step along the sequence axis. All weights start uniform in
:math:`[-k, k]`, :math:`k = 1/\\sqrt{\\text{hidden\\_size}}`.
"""

import math
from typing import Callable, Optional

from ... import core as mx
from .activations import tanh
from .base import Module


def _uniform(scale, shape):
    return mx.random.uniform(low=-scale, high=scale, shape=shape)


def _input_projection(x, weight, bias):
    """``x @ weight.T (+ bias)`` for all time steps at once."""
    if bias is not None:
        return mx.addmm(bias, x, weight.T)
    return x @ weight.T


class RNN(Module):
    r"""Elman recurrent layer :math:`h_t = \sigma(W_{xh} x_t + W_{hh} h_{t-1} + b)`.

    ``Wxh`` is ``(hidden_size, input_size)``, ``Whh`` ``(hidden_size,
    hidden_size)`` and ``bias`` ``(hidden_size,)`` (``None`` without bias);
    ``nonlinearity`` defaults to ``tanh``. ``__call__(x, hidden=None)``
    returns every step's hidden state.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: Optional[Callable] = None,
    ):
        super().__init__()
        self.nonlinearity = nonlinearity or tanh
        if not callable(self.nonlinearity):
            raise ValueError(f"Nonlinearity must be callable. Current value: {nonlinearity}.")
        scale = 1.0 / math.sqrt(hidden_size)
        self.hidden_size = hidden_size
        self.Wxh = _uniform(scale, (hidden_size, input_size))
        self.Whh = _uniform(scale, (hidden_size, hidden_size))
        self.bias = _uniform(scale, (hidden_size,)) if bias else None

    def _extra_repr(self):
        return (
            f"input_dims={self.Wxh.shape[1]}, "
            f"hidden_size={self.hidden_size}, "
            f"nonlinearity={self.nonlinearity}, bias={self.bias is not None}"
        )

    def __call__(self, x, hidden=None):
        x = _input_projection(x, self.Wxh, self.bias)
        states = []
        for t in range(x.shape[-2]):
            xt = x[..., t, :]
            hidden = xt if hidden is None else mx.addmm(xt, hidden, self.Whh.T)
            hidden = self.nonlinearity(hidden)
            states.append(hidden)
        return mx.stack(states, axis=-2)


class GRU(Module):
    r"""Gated recurrent unit layer.

    ``Wx`` is ``(3 * hidden_size, input_size)`` and ``Wh`` ``(3 *
    hidden_size, hidden_size)``, with the rows ordered r, z, n; ``b`` ``(3 *
    hidden_size,)`` and ``bhn`` ``(hidden_size,)`` (the bias inside the reset
    gate) are ``None`` without bias. ``__call__(x, hidden=None)`` returns
    every step's hidden state.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        scale = 1.0 / math.sqrt(hidden_size)
        self.Wx = _uniform(scale, (3 * hidden_size, input_size))
        self.Wh = _uniform(scale, (3 * hidden_size, hidden_size))
        self.b = _uniform(scale, (3 * hidden_size,)) if bias else None
        self.bhn = _uniform(scale, (hidden_size,)) if bias else None

    def _extra_repr(self):
        return f"input_dims={self.Wx.shape[1]}, hidden_size={self.hidden_size}, bias={self.b is not None}"

    def __call__(self, x, hidden=None):
        x = _input_projection(x, self.Wx, self.b)
        h = self.hidden_size
        x_rz = x[..., :-h]
        x_n = x[..., -h:]
        states = []
        for t in range(x.shape[-2]):
            rz = x_rz[..., t, :]
            if hidden is not None:
                proj = hidden @ self.Wh.T
                proj_rz = proj[..., :-h]
                proj_n = proj[..., -h:]
                if self.bhn is not None:
                    proj_n = proj_n + self.bhn
                rz = rz + proj_rz
            r, z = mx.split(mx.sigmoid(rz), 2, axis=-1)
            n = x_n[..., t, :]
            if hidden is not None:
                n = n + r * proj_n
            elif self.bhn is not None:
                n = n + r * self.bhn
            n = mx.tanh(n)
            hidden = (1 - z) * n if hidden is None else (1 - z) * n + z * hidden
            states.append(hidden)
        return mx.stack(states, axis=-2)


class LSTM(Module):
    r"""Long short-term memory layer.

    ``Wx`` is ``(4 * hidden_size, input_size)`` and ``Wh`` ``(4 *
    hidden_size, hidden_size)``, rows ordered i, f, g, o; ``bias`` ``(4 *
    hidden_size,)`` or ``None``. ``__call__(x, hidden=None, cell=None)``
    returns ``(hidden states, cell states)`` of every step.
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True):
        super().__init__()
        self.hidden_size = hidden_size
        scale = 1.0 / math.sqrt(hidden_size)
        self.Wx = _uniform(scale, (4 * hidden_size, input_size))
        self.Wh = _uniform(scale, (4 * hidden_size, hidden_size))
        self.bias = _uniform(scale, (4 * hidden_size,)) if bias else None

    def _extra_repr(self):
        return f"input_dims={self.Wx.shape[1]}, hidden_size={self.hidden_size}, bias={self.bias is not None}"

    def __call__(self, x, hidden=None, cell=None):
        x = _input_projection(x, self.Wx, self.bias)
        hiddens, cells = [], []
        for t in range(x.shape[-2]):
            gates = x[..., t, :]
            if hidden is not None:
                gates = mx.addmm(gates, hidden, self.Wh.T)
            i, f, g, o = mx.split(gates, 4, axis=-1)
            i, f, g, o = mx.sigmoid(i), mx.sigmoid(f), mx.tanh(g), mx.sigmoid(o)
            cell = i * g if cell is None else f * cell + i * g
            hidden = o * mx.tanh(cell)
            cells.append(cell)
            hiddens.append(hidden)
        return mx.stack(hiddens, axis=-2), mx.stack(cells, axis=-2)
