# Oblik — the two commands a new machine needs: `make run` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export OBLIK_INSTANCE_DIR ?= $(CURDIR)/instance

.PHONY: run test install translations browser serve worker clean check-translations

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP) translations/uk/LC_MESSAGES/messages.mo

translations/uk/LC_MESSAGES/messages.mo: translations/uk/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile -d translations -D messages >/dev/null

translations: $(STAMP)
	$(BIN)/python translations/update.py

check-translations: $(STAMP)
	$(BIN)/python translations/update.py --check

## make run: install, migrate the embedded SQLite database, load the demo town once,
## start a Celery worker + beat on the embedded transport, serve http://127.0.0.1:8080
run: install
	$(BIN)/oblik db upgrade
	$(BIN)/oblik demo --if-empty
	$(BIN)/oblik user ensure-admin
	./scripts/run-local.sh

## make test: the whole suite (unit, HTTP, property and browser tests)
test: install browser
	$(BIN)/pytest

browser:
	@test -x /usr/bin/chromium || (echo "Installing Debian's chromium for the browser tests…" && \
		apt-get install -y -q chromium >/dev/null) || \
		(echo "Browser tests need Debian's chromium: sudo apt-get install chromium" && exit 1)
	@command -v pdftotext >/dev/null || (echo "Installing Debian's poppler-utils (the PDF tests read documents back)…" && \
		apt-get install -y -q poppler-utils >/dev/null) || \
		(echo "The PDF tests need poppler-utils: sudo apt-get install poppler-utils" && exit 1)

clean:
	rm -rf $(VENV) instance .pytest_cache
