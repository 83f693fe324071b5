# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SCENARIO ?= memory_leak
PYTEST_ARGS ?= -n 2

.PHONY: demo test bench lint typecheck install clean

BENCH_STAMP := $(VENV)/.bench-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip==25.3
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

# The benchmark's baselines (RCAEval); the tests use them too.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev,bench]'
	rm -f $(VENV)/.bench-*
	touch $@

install: $(STAMP)

## Onboard a simulated AWS account, inject an incident and diagnose it (SCENARIO=name to choose).
demo: $(STAMP)
	$(BIN)/cloudwarden demo --scenario $(SCENARIO)

## The whole test suite (PostgreSQL tests run when CLOUDWARDEN_TEST_POSTGRES_URL is set).
test: $(BENCH_STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

## Generated-case diagnosis benchmark with baselines (CASES=, SEED=).
bench: $(BENCH_STAMP)
	$(BIN)/cloudwarden bench diagnose --cases $(or $(CASES),16) --seed $(or $(SEED),1)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/lint-imports
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
