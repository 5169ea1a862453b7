#!/usr/bin/env bash
# Runs every cargo-fuzz target for SECONDS (default 600) each, one after the other, keeping
# the corpus under fuzz/corpus/<target> and any crash under fuzz/artifacts/<target>.
#
#   cargo install cargo-fuzz            # once
#   scripts/fuzz.sh 600                 # 10 minutes per target
#
# The machine's toolchain is stable: RUSTC_BOOTSTRAP lets cargo-fuzz pass its -Z flags, and
# --sanitizer none avoids needing nightly's ASan runtime (Rust code is memory-safe; what we
# hunt is panics, overflows in debug assertions, hangs and runaway allocation).
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
seconds="${1:-600}"
export RUSTC_BOOTSTRAP=1
for target in decode_file manifest_and_splits model_card feature_table; do
    mkdir -p "corpus/$target"
    echo "== $target ($seconds s)"
    cargo fuzz run --sanitizer none --debug-assertions "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=4096 -timeout=20 -max_len=262144 -print_final_stats=1 2>&1 |
        grep -E "^(stat::|#[0-9]+.*DONE|==|SUMMARY|thread '|panicked)" || true
done
