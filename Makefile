# Two commands for a fresh machine with python3: `make lab` opens the course, `make test`
# runs every test. Both build .venv from the lock (requirements.txt) the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

.PHONY: setup lab student test test-unit test-notebooks bench execute clean

setup: $(READY)

$(READY): requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Opens the repository: notebooks/ (with solutions) and student/ (without).
lab: $(READY) student
	$(VENV)/bin/jupyter lab $(if $(filter 0,$(shell id -u)),--allow-root)

# Student versions of the notebooks, exercise solutions taken out; never overwrites yours:
# says per notebook what it did, and writes a newer course version beside yours (NN_*.new.ipynb).
student: $(READY)
	$(PY) -m course_utils.student notebooks student

test: test-unit test-notebooks

test-unit: $(READY)
	$(PY) -m pytest tests

test-notebooks: $(READY)
	$(PY) -m pytest $(NBVAL) notebooks

# Re-execute every notebook in place and store its outputs (after changing one, or the lock).
execute: $(READY)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9]*.ipynb

# Binder's copy of the lock: the same pins, torch's CPU build from PyTorch's CPU index. A
# plain file (not `-r ../requirements.txt`) so repo2docker can cache its install layer.
binder/requirements.txt: requirements.txt
	{ echo "# Generated from ../requirements.txt by 'make binder/requirements.txt'. Same pins;"; \
	  echo "# torch is the CPU build from PyTorch's CPU index (PyPI's pulls GBs of CUDA wheels)."; \
	  echo "--extra-index-url https://download.pytorch.org/whl/cpu"; \
	  grep -v '^#' requirements.txt | sed 's/^torch==\(.*\)$$/torch==\1+cpu/'; } > $@

bench: $(READY)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV)
