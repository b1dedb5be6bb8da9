#!/usr/bin/env bash
# Whole-process batch throughput, side by side in one run: `mlrole simulate --batch` against
# @cloud-copilot/iam-simulate (run as an external process only) on the same corpora:
#  - random: the differential corpus, every line with its own small random policies
#    (per-line parsing and policy compilation dominate);
#  - role: a generated Data Scientist role checked against many requests drawn from its own
#    statements and from what it must be denied (the workload of `mlrole verify`).
# Needs hyperfine, node, and the oracle under $IAMSIM_PREFIX (default target/iamsim).
# Environment: CASES (random corpus, default 20000), ROLE_CASES (default 4000), RUNS (default 5).
set -euo pipefail
cd "$(dirname "$0")/.."
cases=${CASES:-20000}
role_cases=${ROLE_CASES:-4000}
export IAMSIM_PREFIX=${IAMSIM_PREFIX:-$PWD/target/iamsim}
out=target/bench-simulate
mkdir -p "$out"
# The binary as published (.ci/build-release); MLROLE_BIN=/path/to/mlrole measures another.
bin=${MLROLE_BIN:-$(.ci/build-release)}
"$bin" generate --persona data-scientist --account 111122223333 --region us-east-1 --bucket ml-data \
  --pass-role arn:aws:iam::111122223333:role/service-role/SageMaker-Compute --format json > "$out/role.json"
node tests/differential/run.mjs --cases "$cases" --seed 42 --write-corpus "$out/random.jsonl"
node tests/differential/run.mjs --cases "$role_cases" --seed 42 --role-corpus "$out/role.json" --write-corpus "$out/role.jsonl"
echo "machine: $(nproc) cores, $(uptime | sed 's/.*load/load/'), $(date -u +%Y-%m-%dT%H:%MZ)"
for corpus in random role; do
  n=$([ "$corpus" = random ] && echo "$cases" || echo "$role_cases")
  echo "== $corpus corpus: $n cases ($(du -h "$out/$corpus.jsonl" | cut -f1))"
  hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$out/hyperfine-$corpus.json" \
    -n mlrole "$bin simulate --batch $out/$corpus.jsonl > $out/mlrole-$corpus.jsonl" \
    -n iam-simulate "node tests/differential/run.mjs --oracle-only $out/$corpus.jsonl > $out/oracle-$corpus.jsonl"
  node -e '
const r = require(process.argv[1]).results;
const n = Number(process.argv[2]);
const by = Object.fromEntries(r.map((x) => [x.command, x]));
for (const [k, v] of Object.entries(by)) console.log(`${k}: ${(n / v.mean).toFixed(0)} decisions/s (whole process, mean ${v.mean.toFixed(3)} s ± ${v.stddev.toFixed(3)}, min ${v.min.toFixed(3)} s)`);
console.log(`mlrole / iam-simulate throughput (${process.argv[3]}): ${(by["iam-simulate"].mean / by["mlrole"].mean).toFixed(0)}x (mean), ${(by["iam-simulate"].min / by["mlrole"].min).toFixed(0)}x (min)`);
' "$PWD/$out/hyperfine-$corpus.json" "$n" "$corpus"
  # Both tools must have decided the same cases (decisions are compared by the differential test).
  node -e '
const fs = require("fs");
const a = fs.readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
const b = fs.readFileSync(process.argv[2], "utf8").trim().split("\n").map(JSON.parse);
let same = 0, cmp = 0;
for (let i = 0; i < a.length; i++) if (a[i].decision && b[i] && b[i].decision) { cmp++; if (a[i].decision === b[i].decision) same++ }
console.log(`decisions: ${a.length} by mlrole, ${b.length} by iam-simulate; ${same}/${cmp} equal where both decided (differences: see tests/differential/README.md)`);
' "$out/mlrole-$corpus.jsonl" "$out/oracle-$corpus.jsonl"
done
