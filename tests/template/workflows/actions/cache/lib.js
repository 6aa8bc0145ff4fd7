// The cache store shared by the cache stand-ins (main, post, restore/, save/).
//
// An entry is a folder <STANDIN_CACHE>/<id>/ with entry.json (key, version, scope, created,
// what each stored item restores to) and items/<n>. GitHub's rules, as documented:
// - version: the `path` input; a cache saved with other paths never matches;
// - scope: a run reads caches of its own ref, then of its base branch (pull requests), then
//   of the default branch; it writes to its own ref only;
// - lookup in each scope: the key exactly, then each restore key as a prefix, newest cache
//   first;
// - a key that exists in a scope is never overwritten.
'use strict';
if (!process.env.STANDIN_HOME) {
  process.stdout.write('::error::STANDIN_HOME is not set: run workflows through tests/template/workflows/engine.py\n');
  process.exit(1);
}
const s = require(require('path').join(process.env.STANDIN_HOME, '_lib', 'standin.js'));
const fs = require('fs');
const path = require('path');

const RESTORE_INPUTS = ['path', 'key', 'restore-keys', 'fail-on-cache-miss', 'lookup-only'];

function validateKey(key) {
  if (key.length > 512) s.fail(`Key Validation Error: ${key} cannot be larger than 512 characters.`);
  if (key.includes(',')) s.fail(`Key Validation Error: ${key} cannot contain commas.`);
}

function version(paths) {
  return s.sha256(paths.join('|'));
}

function scopes() {
  const event = s.eventPayload();
  const fallback = (event.repository && event.repository.default_branch) || 'main';
  const out = [process.env.GITHUB_REF || ''];
  if (process.env.GITHUB_BASE_REF) out.push(`refs/heads/${process.env.GITHUB_BASE_REF}`);
  out.push(`refs/heads/${fallback}`);
  return [...new Set(out.filter(Boolean))];
}

function entries() {
  const store = s.storeDir('STANDIN_CACHE');
  return fs
    .readdirSync(store)
    .map((id) => path.join(store, id, 'entry.json'))
    .filter((file) => fs.existsSync(file))
    .map((file) => ({ ...JSON.parse(fs.readFileSync(file, 'utf8')), dir: path.dirname(file) }));
}

/** The entry GitHub would restore for these keys, or null. */
function find(paths, key, restoreKeys) {
  const wanted = version(paths);
  const all = entries().filter((e) => e.version === wanted);
  for (const scope of scopes()) {
    const here = all.filter((e) => e.scope === scope).sort((a, b) => b.created - a.created);
    const exact = here.find((e) => e.key === key);
    if (exact) return exact;
    for (const prefix of restoreKeys) {
      const match = here.find((e) => e.key.startsWith(prefix));
      if (match) return match;
    }
  }
  return null;
}

/** Restore: the matched key and whether it is the exact key, or null on a miss. */
function restore() {
  const paths = s.lines('path', { required: true });
  const key = s.input('key', { required: true });
  const restoreKeys = s.lines('restore-keys');
  for (const k of [key, ...restoreKeys]) validateKey(k);
  const entry = find(paths, key, restoreKeys);
  if (!entry) {
    const message = `Cache not found for input keys: ${[key, ...restoreKeys].join(', ')}`;
    if (s.bool('fail-on-cache-miss', false)) {
      s.fail(`Failed to restore cache entry. Exiting as fail-on-cache-miss is set. Input key: ${key}`);
    }
    s.info(message);
    return null;
  }
  if (s.bool('lookup-only', false)) {
    s.info(`Cache found and can be restored from key: ${entry.key}`);
  } else {
    for (const item of entry.items) {
      const target = path.isAbsolute(item.target) ? item.target : path.join(s.workspace(), item.target);
      fs.rmSync(target, { recursive: true, force: true });
      fs.mkdirSync(path.dirname(target), { recursive: true });
      s.copyTree(path.join(entry.dir, 'items', String(item.n)), target);
    }
    s.info(`Cache restored from key: ${entry.key}`);
  }
  return { matched: entry.key, exact: entry.key === key };
}

/** Save under `key` in this run's scope, unless that key already exists there. */
function save(paths, key) {
  validateKey(key);
  const matched = s.glob(paths, { files: false }).paths;
  if (!matched.length) {
    s.warning(
      'Path Validation Error: Path(s) specified in the action for caching do(es) not exist, ' +
        'hence no cache is being saved.',
    );
    return false;
  }
  const scope = process.env.GITHUB_REF || '';
  const id = s.sha256(`${scope}\n${key}\n${version(paths)}`).slice(0, 24);
  const store = s.storeDir('STANDIN_CACHE');
  const final = path.join(store, id);
  if (fs.existsSync(final)) {
    s.warning(`Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`);
    return false;
  }
  const staging = `${final}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  const items = matched.map((abs, n) => {
    const rel = path.relative(s.workspace(), abs);
    s.copyTree(abs, path.join(staging, 'items', String(n)));
    return { n, target: rel.startsWith('..') ? abs : rel };
  });
  const entry = { key, version: version(paths), scope, created: Date.now(), items };
  fs.writeFileSync(path.join(staging, 'entry.json'), JSON.stringify(entry, null, 2));
  try {
    fs.renameSync(staging, final);
  } catch {
    fs.rmSync(staging, { recursive: true, force: true });
    s.warning(`Failed to save: Unable to reserve cache with key ${key}, another job may be creating this cache.`);
    return false;
  }
  s.info(`Cache saved with key: ${key}`);
  return true;
}

module.exports = { RESTORE_INPUTS, restore, save, s };
