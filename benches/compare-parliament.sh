#!/usr/bin/env bash
# Times `mlrole lint` against parliament (PyPI) on the same policy files with
# hyperfine, whole process each. Run from the repository root once the CLI
# has a `lint` subcommand:
#
#   benches/compare-parliament.sh [policy.json ...]
#
# Needs: hyperfine (apt-get install hyperfine), parliament (pip install parliament).
# Defaults to the 30-statement SageMaker policy used by benches/lint.rs.
# Record the results in reference/BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."

files=("$@")
if [ ${#files[@]} -eq 0 ]; then
  files=(tests/lint/bench/sagemaker-30-statements.json tests/lint/good/sagemaker-jobs-and-models.json)
fi

command -v hyperfine >/dev/null || { echo "hyperfine not found: apt-get install hyperfine" >&2; exit 1; }
command -v parliament >/dev/null || { echo "parliament not found: pip install parliament" >&2; exit 1; }

# The binary as published (.ci/build-release); MLROLE_BIN=/path/to/mlrole measures another.
mlrole=${MLROLE_BIN:-$(.ci/build-release)}

for f in "${files[@]}"; do
  echo "== $f"
  # Both tools exit non-zero when they report findings; time them regardless.
  hyperfine --warmup 5 --runs 50 -N -i \
    --export-markdown "/tmp/compare-parliament-$(basename "$f" .json).md" \
    "$mlrole lint $f" \
    "parliament --file $f"
done
echo "markdown tables in /tmp/compare-parliament-*.md"
