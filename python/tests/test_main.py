"""``python -m rmlx script.py``: MLX programs run unchanged on rmlx, with
every ``mlx`` module name resolving to rmlx; includes the seed guide's
idiomatic training example."""

import os
import subprocess
import sys
import textwrap

import pytest

from nn_common import has, needs

import rmlx

# The subprocesses import the same rmlx as this test process: the installed
# package in CI, the working tree under PYTHONPATH in development.
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(rmlx.__file__)))

# Until rmlx has mx.compile, scripts that use it run with a pass-through.
COMPILE_SHIM = (
    "import rmlx.core as _c\n"
    "if not hasattr(_c, 'compile'):\n"
    "    _c.compile = lambda fun=None, inputs=None, outputs=None, shapeless=False: fun\n"
)


def run(args, tmp_path, prelude="", timeout=300):
    """Runs ``python -m rmlx *args`` (after ``prelude``) with the tested
    rmlx first on the path; returns the completed process."""
    env = dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    code = prelude + "import sys\nfrom rmlx.__main__ import main\nmain(sys.argv[1:])\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=timeout
    )


def script(tmp_path, name, body):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return str(path)


def test_mlx_names_resolve_to_rmlx(tmp_path):
    path = script(tmp_path, "names.py", """
        import sys
        import mlx
        import mlx.core as mx
        import mlx.core.random
        import mlx.nn as nn
        import mlx.nn.layers
        import mlx.optimizers as optim
        import mlx.utils
        from mlx.nn.layers.base import Module
        from mlx.nn.layers.linear import Linear
        from mlx.nn import losses, init
        from mlx.optimizers.schedulers import cosine_decay
        from mlx.utils import tree_flatten, tree_map
        import rmlx, rmlx.core, rmlx.nn, rmlx.optimizers
        assert mlx is rmlx and mx is rmlx.core and nn is rmlx.nn and optim is rmlx.optimizers
        assert mlx.core.random is rmlx.core.random
        assert Module is rmlx.nn.Module and Linear is rmlx.nn.Linear
        assert losses is rmlx.nn.losses and cosine_decay is rmlx.optimizers.cosine_decay
        assert isinstance(mx.array(1.0), rmlx.core.array)
        print("argv", sys.argv[1:], __name__)
    """)
    proc = run([path, "x", "--flag"], tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "argv ['x', '--flag'] __main__" in proc.stdout


def test_script_directory_is_importable_and_errors_propagate(tmp_path):
    (tmp_path / "helper_mod.py").write_text("VALUE = 41\n")
    path = script(tmp_path, "main.py", """
        import sys
        from helper_mod import VALUE
        print(VALUE + 1)
        sys.exit(3)
    """)
    proc = run([path], tmp_path.parent)
    assert proc.returncode == 3 and proc.stdout.strip() == "42", proc.stderr
    bad = script(tmp_path, "bad.py", "raise ValueError('boom')\n")
    proc = run([bad], tmp_path)
    assert proc.returncode != 0 and "ValueError: boom" in proc.stderr


def test_module_mode_and_usage(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "job.py").write_text("import sys, mlx.core as mx\nprint(mx.__name__, sys.argv[1:])\n")
    proc = subprocess.run(
        [sys.executable, "-m", "rmlx", "-m", "pkg.job", "a"], cwd=tmp_path, capture_output=True, text=True,
        env=dict(os.environ, PYTHONPATH=PYTHON_DIR + os.pathsep + str(tmp_path)),
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "rmlx.core ['a']"
    proc = run([], tmp_path)
    assert proc.returncode == 2 and "usage" in proc.stderr


def test_elementwise_training_script(tmp_path):
    path = script(tmp_path, "fit.py", """
        import mlx.core as mx
        import mlx.nn as nn
        import mlx.optimizers as optim

        class Affine(nn.Module):
            def __init__(self):
                super().__init__()
                self.w = mx.zeros((3,))
                self.b = mx.zeros((3,))

            def __call__(self, x):
                return x * self.w + self.b

        mx.random.seed(0)
        x = mx.random.normal((256, 3))
        y = 2.0 * x - 1.0
        model = Affine()
        opt = optim.Adam(learning_rate=0.05)
        step = nn.value_and_grad(model, lambda m, x, y: nn.losses.mse_loss(m(x), y))
        for i in range(300):
            loss, grads = step(model, x, y)
            opt.update(model, grads)
            mx.eval(model.parameters(), opt.state)
        print(round(loss.item(), 4), model.w.tolist(), model.b.tolist())
        assert loss.item() < 1e-3
    """)
    proc = run([path], tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout


@needs("matmul", "addmm")
def test_mlp_training_script(tmp_path):
    path = script(tmp_path, "mlp.py", """
        import mlx.core as mx
        import mlx.nn as nn
        import mlx.optimizers as optim
        from mlx.utils import tree_flatten

        mx.random.seed(1)
        model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 1))
        x = mx.random.normal((128, 4))
        y = mx.sin(x.sum(axis=1, keepdims=True))
        opt = optim.SGD(learning_rate=0.1, momentum=0.9)
        step = nn.value_and_grad(model, lambda m, x, y: nn.losses.mse_loss(m(x), y))
        first = None
        for _ in range(200):
            loss, grads = step(model, x, y)
            opt.update(model, grads)
            mx.eval(model.parameters(), opt.state)
            first = first if first is not None else loss.item()
        print(first, loss.item(), [k for k, _ in tree_flatten(model.parameters())])
        assert loss.item() < 0.2 * first
    """)
    proc = run([path], tmp_path)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "layers.0.weight" in proc.stdout


# The seed guide's idiomatic example (MLX development guide, "Idiomatic
# Training Example"), verbatim between the markers, with a synthetic
# separable data set and a check around it.
SEED_EXAMPLE = '''
import numpy as np

rng = np.random.default_rng(0)
W_true = rng.standard_normal((784, 10)).astype(np.float32)
X = rng.standard_normal((512, 784)).astype(np.float32)
Y = np.argmax(X @ W_true, axis=1).astype(np.int32)
num_epochs = 6
losses = []


class _Loader:
    def __iter__(self):
        for i in range(0, len(X), 128):
            yield mx.array(X[i:i + 128]), mx.array(Y[i:i + 128])


dataloader = _Loader()
_print = print


def print(*args, **kwargs):  # records the example's per-epoch loss lines
    losses.append(float(args[0].split(": ")[1]))
    _print(*args, **kwargs)


# ---- begin seed example ----
class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = [nn.Linear(784, 256), nn.Linear(256, 10)]

    def __call__(self, x):
        for layer in self.layers[:-1]:
            x = mx.maximum(layer(x), 0)
        return self.layers[-1](x)


def loss_fn(model, x, y):
    return nn.losses.cross_entropy(model(x), y, reduction="mean")


model = Model()
optimizer = optim.AdamW(learning_rate=1e-3)
state = [model.state, optimizer.state, mx.random.state]


@partial(mx.compile, inputs=state, outputs=state)
def train_step(x, y):
    loss, grads = nn.value_and_grad(model, loss_fn)(model, x, y)
    optimizer.update(model, grads)
    return loss


for epoch in range(num_epochs):
    for x_batch, y_batch in dataloader:
        loss = train_step(x_batch, y_batch)
        mx.eval(state)
    print(f"Epoch {epoch}: {loss.item():.4f}")
# ---- end seed example ----

accuracy = mx.mean(mx.argmax(model(mx.array(X)), axis=1) == mx.array(Y)).item()
_print("accuracy", accuracy)
assert losses[-1] < 0.1 * losses[0], losses
assert accuracy > 0.95, accuracy
'''

MLX_IMPORTS = (
    "import mlx.core as mx\nimport mlx.nn as nn\nimport mlx.optimizers as optim\nfrom functools import partial\n"
)
RMLX_IMPORTS = MLX_IMPORTS.replace("mlx.", "rmlx.")


@needs("matmul", "addmm", "take_along_axis")
@pytest.mark.parametrize("imports", ["mlx", "rmlx"])
def test_seed_guide_example_trains(tmp_path, imports):
    header = MLX_IMPORTS if imports == "mlx" else RMLX_IMPORTS
    path = script(tmp_path, "seed.py", header + SEED_EXAMPLE)
    prelude = "" if has("compile") else COMPILE_SHIM
    proc = run([path], tmp_path, prelude=prelude, timeout=600)
    assert proc.returncode == 0, proc.stderr + proc.stdout
    assert "Epoch 0:" in proc.stdout and "accuracy" in proc.stdout
