# CoreScope — `make run` opens the app, `make test` runs everything CI runs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck unit bench soak clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(DEVSTAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP) $@

run: $(STAMP)
	$(PY) main.py

lint: $(DEVSTAMP)
	$(PY) -m ruff check .

typecheck: $(DEVSTAMP)
	$(PY) -m mypy

# Tests run under a real X server when xvfb-run exists (the window test needs one);
# everything else uses Qt's offscreen platform and runs either way.
unit: $(DEVSTAMP)
	@if command -v xvfb-run >/dev/null 2>&1; then \
		xvfb-run -a -s "-screen 0 1600x1000x24" $(PY) -m pytest; \
	else \
		$(PY) -m pytest; \
	fi

test: lint typecheck unit

bench: $(STAMP)
	$(PY) bench/bench_engine.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

soak: $(STAMP)
	$(PY) bench/soak.py
