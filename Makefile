# Quick start: `make demo` and `make test`. Both create .venv (Python >= 3.12) if missing and install.
PYTHON ?= $(shell command -v python3.12 2>/dev/null || echo python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test test-slow test-all bench install clean browser lint

install: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -c 'import sys; assert sys.version_info >= (3, 12), f"bayeslogit needs Python >= 3.12, the venv has {sys.version.split()[0]}: rm -rf $(VENV) and set PYTHON=python3.12"'
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[test]'
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/bayeslogit demo --report demo_report.html

test: $(STAMP) browser lint
	$(BIN)/python -m pytest -m "not slow"

# ruff (lint and format) and mypy, configured in pyproject.toml; `make test` runs them first.
lint: $(STAMP)
	$(BIN)/ruff check bayeslogit tests benchmarks
	$(BIN)/ruff format --check --quiet bayeslogit tests benchmarks
	$(BIN)/mypy

# Headless Chromium for the report's browser test (tests/test_report.py): Debian's `chromium`,
# installed with apt-get when missing (as root, or with password-less sudo). Where it cannot be
# installed, the browser test is skipped and says why; everything else still runs.
APT_CHROMIUM := apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "browser: no chromium and no apt-get: the report's browser test will be skipped"; \
	elif [ "$$(id -u)" = 0 ]; then \
	  echo "browser: installing Debian's chromium (apt-get) for the report's browser test"; \
	  sh -c '$(APT_CHROMIUM)' >/tmp/bayeslogit-chromium.log 2>&1 || \
	  echo "browser: chromium install failed (see /tmp/bayeslogit-chromium.log): the browser test will be skipped"; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then \
	  echo "browser: installing Debian's chromium (sudo apt-get) for the report's browser test"; \
	  sudo -n sh -c '$(APT_CHROMIUM)' >/tmp/bayeslogit-chromium.log 2>&1 || \
	  echo "browser: chromium install failed (see /tmp/bayeslogit-chromium.log): the browser test will be skipped"; \
	else echo "browser: no chromium, not root and no sudo: the report's browser test will be skipped"; fi

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

test-all: test test-slow

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache demo_report.html
