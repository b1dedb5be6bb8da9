#!/usr/bin/env bash
# Whole-process throughput of `mlrole generate --spec-dir`: SPECS spec files (default 1,000, a mix
# of the three personas with different buckets, accounts, regions and network settings), one role
# each, measured with hyperfine. Writes under target/bench-spec-dir/.
set -euo pipefail
cd "$(dirname "$0")/.."
specs=${SPECS:-1000}
target=${CARGO_TARGET_DIR:-target}
out=$target/bench-spec-dir
rm -rf "$out" && mkdir -p "$out/specs"
cargo build --release --quiet
bin=$target/release/mlrole
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
hyperfine --warmup 1 --runs "${RUNS:-5}" --export-json "$out/hyperfine.json" \
  --prepare "rm -rf $out/roles" \
  -n "generate --spec-dir ($specs specs)" "$bin generate --spec-dir $out/specs --out-dir $out/roles"
ls "$out/roles" | wc -l | xargs echo "role folders written:"
