#!/usr/bin/env bash
# Every test: the Rust workspace, then the Python wheel.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --release
scripts/test-python.sh
