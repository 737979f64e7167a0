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

test: lint typecheck unit

bench: $(STAMP)
	$(PY) bench/bench_engine.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

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
