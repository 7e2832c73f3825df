#!/usr/bin/env bash
# Runs server, worker and the local stand-ins together; Ctrl-C (or SIGTERM) stops them all.
set -euo pipefail
bin="${CARGO_TARGET_DIR:-target}/debug"
pids=()
# Without a real Google client, "Google" is the local OpenID Connect server (oauth2-mock-server),
# which signs in one made-up person; the sign-in page labels it as a local test server.
oidc_note=""
if [ -z "${OAUTH_GOOGLE_CLIENT_ID:-}" ] && ! grep -qs '^OAUTH_GOOGLE_CLIENT_ID=.' .env; then
  oidc_port="${LOCAL_OIDC_PORT:-3190}"
  export OAUTH_GOOGLE_CLIENT_ID=growthdesk OAUTH_GOOGLE_CLIENT_SECRET=growthdesk-secret
  export OAUTH_GOOGLE_AUTH_URL="http://127.0.0.1:${oidc_port}/authorize"
  export OAUTH_GOOGLE_TOKEN_URL="http://127.0.0.1:${oidc_port}/token"
  export OAUTH_GOOGLE_USERINFO_URL="http://127.0.0.1:${oidc_port}/userinfo"
  PORT="$oidc_port" OIDC_CLIENT_ID=growthdesk OIDC_CLIENT_SECRET=growthdesk-secret \
    OIDC_USERINFO='{"sub":"local-oidc-1","email":"oidc.demo@example.de","email_verified":true,"name":"OIDC Demo"}' \
    node scripts/oidc-mock.mjs >/dev/null &
  pids+=($!)
  oidc_note="  \"Weiter mit Google\" uses the local OpenID Connect server on port ${oidc_port} (signs in oidc.demo@example.de)."
fi
# The local stand-in SMM panel (not a real provider): the demo routes likes and reel views to
# it, so an order goes to a provider, is polled and completes offline. SMM_STANDIN=0 leaves it
# off (its lines then wait, and retry, until it is started with `make provider`).
provider_note=""
if [ "${SMM_STANDIN:-1}" != 0 ]; then
  "$bin/smm-standin" &
  pids+=($!)
  provider_note="  Likes and reel views go to the local stand-in SMM panel at http://${SMM_STANDIN_ADDR:-127.0.0.1:3005} (not a real provider)."
fi
"$bin/worker" &
worker=$!
"$bin/server" &
server=$!
pids+=($worker $server)
trap 'kill -TERM "${pids[@]}" 2>/dev/null || true; wait' INT TERM
url="${PUBLIC_URL:-http://127.0.0.1:3000}"
echo
echo "  Growthdesk runs at ${url}  (English: ${url}/en, local mail outbox: ${url}/dev/outbox)"
[ -n "$oidc_note" ] && echo "$oidc_note"
[ -n "$provider_note" ] && echo "$provider_note"
echo "  Ctrl-C stops server and worker."
echo
# Whichever stops first (a crash, or Ctrl-C), stop the other one too.
wait -n "${pids[@]}" || true
kill -TERM "${pids[@]}" 2>/dev/null || true
wait
