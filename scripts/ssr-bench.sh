#!/usr/bin/env bash
# Server-side rendering throughput (issue 8, item 9): the product page rendered by the release
# server against nginx serving the saved HTML of the same page. The server (one tokio worker
# thread) and nginx (one worker process) run on core 1, the load generator (wrk, one thread,
# 16 connections) on core 0; each gets a 2 s warm-up and a 10 s run.
# With PROFILE=1, `perf record` samples the server during a third run and prints its hottest
# functions. Usage: scripts/ssr-bench.sh (after `cargo leptos build --release`).
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/release/server"
port=3902
nport=3903
db=growthdesk_bench
path="${SSR_BENCH_PATH:-/shop/instagram-follower}"
psql postgres://postgres@127.0.0.1:5432/postgres -qtAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 \
  || psql postgres://postgres@127.0.0.1:5432/postgres -qc "CREATE DATABASE $db"
unset MIGRATION_DATABASE_URL
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" LISTEN_ADDR="127.0.0.1:$port" \
  PUBLIC_URL="http://127.0.0.1:$port" RUST_LOG=warn TOKIO_WORKER_THREADS=1
"$bin" seed >/dev/null
work=$(mktemp -d)
taskset -c 1 "$bin" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

curl -fs -H 'accept: text/html' "http://127.0.0.1:$port$path" >"$work/page.html"
cat >"$work/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nport;
    location / { root $work; default_type text/html; try_files /page.html =404; }
  }
}
EOF
taskset -c 1 nginx -c "$work/nginx.conf" -p "$work" &
for _ in $(seq 50); do curl -fs "http://127.0.0.1:$nport/" >/dev/null && break; sleep 0.1; done

load() { taskset -c 0 wrk -t1 -c16 -d"$2" --latency -H 'accept: text/html' "$1"; }
summary() {
  local out="$1"
  local rps p99
  rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  echo "$rps $p99"
}
bytes=$(wc -c <"$work/page.html")
load "http://127.0.0.1:$port$path" 2s >/dev/null
read -r s_rps s_p99 < <(summary "$(load "http://127.0.0.1:$port$path" 10s)")
load "http://127.0.0.1:$nport/" 2s >/dev/null
read -r n_rps n_p99 < <(summary "$(load "http://127.0.0.1:$nport/" 10s)")
ratio=$(awk -v s="$s_rps" -v n="$n_rps" 'BEGIN { printf "%.1f", 100 * s / n }')
echo "SSR of $path ($bytes bytes of HTML), one core each side:"
echo "  server: $s_rps requests/s, p99 $s_p99"
echo "  nginx:  $n_rps requests/s, p99 $n_p99 (the same bytes from a file)"
echo "  server / nginx: $ratio % (target: at least 40 %)"

if [ "${PROFILE:-0}" = 1 ]; then
  load "http://127.0.0.1:$port$path" 12s >/dev/null &
  loader=$!
  sleep 1
  perf record -q -F 2000 -g -p "$server" -o "$work/perf.data" -- sleep 8 2>"$work/perf.log" \
    || { echo "perf record failed:"; cat "$work/perf.log"; }
  wait "$loader"
  echo "Hottest functions of the server while it renders $path (perf, self time):"
  perf report -i "$work/perf.data" --stdio --no-children --sort symbol >"$work/perf.txt" 2>/dev/null
  grep -E '^ +[0-9]' "$work/perf.txt" | sed -n 1,40p
fi
