# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Each bootstraps a pinned uv into .tools/ and the locked environment into .venv/ on first use.
# `make` alone lists the targets.
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system

.PHONY: help demo run doctor test lint check fmt simulator bench clean

help:
	@echo "make demo       chat in the terminal against the built-in simulator (no network, no tokens)"
	@echo "make run        start the Telegram and/or Discord bots configured in .env"
	@echo "make doctor     check the settings in .env and reach the store, NemoVideo and each platform"
	@echo "make simulator  serve the offline NemoVideo simulator on 127.0.0.1:8765"
	@echo "make test       run the test suite (PostgreSQL tests skip without a local server)"
	@echo "make lint       ruff and mypy (strict)"
	@echo "make check      lint, then test"
	@echo "make fmt        format and auto-fix"
	@echo "make clean      remove .tools, .venv and caches"

$(UV):
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python python3
	@touch $@

demo: .venv/.synced
	$(VENV)/nemobot demo

run: .venv/.synced
	$(VENV)/nemobot run

doctor: .venv/.synced
	$(VENV)/nemobot check

simulator: .venv/.synced
	$(VENV)/nemobot simulator

# Most of the suite waits on loopback I/O, so four workers pay off even on two cores.
TEST_WORKERS ?= 4

test: .venv/.synced
	$(VENV)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: .venv/.synced
	$(VENV)/ruff check .
	$(VENV)/ruff format --check .
	$(VENV)/mypy

check: lint test

fmt: .venv/.synced
	$(VENV)/ruff format .
	$(VENV)/ruff check --fix .

clean:
	rm -rf .tools .venv .mypy_cache .pytest_cache .ruff_cache
