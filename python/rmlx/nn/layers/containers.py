"""``Sequential``: modules applied one after the other."""

from .base import Module


class Sequential(Module):
    """Calls its modules in order, each on the previous one's output.

    The modules are kept in the list ``layers`` (parameter names
    ``layers.0.weight`` ...); plain callables are allowed too.
    """

    def __init__(self, *modules):
        super().__init__()
        self.layers = list(modules)

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x
