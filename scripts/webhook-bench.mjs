// Signed checkout events at a steady rate against a running server (scripts/webhook-bench.sh
// prepares the orders and the load). Prints p50/p99 of the acknowledgement; the webhook
// answers only after the order's transaction committed, so each acknowledgement is also the
// moment the paid order was visible.
// The first WARM sessions are sent one by one beforehand and not counted (connections and
// caches warm up, as on a server that has been running).
// Usage: node scripts/webhook-bench.mjs BASE_URL SECRET SESSIONS_FILE RATE SECONDS WARM
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

const [base, secret, sessionsFile, rateArg, secondsArg, warmArg] = process.argv.slice(2);
const warm = Number(warmArg ?? 0);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const sessions = readFileSync(sessionsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const total = Math.min(sessions.length - warm, rate * seconds);

function sign(body) {
  const t = Math.floor(Date.now() / 1000);
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${v1}`;
}

const latencies = [];
let failures = 0;
async function send(i, record = true) {
  const session = sessions[i];
  const body = JSON.stringify({
    id: `evt_bench_${i}_${Date.now()}`,
    object: 'event',
    type: 'checkout.session.completed',
    created: Math.floor(Date.now() / 1000),
    livemode: false,
    pending_webhooks: 1,
    data: { object: session },
  });
  const started = performance.now();
  try {
    const res = await fetch(`${base}/webhooks/stripe`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'stripe-signature': sign(body) },
      body,
    });
    await res.arrayBuffer();
    if (!res.ok) failures++;
  } catch {
    failures++;
  }
  if (record) latencies.push(performance.now() - started);
}

for (let i = 0; i < warm; i++) await send(sessions.length - 1 - i, false);
failures = 0;

const pending = [];
const start = performance.now();
for (let i = 0; i < total; i++) {
  const due = start + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  pending.push(send(i));
}
await Promise.all(pending);
const elapsed = (performance.now() - start) / 1000;
latencies.sort((a, b) => a - b);
const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))].toFixed(1);
console.log(`webhook: ${latencies.length} signed events in ${elapsed.toFixed(1)} s (${(latencies.length / elapsed).toFixed(1)}/s), ${failures} failed`);
console.log(`  acknowledgement = event-to-committed-order: p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${q(1)} ms`);
