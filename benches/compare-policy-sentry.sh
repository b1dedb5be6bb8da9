#!/usr/bin/env bash
# Times `mlrole generate` against policy_sentry `write-policy` (PyPI) with
# hyperfine, whole process each, for the data-scientist and compute personas
# (issue #8: generate under 5 ms, at least 50x faster than policy_sentry).
# Run from anywhere:
#
#   benches/compare-policy-sentry.sh [data-scientist|compute ...]
#
# Needs: hyperfine (apt-get install hyperfine), policy_sentry
# (pip install policy_sentry) and python3 (which policy_sentry runs on).
# MLROLE_BIN=/path/to/mlrole skips the cargo build; RUNS=N sets hyperfine's
# runs (default 30, warmup 5). Markdown and JSON tables go to
# /tmp/compare-policy-sentry-<persona>.{md,json}.
# Record the results, with the load average printed, in benches/HARDENING.md and README.md.
#
# What is compared, per persona:
#   mlrole generate --persona P ... --format json   (the whole role bundle)
#   policy_sentry write-policy -i benches/policy-sentry/P-crud.yml
#   policy_sentry write-policy -i benches/policy-sentry/P-actions.yml
#
# How the policy_sentry inputs map to mlrole's work:
# - P-crud.yml (CRUD mode) gives policy_sentry the same resource ARNs that
#   mlrole's permission policy names (bucket, log groups, SageMaker resource
#   types in the account and region, Studio ARNs with mlrole's
#   ${sagemaker:DomainId} variables, the pass-role target), each under the
#   access levels (read/write/list/tagging/permissions-management) of the
#   actions mlrole grants on it, and mlrole's Resource "*" actions as
#   wildcard-only single actions. policy_sentry then matches each ARN to a
#   resource type and expands it to every action of that level, as mlrole maps
#   activities to actions and ARNs. This is the closest "same request" input.
# - P-actions.yml (actions mode) lists exactly the actions mlrole grants.
#   policy_sentry looks each one up and writes its ARN formats with
#   ${Partition}/${Account}/... placeholders; no resource scoping.
# What is NOT equivalent:
# - mlrole also resolves the persona's activities from its catalog, renders
#   the trust policy, conditions (tag-on-create, PassRole's iam:PassedToService,
#   ...), role metadata, size budget and per-statement provenance, splits
#   managed policies and lints its own output with `mlrole lint`'s checks;
#   policy_sentry writes one permission policy only.
# - CRUD mode grants a superset: every action of the access level on each
#   resource type (with 0.13.2: 85 actions for compute, mlrole's 12), adds
#   dependent actions such as iam:PassRole and sagemaker:AddTags on "*", and
#   matches log-stream ARNs as log groups, so logs:GetLogEvents,
#   logs:CreateLogStream and logs:PutLogEvents cannot be asked for this way.
# - Actions mode gets the same action set but no account, region, bucket or
#   role, so its Resources are unfilled ARN templates.
# The script checks before timing that each command succeeds, that
# policy_sentry's output is a policy, and that the actions-mode input still
# lists exactly the actions mlrole grants (the catalog may have changed).
set -euo pipefail
cd "$(dirname "$0")/.."

personas=("$@")
if [ ${#personas[@]} -eq 0 ]; then
  personas=(data-scientist compute)
fi
runs=${RUNS:-30}

command -v hyperfine >/dev/null || { echo "hyperfine not found: apt-get install hyperfine" >&2; exit 1; }
command -v policy_sentry >/dev/null || { echo "policy_sentry not found: pip install policy_sentry" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 not found: apt-get install python3" >&2; exit 1; }

# policy_sentry ships its IAM database in the wheel; `policy_sentry initialize`
# is only needed to build a local one in ~/.policy_sentry, which then wins.
if [ -f "$HOME/.policy_sentry/iam-definition.json" ]; then
  echo "policy_sentry uses the local database in ~/.policy_sentry (remove it to time the bundled one)"
fi

if [ -n "${MLROLE_BIN:-}" ]; then
  mlrole=$MLROLE_BIN
else
  mlrole=$(.ci/build-release)
fi

args_for() {
  case "$1" in
    data-scientist)
      echo "--persona data-scientist --account 111122223333 --region us-east-1 --bucket my-ml-data --pass-role arn:aws:iam::111122223333:role/service-role/SageMaker-Compute --format json" ;;
    compute)
      echo "--persona compute --account 111122223333 --region us-east-1 --bucket my-ml-data --format json" ;;
    *) echo "no policy_sentry input for persona $1 (benches/policy-sentry/)" >&2; return 1 ;;
  esac
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "mlrole: $("$mlrole" --version)"
echo "policy_sentry: $(policy_sentry --version)"
echo "hyperfine: $(hyperfine --version)"
echo "cores: $(nproc)  load before: $(uptime)"

for p in "${personas[@]}"; do
  args=$(args_for "$p")
  crud=benches/policy-sentry/$p-crud.yml
  actions=benches/policy-sentry/$p-actions.yml
  echo "== $p"

  # Is the work real? Each command must succeed and print a policy.
  # shellcheck disable=SC2086
  "$mlrole" generate $args >"$tmp/mlrole.json"
  policy_sentry write-policy -i "$crud" >"$tmp/crud.json" \
    || { echo "policy_sentry failed on $crud (if it lacks its database: policy_sentry initialize)" >&2; exit 1; }
  policy_sentry write-policy -i "$actions" >"$tmp/actions.json" \
    || { echo "policy_sentry failed on $actions (if it lacks its database: policy_sentry initialize)" >&2; exit 1; }
  python3 - "$tmp" "$actions" <<'EOF'
import json, sys
tmp, actions_yml = sys.argv[1], sys.argv[2]

def actions_of(statements):
    out = set()
    for s in statements:
        a = s["Action"]
        out.update([a] if isinstance(a, str) else a)
    return out

bundle = json.load(open(f"{tmp}/mlrole.json"))
ml_st = [s for p in bundle["permission_policies"] for s in p["document"]["Statement"]]
ml = actions_of(ml_st)
print(f"  mlrole:               {len(ml_st):3} statements {len(ml):3} actions "
      f"in {len(bundle['permission_policies'])} policy(ies), plus the trust policy")
for mode in ("crud", "actions"):
    doc = json.load(open(f"{tmp}/{mode}.json"))
    st = doc["Statement"]
    got = actions_of(st)
    if doc.get("Version") != "2012-10-17" or not st or not got:
        sys.exit(f"policy_sentry {mode} output is not a policy with actions")
    missing = sorted(ml - got)
    print(f"  policy_sentry {mode:7}: {len(st):3} statements {len(got):3} actions, "
          f"{len(got & ml)} of mlrole's" + (f"; lacks {', '.join(missing)}" if missing else ""))
    if mode == "actions" and got != ml:
        sys.exit(f"{actions_yml} no longer lists exactly mlrole's actions: "
                 f"missing {sorted(ml - got)}, extra {sorted(got - ml)}; update it")
EOF

  hyperfine -N --warmup 5 --runs "$runs" --output=pipe \
    --export-markdown "/tmp/compare-policy-sentry-$p.md" \
    --export-json "/tmp/compare-policy-sentry-$p.json" \
    -n "mlrole generate ($p)" "$mlrole generate $args" \
    -n "policy_sentry write-policy ($p-crud.yml)" "policy_sentry write-policy -i $crud" \
    -n "policy_sentry write-policy ($p-actions.yml)" "policy_sentry write-policy -i $actions"

  python3 - "/tmp/compare-policy-sentry-$p.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
ml = r[0]
ms = lambda s: f"{s * 1000:.2f} ms"
print(f"  goal: mlrole mean {ms(ml['mean'])} (< 5 ms: {'met' if ml['mean'] < 0.005 else 'NOT met'})")
for other in r[1:]:
    ratio = other["mean"] / ml["mean"]
    print(f"  goal: {ratio:.1f}x faster than {other['command']} (>= 50x: {'met' if ratio >= 50 else 'NOT met'})")
EOF
done

echo "load after: $(uptime)"
echo "markdown tables in /tmp/compare-policy-sentry-*.md"
