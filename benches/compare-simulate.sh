#!/usr/bin/env bash
# Whole-process batch throughput, side by side in one run: `mlrole simulate --batch` against
# @cloud-copilot/iam-simulate (run as an external process only) on the same corpora:
#  - random: the differential corpus, every line with its own small random policies
#    (per-line parsing and policy compilation dominate);
#  - role: a generated Data Scientist role checked against many requests drawn from its own
#    statements and from what it must be denied (the workload of `mlrole verify`).
# Needs hyperfine, node, and the oracle under $IAMSIM_PREFIX (default target/iamsim).
# Environment: CASES (random corpus, default 20000), ROLE_CASES (default 4000), ROUNDS (default 5:
# interleaved rounds, each at least MLROLE_RUNS runs of mlrole, default 20, and at least 3 s of
# them, then 1 run of iam-simulate), MLROLE_BIN (binary to time).
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
  # Interleaved rounds: the shared host's speed moves by tens of percent from one minute to the
  # next, and one hyperfine call times all runs of one tool before the other's, so a slow patch
  # could land on either tool alone. Each round times both tools back to back; the ratio is
  # taken per round, and its median reported. mlrole's share of a round lasts seconds (at least
  # MLROLE_RUNS runs and hyperfine's 3 s), not a fraction of one: three runs of 0.1 s each
  # sampled one moment of the host against iam-simulate's 11-20 s, and a slow moment on them
  # moved that round's ratio by a quarter.
  rounds=${ROUNDS:-5}
  mlrole_runs=${MLROLE_RUNS:-20}
  for r in $(seq 1 "$rounds"); do
    hyperfine --style none --warmup 1 --min-runs "$mlrole_runs" --export-json "$out/hyperfine-$corpus-mlrole-$r.json" \
      -n mlrole "$bin simulate --batch $out/$corpus.jsonl > $out/mlrole-$corpus.jsonl" >/dev/null
    hyperfine --style none --runs 1 --export-json "$out/hyperfine-$corpus-oracle-$r.json" \
      -n iam-simulate "node tests/differential/run.mjs --oracle-only $out/$corpus.jsonl > $out/oracle-$corpus.jsonl" >/dev/null
  done
  node -e '
const [out, corpus, n, rounds] = process.argv.slice(1);
const read = (tool, r) => require(`${out}/hyperfine-${corpus}-${tool}-${r}.json`).results[0];
const m = [], o = [], ratio = [];
for (let r = 1; r <= Number(rounds); r++) {
  const a = read("mlrole", r), b = read("oracle", r);
  m.push(a.mean); o.push(b.mean); ratio.push(b.mean / a.mean);
}
const med = (xs) => { const s = [...xs].sort((x, y) => x - y); const k = s.length >> 1; return s.length % 2 ? s[k] : (s[k - 1] + s[k]) / 2; };
const rate = (t) => (Number(n) / t).toFixed(0);
console.log(`mlrole: median ${med(m).toFixed(3)} s (${m.map((t) => t.toFixed(3)).join(", ")}), ${rate(med(m))} decisions/s`);
console.log(`iam-simulate: median ${med(o).toFixed(3)} s (${o.map((t) => t.toFixed(3)).join(", ")}), ${rate(med(o))} decisions/s`);
console.log(`mlrole / iam-simulate throughput (${corpus}), per round: ${ratio.map((x) => x.toFixed(0) + "x").join(", ")}; median ${med(ratio).toFixed(0)}x`);
' "$PWD/$out" "$corpus" "$n" "$rounds"
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
