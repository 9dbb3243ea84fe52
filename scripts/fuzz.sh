#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for SECONDS each (default 60) and prints, per
# target, the executions and crashes (from libFuzzer's final stats). Not part of CI.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Corpora live in
# fuzz/corpus/<target>/ (seeded from the test fixtures by fuzz/make_seeds.py, grown by each
# run); crashes in fuzz/artifacts/<target>/. Replay a crash on stable by copying it to
# helmoci-core/tests/fixtures/fuzzed/<target>-<name> (see helmoci-core/tests/fuzzed.rs).
# Do not stop a fuzzer with SIGSTOP (say, to time something else): libFuzzer's -timeout
# counts wall time, and the input running at the time is reported as a timeout.
# Environment: FUZZ_JOBS (libFuzzer workers per target, default 1), FUZZ_RSS_MB (2048),
# FUZZ_MAX_LEN (largest input, default 4096, libFuzzer's own default: a 4 KiB deflate
# stream still inflates to megabytes, and small inputs keep the rate high).
#
# Every run appends one line per target to fuzz/ledger.tsv (date, target, seconds,
# executions, crashes), and the table ends with the executions summed over the ledger: the
# figure the fuzzing goal (10 million per target) is measured by.
set -uo pipefail
cd "$(dirname "$0")/../fuzz"
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cargo +nightly fuzz list)
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "error: cargo-fuzz missing: cargo install cargo-fuzz" >&2
  exit 2
fi
python3 make_seeds.py >/dev/null
echo "== building ${#targets[@]} targets"
cargo +nightly fuzz build >/dev/null 2>build.log || {
  cat build.log >&2
  exit 2
}
mkdir -p logs
printf '%-18s %14s %10s %8s %8s\n' target executions exec/s crashes corpus
total_crashes=0
for t in "${targets[@]}"; do
  mkdir -p "corpus/$t" "artifacts/$t"
  before=$(find "artifacts/$t" -type f | wc -l)
  log="logs/$t.log"
  cargo +nightly fuzz run "$t" "corpus/$t" -- \
    -max_total_time="$seconds" -print_final_stats=1 -timeout=10 \
    -rss_limit_mb="${FUZZ_RSS_MB:-2048}" -max_len="${FUZZ_MAX_LEN:-4096}" \
    -artifact_prefix="artifacts/$t/" >"$log" 2>&1
  rc=$?
  execs=$(grep -oE 'stat::number_of_executed_units:[[:space:]]*[0-9]+' "$log" | awk '{s+=$2} END {print s+0}')
  speed=$(grep -oE 'stat::average_exec_per_sec:[[:space:]]*[0-9]+' "$log" | awk '{print $2}' | tail -1)
  after=$(find "artifacts/$t" -type f | wc -l)
  crashes=$((after - before))
  if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
    crashes=1 # libFuzzer failed without an artifact (e.g. a build or OOM problem)
  fi
  total_crashes=$((total_crashes + crashes))
  corpus=$(find "corpus/$t" -type f | wc -l)
  # A run that never fuzzed (the target did not build) is not a fuzzing run: reported
  # above as a failure, kept out of the ledger.
  if [ "$execs" -gt 0 ]; then
    printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$t" "$seconds" "$execs" "$crashes" >>ledger.tsv
  fi
  printf '%-18s %14s %10s %8s %8s\n' "$t" "$execs" "${speed:-?}" "$crashes" "$corpus"
  if [ "$crashes" -ne 0 ]; then
    grep -m3 -E 'panicked at|ERROR: libFuzzer|SUMMARY' "$log" | sed 's/^/    /'
    echo "    log: fuzz/$log; artifacts: fuzz/artifacts/$t/"
  fi
done
echo "== executions over all runs in fuzz/ledger.tsv"
awk -F'\t' '!/^#/ {n[$2]+=$4; c[$2]+=$5} END {for (t in n) printf "%-18s %14d %8d\n", t, n[t], c[t]}' ledger.tsv | sort
[ "$total_crashes" -eq 0 ]
