# Two set-up commands that work on a fresh machine: `make demo` and `make test`.
# torch is pinned first: the local CPU wheel. An open torch range would pull a multi-GB CUDA build.
# sporco ships five lossless photos (super-resolution's held-out set); its own dependencies are not needed,
# since genlab reads the files by path and never imports it. molsets ships the MOSES molecule sets, read the
# same way (importing it fails on current RDKit).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.13.0

.PHONY: demo test install install-test bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(TORCH)

SPORCO := sporco==0.2.2.post1
MOLSETS := molsets==0.3.1

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(SPORCO)
	touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test,molecules]'
	$(BIN)/pip install -q --no-deps $(SPORCO) $(MOLSETS)
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/genlab demo

test: install-test
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) runs
