# ocis — developer entry points.
#
#   make run    create .venv if needed and start the server (https://localhost:9200)
#   make test   install the client tools (Debian), then ruff, mypy and the whole pytest suite
#   make lint   ruff + mypy + import-linter (layering contracts in pyproject.toml)
#   make web    build the web UI (web/ -> web-dist/; npm ci from web/package-lock.json when needed)
#   make dist   the single-file binary dist/ocis-<version>-<os>-<arch> (PyInstaller, ocis.spec)
#   make bench-startup   start-up benchmark of that binary (median of 10 cold starts)
#   make bench  WebDAV benchmark against Apache mod_dav and rclone serve (scripts/bench/), then the
#               storage search benchmark and bench-startup; `make test` runs its --quick smoke
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

# Debian packages the client tests drive (litmus, owncloudcmd, rclone) plus getfattr/setfattr,
# and binutils (objdump, strip) that PyInstaller needs for `make dist`, and chromium for the browser
# sign-in test (Playwright drives /usr/bin/chromium; it never downloads a browser).
APT_PACKAGES := litmus owncloud-client-cmd rclone attr binutils chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
APT_ENV := DEBIAN_FRONTEND=noninteractive

# Two workers; one module (= one server) stays on one worker.
PYTEST_WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: help run test lint clean venv system-deps js-deps dist dist-deps bench-startup bench bench-deps

help:
	@echo "make run    - start the server (creates .venv on first use)"
	@echo "make test   - install test tools, run ruff, mypy and pytest -n $(PYTEST_WORKERS)"
	@echo "make lint   - ruff + mypy + lint-imports"
	@echo "make web    - build the web UI into web-dist/ (when its sources changed)"
	@echo "make dist   - build the single-file binary dist/ocis-<version>-<os>-<arch> (+ .sha256)"
	@echo "make bench-startup - median cold start / version time of that binary"
	@echo "make bench  - WebDAV benchmark vs Apache mod_dav and rclone (~5 min), search, start-up"
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

# Node clients for the tests (tus-js-client, as ownCloud Web uploads with it): tests/js, from its lock file.
JS_DIR := tests/js
JS_STAMP := $(JS_DIR)/node_modules/.installed-stamp

$(JS_STAMP): $(JS_DIR)/package.json $(JS_DIR)/package-lock.json
	@if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then \
	  echo ">> node/npm missing - installing Debian nodejs and npm"; \
	  $(SUDO) $(APT_ENV) apt-get update; \
	  $(SUDO) $(APT_ENV) apt-get install -y --no-install-recommends nodejs npm; \
	fi
	cd $(JS_DIR) && npm ci --no-audit --no-fund
	@touch $(JS_STAMP)

js-deps: $(JS_STAMP)

# --- web UI (web/ -> web-dist/, served by the web service, bundled by make dist) -----------------

# Vite 8 needs Node.js >= 20.19: web/scripts/ensure-node.sh installs Debian's nodejs and npm when node
# is missing, and Node 20 from the npm registry (into build/node) when the system one is too old.
# It prints a directory to put in front of PATH (nothing when the system node will do).
WEB_DIR := web
WEB_DEPS_STAMP := $(WEB_DIR)/node_modules/.installed-stamp
WEB_SOURCES := $(shell find $(WEB_DIR)/src $(WEB_DIR)/public -type f 2>/dev/null) \
	$(wildcard $(WEB_DIR)/*.html $(WEB_DIR)/*.ts $(WEB_DIR)/*.json)
WEB_NODE := nodebin=$$($(WEB_DIR)/scripts/ensure-node.sh); export PATH="$${nodebin:+$$nodebin:}$$PATH"

.PHONY: web web-test

$(WEB_DEPS_STAMP): $(WEB_DIR)/package.json $(WEB_DIR)/package-lock.json
	@$(WEB_NODE); cd $(WEB_DIR) && npm ci --no-audit --no-fund
	@touch $(WEB_DEPS_STAMP)

web-dist/index.html: $(WEB_DEPS_STAMP) $(WEB_SOURCES)
	@$(WEB_NODE); cd $(WEB_DIR) && npm run build
	@touch web-dist/index.html

web: web-dist/index.html

# The web UI's unit tests (Vitest) and TypeScript check (vue-tsc).
web-test: $(WEB_DEPS_STAMP)
	@$(WEB_NODE); cd $(WEB_DIR) && npm run typecheck && npm test

# --- targets ------------------------------------------------------------------------------------

run: $(STAMP) web
	$(BIN)/ocis server

lint: $(STAMP)
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/lint-imports

test: system-deps js-deps $(STAMP) web
	$(BIN)/ruff check
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) --no-print-directory web-test
	$(MAKE) --no-print-directory dist
	$(BIN)/python scripts/bench/dav_bench.py --quick
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadfile $(PYTEST_ARGS)

# --- single-file binary (PyInstaller) ------------------------------------------------------------

# PyInstaller bundles libpython, so the interpreter must have its shared library (Debian's python3
# ships it in libpython3.X, not installed by default; pyenv/python.org builds have it), and it runs
# objdump and strip (binutils) on Linux.
dist-deps: $(STAMP)
	@soname=$$($(BIN)/python -c 'import sysconfig as s; print(s.get_config_var("INSTSONAME") or "")'); \
	libdir=$$($(BIN)/python -c 'import sysconfig as s; print(s.get_config_var("LIBDIR") or "")'); \
	pyver=$$($(BIN)/python -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	missing=""; \
	if [ "$$(uname -s)" = Linux ] && [ -n "$$soname" ] && [ ! -e "$$libdir/$$soname" ] \
	   && ! /sbin/ldconfig -p | grep -q "$$soname"; then missing="libpython$$pyver"; fi; \
	if [ "$$(uname -s)" = Linux ] && ! command -v objdump >/dev/null; then missing="$$missing binutils"; fi; \
	if [ -n "$$missing" ]; then \
	  echo ">> PyInstaller needs:$$missing - installing"; \
	  $(SUDO) $(APT_ENV) apt-get install -y --no-install-recommends $$missing \
	    || { $(SUDO) $(APT_ENV) apt-get update && $(SUDO) $(APT_ENV) apt-get install -y --no-install-recommends $$missing; }; \
	fi

# Work files go to build/pyinstaller (ignored); ocis.spec also writes the .sha256 and dist/ocis.
# The web UI is built first (when its sources changed), since the binary bundles web-dist/.
# flock: one PyInstaller run at a time in this tree (tests/binary rebuilds a stale binary too).
dist: dist-deps web
	$(shell command -v flock >/dev/null && echo flock build/pyinstaller.lock) \
	  $(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller ocis.spec
	@cd dist && ls -l "$$(readlink ocis)" && cat "$$(readlink ocis).sha256"

bench-startup:
	@ls dist/ocis-*-*-* >/dev/null 2>&1 || $(MAKE) --no-print-directory dist
	$(PYTHON) scripts/bench_startup.py

# --- benchmarks against peers (scripts/bench/) ---------------------------------------------------

# Apache httpd with mod_dav (apache2; htpasswd is in apache2-utils), besides the client tools.
bench-deps:
	@$(MAKE) --no-print-directory system-deps APT_PACKAGES="$(APT_PACKAGES) apache2 apache2-utils"

# Full run: every scenario against ours, Apache and rclone serve (~5 min, a few GB in /tmp,
# generated files cached in /tmp/ocis-bench-cache); then the storage search and start-up benchmarks.
bench: bench-deps $(STAMP)
	$(BIN)/python scripts/bench/dav_bench.py --json test-artifacts/bench.json
	$(BIN)/python scripts/bench/search_bench.py
	$(MAKE) --no-print-directory bench-startup

clean:
	rm -rf $(VENV) $(JS_DIR)/node_modules .pytest_cache .mypy_cache .ruff_cache test-artifacts build/*/ dist src/*.egg-info
	find . -name __pycache__ -type d -prune -not -path './.git/*' -exec rm -rf {} +
	rm -rf $(WEB_DIR)/node_modules
	find web-dist -mindepth 1 -maxdepth 1 ! -name .gitkeep -exec rm -rf {} +
