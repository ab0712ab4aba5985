# Two commands do all the set-up: `make demo` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= mieruka-demo.db
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test install browser axe bench clean sample

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the browser tests and the PDF reports (Playwright's own browser download cannot work
# offline), the Japanese fonts they embed, and poppler-utils (pdftoppm) for the tests' first-page images.
browser:
	@if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/pdftoppm ] || [ ! -d /usr/share/fonts/opentype/noto ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk poppler-utils) >/dev/null \
	      || echo "could not install Debian chromium: browser tests and PDF reports will fail"; \
	  else echo "not root: install Debian chromium, fonts-noto-cjk and poppler-utils (apt-get install ...) for the browser tests and PDF reports"; fi; \
	fi

# axe-core, as package-lock.json pins it, for the browser tests' accessibility checks (tests/browser/test_every_page.py
# injects node_modules/axe-core/axe.min.js into each page: no request leaves the machine during the tests).
AXE := node_modules/axe-core/axe.min.js
$(AXE): package.json package-lock.json
	@if command -v npm >/dev/null; then npm ci --no-audit --no-fund --silent && touch $(AXE); \
	  else echo "npm not found: install Node.js (apt-get install npm) for the browser tests' axe-core checks"; fi

axe: $(AXE)

# A fresh database each time: load the bundled sample, rate it under every scheme, serve it.
demo: $(STAMP)
	rm -f $(DEMO_DB)
	$(BIN)/mieruka demo --db $(DEMO_DB) --host $(HOST) --port $(PORT)

test: $(STAMP) browser axe
	$(BIN)/python -m pytest; rc=$$?; if [ $$rc -eq 5 ]; then echo "no tests collected"; exit 0; fi; exit $$rc

sample: $(STAMP)
	$(BIN)/mieruka sample build ../shared/seeds

bench: $(STAMP)
	for f in bench/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

clean:
	rm -rf $(VENV) mieruka.db $(DEMO_DB) test-artifacts .pytest_cache node_modules
