# make demo: set up .venv and run the main job; make test: set up and run the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint docs bench clean frameworks
# The frameworks the cross-check and the audits run against, at the versions docs/crosscheck.md
# and docs/audit.md record.
# torch is pinned and installed first, so that no CUDA build is pulled in.
FRAMEWORKS := jax==0.10.2 jaxlib==0.10.2 flax==0.12.8 keras==3.15.1 transformers==5.23.0 dm-haiku==0.0.17 equinox==0.13.8 tinygrad==0.14.0 mlx[cpu]==0.32.4 paddlepaddle==3.3.1
# timm without its dependencies: its weight-init helpers need torch only, not torchvision.
NODEPS := timm==1.0.31

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,plot]'
	touch $@

frameworks: | $(BIN)/python
	$(BIN)/python -m pip install --quiet torch==2.13.0
	$(BIN)/python -m pip install --quiet $(FRAMEWORKS)
	$(BIN)/python -m pip install --quiet --no-deps $(NODEPS)

demo: $(VENV)/.installed
	$(BIN)/initproof report

lint: $(VENV)/.installed
	$(BIN)/ruff check .

test: lint
	$(BIN)/python -m pytest

# The documents record PyTorch's gains and every framework's findings: refuse, writing
# nothing, unless all of them are installed (`make frameworks`).
docs: $(VENV)/.installed
	$(BIN)/python -m initproof.extras "make docs" torch jax flax keras matplotlib transformers haiku equinox tinygrad timm mlx paddle
	$(BIN)/initproof derive --out docs/derivations
	$(BIN)/python -m initproof.experiments docs/experiments
	$(BIN)/python -m initproof.theory docs/experiments
	KERAS_BACKEND=numpy $(BIN)/initproof crosscheck torch jax keras haiku equinox tinygrad timm mlx paddle --out docs/crosscheck.md
	$(BIN)/python -m initproof.audits docs/audit.md

bench: $(VENV)/.installed
	$(BIN)/python benchmarks/import_speed.py
	$(BIN)/python benchmarks/derive_speed.py
	$(BIN)/python benchmarks/propagate_speed.py

clean:
	rm -rf $(VENV) initproof-report
