"""rmlx.nn: MLX's ``mlx.nn`` — ``Module``, the layers, losses, initialisers
and ``value_and_grad`` for models — written in Python over ``rmlx.core``."""

from . import init, losses
from .layers import *  # noqa: F401,F403
from .utils import average_gradients, value_and_grad
