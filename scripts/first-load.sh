#!/usr/bin/env bash
# Serves the release build (with the demo catalog) and measures the real first load of the
# landing, catalog and product pages and of the signed-in pages in Chromium
# (scripts/first-load.mjs). Usage: scripts/first-load.sh (after `cargo leptos build --release`)
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/release/server"
port=3901
db=growthdesk_bench
psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
unset MIGRATION_DATABASE_URL
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" LISTEN_ADDR="127.0.0.1:$port" PUBLIC_URL="http://127.0.0.1:$port" RUST_LOG=warn
"$bin" seed >/dev/null
# A signed-in client for the analytics page (made as an admin would be, password by its link).
link=$("$bin" create-admin first-load@example.de | awk '/token=/ {print $NF}')
"$bin" >/tmp/first-load-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
export FIRST_LOAD_EMAIL=first-load@example.de FIRST_LOAD_PASSWORD='first load passwort sehr lang'
curl -s -o /dev/null -H "Origin: http://127.0.0.1:$port" -H 'Accept: application/json' \
  -d "token=${link#*token=}" --data-urlencode "password=$FIRST_LOAD_PASSWORD" \
  "http://127.0.0.1:$port/api/reset_password"
node scripts/first-load.mjs "http://127.0.0.1:$port" target/site/pkg 200
bash scripts/lighthouse.sh "http://127.0.0.1:$port" || true
