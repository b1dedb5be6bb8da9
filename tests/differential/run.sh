#!/usr/bin/env bash
# Differential test of mlrole's IAM evaluator against @cloud-copilot/iam-simulate
# (run as an external process only; see README.md). Skips cleanly (exit 0)
# when node or the oracle package is missing.
set -euo pipefail
if ! command -v node >/dev/null 2>&1; then
  echo "SKIP: node is not installed"
  exit 0
fi
cd "$(dirname "$0")/../.."
exec node tests/differential/run.mjs "$@"
