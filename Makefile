# Two commands do everything on a fresh clone:  make run   and   make test
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install viz bench clean report slurm-demo

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## the main job: a small sweep of scenarios x parameter sets of the shipped posterior x seeds
## (configs/experiment/default_job.yaml, under 3 minutes on 2 cores), then its aggregation with the headline
## table and the report; rerunning resumes where it stopped
run: $(STAMP)
	$(PY) -m experiments.run -m +experiment=default_job; status=$$?; \
	cp data/sensitivity/portierato_effect/effect_morris.csv outputs/sweeps/default_job/ && \
	$(PY) -m experiments.aggregate outputs/sweeps/default_job && \
	$(PY) -m experiments.report outputs/sweeps/default_job --lang $(REPORT_LANG) && exit $$status

## the smoke sweep on a real one-node SLURM cluster on this machine (root; installs slurm-wlm and munge)
slurm-demo: $(STAMP)
	PY=$(PY) scripts/slurm_local.sh

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

## the workshop app on http://localhost:$(VIZ_PORT) (works offline; see README "Running a workshop")
VIZ_PORT ?= 8765
viz: $(STAMP)
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(VENV)/bin/python -m solara run viz/app.py --production \
		--no-check-version --no-open --host 0.0.0.0 --port $(VIZ_PORT)

clean:
	rm -rf outputs .pytest_cache
