# ocis — developer entry points.
#
#   make run    create .venv if needed and start the server (https://localhost:9200)
#   make test   install the client tools (Debian), then ruff, mypy and the whole pytest suite
#   make lint   ruff + mypy only
#   make clean  remove the venv, caches and test artifacts
#
# Works on a fresh Debian 12 as root (CI) and as a normal user with sudo.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install the project into the venv only when pyproject.toml changed.
STAMP := $(VENV)/.installed-stamp

# Debian packages the client tests drive (litmus, owncloudcmd, rclone) plus getfattr/setfattr.
APT_PACKAGES := litmus owncloud-client-cmd rclone attr
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_ENV := DEBIAN_FRONTEND=noninteractive

# Two workers; one module (= one server) stays on one worker.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: help run test lint clean venv system-deps

help:
	@echo "make run    - start the server (creates .venv on first use)"
	@echo "make test   - install test tools, run ruff, mypy and pytest -n $(PYTEST_WORKERS)"
	@echo "make lint   - ruff + mypy"
	@echo "make clean  - remove .venv, caches and test artifacts"

# --- virtualenv ---------------------------------------------------------------------------------

$(BIN)/pip:
	@if ! $(PYTHON) -m venv $(VENV); then \
	  echo ">> '$(PYTHON) -m venv' failed (Debian without ensurepip?) - installing python3-venv"; \
	  rm -rf $(VENV); \
	  $(SUDO) $(APT_ENV) apt-get update; \
	  $(SUDO) $(APT_ENV) apt-get install -y --no-install-recommends python3-venv; \
	  $(PYTHON) -m venv $(VENV); \
	fi

$(STAMP): pyproject.toml | $(BIN)/pip
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

# --- system packages for the client tests -------------------------------------------------------

system-deps:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo ">> installing Debian packages:$$missing"; \
	  $(SUDO) $(APT_ENV) apt-get update; \
	  $(SUDO) $(APT_ENV) apt-get install -y --no-install-recommends $$missing; \
	else \
	  echo ">> Debian packages present: $(APT_PACKAGES)"; \
	fi

# --- targets ------------------------------------------------------------------------------------

run: $(STAMP)
	$(BIN)/ocis server

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy

test: system-deps $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts build/*/ dist src/*.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
