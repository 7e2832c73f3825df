#!/usr/bin/env bash
# Starts server and worker for the Playwright tests: own port, own database, own outbox.
set -euo pipefail
port="${E2E_PORT:-3100}"
bin="${CARGO_TARGET_DIR:-target}/debug"
export LISTEN_ADDR="127.0.0.1:${port}"
export PUBLIC_URL="http://127.0.0.1:${port}"
export DATABASE_URL="${E2E_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/growthdesk_e2e}"
export MAIL_OUTBOX_DIR="var/e2e-outbox"
export SMTP_HOST=""
export SHUTDOWN_GRACE_SECS=5
rm -rf "$MAIL_OUTBOX_DIR"
"$bin/worker" &
worker=$!
"$bin/server" &
server=$!
trap 'kill -TERM $server $worker 2>/dev/null || true; wait' INT TERM EXIT
wait -n $server $worker
