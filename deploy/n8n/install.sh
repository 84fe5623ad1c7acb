#!/usr/bin/env bash
# Install n8n 1.x into .cache/n8n (or $N8N_DIR) unless it is already there.
#
# n8n 2.x needs Node 24; with Node 20 we use the 1.x line. Two things break a plain
# `npm install n8n@1` on machines that reach only the package registries:
#   - n8n 1.x depends on `xlsx` from a download site outside the registry: override it with xlsx@0.18.5;
#   - install scripts that fetch prebuilt binaries fail: install with --ignore-scripts, then build
#     sqlite3 from source. isolated-vm stays unbuilt, so n8n runs with N8N_EXPRESSION_ENGINE=legacy.
set -euo pipefail

N8N_VERSION="${N8N_VERSION:-1.123.81}"
DIR="${N8N_DIR:-$(cd "$(dirname "$0")/../.." && pwd)/.cache/n8n}"
STAMP="$DIR/.installed-$N8N_VERSION"

if [[ -f "$STAMP" && -x "$DIR/node_modules/.bin/n8n" ]]; then
    exit 0
fi
command -v npm >/dev/null || { echo "npm (Node 20+) is needed to install n8n" >&2; exit 1; }

mkdir -p "$DIR"
cd "$DIR"
cat > package.json <<JSON
{"name":"n8n-local","private":true,"dependencies":{"n8n":"$N8N_VERSION"},"overrides":{"xlsx":"0.18.5"}}
JSON
echo "installing n8n $N8N_VERSION into $DIR (a few minutes, once)" >&2
npm install --no-audit --no-fund --ignore-scripts --loglevel=error
npm rebuild sqlite3 --build-from-source --loglevel=error
touch "$STAMP"
