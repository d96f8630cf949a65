# Two commands do everything on a fresh clone:  make run   and   make test
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install viz bench clean report

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## run the default experiment and print where the results are
run: $(STAMP)
	$(PY) -m experiments.run

## the policy report of a sweep:  make report DIR=outputs/sweeps/...  [REPORT_LANG=en]
REPORT_LANG ?= it
report: $(STAMP)
	@test -n "$(DIR)" || { echo "usage: make report DIR=<sweep directory> [REPORT_LANG=it|en]" >&2; exit 2; }
	$(PY) -m experiments.report "$(DIR)" --lang $(REPORT_LANG)

## the whole test suite
test: $(STAMP)
	$(PY) -m pytest -n auto -q

## the benchmark suite (not part of make test): a table on the terminal and benchmarks/results/latest.json
bench: $(STAMP)
	$(PY) -m benchmarks

clean:
	rm -rf outputs .pytest_cache
