# Two commands do everything: `make run` (the app with demo data) and `make test` (the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
# The simulated clinic: `make simulate DAYS=730 PATIENTS=300 SEED=3`.
DAYS ?= 730
PATIENTS ?= 300
SEED ?= 1

.PHONY: run test test-dates simulate lint install clean bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

# Readers we did not write (ical.js), for the tests; skipped where there is no Node.js.
$(NODE_STAMP): package.json package-lock.json
	if command -v npm >/dev/null; then npm ci --no-audit --no-fund --loglevel=error && touch $@; fi

install: $(STAMP) $(NODE_STAMP)

# DEBUG is on for the local app only; it never leaves this target.
run: export DEBUG ?= 1
run: export PATH := $(CURDIR)/$(BIN):$(PATH)
# Links in reminders point at this app, on whatever port it runs.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(STAMP)
	python manage.py migrate --no-input --verbosity 0
	python manage.py seed_demo
	@echo
	@echo "B12 Clinic: http://$(HOST):$(PORT)/  (web, worker, beat and the HL7 listener below; Ctrl-C stops all four)"
	@echo
	@# exec: honcho itself gets the SIGTERM a process manager sends make, and stops the rest.
	WEB_ADDR=$(HOST):$(PORT) exec honcho -f Procfile.dev start

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

# The suite runs on a pinned clock: TODAY=YYYY-MM-DD moves it (default in tests/clock.py).
test: $(STAMP) $(NODE_STAMP) lint
	$(BIN)/pytest

# The suite again on a leap day and on the day the clocks go forward.
test-dates: $(STAMP) $(NODE_STAMP)
	for day in 2028-02-29 2027-03-28; do TODAY=$$day $(BIN)/pytest -q -p no:cacheprovider || exit 1; done

simulate: $(STAMP) $(NODE_STAMP)
	$(BIN)/pytest tests/simulation -q -p no:cacheprovider -o timeout=0 \
		--sim-days $(DAYS) --sim-patients $(PATIENTS) --sim-seed $(SEED)

# Benchmarks need PostgreSQL: DATABASE_URL defaults to a b12clinic_bench database on localhost.
bench: $(STAMP)
	$(BIN)/python bench/materialise.py
	$(BIN)/python bench/day_list.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/schedule_pdf.py
	$(BIN)/python bench/interop.py
	$(BIN)/python bench/nightly.py
	$(BIN)/python bench/audit.py
	$(BIN)/python bench/load.py --baseline 11ed5b9

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .ruff_cache .hypothesis
