# Two commands do everything: `make run` (the app with demo data) and `make test` (the suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint install clean bench

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

install: $(STAMP)

# DEBUG is on for the local app only; it never leaves this target.
run: export DEBUG ?= 1
run: export PATH := $(CURDIR)/$(BIN):$(PATH)
run: $(STAMP)
	python manage.py migrate --no-input
	python manage.py seed_demo
	@echo
	@echo "B12 Clinic: http://$(HOST):$(PORT)/  (web, worker and beat below; Ctrl-C stops all three)"
	@echo
	WEB_ADDR=$(HOST):$(PORT) honcho -f Procfile.dev start

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: $(STAMP) lint
	$(BIN)/pytest

# Benchmarks need PostgreSQL: DATABASE_URL defaults to a b12clinic_bench database on localhost.
bench: $(STAMP)
	$(BIN)/python bench/materialise.py
	$(BIN)/python bench/day_list.py
	$(BIN)/python bench/reminders.py
	$(BIN)/python bench/schedule_pdf.py

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis
