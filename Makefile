VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
# Test processes (pytest-xdist), one per core of the 2-core machines; 0 runs in one process (e.g. for --pdb).
PYTEST_WORKERS ?= 2

.PHONY: run test bench migrate demo clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

## make run: install everything, migrate var/floorcheck.sqlite3, load demo data once, serve on :8000
run: $(STAMP)
	scripts/system-deps
	$(VENV)/bin/floorcheck migrate
	$(VENV)/bin/floorcheck demo
	$(VENV)/bin/floorcheck serve --host 127.0.0.1 --port 8000

## make test: install what the tests need and run the whole suite (SQLite and PostgreSQL)
test: $(STAMP)
	scripts/system-deps --test
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## make bench: print the benchmark figures (not tests)
bench: $(STAMP)
	scripts/system-deps
	$(PY) bench/run.py

migrate: $(STAMP)
	$(VENV)/bin/floorcheck migrate

demo: migrate
	$(VENV)/bin/floorcheck demo

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache bench/.cache
