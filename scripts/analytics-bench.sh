#!/usr/bin/env bash
# Analytics: p50/p95 of the dashboard's queries over 1,000 accounts × 2 years of daily
# snapshots and 100,000 posts, on a fresh throwaway database that is dropped afterwards.
# Usage: scripts/analytics-bench.sh   (BENCH_ACCOUNTS, BENCH_MEDIA, BENCH_ROUNDS pass through to
# worker/src/bin/analytics-bench.rs)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/growthdesk/target}"
cargo build --release -q -p worker --bin analytics-bench
db=growthdesk_bench_analytics
pg=postgres://postgres@127.0.0.1:5432
export PGOPTIONS="-c client_min_messages=warning"
trap 'psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
unset MIGRATION_DATABASE_URL
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
  -c "CREATE DATABASE $db OWNER growthdesk_owner"
DATABASE_URL="$pg/$db" RUST_LOG="${ANALYTICS_BENCH_LOG:-warn}" "$CARGO_TARGET_DIR/release/analytics-bench"
