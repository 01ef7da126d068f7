# make demo: set up .venv and run the main job; make test: set up and run the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint docs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,plot]'
	touch $@

demo: $(VENV)/.installed
	$(BIN)/initproof report

lint: $(VENV)/.installed
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

docs: $(VENV)/.installed
	$(BIN)/initproof derive --out docs/derivations
	$(BIN)/python -m verify.experiments docs/experiments

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/derive_speed.py
	$(BIN)/python benchmarks/propagate_speed.py

clean:
	rm -rf $(VENV) initproof-report
