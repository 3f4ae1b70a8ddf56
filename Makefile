# The two commands of the README: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := .demo/docket.db
PGCLUSTER := $(BIN)/python tests/pgcluster.py
# make test runs the suite on this many processes (pytest-xdist; a worker that runs dry takes
# tests queued for the other, `--dist worksteal`, so one long test does not end the run alone);
# TEST_WORKERS=0 runs it in one.
TEST_WORKERS ?= 2
# Docket's own modules compiled to bytecode before each run: an editable install leaves them
# as source, and where PYTHONDONTWRITEBYTECODE is set (as on this project's machines) every
# `docket` process compiled them again, ~35 ms of its ~150 ms start. compileall rewrites only
# the changed ones; Python checks each .pyc against its source, so a stale one is never used.
COMPILE := $(BIN)/python -m compileall -q src >/dev/null

.PHONY: demo test soak bench projections docs clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,postgres,serve]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,postgres,bench]'
	touch $@ $(VENV)/.installed

# The recorded disputes: one log's chain, split by stream, imported in this order (each
# file goes on from the last seq and hash of the one before; README "The recorded disputes").
EVENTS := events/twitter-india-2021.jsonl events/brazil-x-2024.jsonl \
	events/australia-esafety-x-2024.jsonl events/twitter-india-2021-fixes-2026-12-02.jsonl \
	events/brazil-x-2024-fixes-2026-12-02.jsonl events/twitter-india-2021-fixes-2026-12-03.jsonl

demo: $(VENV)/.installed
	@$(COMPILE)
	@rm -rf .demo && mkdir -p .demo
	@for f in $(EVENTS); do $(BIN)/docket import --db $(DEMO_DB) $$f || exit 1; done
	@echo
	@echo "== compliance as of 2021-02-08 =="
	@$(BIN)/docket compliance --db $(DEMO_DB) --stream twitter-india-2021 --as-of 2021-02-08
	@echo
	@echo "== the timeline around it (2021-01-31 to 2021-02-11) =="
	@$(BIN)/docket log --db $(DEMO_DB) --stream twitter-india-2021 --from 2021-01-31 \
		--as-of 2021-02-11
	@echo
	@echo "== one line per dispute (projections/index.md compares them) =="
	@$(BIN)/docket compliance --db $(DEMO_DB) --stream brazil-x-2024 --as-of 2024-09-15
	@$(BIN)/docket state --db $(DEMO_DB) --stream brazil-x-2024 --as-of 2024-09-15 --json \
		| $(BIN)/python -c 'import json,sys; s=json.load(sys.stdin)["service"]["BR"]; \
		print("brazil-x-2024 as of 2024-09-15: X", s["status"], "in BR since", s["since"])'
	@$(BIN)/docket compliance --db $(DEMO_DB) --stream australia-esafety-x-2024 \
		--as-of 2024-04-20

# The whole suite, on SQLite and on a throwaway PostgreSQL cluster (tests/pgcluster.py) in a
# fresh folder under /tmp, whose URLs reach the tests as DOCKET_TEST_PG (Unix socket, trust),
# DOCKET_TEST_PG_TCP (loopback, password) and DOCKET_TEST_PG_DIR. The EXIT trap stops the
# cluster however pytest ends (failure, Ctrl-C, TERM, HUP); --stop-when-gone covers a SIGKILL
# of this shell. Without the server binaries the PostgreSQL tests skip and the last lines say
# so; under CI=true that fails the run, as does a cluster that is installed but will not start.
test: $(VENV)/.installed-test
	@$(COMPILE)
	@pgdir=$$(mktemp -d "$${TMPDIR:-/tmp}/docket-pg.XXXXXX") || exit 1; \
	trap '$(PGCLUSTER) stop "$$pgdir"' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; trap 'exit 129' HUP; \
	note=; fatal=; \
	case "$${CI:-}" in true|TRUE|True|1|yes) ci=1;; *) ci=;; esac; \
	msg=$$($(PGCLUSTER) start "$$pgdir" --stop-when-gone $$$$ 2>&1); rc=$$?; \
	case $$rc in \
	  0) echo "$$msg"; eval "$$($(PGCLUSTER) env "$$pgdir")";; \
	  3) note="PostgreSQL tests did not run: $${msg#pgcluster: }"; fatal=$$ci;; \
	  *) note="PostgreSQL tests did not run: the test cluster did not start: $${msg#pgcluster: }"; fatal=1;; \
	esac; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal; rc=$$?; \
	if [ -n "$$note" ]; then \
	  echo; echo "$$note"; \
	  if [ -n "$$fatal" ]; then \
	    echo "make test FAILED: the PostgreSQL tests must run$${ci:+ under CI=true}"; \
	    [ $$rc -ne 0 ] || rc=1; \
	  fi; \
	fi; \
	exit $$rc

# The long adversarial runs, outside `make test` (DOCKET_SOAK=1, tests/soak.py): 40 batches per
# command-line writer and up to 400 per API writer among the 8 concurrent writers, 25 SIGKILL
# runs of each crash test, 300 copies of a log with random bits flipped, 20 times the fuzz
# examples, 200 damaged logs split into pieces (30 in make test), 5000 generated times against
# the JSON Schema's pattern (500), 500 histories a property across the views (10), 200 appends
# by each of the contract suite's ten processes appending at once (50).
# SQLite only unless DOCKET_TEST_PG names a server (or `auto`). Set DOCKET_TEST_SEED
# to replay the kills' moments.
soak: $(VENV)/.installed-test
	DOCKET_SOAK=1 $(BIN)/python -m pytest -p no:cacheprovider tests/test_hardening_concurrency.py \
	  tests/test_hardening_crash.py tests/test_hardening_damage.py tests/test_hardening_fuzz.py \
	  tests/test_hardening_audit.py tests/test_storage_contract.py tests/test_chain_split.py \
	  tests/test_json_schema.py tests/test_across_views.py

bench: $(VENV)/.installed-bench
	@$(COMPILE)
	$(BIN)/python -m bench --sizes 10000,100000 --pg auto

# Rewrite projections/ from a fresh replay of events/ (commit the result; CI checks it).
projections: $(VENV)/.installed
	rm -f .projections.db*
	for f in $(EVENTS); do $(BIN)/docket import --db .projections.db $$f || exit 1; done
	$(BIN)/docket project --db .projections.db --out projections
	rm -f .projections.db*

# docs/catalogue.md and docs/cli.md are generated from the code; tests/test_docs.py fails
# when they are out of date.
docs: $(VENV)/.installed
	$(BIN)/python docs/reference.py

clean:
	rm -rf $(VENV) .demo .pytest_cache
