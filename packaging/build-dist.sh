#!/bin/sh
# Build the single-file binary without make: dist/ocis-<version>-<os>-<arch> plus its .sha256.
# For macOS, Linux arm64 hosts without GNU make, or any machine where `make dist` is not an option.
# Run it on the OS and architecture you want the binary for (PyInstaller does not cross-compile).
#
#   packaging/build-dist.sh                   # uses python3 from PATH
#   PYTHON=/opt/homebrew/bin/python3.12 packaging/build-dist.sh
#
# Needs Python 3.11+ with its shared library (python.org installers, Homebrew, pyenv, Debian's
# libpython3.X package) and, on Linux, binutils (objdump, strip).
set -eu
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
VENV=${VENV:-.venv-dist}

"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "need Python 3.11+" >&2; exit 1; }
[ -x "$VENV/bin/pip" ] || "$PYTHON" -m venv "$VENV"
"$VENV/bin/pip" install --disable-pip-version-check -q . 'pyinstaller>=6.10'
start=$(date +%s)
"$VENV/bin/pyinstaller" --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller ocis.spec
name=$(basename "$(readlink dist/ocis)")
echo "built dist/$name in $(( $(date +%s) - start )) s"
ls -l "dist/$name"
(cd dist && if command -v sha256sum >/dev/null; then sha256sum -c "$name.sha256"; else shasum -a 256 -c "$name.sha256"; fi)
"dist/$name" version
