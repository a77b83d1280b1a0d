# Two commands for a fresh machine with python3: `make lab` opens the course, `make test`
# runs every test. Both build .venv from the lock (requirements.txt) the first time.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.ready
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg
# Where students start: the student version of notebook 01 (no solutions), made by `make student`.
START := student/01_pytorch_autograd.ipynb

# The Python versions the lock installs on (tests/test_setup_lock.py resolves it for each):
# soupsieve 4.1.2 needs 3.11.5, contourpy 1.3.3 has no wheels for 3.10; 3.14 is not tested.
SUPPORTED := CPython 3.11.5 or newer 3.11, 3.12 or 3.13
define CHECK_PYTHON
v=$$($(PYTHON) --version 2>&1); \
if ! echo "$$v" | awk '{ split($$2, v, "."); ok = v[1] == 3 && ((v[2] == 11 && v[3] + 0 >= 5) || v[2] == 12 || v[2] == 13); exit !ok }'; then \
  echo "make: PYTHON=$(PYTHON) is '$${v:-not found}'; this course's lock installs on $(SUPPORTED)." >&2; \
  echo "      Install one of those and run e.g. 'make lab PYTHON=python3.12' (see README, Troubleshooting)." >&2; \
  exit 1; \
fi
endef

.PHONY: setup check-python lab student present test test-unit test-notebooks bench execute clean set-repo student-branch site

setup: $(READY)

check-python:
	@$(CHECK_PYTHON)

# A fresh .venv each time the lock changes, so a package the lock dropped goes too. Then torch
# first and alone, with the lock's index line (PyTorch's CPU index: the +cpu build on Linux),
# then the rest of the lock from PyPI only: one request to that index, not one per package.
$(READY): requirements.txt pyproject.toml binder/configure_jupyter.py
	@$(CHECK_PYTHON)
	rm -rf $(VENV) && $(PYTHON) -m venv $(VENV)
	grep -E '^(--extra-index-url|torch==)' requirements.txt > $(VENV)/requirements-torch.txt
	$(PY) -m pip install --quiet --no-deps -r $(VENV)/requirements-torch.txt
	grep -v -E '^--extra-index-url' requirements.txt > $(VENV)/requirements-pypi.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements-pypi.txt
	$(PY) -m pip install --quiet --no-deps -e .
	$(PY) binder/configure_jupyter.py
	touch $@

# Opens JupyterLab on the student version of notebook 01; the file browser shows the whole
# repository: student/ (without solutions) and notebooks/ (with them, for instructors).
lab: $(READY) student
	$(VENV)/bin/jupyter lab --LabApp.default_url=/lab/tree/$(START) $(if $(filter 0,$(shell id -u)),--allow-root)

# Student versions of the notebooks, exercise solutions taken out; never overwrites yours.
student: $(READY)
	$(PY) -m course_utils.student notebooks student

# Presenting copies for an instructor: the solved notebooks, stored outputs kept, each
# exercise's solution folded; made afresh each time (present/ is no one's work).
present: $(READY)
	$(PY) -m course_utils.present notebooks present

# Colab opens notebooks from GitHub, where student/ is not (it is generated): this commits
# fresh student versions on top of HEAD to the branch `student`, which the README's Colab
# links open. Publish it after each change: git push origin student
STUDENT_INDEX := $(VENV)/student-branch.index
student-branch: $(READY)
	rm -rf $(VENV)/student-branch $(STUDENT_INDEX)
	$(PY) -m course_utils.student notebooks $(VENV)/student-branch
	GIT_INDEX_FILE=$(STUDENT_INDEX) git read-tree HEAD
	for f in $(VENV)/student-branch/*.ipynb; do \
	  GIT_INDEX_FILE=$(STUDENT_INDEX) git update-index --add \
	    --cacheinfo 100644,$$(git hash-object -w $$f),student/$$(basename $$f) || exit 1; done
	git branch -f student $$(git commit-tree -p HEAD -m "Student versions of the notebooks \
	  (make student-branch)" $$(GIT_INDEX_FILE=$(STUDENT_INDEX) git write-tree))
	@echo "Branch 'student' holds student/ on top of HEAD: publish it with 'git push origin student'."

test: site test-unit test-notebooks

# Two pytest workers (pytest-xdist), one per core of a 2-core machine: most of the time goes to
# running notebooks, one kernel each (measured from fresh clones: the unit tests took 23 min
# two at a time without the browser's, 32 min one at a time with them and one notebook
# fewer). A test file stays on
# one worker (--dist loadfile: a file's results in build/ are written by one process), and so
# does a notebook's cells under nbval (--dist loadscope: they share one kernel, in order).
# The browser tests run alone afterwards, as on the machine their timeouts were chosen on.
# (One session for both, --dist loadgroup with a group per notebook, was tried: xdist ran
# single cells of a notebook on the other worker, in another kernel.)
WORKERS := -n 2

test-unit: $(READY)
	$(PY) -m pytest $(WORKERS) --dist loadfile --ignore=tests/test_browser.py tests
	$(PY) -m pytest tests/test_browser.py

test-notebooks: $(READY)
	$(PY) -m pytest $(WORKERS) --dist loadscope $(NBVAL) notebooks

# Re-execute every notebook in place and store its outputs (after changing one, or the lock).
execute: $(READY)
	$(VENV)/bin/jupyter nbconvert --to notebook --execute --inplace notebooks/[0-9]*.ipynb

# Binder's copy of the lock: the same lines. A plain file (not `-r ../requirements.txt`) so
# repo2docker can cache its install layer.
binder/requirements.txt: requirements.txt
	{ echo "# Generated from ../requirements.txt by 'make binder/requirements.txt': the same lock."; \
	  grep -v '^#' requirements.txt; } > $@

# The course's GitHub repository, named in the Binder badge, the Colab links and the
# notebooks' Colab cells: set it once, e.g. `make set-repo REPO=owner/name`.
set-repo:
	$(PYTHON) binder/set_repo.py $(REPO)

# The course's website: a Jupyter Book of the README, the notebooks (stored outputs, nothing
# re-executed) and docs/instructors.md, in build/site/_build/html. Its tools are pinned in
# requirements-site.txt and live in their own .venv-site, apart from the course's lock.
SITE_VENV := .venv-site
SITE_READY := $(SITE_VENV)/.ready
$(SITE_READY): requirements-site.txt
	@$(CHECK_PYTHON)
	$(PYTHON) -m venv $(SITE_VENV)
	$(SITE_VENV)/bin/python -m pip install --quiet -r requirements-site.txt
	touch $@

site: $(SITE_READY)
	$(SITE_VENV)/bin/python docs/site/build_site.py

# The benchmark's peers (deepwave, Devito) live in their own virtualenv, never in the course's:
# torch from the lock's own lines, then benchmarks/requirements-bench.txt (every pin, --no-deps).
BENCH_VENV := .venv-bench
BENCH_READY := $(BENCH_VENV)/.ready
$(BENCH_READY): benchmarks/requirements-bench.txt requirements.txt
	@$(CHECK_PYTHON)
	$(PYTHON) -m venv $(BENCH_VENV)
	grep -E '^(--extra-index-url|torch==)' requirements.txt > $(BENCH_VENV)/requirements-torch.txt
	$(BENCH_VENV)/bin/python -m pip install --quiet --no-deps -r $(BENCH_VENV)/requirements-torch.txt
	$(BENCH_VENV)/bin/python -m pip install --quiet --no-deps -r benchmarks/requirements-bench.txt
	touch $@

# Writes benchmarks/results.json, then RESULTS.md from it: the course against the seed, the C
# loop, deepwave and Devito, over several rounds (`benchmarks/run.py --report-only` rewrites it).
bench: $(READY) $(BENCH_READY)
	BENCH_PYTHON=$(BENCH_VENV)/bin/python $(PY) benchmarks/run.py

clean:
	rm -rf $(VENV) $(SITE_VENV)
