#!/bin/sh
# Run every fuzz target for SECONDS each (default 60) with its dictionary, after seeding.
# Needs cargo-fuzz (cargo install cargo-fuzz) and a nightly toolchain (rustup toolchain install
# nightly). Crashes land in fuzz/artifacts/<target>/; copy them to fuzz/regressions/<target>/ and
# add a regression test (see docs/RELIABILITY.md).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
secs=${1:-60}
"$here/seed.sh"
cd "$here/.."
for t in sigma_load spl_load_eval evtx_read; do
  case $t in sigma_load) dict=sigma.dict ;; spl_load_eval) dict=spl.dict ;; evtx_read) dict=evtx.dict ;; esac
  echo "== $t ($secs s)"
  cargo +nightly fuzz run "$t" "fuzz/corpus/$t" -- -max_total_time="$secs" -dict="fuzz/dict/$dict" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
done
