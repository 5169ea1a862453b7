#!/usr/bin/env bash
# The Python wheel's tests: build it with maturin (pyo3, abi3), install it in a fresh virtual
# environment under target/, and run pytest against the release CLI built from the same tree
# (with Ray: examples/ray_classify.py on a local cluster of 2 workers), and check the type
# stubs the wheel ships with mypy --strict and stubtest.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
VENV=target/pyvenv
cargo build --release -p genrecast-cli
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --upgrade pip
"$VENV/bin/python" -m pip install -q "maturin>=1.9,<2" "numpy>=1.21" pytest "ray[data]>=2.40" "mypy>=1.10"
rm -rf target/wheels
"$VENV/bin/maturin" build --release -q -m crates/python/Cargo.toml -o target/wheels
"$VENV/bin/python" -m pip install -q --force-reinstall --no-deps target/wheels/genrecast-*.whl
GENRECAST_WHEEL="$(ls target/wheels/genrecast-*.whl)" GENRECAST_BIN="$PWD/target/release/genrecast" "$VENV/bin/python" -m pytest -q crates/python/tests
