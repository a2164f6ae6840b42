# Two commands do all set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
DEBS   := libfluidsynth3 timgm6mb-soundfont libportaudio2

.PHONY: run test lint typecheck system-deps venv bench clean

run: system-deps $(VENV)/.installed
	$(BIN)/coach

test: system-deps $(VENV)/.installed-test
	$(BIN)/ruff check assistant tests benchmarks
	$(BIN)/mypy assistant
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check assistant tests benchmarks

typecheck: $(VENV)/.installed-test
	$(BIN)/mypy assistant

# Debian's FluidSynth library and a small General MIDI soundfont. Installed when we are
# root on a Debian/Ubuntu machine and they are missing; otherwise we print the command.
system-deps:
	@if command -v dpkg-query >/dev/null 2>&1; then \
	  missing=""; \
	  for p in $(DEBS); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = "0" ]; then \
	      echo "Installing$$missing with apt-get"; \
	      apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $$missing; \
	    else \
	      echo "Missing Debian packages:$$missing. Install them with:"; \
	      echo "  sudo apt-get install -y --no-install-recommends$$missing"; \
	    fi; \
	  fi; \
	elif [ "$$(uname)" = "Darwin" ]; then \
	  command -v fluidsynth >/dev/null 2>&1 || echo "FluidSynth is missing. Install it with: brew install fluid-synth"; \
	else \
	  echo "Make sure the FluidSynth library (libfluidsynth) and a General MIDI .sf2 soundfont are installed."; \
	fi

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(VENV)/bin/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/bin/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed

bench: system-deps $(VENV)/.installed-test
	$(BIN)/python benchmarks/run_all.py

clean:
	rm -rf $(VENV) build dist *.egg-info .mypy_cache .ruff_cache .pytest_cache
