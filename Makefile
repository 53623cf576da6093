# The README's commands. Only Python 3.11+ is assumed; everything else is installed here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: run test install browser-deps nginx-deps cluster load db seed lint bench clean

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

# Several instances behind a proxy need nginx: installed from Debian's packages when missing and we are
# root; otherwise `make cluster` stops with a message and the proxy tests skip with a printed reason.
nginx-deps:
	@if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then \
	    echo "installing nginx-light for the several-instance layout"; \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx-light >/dev/null) \
	      || echo "could not install nginx; proxy tests will skip"; \
	  else echo "nginx missing and not root: proxy tests will skip"; fi; \
	fi

test: install browser-deps nginx-deps
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Two app instances on one PostgreSQL (STUDIO_DATABASE_URL) behind nginx on http://127.0.0.1:8080;
# migrates and seeds once; Ctrl-C stops everything. CLUSTER_ARGS e.g. "--instances 3 --port 9000".
cluster: install nginx-deps
	PATH="/usr/sbin:$$PATH" $(BIN)/python deploy/cluster.py $(CLUSTER_ARGS)

# The load test (benchmarks/bench_load.py): its own scratch PostgreSQL database, two instances, nginx,
# locust for LOAD_SECONDS per scenario. LOAD_ADMIN_URL: a PostgreSQL database to create it from.
$(VENV)/.installed-load: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,load]'
	touch $@

load: $(VENV)/.installed-load nginx-deps
	PATH="/usr/sbin:$$PATH" $(BIN)/python benchmarks/bench_load.py $(LOAD_ARGS)

# Format check, lint (with complexity and bugbear) and types; .ci/run and pre-commit run the same.
lint: install
	$(BIN)/ruff format --check studio tests benchmarks
	$(BIN)/ruff check studio tests benchmarks
	$(BIN)/mypy

bench: install
	$(BIN)/python benchmarks/bench_check.py
	$(BIN)/python benchmarks/bench_calendar.py
	$(BIN)/python benchmarks/bench_posters.py

clean:
	rm -rf $(VENV) data .pytest_cache
