# penmotor -- the two quick-start commands:
#   make demo   set up (.venv) and run the main job on bundled sample data
#   make test   set up (.venv + dev extras + local test services) and run the whole test suite
# .ci/run calls `make test`.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin

.PHONY: demo test setup setup-dev bench clean

$(BIN)/python:
	sh scripts/bootstrap-venv.sh "$(PYTHON)" "$(VENV)"

$(VENV)/.setup: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[capture]"
	touch $@

$(VENV)/.setup-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.setup

setup: $(VENV)/.setup
setup-dev: $(VENV)/.setup-dev

demo: $(VENV)/.setup
	$(BIN)/penmotor demo

test: $(VENV)/.setup-dev
	. scripts/test-services.sh; trap penmotor_services_stop EXIT; trap 'exit 130' INT TERM; \
	$(BIN)/python -m pytest

bench: $(VENV)/.setup-dev
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info capture/*.egg-info .pytest_cache .hypothesis
