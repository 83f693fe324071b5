# Two commands set everything up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
SCENARIO ?= memory_leak
PYTEST_ARGS ?= -n 2

.PHONY: demo test bench lint typecheck install clean chromium screenshots

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
test: $(BENCH_STAMP) chromium
	$(BIN)/pytest $(PYTEST_ARGS)

## Debian's Chromium for the console's browser tests, installed when missing (needs apt-get as
## root); without it those tests skip and say why.
chromium:
	@test -x /usr/bin/chromium || { command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ] && \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
	  echo "Chromium could not be installed: the browser tests will skip"

## The README's console screenshots, as the browser tests take them (build/test-artifacts/screenshots/).
screenshots: $(BENCH_STAMP) chromium
	$(BIN)/pytest -n 0 -p no:randomly tests/web/browser/test_on_call_loop.py -k approves
	cp build/test-artifacts/screenshots/incident-page.png docs/screenshots/incident-page.png

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
