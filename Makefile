# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
SHARED ?= ../shared
# Debian packages: WordNet for word-sense checks, Chromium for the HTML report's browser test,
# Perl for the official SemEval iSTS scorer (`newstrace eval ists`), Java 17 for the Spark engine
# (`newstrace scan --engine spark`).
APT_PACKAGES := wordnet-base chromium perl openjdk-17-jre-headless

.PHONY: demo test lint install system-deps bench pan-eval clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -e '.[test,bench,serve,spark]'
	touch $@

install: $(VENV)/.installed

# Installs the Debian packages when they are missing and we may (root, or passwordless sudo).
system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else \
	    echo "note: missing Debian packages:$$missing (tests needing them will be skipped)"; exit 0; fi; \
	  echo "installing Debian packages:$$missing"; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# The demo installs WordNet as `make test` does: without it the word-sense checks are off and the
# output differs from the README (the run then says so in one line and in `checks_off`).
demo: install system-deps
	$(VENV)/bin/newstrace scan $(SHARED)/seeds

# Style and types first (pinned ruff and mypy, config in pyproject.toml), then the suite.
lint: install
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/mypy

test: install system-deps lint
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/bench_scan.py $(SHARED)/data/bbc-news

pan-eval: install
	$(VENV)/bin/newstrace eval pan $(SHARED)/data/pan13-train

clean:
	rm -rf $(VENV) build *.egg-info
