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
	$(BIN)/python -m pip install -q -e '.[test,dask]'
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
# installed with apt-get when missing (as root, or with password-less sudo). apt-get waits up to
# 5 minutes for a dpkg/apt lock another apt-get holds; its output goes to a private log (mktemp),
# kept only when the install fails. Where it cannot be installed, the browser test is skipped and
# says why; everything else still runs.
APT_WAIT     := -o DPkg::Lock::Timeout=300
APT_CHROMIUM := apt-get $(APT_WAIT) update -qq && DEBIAN_FRONTEND=noninteractive apt-get $(APT_WAIT) install -y -qq chromium
browser:
	@if command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1; then :; \
	elif ! command -v apt-get >/dev/null 2>&1; then \
	  echo "browser: no chromium and no apt-get: the report's browser test will be skipped"; \
	else \
	  if [ "$$(id -u)" = 0 ]; then as=""; \
	  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then as="sudo -n"; \
	  else echo "browser: no chromium, not root and no sudo: the report's browser test will be skipped"; exit 0; fi; \
	  log=$$(mktemp "$${TMPDIR:-/tmp}/bayeslogit-chromium.XXXXXX") || { \
	    echo "browser: cannot create a log file: the browser test will be skipped"; exit 0; }; \
	  echo "browser: installing Debian's chromium ($${as:+sudo }apt-get) for the report's browser test"; \
	  if $$as sh -c '$(APT_CHROMIUM)' >"$$log" 2>&1; then rm -f "$$log"; \
	  else echo "browser: chromium install failed (see $$log): the browser test will be skipped"; fi; \
	fi

test-slow: $(STAMP)
	$(BIN)/python -m pytest -m slow

test-all: test test-slow

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache demo_report.html
