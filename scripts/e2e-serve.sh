#!/usr/bin/env bash
# Starts server and worker for the Playwright tests: own port, own database, own outbox.
set -euo pipefail
port="${E2E_PORT:-3100}"
bin="${CARGO_TARGET_DIR:-target}/debug"
export LISTEN_ADDR="127.0.0.1:${port}"
export PUBLIC_URL="http://127.0.0.1:${port}"
export DATABASE_URL="${E2E_DATABASE_URL:-postgres://growthdesk_app@127.0.0.1:5432/growthdesk_e2e}"
export MIGRATION_DATABASE_URL="${E2E_MIGRATION_DATABASE_URL:-postgres://growthdesk_owner@127.0.0.1:5432/growthdesk_e2e}"
export MAIL_OUTBOX_DIR="var/e2e-outbox"
export STORAGE_DIR="var/e2e-storage"
export S3_BUCKET=""
export SMTP_HOST=""
export SHUTDOWN_GRACE_SECS=5
rm -rf "$MAIL_OUTBOX_DIR" "$STORAGE_DIR"
# "Google" is the local OpenID Connect server (oauth2-mock-server), which signs in one person.
oidc_port="${E2E_OIDC_PORT:-3190}"
export OAUTH_GOOGLE_CLIENT_ID=growthdesk OAUTH_GOOGLE_CLIENT_SECRET=growthdesk-secret
export OAUTH_GOOGLE_AUTH_URL="http://127.0.0.1:${oidc_port}/authorize"
export OAUTH_GOOGLE_TOKEN_URL="http://127.0.0.1:${oidc_port}/token"
export OAUTH_GOOGLE_USERINFO_URL="http://127.0.0.1:${oidc_port}/userinfo"
PORT="$oidc_port" OIDC_CLIENT_ID="$OAUTH_GOOGLE_CLIENT_ID" OIDC_CLIENT_SECRET="$OAUTH_GOOGLE_CLIENT_SECRET" \
  OIDC_USERINFO='{"sub":"e2e-oidc-1","email":"oidc.kunde@example.de","email_verified":true,"name":"OIDC Kunde"}' \
  node scripts/oidc-mock.mjs &
oidc=$!
# The demo catalog (and its demo rows) for the shop tests; migrates first.
"$bin/server" seed
# The local stand-in SMM panel the demo routes likes and views to, quick to complete.
SMM_STANDIN_ADDR="127.0.0.1:3005" SMM_STANDIN_SECONDS=3 "$bin/smm-standin" &
panel=$!
"$bin/worker" &
worker=$!
"$bin/server" &
server=$!
trap 'kill -TERM $server $worker $oidc $panel 2>/dev/null || true; wait' INT TERM EXIT
wait -n $server $worker $oidc $panel
