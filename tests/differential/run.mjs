#!/usr/bin/env node
// Differential test: mlrole's IAM evaluator vs @cloud-copilot/iam-simulate.
//
// The oracle is AGPL: it is only ever run as an external process by this
// script and never vendored, copied or ported. Install it for a session with
//   npm install --prefix /tmp/iamsim @cloud-copilot/iam-simulate
// then run from the repository root:
//   node tests/differential/run.mjs [--cases N] [--seed S] [--out DIR]
// Environment: IAMSIM_PREFIX (default /tmp/iamsim), CARGO_TARGET_DIR.
// Exit codes: 0 = ran (or skipped because node or the oracle is absent),
// 1 = an unexplained disagreement while DIFF_STRICT=1, 2 = setup error.

import { createRequire } from 'node:module'
import { spawnSync } from 'node:child_process'
import { mkdirSync, writeFileSync, readFileSync } from 'node:fs'
import { join, dirname } from 'node:path'
import { fileURLToPath } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const args = process.argv.slice(2)
const opt = (name, dflt) => {
  const i = args.indexOf(name)
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt
}
const N = Number(opt('--cases', '3000'))
const SEED = Number(opt('--seed', '20261128'))
const OUT = opt('--out', '/tmp/mlrole-differential')
const prefix = process.env.IAMSIM_PREFIX || '/tmp/iamsim'

// The oracle is loaded only when a case is to be decided: `--write-corpus` needs node alone
// (.ci/build-release writes its training corpus with it).
let runSimulation
if (!args.includes('--write-corpus')) {
  try {
    const req = createRequire(join(prefix, 'node_modules', 'x.js'))
    ;({ runSimulation } = req('@cloud-copilot/iam-simulate'))
  } catch (e) {
    console.log(`SKIP: @cloud-copilot/iam-simulate not found under ${prefix} (${e.code || e.message}); install it with npm install --prefix ${prefix} @cloud-copilot/iam-simulate`)
    process.exit(0)
  }
}

// ------------------------------------------------------------------ corpus
// Deterministic PRNG (mulberry32) so a seed reproduces a corpus.
let s = SEED >>> 0
const rnd = () => {
  s = (s + 0x6d2b79f5) >>> 0
  let t = s
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
const pick = (a) => a[Math.floor(rnd() * a.length)]
const chance = (p) => rnd() < p
const some = (a, min, max) => {
  const n = min + Math.floor(rnd() * (max - min + 1))
  const out = []
  for (let i = 0; i < n; i++) out.push(pick(a))
  return [...new Set(out)]
}
const one = (a) => (a.length === 1 && chance(0.5) ? a[0] : a)

const A = '111111111111'
const B = '222222222222'
const principals = [
  { arn: `arn:aws:iam::${A}:user/alice`, acct: A, user: 'alice' },
  { arn: `arn:aws:iam::${A}:user/bob`, acct: A, user: 'bob' },
  { arn: `arn:aws:sts::${A}:assumed-role/MLRole/sess1`, acct: A, role: `arn:aws:iam::${A}:role/MLRole`, session: true },
  { arn: `arn:aws:iam::${B}:user/carol`, acct: B, user: 'carol' },
  { arn: `arn:aws:sts::${B}:assumed-role/Other/s2`, acct: B, role: `arn:aws:iam::${B}:role/Other`, session: true }
]
const objects = ['arn:aws:s3:::ml-data/alice/train.csv', 'arn:aws:s3:::ml-data/bob/x.csv', 'arn:aws:s3:::ml-logs/a.txt', 'arn:aws:s3:::ML-Data/alice/y']
const jobs = [`arn:aws:sagemaker:us-east-1:${A}:training-job/job-1`, `arn:aws:sagemaker:eu-west-1:${A}:training-job/exp-2`, `arn:aws:sagemaker:us-east-1:${B}:training-job/job-3`]
const targets = [
  { action: 's3:GetObject', resources: objects },
  { action: 's3:PutObject', resources: objects },
  { action: 's3:ListBucket', resources: ['arn:aws:s3:::ml-data', 'arn:aws:s3:::ml-logs'] },
  { action: 'sagemaker:CreateTrainingJob', resources: jobs },
  { action: 'sagemaker:DescribeTrainingJob', resources: jobs },
  { action: 'sagemaker:CreateModel', resources: [`arn:aws:sagemaker:us-east-1:${A}:model/m1`] },
  { action: 'iam:PassRole', resources: [`arn:aws:iam::${A}:role/MLRole`, `arn:aws:iam::${A}:role/service-role/SageMakerExec`] },
  { action: 'kms:Decrypt', resources: [`arn:aws:kms:us-east-1:${A}:key/1234abcd-12ab-34cd-56ef-1234567890ab`] },
  { action: 'logs:PutLogEvents', resources: [`arn:aws:logs:us-east-1:${A}:log-group:/aws/sagemaker/TrainingJobs:log-stream:job-1/algo-1`] }
]
const actionPatterns = ['s3:GetObject', 'S3:getobject', 's3:Get*', 's3:*Object', 's3:?utObject', 's3:List*', 's3:*', 'sagemaker:*TrainingJob', 'sagemaker:Describe*', 'sagemaker:CreateModel', 'sagemaker:*', 'iam:PassRole', 'kms:*', 'logs:Put*', '*']
const resourcePatterns = [
  '*', 'arn:aws:s3:::ml-data/*', 'arn:aws:s3:::ml-data/${aws:username}/*', "arn:aws:s3:::ml-data/${aws:PrincipalTag/team, 'alice'}/*", 'arn:aws:s3:::ml-*',
  'arn:aws:s3:::ml-data', 'arn:aws:s3:::*/alice/*', 'arn:aws:s3:::ml-data/A*', 'arn:aws:s3:::ml-data/alice/*', 'arn:aws:s3:::ml-???s/*',
  `arn:aws:sagemaker:*:${A}:training-job/*`, 'arn:aws:sagemaker:us-east-1:*:*', 'arn:aws:sagemaker:*:*:training-job/job-?', `arn:aws:sagemaker:us-east-1:${A}:model/*`,
  `arn:aws:iam::${A}:role/*`, 'arn:aws:iam::*:role/service-role/*', `arn:aws:kms:*:${A}:key/*`, 'arn:aws:logs:*:*:log-group:/aws/sagemaker/*', `arn:aws:*:*:${A}:*`,
  'arn:aws:sagemaker:*:${aws:PrincipalAccount}:*', 'arn:aws:s3:::ml-data/${aws:username, \'bob\'}/*', 'arn:aws:s3:::ml-data/alice/train${?}csv', 'arn:aws:s3:::ml-data/*/*.csv'
]
// Context keys by IAM type, with value pools that make matches likely.
const keys = {
  string: [
    ['aws:PrincipalTag/team', ['ml', 'data', 'ML']],
    ['aws:RequestTag/project', ['p1', 'p2']],
    ['aws:PrincipalOrgID', ['o-abc', 'o-xyz']],
    ['aws:SourceVpc', ['vpc-1', 'vpc-2']]
  ],
  multi: [['aws:TagKeys', ['team', 'project', 'cost']]],
  bool: [['aws:SecureTransport', ['true', 'false']], ['aws:MultiFactorAuthPresent', ['true', 'false']]],
  numeric: [['aws:MultiFactorAuthAge', ['300', '3600', '7200']]],
  date: [['aws:CurrentTime', ['2024-01-01T00:00:00Z', '2025-06-01T12:00:00Z']], ['aws:TokenIssueTime', ['2025-01-01T00:00:00Z', '2025-06-01T11:00:00Z']]],
  ip: [['aws:SourceIp', ['10.0.0.5', '192.168.1.1', '2001:db8::1']]],
  arn: [['aws:SourceArn', [jobs[0], `arn:aws:sagemaker:us-east-1:${A}:model/m1`]], ['aws:PrincipalArn', []]]
}
const ops = {
  string: ['StringEquals', 'StringNotEquals', 'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase', 'StringLike', 'StringNotLike'],
  bool: ['Bool'],
  numeric: ['NumericEquals', 'NumericNotEquals', 'NumericLessThan', 'NumericLessThanEquals', 'NumericGreaterThan', 'NumericGreaterThanEquals'],
  date: ['DateEquals', 'DateNotEquals', 'DateLessThan', 'DateLessThanEquals', 'DateGreaterThan', 'DateGreaterThanEquals'],
  ip: ['IpAddress', 'NotIpAddress'],
  arn: ['ArnEquals', 'ArnLike', 'ArnNotEquals', 'ArnNotLike']
}
const policyValue = (type, pool) => {
  switch (type) {
    case 'string':
    case 'multi':
      return pick([...pool, pick(pool).toUpperCase(), pick(pool).slice(0, 1) + '*', '?' + pick(pool).slice(1), '${aws:username}', "${aws:username, 'ml'}"])
    case 'numeric':
      return pick(['300', '3600', '600', '7200.0'])
    case 'date':
      return pick(['2024-06-01T00:00:00Z', '2025-06-01T12:00:00Z', '2025-01-01', '1735689600'])
    case 'ip':
      return pick(['10.0.0.0/8', '10.0.0.5', '192.168.0.0/16', '2001:db8::/32', '0.0.0.0/0'])
    case 'arn':
      return pick([jobs[0], `arn:aws:sagemaker:*:${A}:training-job/*`, 'arn:aws:sagemaker:*:*:*', `arn:aws:sagemaker:us-east-1:${A}:model/m?`,
        'arn:aws:iam::${aws:PrincipalAccount}:role/*', `arn:aws:iam::${A}:user/*`, 'arn:aws:iam::*:role/MLRole'])
    default:
      return pick(pool)
  }
}
const condition = () => {
  const c = {}
  for (let i = 0, n = 1 + Math.floor(rnd() * 2); i < n; i++) {
    const type = pick(['string', 'string', 'multi', 'bool', 'numeric', 'date', 'ip', 'arn', 'null'])
    if (type === 'null') {
      const [k] = pick([...keys.string, ...keys.bool, ...keys.multi])
      c.Null = { ...(c.Null || {}), [k]: pick(['true', 'false']) }
      continue
    }
    const [k, pool] = pick(keys[type])
    let op = pick(ops[type === 'multi' ? 'string' : type])
    if (type === 'multi' || chance(0.1)) op = `${pick(['ForAllValues', 'ForAnyValue'])}:${op}`
    if (chance(0.2)) op += 'IfExists'
    const vals = []
    for (let j = 0, m = 1 + Math.floor(rnd() * 2); j < m; j++) vals.push(policyValue(type, pool))
    c[op] = { ...(c[op] || {}), [k]: one([...new Set(vals)]) }
  }
  return c
}
const statement = (principalBlock) => {
  const st = {}
  if (chance(0.5)) st.Sid = `S${Math.floor(rnd() * 1000)}`
  st.Effect = chance(0.75) ? 'Allow' : 'Deny'
  if (principalBlock) Object.assign(st, principalBlock())
  st[chance(0.12) ? 'NotAction' : 'Action'] = one(some(actionPatterns, 1, 3))
  st[chance(0.1) ? 'NotResource' : 'Resource'] = one(some(resourcePatterns, 1, 3))
  if (chance(0.45)) st.Condition = condition()
  return st
}
const policy = (n, principalBlock) => {
  const statements = Array.from({ length: n }, () => statement(principalBlock))
  // Mostly current-version policies with an array; sometimes a single
  // statement object, sometimes the 2008 version (variables are literal).
  return { Version: chance(0.05) ? '2008-10-17' : '2012-10-17', Statement: n === 1 && chance(0.3) ? statements[0] : statements }
}
const resourcePrincipal = () => {
  const choices = [
    { Principal: '*' },
    { Principal: { AWS: A } },
    { Principal: { AWS: `arn:aws:iam::${A}:root` } },
    { Principal: { AWS: `arn:aws:iam::${B}:root` } },
    { Principal: { AWS: principals[0].arn } },
    { Principal: { AWS: principals[2].role } },
    { Principal: { AWS: principals[2].arn } },
    { Principal: { AWS: [principals[3].arn, principals[4].role] } },
    { NotPrincipal: { AWS: principals[0].arn } },
    { NotPrincipal: { AWS: [principals[2].role, `arn:aws:iam::${A}:root`] } },
    { Principal: { AWS: '*' } },
    { Principal: { Service: 'sagemaker.amazonaws.com' } }
  ]
  return pick(choices)
}

// `--role-corpus BUNDLE`: instead of random policies, every case checks the
// permission policies of one generated role (`mlrole generate --format json`)
// against one request: the workload of `mlrole verify`. Requests are drawn
// from the role's own statements (concrete actions, resources with the
// wildcards and variables filled in, context that meets or misses the
// conditions) and from what it must be denied (other actions, accounts,
// regions, buckets).
const roleFile = opt('--role-corpus')
const cases = roleFile ? roleCases(JSON.parse(readFileSync(roleFile, 'utf8'))) : []
function roleCases(bundle) {
  const acct = bundle.role.account
  const region = bundle.role.region
  const other = acct === '999988887777' ? '111122223333' : '999988887777'
  const identity = bundle.permission_policies.map((p) => ({ name: p.name, policy: p.document }))
  const statements = identity.flatMap((p) => [].concat(p.policy.Statement))
  const allows = statements.filter((st) => st.Effect === 'Allow' && st.Action && st.Resource)
  const list = (x) => [].concat(x || [])
  const roleArn = `arn:aws:iam::${acct}:role${bundle.role.path || '/'}${bundle.role.name}`
  const principal = `arn:aws:sts::${acct}:assumed-role/${bundle.role.name}/studio-session`
  const idChars = 'abcdefghijklmnopqrstuvwxyz0123456789'
  const token = (n) => Array.from({ length: n }, () => pick([...idChars])).join('')
  // Fills in `${key}` from the context (setting a plausible value if absent),
  // then `*` and `?` with concrete text.
  const concretize = (pattern, ctx) => {
    if (pattern === '*') return pattern // actions that only take `*`
    let r = pattern.replace(/\$\{([^}]+)\}/g, (_, key) => {
      if (!(key in ctx)) ctx[key] = key.endsWith('DomainId') ? `d-${token(10)}` : pick(['alice', 'bob', 'data-sci-1'])
      return ctx[key]
    })
    // App ARNs are app/domain/profile-or-space/type/name.
    const app = r.match(/^(.*:app\/)(.*)\*$/)
    if (app) r = app[1] + app[2] + ['alice', pick(['JupyterLab', 'CodeEditor']), 'default'].slice(app[2].split('/').length - 2).join('/')
    return r.replace(/\*/g, () => pick(['job-' + token(4), 'x' + token(2)])).replace(/\?/g, () => pick([...idChars]))
  }
  const denied = [
    ['iam:CreateUser', `arn:aws:iam::${acct}:user/mallory`], ['iam:AttachRolePolicy', roleArn], ['sts:AssumeRole', `arn:aws:iam::${acct}:role/Admin`],
    ['s3:DeleteBucket', 'arn:aws:s3:::ml-data'], ['s3:PutBucketPolicy', 'arn:aws:s3:::ml-data'], ['s3:GetObject', 'arn:aws:s3:::other-bucket/data.csv'],
    ['sagemaker:DeleteDomain', `arn:aws:sagemaker:${region}:${acct}:domain/d-${token(10)}`], ['sagemaker:CreateEndpoint', `arn:aws:sagemaker:${region}:${acct}:endpoint/ep-1`],
    ['sagemaker:DeleteUserProfile', `arn:aws:sagemaker:${region}:${acct}:user-profile/d-${token(10)}/alice`], ['ec2:RunInstances', `arn:aws:ec2:${region}:${acct}:instance/i-0abc`],
    ['kms:Decrypt', `arn:aws:kms:${region}:${acct}:key/1234abcd-12ab-34cd-56ef-1234567890ab`], ['logs:DeleteLogGroup', `arn:aws:logs:${region}:${acct}:log-group:/aws/sagemaker/TrainingJobs`]
  ]
  const out = []
  for (let i = 0; i < N; i++) {
    const ctx = {
      'aws:PrincipalArn': roleArn,
      'aws:PrincipalAccount': acct,
      'aws:SecureTransport': pick(['true', 'false'])
    }
    if (chance(0.8)) ctx['sagemaker:DomainId'] = 'd-' + token(10)
    if (chance(0.8)) ctx['sagemaker:UserProfileName'] = pick(['alice', 'bob'])
    const st = pick(allows)
    let action = pick(list(st.Action))
    let resource = concretize(pick(list(st.Resource)), ctx)
    // Conditions of the statement: usually met, sometimes missed or absent.
    for (const [op, keys] of Object.entries(st.Condition || {})) {
      for (const [key, vals] of Object.entries(keys)) {
        const v = list(vals)[0]
        const meet = chance(0.75)
        if (op === 'Null') {
          if ((v === 'false') === meet) ctx[key] = key.endsWith('TaggingAction') ? pick(['CreateTrainingJob', 'CreateApp']) : `arn:aws:sagemaker:${region}:${acct}:user-profile/${ctx['sagemaker:DomainId'] || 'd-x'}/alice`
          else delete ctx[key]
        } else if (meet) ctx[key] = concretize(v, ctx)
        else if (chance(0.5)) ctx[key] = pick(['Private', 'other.amazonaws.com', `arn:aws:sagemaker:${region}:${other}:user-profile/d-x/mallory`])
      }
    }
    // Requests the role must be denied.
    const r = rnd()
    if (r < 0.15) [action, resource] = pick(denied)
    else if (r < 0.25) resource = resource.replace(`:${acct}:`, `:${other}:`)
    else if (r < 0.32) resource = resource.replace(`:${region}:`, ':eu-west-1:')
    else if (r < 0.37 && resource.startsWith('arn:aws:s3:::')) resource = resource.replace(/^arn:aws:s3:::[^/]+/, 'arn:aws:s3:::other-bucket')
    if (r >= 0.37 && chance(0.1)) action = action.toLowerCase()
    const arnAcct = resource.split(':')[4]
    out.push({ id: i, identity_policies: identity, request: { principal, action, resource, resource_account: arnAcct || acct, context: ctx } })
  }
  return out
}
for (let i = 0; !roleFile && i < N; i++) {
  const p = pick(principals)
  const t = pick(targets)
  const resource = pick(t.resources)
  const arnAcct = resource.split(':')[4]
  const resourceAccount = arnAcct || (chance(0.8) ? A : B)
  const context = { 'aws:PrincipalAccount': p.acct, 'aws:PrincipalArn': p.role || p.arn }
  if (p.user) context['aws:username'] = p.user
  for (const list of Object.values(keys)) {
    for (const [k, pool] of list) {
      if (!chance(0.6)) continue
      if (k === 'aws:PrincipalArn') continue // always set below
      context[k] = k === 'aws:TagKeys' ? some(pool, 0, 3) : pick(pool)
    }
  }
  const c = {
    id: i,
    identity_policies: Array.from({ length: 1 + Math.floor(rnd() * 2) }, (_, j) => ({ name: `id${j}`, policy: policy(1 + Math.floor(rnd() * 4)) })),
    request: { principal: p.arn, action: chance(0.2) ? t.action.toUpperCase() : t.action, resource, resource_account: resourceAccount, context }
  }
  // Only resource types that support resource-based policies get one.
  if (/^arn:aws:(s3|kms):/.test(resource) && chance(0.5)) c.resource_policy = policy(1 + Math.floor(rnd() * 3), resourcePrincipal)
  if (chance(0.25)) c.permissions_boundary = policy(1 + Math.floor(rnd() * 2))
  if (p.session && chance(0.3)) c.session_policies = [policy(1 + Math.floor(rnd() * 2))]
  cases.push(c)
}

// ------------------------------------------------------------------ oracle
const oracleName = { Allowed: 'allow', ExplicitlyDenied: 'explicit-deny', ImplicitlyDenied: 'implicit-deny' }
async function runOracle(c) {
  const sim = {
    identityPolicies: c.identity_policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: c.resource_policy,
    permissionBoundaryPolicies: c.permissions_boundary ? [{ name: 'boundary', policy: c.permissions_boundary }] : undefined,
    sessionPolicy: c.session_policies ? c.session_policies[0] : undefined,
    request: {
      principal: c.request.principal,
      action: c.request.action,
      resource: { resource: c.request.resource, accountId: c.request.resource_account },
      contextVariables: c.request.context
    }
  }
  try {
    const r = await runSimulation(sim, {})
    if (r.resultType === 'error') return { error: r.errors?.message || 'error' }
    if (r.resultType === 'single') return { decision: oracleName[r.overallResult] || r.overallResult, ignored: r.result?.ignoredContextKeys || [] }
    return { error: `unexpected resultType ${r.resultType}` }
  } catch (e) {
    return { error: `threw: ${e.message}` }
  }
}
// `--write-corpus FILE`: write the corpus as JSON lines (mlrole's batch format) and stop.
// `--oracle-only FILE`: decide a JSON-lines corpus with the oracle alone, one line out per case
// (used by benches/compare-simulate.sh to time both evaluators as whole processes).
if (args.includes('--write-corpus')) {
  writeFileSync(opt('--write-corpus'), cases.map((c) => JSON.stringify(c)).join('\n') + '\n')
  process.exit(0)
}
if (args.includes('--oracle-only')) {
  const lines = readFileSync(opt('--oracle-only'), 'utf8').split('\n').filter((l) => l.trim())
  const out = []
  for (const line of lines) {
    const c = JSON.parse(line)
    const r = await runOracle(c)
    out.push(JSON.stringify({ id: c.id, decision: r.decision, error: r.error }))
  }
  process.stdout.write(out.join('\n') + '\n')
  process.exit(0)
}
const oracle = []
for (const c of cases) oracle.push(await runOracle(c))

// --------------------------------------------------------------------- ours
mkdirSync(OUT, { recursive: true })
const repo = join(here, '..', '..')
function runOurs(list, file) {
  const path = join(OUT, file)
  writeFileSync(path, list.map((c) => JSON.stringify(c)).join('\n') + '\n')
  const run = spawnSync('cargo', ['run', '--quiet', '--', 'simulate', '--batch', '-'], {
    cwd: repo,
    input: readFileSync(path),
    maxBuffer: 1 << 30,
    env: process.env
  })
  if (run.status !== 0) {
    console.error(`our batch runner failed (status ${run.status}):\n${run.stderr}`)
    process.exit(2)
  }
  return run.stdout.toString().trim().split('\n').map((l) => JSON.parse(l))
}
const ours = runOurs(cases, 'corpus.jsonl')

// ------------------------------------------------------------------ compare
let agree = 0
const oracleErrors = []
const oursErrors = []
const disagreements = []
for (let i = 0; i < cases.length; i++) {
  const o = oracle[i]
  const m = ours[i]
  if (o.error) {
    oracleErrors.push({ id: i, error: o.error })
    continue
  }
  if (m.error) {
    oursErrors.push({ id: i, error: m.error })
    continue
  }
  if (o.decision === m.decision) agree++
  else disagreements.push({ id: i, oracle: o.decision, ours: m.decision, oracle_ignored_keys: o.ignored, reasons: m.reasons, case: cases[i] })
}
// ----------------------------------------------------------------- classify
// Each disagreement is re-run with one feature rewritten into an equivalent
// (or neutral) form; the first rewrite after which both sides agree names
// the cause. README.md explains each cause and which side IAM's docs support.
const A_ROOT = `arn:aws:iam::${A}:root`
const rewrites = [
  // Oracle mishandles /0 ranges and bare IPv4 addresses compared with IPv6
  // (see README.md); rewrite policy-side ranges to forms it handles.
  ['ip-range-edge-cases', (c) => {
    const fix = (p) => (p === undefined ? p : JSON.parse(JSON.stringify(p).replaceAll('"0.0.0.0/0"', '"0.0.0.0/1"').replaceAll('"10.0.0.5"', '"10.0.0.5/32"')))
    return { ...c, identity_policies: fix(c.identity_policies), resource_policy: fix(c.resource_policy), permissions_boundary: fix(c.permissions_boundary), session_policies: fix(c.session_policies) }
  }],
  ['date-epoch-seconds', (c) => JSON.parse(JSON.stringify(c).replaceAll('"1735689600"', '"2025-01-01T00:00:00Z"'))],
  ['kms-no-key-policy', (c) => (/^arn:aws:kms:/.test(c.request.resource) && !c.resource_policy ? { ...c, resource_policy: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: A_ROOT }, Action: 'kms:*', Resource: '*' }] } } : c)],
  ['empty-multivalued-key', (c) => {
    const ctx = Object.fromEntries(Object.entries(c.request.context).filter(([, v]) => !(Array.isArray(v) && v.length === 0)))
    return { ...c, request: { ...c.request, context: ctx } }
  }],
  // Oracle substitutes variables in 2008-10-17 policies: make them current.
  ['variables-in-2008-version-policy', (c) => JSON.parse(JSON.stringify(c).replaceAll('"2008-10-17"', '"2012-10-17"'))],
  // Oracle does not substitute a variable in the account segment of an ARN
  // condition value: substitute it by hand (equivalent for us).
  ['variable-in-arn-condition-account-segment', (c) => {
    const acct = c.request.context['aws:PrincipalAccount']
    const fix = (p) => (p === undefined ? p : JSON.parse(JSON.stringify(p).replaceAll('arn:aws:iam::${aws:PrincipalAccount}:', `arn:aws:iam::${acct}:`)))
    return { ...c, identity_policies: fix(c.identity_policies), resource_policy: fix(c.resource_policy), permissions_boundary: fix(c.permissions_boundary), session_policies: fix(c.session_policies) }
  }],
  // Oracle drops context keys that its service reference does not list for
  // the action (reported as ignoredContextKeys); drop them on our side too.
  ['context-keys-ignored-by-oracle', (c, d) => {
    const ignored = new Set((d.oracle_ignored_keys || []).map((k) => k.toLowerCase()))
    if (!ignored.size) return c
    const ctx = Object.fromEntries(Object.entries(c.request.context).filter(([k]) => !ignored.has(k.toLowerCase())))
    return { ...c, request: { ...c.request, context: ctx } }
  }],
  ['session-policy-vs-direct-resource-grant', (c) => (c.resource_policy && c.session_policies ? { ...c, session_policies: undefined } : c)],
  // NotPrincipal chain semantics (README): drop NotPrincipal statements.
  ['not-principal-chain', (c) => {
    if (!c.resource_policy) return c
    const st = [].concat(c.resource_policy.Statement).filter((x) => !x.NotPrincipal)
    return { ...c, resource_policy: st.length ? { ...c.resource_policy, Statement: st } : undefined }
  }],
]
const causes = {}
const tries = []
for (const d of disagreements) {
  for (const [name, f] of rewrites) {
    const c2 = f(d.case, d)
    if (JSON.stringify(c2) !== JSON.stringify(d.case)) tries.push({ d, name, c2 })
  }
}
const oursTries = tries.length ? runOurs(tries.map((t) => t.c2), 'rewrites.jsonl') : []
for (let i = 0; i < tries.length; i++) {
  const { d, name, c2 } = tries[i]
  if (d.cause) continue
  const o = await runOracle(c2)
  if (!o.error && !oursTries[i].error && o.decision === oursTries[i].decision) d.cause = name
}
for (const d of disagreements) {
  d.cause = d.cause || 'unexplained'
  causes[d.cause] = (causes[d.cause] || 0) + 1
}
writeFileSync(join(OUT, 'disagreements.json'), JSON.stringify(disagreements, null, 1))
writeFileSync(join(OUT, 'errors.json'), JSON.stringify({ oracleErrors, oursErrors }, null, 1))
const compared = agree + disagreements.length
console.log(`cases=${cases.length} compared=${compared} agree=${agree} disagree=${disagreements.length} oracle_errors=${oracleErrors.length} our_errors=${oursErrors.length} seed=${SEED}`)
for (const [k, v] of Object.entries(causes).sort()) console.log(`  cause ${k}: ${v}`)
console.log(`details: ${OUT}/disagreements.json, ${OUT}/errors.json`)
// Known causes are reviewed in README.md; unexplained ones fail the run when
// DIFF_STRICT=1.
process.exit((causes.unexplained || 0) > 0 && process.env.DIFF_STRICT ? 1 : 0)
