# The two commands a new user needs: `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
PY     := $(VENV)/bin/python
SHARED ?= ../shared

.PHONY: demo test install bench pan-eval clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip==25.3
	$(PY) -m pip install --quiet -e '.[test,bench]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/newstrace scan $(SHARED)/seeds

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/bench_scan.py $(SHARED)/data/bbc-news

pan-eval: install
	$(VENV)/bin/newstrace eval pan $(SHARED)/data/pan13-train

clean:
	rm -rf $(VENV) build *.egg-info
