# Two commands do everything on a fresh clone:  make run   and   make test
VENV   ?= .venv
PYTHON ?= python3
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: run test install viz bench clean slurm-demo

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## the main job: a small sweep of scenarios x seeds (configs/experiment/default_job.yaml, a few minutes on
## 2 cores), then its aggregation with the headline table; rerunning resumes where it stopped
run: $(STAMP)
	$(PY) -m experiments.run -m +experiment=default_job; status=$$?; \
	$(PY) -m experiments.aggregate outputs/sweeps/default_job && exit $$status

## the smoke sweep on a real one-node SLURM cluster on this machine (root; installs slurm-wlm and munge)
slurm-demo: $(STAMP)
	PY=$(PY) scripts/slurm_local.sh

## the whole test suite
test: $(STAMP)
	$(PY) -m pytest -n auto -q

clean:
	rm -rf outputs .pytest_cache
