# The README's commands. Only Python 3.11+ is assumed; everything else is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test install browser-deps db seed lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

db: install
	$(BIN)/studio db upgrade

# Seeds once: a database that already has the demo users is left as it is.
seed: db
	$(BIN)/studio seed --demo

run: seed
	$(BIN)/studio ui --port $(PORT)

# Browser tests need Debian's chromium and a CJK font: installed when missing and we are root;
# otherwise those tests skip with a printed reason.
browser-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "cjk\|wqy"; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing chromium and fonts-noto-cjk for browser tests"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
	      || echo "could not install chromium; browser tests will skip"; \
	  else echo "chromium or a CJK font missing and not root: browser tests will skip"; fi; \
	fi

test: install browser-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Format check, lint (with complexity and bugbear) and types; .ci/run and pre-commit run the same.
lint: install
	$(BIN)/ruff format --check studio tests benchmarks
	$(BIN)/ruff check studio tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_calendar.py

clean:
	rm -rf $(VENV) data .pytest_cache
