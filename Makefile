# Clover: `make run` starts the API with the embedded defaults; `make test` runs every check.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Embedded default: a SQLite file and in-process jobs.
export DATABASE_URL ?= sqlite:///var/clover.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run install browser test lint format spec spec-check pytest bench clean sdk

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/clover db upgrade
	$(BIN)/clover demo
	$(BIN)/clover serve --host $(HOST) --port $(PORT)

# The browser test needs Chromium: installed from Debian's packages when this runs as root
# with apt-get, otherwise the run stops at once saying what to install (scripts/browser).
browser:
	scripts/browser

test: browser install lint spec-check pytest

# One worker per CPU, each test file whole in one worker (its module fixtures built once);
# `make pytest PYTEST_ARGS=tests/api/test_x.py` runs a part in this process instead.
PYTEST_ARGS ?= -n auto --dist loadfile

pytest: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

spec: install
	$(BIN)/clover spec

spec-check: install
	$(BIN)/clover spec --check

# Python client and TypeScript types from the committed spec into build/sdk/, packed as a wheel
# and an npm tarball in build/sdk/dist/ (not committed:
# derived from openapi/openapi.json, so they cannot drift). Needs node and npm for TypeScript.
sdk: install
	$(BIN)/python -m sdk.generate

# The HTTP benchmark (bench/http.py) wants wrk: scripts/bench-tools installs it when it can.
bench: install
	scripts/bench-tools
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.http

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache build/sdk sdk/typescript/node_modules
