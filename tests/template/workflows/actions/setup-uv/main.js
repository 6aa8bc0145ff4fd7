// Stand-in for astral-sh/setup-uv: see action.yml.
'use strict';
if (!process.env.STANDIN_HOME) {
  process.stdout.write('::error::STANDIN_HOME is not set: run workflows through tests/template/workflows/engine.py\n');
  process.exit(1);
}
const s = require(require('path').join(process.env.STANDIN_HOME, '_lib', 'standin.js'));
const fs = require('fs');
const os = require('os');
const path = require('path');

s.onlyInputs('astral-sh/setup-uv', ['version', 'enable-cache', 'cache-dependency-glob', 'cache-suffix']);

const enableCache = s.input('enable-cache') || 'auto';
if (!['true', 'false', 'auto'].includes(enableCache)) {
  s.fail(`enable-cache must be "true", "false" or "auto", not "${enableCache}"`);
}
const want = s.input('version');
if (want && want !== 'latest' && !/^\d+\.\d+\.\d+$/.test(want)) {
  s.fail(`stand-in for astral-sh/setup-uv takes an exact version (X.Y.Z) or "latest", not "${want}"`);
}

function versionOf(uv) {
  const match = /^uv (\d+\.\d+\.\d+)/.exec(s.run(uv, ['--version']));
  if (!match) s.fail(`cannot read the version of ${uv}`);
  return match[1];
}

function machineUv() {
  const home = path.join(os.homedir(), '.local', 'bin', 'uv');
  return s.which('uv') || (fs.existsSync(home) ? home : '');
}

/** Exactly `version` from the package index (pip's configuration), once per tools folder. */
function installed(version) {
  const target = s.toolsDir('uv', version);
  const uv = path.join(target, 'bin', 'uv');
  if (fs.existsSync(uv)) return uv;
  const staging = `${target}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  s.info(`uv ${version} is not this machine's: installing it with pip into ${target}`);
  s.run('python3', [
    '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', '--no-deps',
    '--target', staging, `uv==${version}`,
  ]);
  try {
    fs.renameSync(staging, target);
  } catch (error) {
    if (!fs.existsSync(uv)) throw error; // another job installed it first
    fs.rmSync(staging, { recursive: true, force: true });
  }
  return uv;
}

let uv = machineUv();
let version = uv ? versionOf(uv) : '';
if (want && want !== 'latest' && want !== version) {
  uv = installed(want);
  version = versionOf(uv);
} else if (!uv) {
  s.fail('no uv on this machine and no version input to install');
}
const uvx = path.join(path.dirname(uv), 'uvx');
const links = { uv };
if (fs.existsSync(uvx)) links.uvx = uvx;
const bin = s.shimDir(s.toolsDir('uv-bin', version), links);
s.addPath(bin);

if (enableCache === 'true') {
  const globs = s.lines('cache-dependency-glob');
  const patterns = globs.length ? globs : ['**/uv.lock', '**/requirements*.txt'];
  if (!s.glob(patterns, { files: true }).paths.length) {
    s.warning(
      `No file matched to [${patterns.join(',')}]. The cache will never get invalidated. ` +
        'Make sure you have checked out the target repository and configured the ' +
        'cache-dependency-glob input correctly.',
    );
  }
}
s.setOutput('uv-version', version);
s.setOutput('uv-path', path.join(bin, 'uv'));
s.setOutput('uvx-path', path.join(bin, 'uvx'));
s.setOutput('cache-hit', 'false');
s.info(`uv ${version} on PATH (${uv}); enable-cache: ${enableCache}, uv cache: ${process.env.UV_CACHE_DIR || "this machine's"}`);
