#!/usr/bin/env bash
# Invoices: the time for one PDF (consumer PDF/A-3, business Factur-X) and invoices finalized
# per second with their PDF (numbered in the finalizing transaction, rendered, stored), on a
# fresh throwaway database that is dropped afterwards; the numbers are checked for gaps.
# Usage: scripts/invoice-bench.sh   (BENCH_INVOICES, BENCH_PDF_RUNS, WORKER_CONCURRENCY pass
# through to worker/src/bin/invoice-bench.rs)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/growthdesk/target}"
cargo build --release -q -p worker --bin invoice-bench
db=growthdesk_bench_invoices
pg=postgres://postgres@127.0.0.1:5432
export PGOPTIONS="-c client_min_messages=warning"
trap 'psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT
unset MIGRATION_DATABASE_URL
echo "Machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p')"
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" \
  -c "CREATE DATABASE $db OWNER growthdesk_owner"
DATABASE_URL="$pg/$db" RUST_LOG="${INVOICE_BENCH_LOG:-warn}" "$CARGO_TARGET_DIR/release/invoice-bench"
