# Two commands for a fresh machine with python3: `make lab` opens the course, `make test`
# runs every test. Both build .venv from the lock (requirements.txt) the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

.PHONY: setup lab test test-unit test-notebooks bench execute clean

setup: $(READY)

$(READY): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

lab: $(READY)
	$(VENV)/bin/jupyter lab notebooks/

test: test-unit test-notebooks

test-unit: $(READY)
	$(PY) -m pytest tests

test-notebooks: $(READY)
	$(PY) -m pytest $(NBVAL) notebooks

# Re-execute every notebook in place and store its outputs (after changing one, or the lock).
execute: $(READY)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9]*.ipynb

bench: $(READY)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV)
