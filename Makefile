# Fluxo front door. `make help` lists the targets; `make run` and `make test` are the two that matter.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PYTEST := $(BIN)/pytest -p no:cacheprovider -n auto

# pip reinstalls only when pyproject.toml is newer than these stamps.
DEV_STAMP := $(VENV)/.installed-dev
ML_STAMP := $(VENV)/.installed-ml
LAYER_STAMP := layers/build/.built
CDK := JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20 node_modules/.bin/cdk
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION = 20

FLUXO_TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/test
export FLUXO_TEST_DATABASE_URL

.DEFAULT_GOAL := help
.PHONY: help install install-ml run test test-unit test-integration lint format openapi bench conformance layers synth security clean

help: ## List the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-zA-Z_-]+:.*## / { printf "  %-18s %s\n", $$1, $$2 }' \
		$(MAKEFILE_LIST)

install: $(DEV_STAMP) ## Create .venv and install fluxo with the dev, cdk and parquet extras (once)

$(DEV_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -e '.[dev,cdk,parquet]'
	touch $@

install-ml: $(ML_STAMP) ## Also install the ml extra (TensorFlow: training the models and its tests)

$(ML_STAMP): $(DEV_STAMP)
	$(BIN)/python -m pip install -e '.[dev,cdk,parquet,ml]'
	touch $@

run: install ## Migrate, load the demo data once, serve the API at http://127.0.0.1:8000
	$(BIN)/fluxo migrate
	$(BIN)/fluxo demo --if-missing
	$(BIN)/fluxo serve --host 127.0.0.1 --port 8000

test: install-ml layers ## Run every test tier against PostgreSQL (FLUXO_TEST_DATABASE_URL), training and the built layer included
	scripts/ensure-postgres.sh
	$(PYTEST) tests

test-unit: install ## Run the unit tests only (no database, no network)
	$(PYTEST) tests/unit

test-integration: install ## Run the integration tests against PostgreSQL
	scripts/ensure-postgres.sh
	$(PYTEST) tests/integration

lint: install ## ruff check, ruff format --check and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared functions events stacks

format: install ## Reformat the code and apply ruff's safe fixes
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

openapi: install ## Regenerate docs/openapi.json from the app
	@mkdir -p docs
	$(BIN)/fluxo openapi > docs/openapi.json.tmp || { rm -f docs/openapi.json.tmp; exit 1; }
	mv docs/openapi.json.tmp docs/openapi.json

bench: install ## Run the benchmarks in bench/
	@if [ -f bench/__main__.py ]; then \
		$(BIN)/python -m bench; \
	else \
		echo "bench: no benchmarks yet (bench/__main__.py is missing)"; \
	fi

conformance: install ## Import the public bank files of ../shared/data (formats, rows, sums, dates, errors)
	$(BIN)/python bench/conformance.py $(or $(DIR),../shared/data/statements)

layers: $(LAYER_STAMP) ## Build the Lambda dependency layers core, models, parquet (Python 3.12, arm64 wheels)

$(LAYER_STAMP): $(wildcard layers/requirements/*.txt) layers/build.py $(DEV_STAMP)
	$(BIN)/python layers/build.py
	touch $@

node_modules/.bin/cdk: package.json package-lock.json
	npm ci --no-audit --no-fund

synth: install layers node_modules/.bin/cdk ## Synthesize both regions into cdk.out (offline, cdk-nag on)
	$(CDK) synth --no-notices -q

# checkov lives in its own venv: installed next to the CDK it would downgrade boto3.
CHECKOV_VENV  := .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
SECURITY_OUT  := build/security
# cfn-lint checks each template against these regions (cdk.json's primaryRegion, secondaryRegion).
CFN_LINT_REGIONS ?= us-east-1 us-west-2

$(CHECKOV_STAMP):
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov
	touch $@

# cfn-lint's exit code is bit flags (2 error, 4 warning, 8 informational): only bits other than
# 4 and 8 fail the target. checkov's failed checks are reported, not fatal (docs/security.md).
security: synth $(CHECKOV_STAMP) ## cfn-lint (errors fail), checkov and cdk-nag counts over cdk.out
	@mkdir -p $(SECURITY_OUT)
	@rm -f $(SECURITY_OUT)/cfn-lint.json $(SECURITY_OUT)/results_json.json
	@echo "cfn-lint $$($(BIN)/cfn-lint --version | cut -d' ' -f2) on cdk.out/*.template.json"
	@lint=0; $(BIN)/cfn-lint --regions $(CFN_LINT_REGIONS) --include-checks I --format json \
		cdk.out/*.template.json > $(SECURITY_OUT)/cfn-lint.json || lint=$$?; \
	echo "checkov on cdk.out"; \
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov -d cdk.out --framework cloudformation \
		--compact --quiet -o cli -o json --output-file-path $(SECURITY_OUT) \
		> $(SECURITY_OUT)/checkov.log 2>&1 || true; \
	echo; \
	$(BIN)/python scripts/security_report.py --cdk-out cdk.out \
		--cfn-lint $(SECURITY_OUT)/cfn-lint.json --checkov $(SECURITY_OUT)/results_json.json \
		|| exit 1; \
	echo; echo "details: $(SECURITY_OUT)/ (cfn-lint.json, results_cli.txt, checkov.log)"; \
	if [ $$(( lint & ~12 )) -ne 0 ]; then echo "security: cfn-lint errors (exit $$lint)" >&2; \
		exit 1; fi

clean: ## Remove build output and caches (keeps .venv and local data)
	rm -rf cdk.out build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache .hypothesis \
		docs/openapi.json.tmp
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -exec rm -rf {} +
