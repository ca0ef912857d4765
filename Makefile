# driftscope: two commands on a fresh machine (Python >= 3.11, pip, make):
#   make demo   set up .venv and run the main job on the bundled corpus (report in out/)
#   make test   set up .venv and run the whole test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# A CPU build of torch is enough. On the project's build machines this version is a local wheel;
# elsewhere pip takes it from PyPI (override with TORCH_SPEC=... for another build).
TORCH_SPEC ?= torch==2.13.0
STAMP := $(VENV)/.driftscope-installed
OUT ?= out/nato-lukashenko

.PHONY: setup demo test lint bench browser-deps clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check "$(TORCH_SPEC)"
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[dev,ray]"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
	$(BIN)/driftscope report corpora/nato-lukashenko -o $(OUT)
	@echo "open $(OUT)/report.html"

# Headless Chromium for the browser tests (Debian packages; needs root or sudo).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: $(STAMP) browser-deps
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check toolkit tests benchmarks
	$(BIN)/ruff format --check toolkit tests benchmarks
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python benchmarks/segmentation.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache
