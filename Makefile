# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements/dev.txt | cksum | cut -d' ' -f1)

.PHONY: run test fuzz install browser lint check scan js contract unit lock build deploy clean bench proof

# Exactly the locked versions (hashes checked), then the project itself without resolving anything.
$(STAMP): pyproject.toml requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements/dev.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## Debian's Chromium for the portal's browser tests (Playwright drives it; its own download is not used).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@test -x $(CHROMIUM) || { echo "Installing Debian's chromium ..."; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@$(CHROMIUM) --version

## Start the embedded stack (moto + the template's API on :3000 and Lambda on :3001), seed demo data.
run: install
	$(BIN)/ccp-local up

## Everything CI runs: unit, integration, infrastructure (cfn-lint among them), proof and system tests
## (the portal's in Chromium), on three workers for two cores (the system and fuzzing suites wait on
## their stacks; a test module stays on one worker, with its module-wide stacks).
test: install browser
	$(BIN)/python -m pytest -n 3 --dist loadscope --no-loadscope-reorder

## The API fuzzed deeper than `make test` does: 500 examples per operation (the suite's 50), same seed.
fuzz: install
	CCP_FUZZ_EXAMPLES=500 $(BIN)/python -m pytest -q tests/proof/test_fuzzing.py

## The proof suites alone (access, mass assignment, fuzzing, faults, PII, least privilege): one table of figures.
proof: install
	$(BIN)/python -m pytest -q tests/proof tests/infrastructure/test_template.py

lint: install
	$(BIN)/cfn-lint infra/template.yaml

## The template judged by the IaC scanner most AWS teams run (checkov, in its own locked venv as SAM CLI
## is): any finding neither fixed nor suppressed on its resource with a reason fails (docs/decisions.md).
CHECKOV_VENV := .venv-checkov
$(CHECKOV_VENV)/.installed: requirements/checkov.txt
	test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/checkov.txt
	touch $@

scan: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov -f infra/template.yaml --framework cloudformation --compact --quiet --skip-download

## The portal's JavaScript type-checked (every module `// @ts-check`, JSDoc types) by TypeScript, pinned
## with its integrity hash in package-lock.json (Node.js and npm are the machine's own).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

js: node_modules/.installed
	node_modules/.bin/tsc -p portal/jsconfig.json

## Static checks: ruff (lint and format), mypy (strict on the rules layer, shared/ccp), the plan of the
## house (import-linter: [tool.importlinter] in pyproject.toml), the portal's types, the template's scan.
check: install scan js
	PYTHONPATH=functions:shared:local:. $(BIN)/lint-imports --no-cache
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared/ccp functions local

## The API's contract, made from the resolvers: docs/openapi.json (a test fails when it drifts from the code).
contract: install
	PYTHONPATH=functions:shared:local $(BIN)/python -m ccp_local.openapi > docs/openapi.json
	PYTHONPATH=functions:shared $(BIN)/python -m imports.lines > docs/import.schema.json

## The pure unit tests alone, in seconds: moto is made unimportable, so none of them can lean on it
## (the past-days property runs 30 examples here, 300 in `make test`).
unit: install
	CCP_PAST_DAYS_EXAMPLES=30 CCP_IMPORT_EXAMPLES=20 $(BIN)/python -c "import sys, pytest; sys.modules['moto'] = None; sys.exit(pytest.main(['-q', 'tests/unit']))"

## Renew the locks: the layer's for the functions' runtime and architecture, and development's within it.
lock: install
	$(BIN)/uv pip compile shared/requirements.in --python-version 3.11 --python-platform aarch64-manylinux2014 \
		--only-binary :all: --generate-hashes --custom-compile-command "make lock" -o shared/requirements.txt -q
	$(BIN)/uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 -c shared/requirements.txt \
		--generate-hashes --custom-compile-command "make lock" -o requirements/dev.txt -q
	$(BIN)/uv pip compile requirements/sam.in --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" -o requirements/sam.txt -q
	$(BIN)/uv pip compile requirements/checkov.in --universal --python-version 3.11 \
		--generate-hashes --custom-compile-command "make lock" -o requirements/checkov.txt -q

## The deployable artifact: `sam build` (no container: it fetches the layer's locked wheels for
## python3.11 arm64 from PyPI) and `sam validate --lint`. SAM CLI lives in its own venv.
SAM_VENV := .venv-sam
SAM := AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam
$(SAM_VENV)/.installed: requirements/sam.txt
	test -x $(SAM_VENV)/bin/python || $(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/python -m pip install --quiet --require-hashes --no-deps -r requirements/sam.txt
	touch $@

build: $(SAM_VENV)/.installed
	$(SAM) validate --lint --template-file infra/template.yaml
	$(SAM) build --template-file infra/template.yaml --base-dir infra --build-dir .aws-sam/build
	@du -sh .aws-sam/build/RulesLayer | sed 's/^/layer (unzipped): /'

## Deploy to the AWS account of your credentials (samconfig.toml names the stack and its parameters;
## STAGE=prod picks that environment's section), then publish portal/ to its bucket and CloudFront.
## See the README, "Deploying to AWS".
STAGE ?= dev
STACK = $(shell sed -n '/^\[$(STAGE)\.deploy\.parameters\]/,/^\[/s/^stack_name = "\(.*\)"/\1/p' samconfig.toml)
deploy: build
	$(SAM) deploy --config-file $(CURDIR)/samconfig.toml --config-env $(STAGE) --template-file .aws-sam/build/template.yaml
	AWS_DEFAULT_REGION=$${AWS_DEFAULT_REGION:-us-east-1} $(SAM_VENV)/bin/python infra/publish_portal.py --stack $(STACK)

clean:
	rm -rf $(VENV) $(BENCH_VENV) $(SAM_VENV) $(CHECKOV_VENV) node_modules .aws-sam .ccp-local .pytest_cache

## Benchmarks (not part of the tests): prints a table of ratios and writes bench/results.md.
MEMBERS ?= 100000
MIXED ?= 10000
STACK_MEMBERS ?= 0
IMPORT_MEMBERS ?= 10000
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: bench/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@

bench: install $(BENCH_VENV)/.installed
	$(BIN)/python bench/run.py --members $(MEMBERS) --mixed $(MIXED) --stack-members $(STACK_MEMBERS) --import-members $(IMPORT_MEMBERS)
