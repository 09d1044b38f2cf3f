# The two commands of the README: `make run` and `make test`. Both install what they need first.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LANGS := bs hr sr_Latn sr_Cyrl sq mk en
CATALOGS := lms/translations
HOST ?= 127.0.0.1
PORT ?= 5000
# The address the demo prints and the app writes into links (certificates' verification pages).
LMS_BASE_URL ?= http://$(HOST):$(PORT)

.PHONY: install run test test-sqlite test-postgres lint format translations extract-messages compile-messages bench clean

install: $(STAMP) compile-messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

compile-messages: $(STAMP)
	$(BIN)/pybabel compile --use-fuzzy -d $(CATALOGS) --statistics 2>&1 | tail -n 1

## Serve the app on its embedded default (SQLite in instance/, demo content, printed sign-ins).
run: install
	LMS_ENV=development $(BIN)/flask --app wsgi db upgrade
	LMS_ENV=development LMS_BASE_URL=$(LMS_BASE_URL) $(BIN)/flask --app wsgi lms demo
	LMS_ENV=development LMS_BASE_URL=$(LMS_BASE_URL) $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT) --no-reload

## The whole test suite (LMS_TEST_DATABASE_URL picks the database; default in-memory SQLite).
test: install
	$(BIN)/python scripts/ensure_chromium.py
	$(BIN)/python scripts/ensure_axe.py
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

## Re-extract messages and update every catalog (then translate and `make install`).
translations: extract-messages
	for lang in $(LANGS); do \
	  if [ -f $(CATALOGS)/$$lang/LC_MESSAGES/messages.po ]; then \
	    $(BIN)/pybabel update -i $(CATALOGS)/messages.pot -d $(CATALOGS) -l $$lang --no-fuzzy-matching; \
	  else $(BIN)/pybabel init -i $(CATALOGS)/messages.pot -d $(CATALOGS) -l $$lang; fi; \
	done

extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output \
	  --project lms --msgid-bugs-address "" -o $(CATALOGS)/messages.pot .

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
