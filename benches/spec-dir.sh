#!/usr/bin/env bash
# Whole-process throughput of `mlrole generate --spec-dir`: SPECS spec files (default 1,000, a mix
# of the three personas with different buckets, accounts, regions and network settings), one role
# each, measured with hyperfine. Writes under target/bench-spec-dir/.
#
# Each run writes into a new folder, and nothing is deleted until all runs are done: on ext4
# without a journal (this project's development machine), creating a file skips every inode freed
# in the last 60-360 seconds, one cached-block lookup each, so a benchmark that deletes the
# previous run's 4,667 files and folders before each run measures that scan (perf: most of the
# samples in the kernel's `recently_deleted`; a plain Python loop creating the same files took
# 4.1 s instead of 0.17 s). REUSE_FOLDER=1 deletes and rewrites one folder, to see that effect.
set -euo pipefail
cd "$(dirname "$0")/.."
specs=${SPECS:-1000}
target=${CARGO_TARGET_DIR:-target}
out=$target/bench-spec-dir
# A previous run's outputs are deleted after this run's measurements, not before.
old=""
if [ -d "$out" ]; then old="$out.old.$$"; mv "$out" "$old"; fi
mkdir -p "$out/specs" "$out/done"
# The binary as published (.ci/build-release); MLROLE_BIN=/path/to/mlrole measures another.
bin=${MLROLE_BIN:-$(.ci/build-release)}
for i in $(seq 1 "$specs"); do
  account=$(printf '%012d' $((100000000000 + i)))
  case $((i % 3)) in
  0) cat > "$out/specs/role-$i.yaml" <<SPEC
persona: compute
account: "$account"
region: us-east-1
read_buckets: [ml-data-$i]
buckets: [ml-artifacts-$i]
ecr_repos: [team-$i/train]
vpc_subnets: [subnet-0aaa1111]
vpc_security_groups: [sg-0ccc3333]
SPEC
  ;;
  1) cat > "$out/specs/role-$i.yaml" <<SPEC
persona: data-scientist
account: "$account"
region: eu-west-1
read_buckets: [ml-data-$i]
buckets: [ml-artifacts-$i]
pass_roles: ["arn:aws:iam::$account:role/service-role/SageMaker-Compute"]
tags: { team: team-$i }
SPEC
  ;;
  2) cat > "$out/specs/role-$i.json" <<SPEC
{"persona": "mlops", "account": "$account", "buckets": ["ml-artifacts-$i"],
 "pass_roles": ["arn:aws:iam::$account:role/service-role/SageMaker-Compute"]}
SPEC
  ;;
  esac
done
echo "$specs specs in $out/specs; $(nproc) cores; $(uptime)"
if [ "${REUSE_FOLDER:-0}" = 1 ]; then
  prepare="rm -rf $out/roles"
else
  prepare="if [ -d $out/roles ]; then mv $out/roles $out/done/roles-\$(date +%s%N); fi"
fi
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$out/hyperfine.json" \
  --prepare "$prepare" \
  -n "generate --spec-dir ($specs specs)" "$bin generate --spec-dir $out/specs --out-dir $out/roles"
ls "$out/roles" | wc -l | xargs echo "role folders written:"
find "$out/roles" -name '.mlrole-*' | wc -l | xargs echo "temporary files left:"
rm -rf "$out/done" ${old:+"$old"}
