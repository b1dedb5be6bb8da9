#!/usr/bin/env bash
# Whole-process batch throughput, side by side in one run: `mlrole simulate --batch` against
# @cloud-copilot/iam-simulate (run as an external process only) on the same corpus.
# Needs hyperfine, node, and the oracle under $IAMSIM_PREFIX (default target/iamsim).
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${CASES:-20000}
export IAMSIM_PREFIX=${IAMSIM_PREFIX:-$PWD/target/iamsim}
out=target/bench-simulate
mkdir -p "$out"
cargo build --release --quiet
node tests/differential/run.mjs --cases "$cases" --seed 42 --write-corpus "$out/corpus.jsonl"
echo "corpus: $cases cases ($(du -h "$out/corpus.jsonl" | cut -f1))"
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$out/hyperfine.json" \
  -n mlrole "target/release/mlrole simulate --batch $out/corpus.jsonl > $out/mlrole.jsonl" \
  -n iam-simulate "node tests/differential/run.mjs --oracle-only $out/corpus.jsonl > $out/oracle.jsonl"
node -e '
const r = require(process.argv[1]).results;
const n = Number(process.argv[2]);
const by = Object.fromEntries(r.map((x) => [x.command, x.mean]));
for (const [k, v] of Object.entries(by)) console.log(`${k}: ${(n / v).toFixed(0)} decisions/s (whole process, mean ${v.toFixed(3)} s)`);
console.log(`mlrole / iam-simulate throughput: ${(by["iam-simulate"] / by["mlrole"]).toFixed(0)}x`);
' "$PWD/$out/hyperfine.json" "$cases"
