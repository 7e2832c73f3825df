#!/usr/bin/env bash
# Runs server and worker together; Ctrl-C (or SIGTERM) stops both gracefully.
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/debug"
"$bin/worker" &
worker=$!
"$bin/server" &
server=$!
trap 'kill -TERM $server $worker 2>/dev/null || true; wait' INT TERM
url="${PUBLIC_URL:-http://127.0.0.1:3000}"
echo
echo "  Growthdesk runs at ${url}  (English: ${url}/en, local mail outbox: ${url}/dev/outbox)"
echo "  Ctrl-C stops server and worker."
echo
# Whichever stops first (a crash, or Ctrl-C), stop the other one too.
wait -n $server $worker || true
kill -TERM $server $worker 2>/dev/null || true
wait
