# rolo: `make demo` tries the sample book, `make test` runs the suite, `make bench` prints figures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench bench-scale soak clean postgresql

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Reinstall when the project's metadata changes; the editable install picks up code changes by itself.
$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $(STAMP)

# The suite's second strict vCard reader (tests/cli/test_vcard_strict_readers.py): ical.js from npm, in a
# git-ignored folder. Skipped without a word where node is absent (the test then skips, saying why).
ICALJS := .node/node_modules/ical.js/package.json
$(ICALJS):
	@if command -v npm >/dev/null; then npm install -s --prefix .node --no-audit --no-fund ical.js@2 \
		|| echo "npm could not install ical.js: tests/cli/test_vcard_strict_readers.py will say why"; fi

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

# PostgreSQL for the team-book tests (rolo.core.store.pgserver starts a throw-away cluster from these binaries):
# Debian's server and its contrib (pg_trgm), installed when missing.
PG_INITDB := $(firstword $(wildcard /usr/lib/postgresql/*/bin/initdb))
postgresql:
	@if [ -z "$(PG_INITDB)" ]; then \
		echo "installing Debian's postgresql for the tests"; \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q postgresql postgresql-contrib >/dev/null \
		|| { $(if $(filter 0,$(shell id -u)),,sudo) apt-get update -q >/dev/null && \
		     $(if $(filter 0,$(shell id -u)),,sudo) apt-get install -y -q postgresql postgresql-contrib >/dev/null; }; \
	fi

# The whole suite on SQLite, then the storage, CLI, import, sync and plugin (drop folder, webhooks) suites again
# with every test's book a database of a real PostgreSQL server (only the tests that open a book; tests about
# the file say why).
# rolo.core.store.pgserver starts that server for both runs (initdb and pg_ctl in a temporary folder,
# 127.0.0.1 only) and stops it afterwards, whether the tests pass or not.
test: $(STAMP) $(ICALJS) postgresql
	$(BIN)/python -m rolo.core.store.pgserver sh -c '\
		$(BIN)/python -m pytest -q -n 2 && \
		ROLO_TEST_ENGINE=postgresql $(BIN)/python -m pytest -q -n 2 -p no:cacheprovider tests/core tests/cli tests/sync tests/plugins'

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# The scale figures (#14): a million contacts, the book, search, list, import and sync sections (about an hour).
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/run.py --scale --output .bench/scale.json

# Faults and load at full size (tests/chaos, tests/fuzz with ROLO_SOAK=1: 20,000-card imports, 500 drops,
# 60 s of concurrent writes, 2,000 fuzzed inputs), then the table of what was injected and what was lost.
soak: $(STAMP)
	mkdir -p build && rm -f build/soak.jsonl
	ROLO_SOAK=1 ROLO_CHAOS_REPORT=$(CURDIR)/build/soak.jsonl $(BIN)/python -m pytest -q -p no:cacheprovider \
		tests/chaos tests/fuzz; status=$$?; $(BIN)/python tests/chaos/table.py build/soak.jsonl; exit $$status

clean:
	rm -rf $(VENV) .demo .node build *.egg-info
