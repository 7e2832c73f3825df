#!/usr/bin/env bash
# Sign-in latency and throughput of the release server on ONE core (taskset -c 0).
# Sets up a throw-away database with one verified account (through create-admin and the
# reset link, as a real admin would), then:
#   - latency: 30 sequential sign-ins (curl), median and p90;
#   - throughput: 60 sign-ins from 4 parallel clients, sign-ins per second.
# Usage: scripts/login-bench.sh (after `cargo leptos build --release`)
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/release/server"
port=3900
db=growthdesk_bench
psql postgres://postgres@127.0.0.1:5432/postgres -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
unset MIGRATION_DATABASE_URL
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" LISTEN_ADDR="127.0.0.1:$port" PUBLIC_URL="http://127.0.0.1:$port" RUST_LOG=warn
link=$("$bin" create-admin bench@example.de | awk '/token=/ {print $NF}')
token="${link#*token=}"
taskset -c 0 "$bin" >/tmp/login-bench-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done
post() { curl -s -o /dev/null -w '%{http_code} %{time_total}\n' -H "Origin: http://127.0.0.1:$port" -H 'Accept: application/json' "$@"; }
password='bench mark passwort sehr lang'
post -d "token=$token" --data-urlencode "password=$password" "http://127.0.0.1:$port/api/reset_password" >/dev/null
# Each sign-in from its own loopback address, so the per-IP rate limits (which an attacker
# would meet) do not turn the measurement into a measurement of 429s.
login() {
  post --interface "127.0.$((RANDOM % 200 + 1)).$((RANDOM % 250 + 2))" \
    --data-urlencode 'email=bench@example.de' --data-urlencode "password=$password" \
    "http://127.0.0.1:$port/api/log_in"
}
login >/dev/null # warm-up
for _ in $(seq 30); do login; done > /tmp/login-latency.txt
grep -vc '^200 ' /tmp/login-latency.txt >/dev/null && { echo "some sign-ins failed:"; sort /tmp/login-latency.txt | uniq -c | head; }
awk '{print $2 * 1000}' /tmp/login-latency.txt | sort -n | awk '{a[NR]=$1} END {printf "sign-in latency (sequential, n=%d): median %.0f ms, p90 %.0f ms\n", NR, a[int(NR/2)+1], a[int(NR*0.9)]}'
export -f login post; export port password
start=$(date +%s.%N)
seq 60 | xargs -P 4 -I{} bash -c login > /tmp/login-throughput.txt
end=$(date +%s.%N)
ok=$(grep -c '^200 ' /tmp/login-throughput.txt)
awk -v s="$start" -v e="$end" -v n="$ok" 'BEGIN {printf "throughput on one core (4 clients): %d sign-ins in %.2f s = %.1f sign-ins/s\n", n, e - s, n / (e - s)}'
