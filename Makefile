# Two commands do all set-up on a fresh machine: `make demo` and `make test`.
# Each bootstraps a pinned uv into .tools/ and the locked environment into .venv/ on first use.
UV_VERSION := 0.13.9
UV := .tools/bin/uv
VENV := .venv/bin
export UV_PYTHON_DOWNLOADS := never
export UV_PYTHON_PREFERENCE := only-system

.PHONY: demo test lint check fmt simulator bench clean

$(UV):
	python3 -m venv .tools
	.tools/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

.venv/.synced: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python python3
	@touch $@

demo: .venv/.synced
	$(VENV)/nemobot demo

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
