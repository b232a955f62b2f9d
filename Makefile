# Two entry points: `make demo` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PYTHONDONTWRITEBYTECODE :=

.PHONY: demo test lint format lock bench clean

$(BIN)/uv:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv

$(STAMP): $(BIN)/uv pyproject.toml requirements/lock.txt
	$(BIN)/uv pip install --quiet --python $(BIN)/python --compile-bytecode \
		--config-settings editable_mode=compat -c requirements/lock.txt -e '.[test,socks,video]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest --durations=25

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

lock: $(BIN)/uv
	$(BIN)/uv pip compile pyproject.toml --extra test --extra socks --extra video --python-version 3.11 -q -o requirements/lock.txt

bench: $(STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) .airflow .pytest_cache
