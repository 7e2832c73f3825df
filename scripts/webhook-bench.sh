#!/usr/bin/env bash
# Payment events under load (issue 9, item 9): signed `checkout.session.completed` events at a
# steady rate (50/s for 20 s) while wrk loads the storefront's product page, against the
# release server with the built-in test gateway (the webhook reads each session back from it,
# as it would from Stripe). The server runs on core 1 (two tokio workers), wrk and the event
# sender on core 0; 50 events beforehand warm the server up. Afterwards every order must be
# paid exactly once.
# Usage: scripts/webhook-bench.sh (after `cargo leptos build --release`).
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/release/server"
port=3904
db=growthdesk_bench_pay
rate="${WEBHOOK_BENCH_RATE:-50}"
seconds="${WEBHOOK_BENCH_SECONDS:-20}"
warm=50
n=$((rate * seconds + warm))
pg=postgres://postgres@127.0.0.1:5432
psql "$pg/postgres" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
unset MIGRATION_DATABASE_URL STRIPE_SECRET_KEY STRIPE_API_BASE STRIPE_WEBHOOK_SECRET
export DATABASE_URL="$pg/$db" LISTEN_ADDR="127.0.0.1:$port" PUBLIC_URL="http://127.0.0.1:$port" \
  RUST_LOG=warn TOKIO_WORKER_THREADS=2 DATABASE_MAX_CONNECTIONS=20
"$bin" seed >/dev/null
work=$(mktemp -d)
taskset -c 1 "$bin" >"$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.1; done

# N orders waiting for payment, each with a completed, paid session at the test gateway.
psql "$DATABASE_URL" -q <<SQL
INSERT INTO users (id, email, email_verified_at) VALUES ('00000000-0000-7000-8000-00000000b001', 'bench@example.de', now());
INSERT INTO orders (id, user_id, lang, mode, treatment, email, buyer_name, street, postal_code, city,
    country, terms_accepted_at, terms_version, net, vat, total, rates, gateway, session_id)
SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'))::uuid,
       '00000000-0000-7000-8000-00000000b001', 'de', 'payment', 'standard', 'bench@example.de',
       'Bench', 'Hauptstraße 1', '10115', 'Berlin', 'DE', now(), 'bench', 5034, 956, 5990, '[]',
       'test', 'cs_bench_' || i
FROM generate_series(1, $n) AS i;
INSERT INTO test_gateway_sessions (id, object, line_items, request_hash)
SELECT 'cs_bench_' || i,
       jsonb_build_object('id', 'cs_bench_' || i, 'object', 'checkout.session', 'mode', 'payment',
           'status', 'complete', 'payment_status', 'paid',
           'client_reference_id', '00000000-0000-7000-9000-' || lpad(to_hex(i), 12, '0'),
           'customer', 'cus_bench', 'payment_intent', 'pi_bench_' || i, 'subscription', null,
           'amount_total', 5990, 'currency', 'eur', 'url', null, 'metadata', '{}'::jsonb,
           'created', 1767225600, 'expires_at', 1767312000, 'livemode', false,
           'automatic_tax', jsonb_build_object('enabled', false), 'custom_fields', '[]'::jsonb,
           'custom_text', '{}'::jsonb, 'payment_method_types', '["card"]'::jsonb,
           'shipping_options', '[]'::jsonb),
       '[]', 'bench'
FROM generate_series(1, $n) AS i;
SQL
psql "$DATABASE_URL" -qtAc "SELECT object FROM test_gateway_sessions ORDER BY id" >"$work/sessions.jsonl"

# The storefront under load meanwhile.
taskset -c 0 wrk -t1 -c8 -d$((seconds + 4))s --latency -H 'accept: text/html' \
  "http://127.0.0.1:$port/shop/instagram-follower" >"$work/wrk.txt" &
loader=$!
sleep 1
taskset -c 0 node scripts/webhook-bench.mjs "http://127.0.0.1:$port" whsec_growthdesk_local_test_gateway \
  "$work/sessions.jsonl" "$rate" "$seconds" "$warm"
wait "$loader"
echo "  storefront meanwhile: $(awk '/Requests\/sec/ {print $2}' "$work/wrk.txt") requests/s of the product page, p99 $(awk '$1 == "99%" {print $2}' "$work/wrk.txt" || true)"
paid=$(psql "$DATABASE_URL" -qtAc "SELECT count(*) FROM orders WHERE status = 'paid'")
payments=$(psql "$DATABASE_URL" -qtAc "SELECT count(*) FROM payments")
jobs=$(psql "$DATABASE_URL" -qtAc "SELECT count(*) FROM apalis.jobs WHERE job_type = 'growthdesk::order_confirmation'")
echo "  afterwards: $paid of $n orders paid, $payments payments, $jobs confirmation mails queued"
[ "$paid" = "$n" ] && [ "$payments" = "$n" ] && [ "$jobs" = "$n" ]
