#!/usr/bin/env bash
# Fast development build: compiles the extension with the dev profile
# (opt-level 1, incremental) and links it into python/rmlx so that
# `PYTHONPATH=python python -m pytest python/tests` tests the working tree.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p rmlx-python "$@"
so=$(python3 -c "import sysconfig; print('core' + sysconfig.get_config_var('EXT_SUFFIX'))")
ln -sf "$(pwd)/target/debug/libcore.so" "python/rmlx/$so"
echo "linked python/rmlx/$so"
