"""rmlx.optimizers: MLX's ``mlx.optimizers`` — the optimizers, gradient
clipping and learning-rate schedules, written in Python over ``rmlx.core``."""

from .optimizers import *  # noqa: F401,F403
from .optimizers import Optimizer  # noqa: F401
from .schedulers import *  # noqa: F401,F403
