# CoreScope — `make run` opens the app, `make test` runs everything CI runs.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: run test lint typecheck unit bench soak clean icons install-desktop

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

# The engine suites again under Python 3.13, where the `interpreters` backend runs for real
# (subinterpreters through the interpreters-pep-734 backport), in a second, Qt-free venv.
# Python 3.13 (else 3.12) is looked for on PATH, then under pyenv; a pyenv shim for a version
# that is not selected exists but fails, so each candidate is run, not just found. Without
# one, test-313 says so in one line and passes. PYTHON313 is evaluated only when used.
.PHONY: test-313
PYENV_VERSIONS = $$(pyenv root 2>/dev/null)/versions
PYTHON313 ?= $(shell for p in python3.13 $(PYENV_VERSIONS)/3.13*/bin/python3 \
                              python3.12 $(PYENV_VERSIONS)/3.12*/bin/python3; do \
                       "$$p" -c 'import sys, ensurepip, venv; sys.exit(sys.version_info < (3, 12))' \
                         >/dev/null 2>&1 && { echo "$$p"; break; }; done)
VENV313  ?= .venv313
PY313    := $(VENV313)/bin/python
STAMP313 := $(VENV313)/.installed
# Engine-level suites only (none imports Qt; the GUI suites stay on the main venv), and of
# the cases run once per backend only interpreters': the other backends' run in the main
# suite, and all of them here took 130 s on the 2-core CI machine.
SUITES313 := tests/test_backends.py tests/test_interpreters.py tests/test_faults.py \
             tests/test_custom_code.py tests/test_engine_units.py
OTHER_BACKENDS := sequential or threads or thread-pool or asyncio or process or mp-pool \
                  or mp_pool or dask or joblib
SELECT313 := interpreters or not ($(OTHER_BACKENDS))

$(STAMP313): requirements-313.txt
	@test -x $(PY313) || $(PYTHON313) -m venv $(VENV313)
	$(PY313) -m pip install --quiet --upgrade pip
	$(PY313) -m pip install --quiet -r requirements-313.txt
	touch $@

test-313:
	@if [ ! -x $(PY313) ] && [ -z "$(PYTHON313)" ]; then \
		echo "test-313: skipped: no Python 3.12+ with venv found (python3.13/python3.12 on PATH or under pyenv)"; \
	else \
		$(MAKE) --no-print-directory $(STAMP313) && \
		$(PY313) -m pytest -q -p no:cacheprovider -k "$(SELECT313)" $(SUITES313); \
	fi

test: lint typecheck unit test-313

bench: $(STAMP)
	$(PY) bench/bench_engine.py

clean:
	rm -rf $(VENV) $(VENV313) .pytest_cache .mypy_cache .ruff_cache

soak: $(STAMP)
	$(PY) bench/soak.py

# The PNGs are committed; rerun after editing resources/icons/corescope.svg.
icons: $(STAMP)
	$(PY) bench/render_icons.py

# A launcher in the desktop's menu for this checkout: the .desktop file with Exec and Icon
# rewritten to absolute paths (this checkout's .venv and main.py), and the icon in every size.
APPS_DIR  ?= $(HOME)/.local/share/applications
ICONS_DIR ?= $(HOME)/.local/share/icons/hicolor
ICON_SIZES := 16 32 48 64 128 256
install-desktop: $(STAMP)
	mkdir -p "$(APPS_DIR)"
	for s in $(ICON_SIZES); do \
		mkdir -p "$(ICONS_DIR)/$${s}x$${s}/apps" && \
		cp resources/icons/corescope-$$s.png "$(ICONS_DIR)/$${s}x$${s}/apps/corescope.png"; \
	done
	mkdir -p "$(ICONS_DIR)/scalable/apps"
	cp resources/icons/corescope.svg "$(ICONS_DIR)/scalable/apps/corescope.svg"
	sed -e 's|^Exec=.*|Exec="$(abspath $(PY))" "$(CURDIR)/main.py"|' \
	    -e 's|^Icon=.*|Icon=$(CURDIR)/resources/icons/corescope.svg|' \
	    resources/corescope.desktop > "$(APPS_DIR)/corescope.desktop"
	-update-desktop-database -q "$(APPS_DIR)" 2>/dev/null
	-gtk-update-icon-cache -q -t "$(ICONS_DIR)" 2>/dev/null
	@echo "installed $(APPS_DIR)/corescope.desktop"
