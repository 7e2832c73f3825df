#!/usr/bin/env bash
# Job drain: no-op jobs drained per second by one worker (the production `worker::register`
# path: apalis on PostgreSQL, its queue settings, WORKER_CONCURRENCY) next to a raw
# `SELECT … FOR UPDATE SKIP LOCKED` loop (one job per transaction, as many tasks as the
# worker's concurrency) on the same database, BENCH_JOBS (default 100,000) each. Targets:
# at least 1,000 jobs/s and at least 50 % of the raw loop; reported, not asserted.
# Each run gets a fresh throwaway database, dropped afterwards.
# Usage: scripts/job-bench.sh
#   JOB_BENCH_RUNS (default 1): runs; with more than one, best and median at the end.
#   BENCH_JOBS, BENCH_MAX_SECS, WORKER_CONCURRENCY, BENCH_APALIS_BUFFER, BENCH_APALIS_POLL_MS
#   pass through to the binary (worker/src/bin/drain-bench.rs says what they do).
#   JOB_BENCH_LOG (default warn): the bench's RUST_LOG. Production logs one line per job at
#   `info`; `JOB_BENCH_LOG=info` measures that too (the log goes to a file, shown on failure).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/growthdesk/target}"
cargo build --release -q -p worker --bin drain-bench
bin="$CARGO_TARGET_DIR/release/drain-bench"
db=growthdesk_bench_jobs
pg=postgres://postgres@127.0.0.1:5432
export PGOPTIONS="-c client_min_messages=warning"
runs="${JOB_BENCH_RUNS:-1}"
results=$(mktemp)
log=$(mktemp)
trap 'psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"
      rm -f "$results" "$results.run" "$log"' EXIT
unset MIGRATION_DATABASE_URL
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
echo "CPU pressure before: $(head -1 /proc/pressure/cpu)"
for run in $(seq "$runs"); do
  psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
    -c "CREATE DATABASE $db OWNER growthdesk_owner"
  [ "$runs" -gt 1 ] && echo "--- run $run of $runs"
  if ! DATABASE_URL="$pg/$db" RUST_LOG="${JOB_BENCH_LOG:-warn}" "$bin" \
    >"$results.run" 2>"$log"; then
    tail -n 20 "$log"
    exit 1
  fi
  grep -v '^RESULT ' "$results.run"
  cat "$results.run" >>"$results"
  rm -f "$results.run"
  echo "  CPU pressure after: $(head -1 /proc/pressure/cpu)"
done
if [ "$runs" -gt 1 ]; then
  # Best and median of each figure over the runs (the ratio's median is of each run's ratio).
  grep '^RESULT ' "$results" | awk '
    function sort(a, k,   i, j, t) {
      for (i = 2; i <= k; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
    }
    function median(a, k) { return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2 }
    { split($2, x, "="); w[NR] = x[2]; split($3, x, "="); r[NR] = x[2]; split($4, x, "="); p[NR] = x[2] }
    END {
      sort(w, NR); sort(r, NR); sort(p, NR)
      printf "Over %d runs: worker best %d jobs/s, median %d; raw loop best %d jobs/s, median %d; worker / raw median %d %%\n", NR, w[NR], median(w, NR), r[NR], median(r, NR), median(p, NR)
    }'
fi
