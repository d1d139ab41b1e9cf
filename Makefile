VENV  := .venv
PY    := $(VENV)/bin/python
PYPROJECT_SUM := $(shell cksum pyproject.toml | cut -d' ' -f1)
# One install stamp per need, so `make run` and `make test` do not undo each other: running needs the app
# only (`pip install -e .`); the tests also need the test extras (`.[test]`: pytest, Playwright …).
RUN_STAMP  := $(VENV)/.installed-run-$(PYPROJECT_SUM)
STAMP      := $(VENV)/.installed-test-$(PYPROJECT_SUM)
# Test processes (pytest-xdist), one per core of the 2-core machines; 0 runs in one process (e.g. for --pdb).
PYTEST_WORKERS ?= 2

# make fuzz: examples per API operation and the seed (a number repeats a run, as its output names it).
FUZZ_EXAMPLES ?= 100
FUZZ_SEED ?= random

.PHONY: run test fuzz bench migrate demo clean

$(RUN_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	rm -f $(VENV)/.installed-run-* $(VENV)/.installed-[0-9]* && touch $@

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-test-* $(VENV)/.installed-[0-9]* && touch $@

## make run: install what running needs (not the test extras), migrate var/floorcheck.sqlite3, load demo data
## once (it prints the logins every time), serve on :8000
run: $(RUN_STAMP)
	scripts/system-deps
	$(VENV)/bin/floorcheck migrate
	$(VENV)/bin/floorcheck demo
	$(VENV)/bin/floorcheck serve --host 127.0.0.1 --port 8000

## make test: install what the tests need and run the whole suite (SQLite and PostgreSQL)
test: $(STAMP)
	scripts/system-deps --test
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## make fuzz: tests/test_fuzz.py at length: FUZZ_EXAMPLES per operation, a new seed, on SQLite and PostgreSQL
## (`make test` runs it briefly with a fixed seed, on SQLite)
fuzz: $(STAMP)
	scripts/system-deps --test
	FLOORCHECK_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FLOORCHECK_FUZZ_SEED=$(FUZZ_SEED) \
		FLOORCHECK_FUZZ_DATABASES=sqlite,postgresql $(PY) -m pytest -q -p no:xdist tests/test_fuzz.py $(PYTEST_ARGS)

## make bench: print the benchmark figures (not tests)
bench: $(STAMP)
	scripts/system-deps --test
	$(PY) bench/run.py

migrate: $(STAMP)
	$(VENV)/bin/floorcheck migrate

demo: migrate
	$(VENV)/bin/floorcheck demo

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache bench/.cache
