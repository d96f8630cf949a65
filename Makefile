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

## the workshop app on http://localhost:$(VIZ_PORT) (works offline; see README "Running a workshop")
VIZ_PORT ?= 8765
viz: $(STAMP)
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(VENV)/bin/python -m solara run viz/app.py --production \
		--no-check-version --no-open --host 0.0.0.0 --port $(VIZ_PORT)

clean:
	rm -rf outputs .pytest_cache
