#!/usr/bin/env bash
# Serves the release build (with the demo catalog) and measures the real first load of the
# landing, catalog and product pages in Chromium
# (scripts/first-load.mjs). Usage: scripts/first-load.sh (after `cargo leptos build --release`)
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/release/server"
port=3901
db=growthdesk_bench
psql postgres://postgres@127.0.0.1:5432/postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || psql postgres://postgres@127.0.0.1:5432/postgres -qc "CREATE DATABASE $db"
unset MIGRATION_DATABASE_URL
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" LISTEN_ADDR="127.0.0.1:$port" PUBLIC_URL="http://127.0.0.1:$port" RUST_LOG=warn
"$bin" seed >/dev/null
"$bin" >/tmp/first-load-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
node scripts/first-load.mjs "http://127.0.0.1:$port" target/site/pkg 200
bash scripts/lighthouse.sh "http://127.0.0.1:$port" || true
