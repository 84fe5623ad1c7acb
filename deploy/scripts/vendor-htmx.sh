#!/usr/bin/env bash
# Vendor htmx (the console's live parts) from the npm registry: a pinned version whose package and script are
# checked against the sha256 sums below, copied with its licence to gateway/api/static/vendor/. The console never
# loads scripts from a CDN (clinics' networks are unreliable; the pages' CSP allows only 'self').
#
# Upgrading: set HTMX_VERSION, run with HTMX_TRUST_NEW=1 once to print the new sums, check them against
# `npm view htmx.org@<version> dist.integrity`, and write them here.
set -euo pipefail

HTMX_VERSION="${HTMX_VERSION:-2.0.11}"
PACKAGE_SHA256="165a2655073e9e6e55e307a7c74e8ebcdb76afb7701f9c16cfd106a13add408e"
SCRIPT_SHA256="d6fdc75f204e6bdefa99b69bf1e6d4ac69b8a364f77929f45c13476b4000f717"
DEST="$(cd "$(dirname "$0")/../.." && pwd)/gateway/api/static/vendor"

command -v npm >/dev/null || { echo "npm is needed to fetch htmx" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent "htmx.org@$HTMX_VERSION" >/dev/null
tarball="htmx.org-$HTMX_VERSION.tgz"
tar xzf "$tarball"
if [[ "${HTMX_TRUST_NEW:-0}" == "1" ]]; then
    sha256sum "$tarball" package/dist/htmx.min.js
    exit 0
fi
echo "$PACKAGE_SHA256  $tarball" | sha256sum --check --quiet
echo "$SCRIPT_SHA256  package/dist/htmx.min.js" | sha256sum --check --quiet
mkdir -p "$DEST"
cp package/dist/htmx.min.js "$DEST/htmx.min.js"
cp package/LICENSE "$DEST/htmx.LICENSE"
echo "htmx $HTMX_VERSION vendored into $DEST" >&2
