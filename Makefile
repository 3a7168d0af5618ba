# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000
# Test processes (pytest-xdist): one per core; TEST_WORKERS=0 runs the suite in this process.
TEST_WORKERS ?= auto

.PHONY: run test install translations lint lock db demo clean extract

# The exact versions (and their hashes) come from requirements.lock; `make lock` renews it.
$(BIN)/activate: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -r requirements.lock
	$(BIN)/pip install --quiet --no-deps -e .
	@$(BIN)/pip check || { echo "requirements.lock does not fit pyproject.toml: run make lock"; exit 1; }
	touch $(BIN)/activate

# Resolve pyproject.toml (with the dev extra) again, at the newest versions it allows.
lock:
	[ -x $(BIN)/pip-compile ] || { $(PYTHON) -m venv $(VENV) && $(BIN)/pip install -q -r requirements.lock; }
	$(BIN)/pip-compile --quiet --upgrade --extra dev --strip-extras --allow-unsafe \
	  --generate-hashes --no-emit-index-url --no-emit-find-links \
	  --output-file requirements.lock pyproject.toml

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

install: $(BIN)/activate node_modules/.package-lock.json translations

translations: $(BIN)/activate
	$(BIN)/pybabel compile -d translations --statistics

instance/secret_key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@
	chmod 600 $@

db: install instance/secret_key
	SECRET_KEY=$$(cat instance/secret_key) $(FLASK) db upgrade

demo: db
	SECRET_KEY=$$(cat instance/secret_key) $(FLASK) crm seed-demo --if-empty

run: demo
	SECRET_KEY=$$(cat instance/secret_key) CRM_SECURE_COOKIES=0 \
	  $(FLASK) run --host $(HOST) --port $(PORT)

test: install
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: $(BIN)/activate
	$(BIN)/ruff check crm tests benchmarks docs app.py gunicorn.conf.py
	$(BIN)/ruff format --check crm tests benchmarks docs app.py gunicorn.conf.py
	$(BIN)/mypy

extract: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -o translations/messages.pot --no-location --sort-output --width 100 .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete --width 100

clean:
	rm -rf $(VENV) node_modules
