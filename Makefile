# Two commands: `make demo` and `make test` (`make test-fast` while working). Everything else
# is set up on the way.
# Some machines set PYTHONDONTWRITEBYTECODE; then every process (each test worker, server
# and command the suite starts) compiles every module it imports again, and pytest rewrites
# every test module again: half of a command's start-up time here. Bytecode goes to the
# ignored __pycache__ folders.
unexport PYTHONDONTWRITEBYTECODE

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: test test-fast demo lint typecheck setup clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	# uv (from PyPI) installs what pip would, from the same index, in a fraction of the time:
	# from empty caches on this 2-core machine (busy at the time) 42 s instead of 150 s, and CI
	# always starts clean.
	$(PY) -m pip install --quiet 'uv>=0.9,<1'
	$(VENV)/bin/uv pip install --quiet --python $(PY) -e '.[test]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

setup: $(STAMP)

lint: $(STAMP)
	$(VENV)/bin/ruff check couplet tests $(wildcard bench)
	$(VENV)/bin/ruff format --check couplet tests $(wildcard bench)
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy

# Worksteal: the end-to-end scenarios take seconds each, the unit tests milliseconds, so an
# idle worker takes tests from a busy one instead of waiting at the end.
test: lint typecheck
	$(VENV)/bin/pytest -n auto --dist worksteal

# Pure and unit tests only: no end-to-end scenario, server process or PostgreSQL.
test-fast: $(STAMP)
	$(VENV)/bin/pytest -n auto --dist worksteal -m "not e2e and not slow and not postgres"

demo: $(STAMP)
	$(VENV)/bin/couplet demo

clean:
	rm -rf $(VENV) .couplet
