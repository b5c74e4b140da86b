# Two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install assets run serve test test-fast lint migrations-check deploy-check bench lock clean messages messages-check

help:
	@echo "make run    install, migrate, load demo data and serve http://$(HOST):$(PORT) (PORT=8123 to change)"
	@echo "make test   install test tools and run the whole test suite"
	@echo "make lint   ruff check"
	@echo "make messages  rebuild the Welsh catalogue (locale/cy) from the part files"
	@echo "make bench  benchmarks against PostgreSQL (set DATABASE_URL)"

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml constraints.txt
	$(PY) -m pip install --quiet -c constraints.txt -e ".[dev]"
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

static/dist/.built: node_modules/.installed scripts/build-assets.mjs $(wildcard static/src/*)
	npm run --silent build
	@touch $@

# A development .env with a fresh secret, written once and then left alone.
.env:
	@sed "s/^SECRET_KEY=.*/SECRET_KEY=dev-$$($(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(40))')/" .env.example > .env
	@echo "Wrote .env for local development (DEBUG on, SQLite, email printed in the terminal)."

install: $(VENV)/.installed static/dist/.built .env

assets: static/dist/.built

# Links in emails follow the address served, so `make run PORT=8123` mails links to port 8123.
run: install
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py seed_demo
	@echo ""
	@echo "Serving http://$(HOST):$(PORT)/  (emails are printed in this terminal; Ctrl+C stops)"
	SITE_URL=http://$(HOST):$(PORT) $(PY) manage.py runserver $(HOST):$(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

test-fast: install
	$(PY) -m pytest -m "not e2e and not realprocess" $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(PY) -m ruff check .

migrations-check: $(VENV)/.installed .env
	$(PY) manage.py makemigrations --check --dry-run

deploy-check: install
	DEBUG=false SECRET_KEY=deploy-check-$$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n') \
	ALLOWED_HOSTS=anchors.example.org SITE_URL=https://anchors.example.org \
	$(PY) manage.py check --deploy --fail-level WARNING

# The Welsh catalogue: extract every string, fill the Welsh from locale/cy/sources/*.po, compile.
messages: $(VENV)/.installed
	$(PY) scripts/welsh.py build

# The same, then list every string still missing its Welsh (fails while any is).
messages-check: $(VENV)/.installed
	$(PY) scripts/welsh.py check

bench: install
	$(PY) scripts/bench.py $(BENCH_ARGS)

lock: $(PY)
	$(PY) -m pip install --quiet -e ".[dev]"
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > constraints.txt

clean:
	rm -rf $(VENV) node_modules static/dist
