# The two commands of the README: `make run` and `make test`. Each sets itself up from a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
RUNTIME_STAMP := $(VENV)/.runtime-installed
DEV_STAMP     := $(VENV)/.dev-installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench install install-dev migrate seed lint worker beat messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUNTIME_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet .
	touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet ".[dev]"
	touch $@ $(RUNTIME_STAMP)

install: $(RUNTIME_STAMP)
install-dev: $(DEV_STAMP)

## run: zero-setup development server (SQLite in var/, eager tasks, console mail, demo data)
run: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

## test: the whole suite (PostgreSQL when DATABASE_URL points there, else SQLite)
test: install-dev
	$(BIN)/python -m pytest $(PYTEST_ARGS)

## bench: the benchmarks named in the issues (PostgreSQL; see README)
bench: install-dev
	$(BIN)/python tests/benchmarks/bench_solver.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_registration_rush.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_registration_rush.py --concurrency 8 --workers 3 --threads 2 $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_allocation.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_student_pages.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_grading.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_certification.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_performance.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_grade_schemes.py $(BENCH_ARGS)
	$(BIN)/python tests/benchmarks/bench_remediation.py $(BENCH_ARGS)

lint: install-dev
	$(BIN)/ruff check .

migrate: install
	$(BIN)/python manage.py migrate --noinput

seed: install
	$(BIN)/python manage.py seed_demo

worker: install
	$(BIN)/celery -A mampf worker -Q default,mail -l info

beat: install
	$(BIN)/celery -A mampf beat -l info --schedule var/celerybeat-schedule

messages: install-dev
	$(BIN)/python manage.py makemessages -l de --no-obsolete --ignore=.venv --ignore=var --ignore=tests
	$(BIN)/python manage.py makemessages -d djangojs -l de --no-obsolete --ignore=.venv --ignore=var --ignore=tests
	$(BIN)/python manage.py compilemessages --ignore=.venv

clean:
	rm -rf $(VENV) var/db.sqlite3 var/static
