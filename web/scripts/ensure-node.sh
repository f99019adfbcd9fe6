#!/usr/bin/env bash
# Make sure a Node.js that can build the web UI is at hand (Vite 8 needs >= 20.19).
# Prints a directory to put in front of PATH (empty when the system node is good); messages go to stderr.
#   1. node and npm on PATH, new enough: done.
#   2. node missing: install Debian's nodejs and npm (apt), then check again.
#   3. still too old (Debian 12 ships 18): install Node.js 20 from the npm registry
#      (package node-linux-<arch>, which carries the official binary) into build/node.
set -euo pipefail
cd "$(dirname "$0")/../.."
NEED_MAJOR=20 NEED_MINOR=19
FALLBACK_VERSION=20.20.2

good() {
  command -v "${1:-node}" >/dev/null 2>&1 || return 1
  "${1:-node}" -e "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a>$NEED_MAJOR||(a===$NEED_MAJOR&&b>=$NEED_MINOR)?0:1)"
}

if good && command -v npm >/dev/null 2>&1; then exit 0; fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo ">> node/npm missing - installing Debian's nodejs and npm" >&2
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm >&2
fi
if good; then exit 0; fi

case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64|arm64) arch=arm64 ;;
  *) echo "ensure-node: node $(node --version) is too old for Vite (need >= $NEED_MAJOR.$NEED_MINOR) and no fallback for $(uname -m)" >&2; exit 1 ;;
esac
dir="build/node"
bin="$dir/node_modules/node-linux-$arch/bin"
if ! good "$bin/node"; then
  echo ">> node $(node --version) is too old for Vite (need >= $NEED_MAJOR.$NEED_MINOR) - installing node-linux-$arch@$FALLBACK_VERSION into $dir" >&2
  mkdir -p "$dir"
  npm install --no-save --no-audit --no-fund --prefix "$dir" "node-linux-$arch@$FALLBACK_VERSION" >&2
fi
good "$bin/node" || { echo "ensure-node: could not get a usable Node.js" >&2; exit 1; }
echo "$(pwd)/$bin"
