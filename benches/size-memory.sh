#!/usr/bin/env bash
# Release binary size and peak memory (maximum resident set size from GNU time) of `generate`
# (one role, and 1,000 specs with --spec-dir when benches/spec-dir.sh has made them) and `lint`.
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
# The binary as published (.ci/build-release); MLROLE_BIN=/path/to/mlrole measures another.
bin=${MLROLE_BIN:-$(.ci/build-release)}
work=$target/bench-size-memory
rm -rf "$work" && mkdir -p "$work"
echo "binary: $(stat -c %s "$bin") bytes ($(du -h "$bin" | cut -f1))"
peak() { # label, command...
  local label=$1; shift
  /usr/bin/time -v "$@" > /dev/null 2> "$work/time.txt" || true
  echo "$label: peak $(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt") KB, $(awk -F': ' '/Elapsed/ {print $2}' "$work/time.txt") wall"
}
peak "generate data-scientist" "$bin" generate --persona data-scientist --account 111122223333 \
  --region us-east-1 --bucket ml-data --pass-role arn:aws:iam::111122223333:role/service-role/SageMaker-Compute \
  -o "$work/bundle.json"
peak "lint bundle" "$bin" lint "$work/bundle.json"
"$bin" generate --persona compute --account 111122223333 --bucket ml-data -o "$work/compute.json"
peak "lint 2 bundles" "$bin" lint "$work/bundle.json" "$work/compute.json"
# The largest policy mlrole reads (the input cap is 1 MiB): 13,000 statements, 1,027,038 bytes.
python3 - "$work/largest.json" <<'EOF'
import sys
statement = '{"Effect":"Allow","Action":"s3:GetObject","Resource":"arn:aws:s3:::ml-data/*"}'
open(sys.argv[1], "w").write('{"Version":"2012-10-17","Statement":[' + ",".join([statement] * 13000) + "]}")
EOF
peak "lint of a $(stat -c %s "$work/largest.json")-byte policy" "$bin" lint "$work/largest.json"
peak "simulate against it" "$bin" simulate --policy "$work/largest.json" --principal arn:aws:iam::111122223333:role/r \
  --action s3:GetObject --resource arn:aws:s3:::ml-data/x
if [ -d "$target/bench-spec-dir/specs" ]; then
  rm -rf "$work/roles"
  n=$(ls "$target/bench-spec-dir/specs" | wc -l)
  peak "generate --spec-dir ($n specs)" "$bin" generate --spec-dir "$target/bench-spec-dir/specs" --out-dir "$work/roles"
fi
