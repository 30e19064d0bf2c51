# Two commands on a fresh clone: `make dev` runs the whole system, `make test` runs every test.
SHELL := /bin/bash
.DEFAULT_GOAL := help

NODE_STAMP := node_modules/.package-lock.json

.PHONY: help install temporal-cli dev test typecheck lint jest bench reliability clean

help:
	@echo "make dev     run Temporal dev server, reference backend, worker and API (Ctrl-C stops all)"
	@echo "make test    install what is missing, typecheck, lint and run every test"
	@echo "make bench   run the benchmarks (bench/RESULTS.md)"

# npm ci only when node_modules is missing or older than the lock file.
$(NODE_STAMP): package-lock.json
	npm ci --no-audit --no-fund
	@touch $(NODE_STAMP)

install: $(NODE_STAMP) temporal-cli

temporal-cli:
	@bash scripts/ensure-temporal.sh >/dev/null

typecheck: $(NODE_STAMP)
	npx tsc -p tsconfig.json --noEmit

lint: $(NODE_STAMP)
	npx eslint .

jest: install
	npx jest

test: install typecheck lint jest

dev: install
	node node_modules/tsx/dist/cli.mjs scripts/dev.ts

bench: install
	npm run bench

reliability: install
	npm run reliability

clean:
	rm -rf dist .data coverage
