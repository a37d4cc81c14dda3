#!/usr/bin/env bash
# The one test command: installs the test dependencies and the package
# (release build), then runs every Rust and Python test.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet --disable-pip-version-check numpy pytest ml_dtypes safetensors gguf "mlx[cpu]==0.32.4"
python3 -m pip install --quiet --disable-pip-version-check .
cargo test --workspace --exclude rmlx-python --quiet
# Run from outside the source tree so the installed package is imported.
(cd python/tests && python3 -m pytest -q -p no:cacheprovider .)
