# Frontdesk: `make run` starts it, `make test` tests it. `make help` lists the rest.
SHELL := /bin/bash
UV ?= $(shell command -v uv 2>/dev/null || echo $(HOME)/.local/bin/uv)
PYTEST_ARGS ?=
POSTGRES_TEST_URL ?= postgres://postgres@127.0.0.1:5432/test
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15

.PHONY: help run test test-sqlite test-postgres lint format bench messages install

help:  ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(UV):
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv

install: $(UV)  ## install the locked dependencies into .venv
	@$(UV) sync --frozen --quiet

run: install  ## start Frontdesk on http://127.0.0.1:8000 (SQLite, demo data on first start)
	$(UV) run frontdesk serve --demo

test: install  ## run the whole suite on SQLite, then on PostgreSQL when a server answers
	@$(MAKE) --no-print-directory test-sqlite
	@if [ -n "$$FRONTDESK_TEST_POSTGRES$$CI" ] || $(UV) run python -m frontdesk.core.probe postgres "$(POSTGRES_TEST_URL)"; then \
		$(MAKE) --no-print-directory test-postgres; \
	else echo "PostgreSQL not reachable at $(POSTGRES_TEST_URL): the PostgreSQL run is skipped"; fi

test-sqlite: install  ## the suite on SQLite
	FRONTDESK_TEST_REDIS_URL=$(REDIS_TEST_URL) FRONTDESK_TEST_POSTGRES_URL=$(POSTGRES_TEST_URL) \
		$(UV) run pytest $(PYTEST_ARGS)

test-postgres: install  ## the suite on PostgreSQL
	DATABASE_URL=$(POSTGRES_TEST_URL) FRONTDESK_TEST_REDIS_URL=$(REDIS_TEST_URL) \
		FRONTDESK_TEST_POSTGRES_URL=$(POSTGRES_TEST_URL) $(UV) run pytest $(PYTEST_ARGS)

lint: install  ## ruff and mypy
	$(UV) run ruff check .
	$(UV) run ruff format --check .
	$(UV) run mypy frontdesk

format: install  ## format and autofix
	$(UV) run ruff format .
	$(UV) run ruff check --fix .

messages: install  ## update and compile the translations (en, es, lt)
	cd frontdesk && $(UV) run django-admin makemessages -l es -l lt --no-obsolete && $(UV) run django-admin compilemessages

bench: install  ## performance figures (see bench/README.md; BENCH_ARGS="--tickets 1000000", BENCH_MAIL_ARGS="--db both", BENCH_REPORTS_ARGS="--db both", BENCH_SLA_ARGS="--db sqlite", BENCH_SURVEYS_ARGS="--db both", BENCH_KB_ARGS="--db both")
	$(UV) run python -m bench $(BENCH_ARGS)
	$(UV) run python -m bench.mail $(BENCH_MAIL_ARGS)
	$(UV) run python -m bench.reports $(BENCH_REPORTS_ARGS)
	$(UV) run python -m bench.routing $(BENCH_ROUTING_ARGS)
	$(UV) run python -m bench.sla $(BENCH_SLA_ARGS)
	$(UV) run python -m bench.surveys $(BENCH_SURVEYS_ARGS)
	$(UV) run python -m bench.kb $(BENCH_KB_ARGS)
