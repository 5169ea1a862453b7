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
    # Model cards run under a 1 GB cap: the corpus seeds absurd sizes (seed_absurd_*), and a
    # card must be refused before it allocates, not after.
    rss=4096
    [ "$target" = model_card ] && rss=1024
    echo "== $target ($seconds s, at most $rss MB)"
    cargo fuzz run --sanitizer none --debug-assertions "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb="$rss" -timeout=20 -max_len=262144 -print_final_stats=1 2>&1 |
        grep -E "^(stat::|#[0-9]+.*DONE|==|SUMMARY|thread '|panicked)" || true
done
