# rolo: `make demo` tries the sample book, `make test` runs the suite, `make bench` prints figures.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench clean

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
	@if command -v npm >/dev/null; then npm install -s --prefix .node --no-audit --no-fund ical.js@2; fi

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

test: $(STAMP) $(ICALJS)
	$(BIN)/python -m pytest -q -n 2

bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf $(VENV) .demo .node build *.egg-info
