# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml shared/requirements.txt | cksum | cut -d' ' -f1)

.PHONY: run test install lint clean bench proof

$(STAMP): pyproject.toml shared/requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

## Start the embedded stack (moto + the template's API on :3000 and Lambda on :3001), seed demo data.
run: install
	$(BIN)/ccp-local up

## Everything CI runs: template lint, then unit, integration, infrastructure and system tests.
test: install
	$(BIN)/cfn-lint infra/template.yaml
	$(BIN)/python -m pytest

## The proof suites alone (access, mass assignment, fuzzing, faults, PII, least privilege): one table of figures.
proof: install
	$(BIN)/python -m pytest -q tests/proof tests/infrastructure/test_template.py

lint: install
	$(BIN)/cfn-lint infra/template.yaml

clean:
	rm -rf $(VENV) $(BENCH_VENV) .ccp-local .pytest_cache

## Benchmarks (not part of the tests): prints a table of ratios and writes bench/results.md.
MEMBERS ?= 100000
MIXED ?= 10000
STACK_MEMBERS ?= 0
BENCH_VENV := .venv-bench
$(BENCH_VENV)/.installed: bench/requirements.txt
	test -x $(BENCH_VENV)/bin/python || $(PYTHON) -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	touch $@

bench: install $(BENCH_VENV)/.installed
	$(BIN)/python bench/run.py --members $(MEMBERS) --mixed $(MIXED) --stack-members $(STACK_MEMBERS)
