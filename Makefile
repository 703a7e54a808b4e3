# Two commands on a fresh machine: `make run` serves the dashboard, `make test` runs the suite.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# The README's DSA110_DASH_PORT sets it too (`make run` passes --port, which wins).
PORT   ?= $(or $(DSA110_DASH_PORT),5006)
DATA   ?= $(CURDIR)/demo-data
PYTEST_ARGS ?=

.PHONY: run test coverage venv test-venv chromium postgres demo bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml setup.py | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test]"
	touch $@ $(VENV)/.installed

venv: $(VENV)/.installed
test-venv: $(VENV)/.installed-test

# The embedded default: the generated demo dataset (SQLite database, FITS images, job
# logs) in $(DATA). Made only when no database is configured and none exists yet.
demo: venv
	@if [ -z "$$DSA110_DASH_DB$$PIPELINE_DB$$PIPELINE_PRODUCTS_DB" ] && \
	    [ ! -f "$(DATA)/pipeline.sqlite3" ]; then \
	  $(BIN)/dsa110-dash demo --out "$(DATA)"; \
	fi

# On the embedded default the demo runs live beside the server: a simulated pipeline
# queues an observation every few minutes and a worker images it (and runs reruns with
# the demo's command); both stop when the server stops.
run: demo
	@export DSA110_DASH_DATA_DIR="$(DATA)" CONTIMG_LOGS_DIR="$${CONTIMG_LOGS_DIR:-$(DATA)/logs}"; \
	if [ -z "$$DSA110_DASH_DB$$PIPELINE_DB$$PIPELINE_PRODUCTS_DB" ]; then \
	  if [ -z "$$PIPELINE_CMD_TEMPLATE" ]; then \
	    PIPELINE_CMD_TEMPLATE="$$($(BIN)/dsa110-dash demo --print-template)"; \
	    export PIPELINE_CMD_TEMPLATE; \
	  fi; \
	  case "$${DSA110_DASH_ADDRESS:-127.0.0.1}" in 127.0.0.1|localhost|::1) \
	    export DSA110_DASH_OPEN_ACCESS_ROLE="$${DSA110_DASH_OPEN_ACCESS_ROLE:-operator}";; \
	  esac; \
	  $(BIN)/dsa110-dash demo --live --out "$(DATA)" & live=$$!; \
	  $(BIN)/dsa110-dash worker & worker=$$!; \
	  trap 'kill $$live $$worker 2>/dev/null; wait $$live $$worker' EXIT INT TERM; \
	fi; \
	$(BIN)/dsa110-dash serve --port $(PORT)

# Debian's Chromium for the browser tests (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium for the browser tests"; \
	  SUDO=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

# The suite needs the local PostgreSQL server; start the machine's cluster if it is down.
postgres:
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || { \
	  echo "starting the local PostgreSQL cluster"; \
	  pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start && \
	  sleep 2; }

# The whole suite runs as two pytest processes at once: the browser tests (mostly waiting
# on Chromium and their servers) beside all the others, each with its own temporary
# folder; it fails when either fails. With PYTEST_ARGS set (a chosen file or test), one
# process runs what it names. `make coverage` runs the same with coverage measured
# (about 1.5x the CPU time, decision 0079), so CI's `make test` stays well under 25 min.
PYTEST_RUN = $(BIN)/pytest --durations=25 $(COV)

test: test-venv chromium postgres
	@if [ -n "$(PYTEST_ARGS)" ]; then \
	  $(PYTEST_RUN) $(PYTEST_ARGS); \
	else \
	  tmp=$$(mktemp -d); start=$$(date +%s); \
	  COVERAGE_FILE=.coverage.part-browser $(PYTEST_RUN) \
	    --basetemp=$$tmp/browser tests/browser > $$tmp/browser.log 2>&1 & pid=$$!; \
	  COVERAGE_FILE=.coverage.part-rest $(PYTEST_RUN) \
	    --basetemp=$$tmp/rest --ignore=tests/browser; rest=$$?; \
	  echo "=== the others took $$(( $$(date +%s) - start )) s ==="; \
	  wait $$pid; browser=$$?; \
	  echo "=== browser tests (run beside the others; all done after $$(( $$(date +%s) - start )) s) ==="; \
	  cat $$tmp/browser.log; \
	  rm -rf $$tmp; \
	  [ $$rest -eq 0 ] && [ $$browser -eq 0 ]; \
	fi

coverage: COV = --cov --cov-report=
coverage: test-venv
	$(BIN)/coverage erase
	@$(MAKE) --no-print-directory test COV="$(COV)" PYTEST_ARGS="$(PYTEST_ARGS)"
	$(BIN)/coverage combine --quiet 2>/dev/null || true
	$(BIN)/coverage report --skip-empty

bench: test-venv
	$(BIN)/python benchmarks/bench_queries.py --small
	$(BIN)/python benchmarks/bench_thumbnails.py

clean:
	rm -rf $(VENV) .pytest_cache .coverage .coverage.* build *.egg-info
