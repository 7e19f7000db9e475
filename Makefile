# Two set-up commands that work on a fresh machine: `make demo` and `make test`.
# torch is pinned first: the local CPU wheel. An open torch range would pull a multi-GB CUDA build.
# sporco ships five lossless photos (super-resolution's held-out set); its own dependencies are not needed,
# since genlab reads the files by path and never imports it. molsets ships the MOSES molecule sets, read the
# same way (importing it fails on current RDKit).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TORCH := torch==2.13.0

.PHONY: demo test install install-test bench clean speech-data fashion-data

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q $(TORCH)

SPORCO := sporco==0.2.2.post1
MOLSETS := molsets==0.3.1

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e .
	$(BIN)/pip install -q --no-deps $(SPORCO)
	touch $@

# The studio's browser tests drive Debian's Chromium with Playwright (browsers cannot be downloaded here): installed
# when we are root and it is missing; without it those tests skip and say why.
$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/pip install -q -e '.[test,molecules,speech,studio]'
	$(BIN)/pip install -q --no-deps $(SPORCO) $(MOLSETS)
	command -v chromium >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || { apt-cache show chromium >/dev/null 2>&1 || \
		apt-get update -qq; apt-get install -y -qq chromium >/dev/null; }
	touch $@ $(VENV)/.installed

$(VENV)/.installed-speech: $(VENV)/.installed
	$(BIN)/pip install -q -e '.[speech]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

demo: install
	$(BIN)/genlab demo

# Two pytest workers with one torch thread each keep both cores busy (one process on two threads left them
# 0.88 busy on average; one-off, pytest on a 2-core machine: 543-583 s before, 347 s so); no test depends on
# another's order or files.
test: install-test
	$(BIN)/lint-imports
	OMP_NUM_THREADS=1 $(BIN)/python -m pytest -n 2

# Debian's Asterisk English prompts (one speaker, transcribed) as an LJSpeech folder under
# $GENLAB_CACHE (else ~/.cache/genlab)/speech/asterisk, from the 16 kHz G.722 package (the 8 kHz WAVs lose
# everything above 4 kHz: genlab data asterisk --wav after installing asterisk-core-sounds-en-wav).
# apt-get update only when apt does not know the package.
ASTERISK := asterisk-core-sounds-en-g722

speech-data: $(VENV)/.installed-speech
	dpkg -s $(ASTERISK) >/dev/null 2>&1 || { apt-cache show $(ASTERISK) >/dev/null 2>&1 || apt-get update; \
		apt-get install -y $(ASTERISK); }
	$(BIN)/genlab data asterisk

# Debian's Fashion-MNIST (all 70,000 pictures), read by genlab where the package puts them: the fashion-mnist and
# moving-fashion-mnist built-ins.
FASHION := dataset-fashion-mnist

fashion-data:
	dpkg -s $(FASHION) >/dev/null 2>&1 || { apt-cache show $(FASHION) >/dev/null 2>&1 || apt-get update; \
		apt-get install -y $(FASHION); }

clean:
	rm -rf $(VENV) runs
