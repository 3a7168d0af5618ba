# The two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
FLASK  := $(BIN)/flask --app app
HOST   ?= 127.0.0.1
PORT   ?= 5000

.PHONY: run test install translations lint db demo clean extract

$(BIN)/activate: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(BIN)/activate

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
	$(BIN)/pytest

lint: $(BIN)/activate
	$(BIN)/ruff check crm tests benchmarks docs app.py gunicorn.conf.py
	$(BIN)/ruff format --check crm tests benchmarks docs app.py gunicorn.conf.py

extract: $(BIN)/activate
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) node_modules
