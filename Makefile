# The two commands of the README: `make demo` and `make test`. Each creates .venv itself.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DEMO_DB := .demo/docket.db

.PHONY: demo test bench projections clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,serve]'
	touch $@ $(VENV)/.installed

$(VENV)/.installed-bench: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[test,bench]'
	touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	@rm -rf .demo && mkdir -p .demo
	@$(BIN)/docket import --db $(DEMO_DB) events/twitter-india-2021.jsonl
	@echo
	@echo "== compliance as of 2021-02-08 =="
	@$(BIN)/docket compliance --db $(DEMO_DB) --as-of 2021-02-08
	@echo
	@echo "== the timeline around it (2021-01-31 to 2021-02-11) =="
	@$(BIN)/docket log --db $(DEMO_DB) --from 2021-01-31 --as-of 2021-02-11

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench --sizes 10000,100000

# Rewrite projections/ from a fresh replay of events/ (commit the result; CI checks it).
projections: $(VENV)/.installed
	rm -f .projections.db*
	for f in events/*.jsonl; do $(BIN)/docket import --db .projections.db $$f; done
	$(BIN)/docket project --db .projections.db --out projections
	rm -f .projections.db*

clean:
	rm -rf $(VENV) .demo .pytest_cache
