"""rmlx.optimizers: MLX's `mlx.optimizers` API. Not built yet (see the project's issues);
every attribute access raises a clear NotImplementedError until it lands."""


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    raise NotImplementedError(f"rmlx.optimizers.{name} is not implemented in rmlx yet")
