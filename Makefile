# Two commands do everything on a fresh clone:  make run   and   make test
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install viz bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## run the default experiment and print where the results are
run: $(STAMP)
	$(PY) -m experiments.run

## the whole test suite
test: $(STAMP)
	$(PY) -m pytest -n auto -q

## the benchmark suite (not part of make test): a table on the terminal and benchmarks/results/latest.json
bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf outputs .pytest_cache
