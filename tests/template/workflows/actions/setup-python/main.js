// Stand-in for actions/setup-python: see action.yml.
'use strict';
if (!process.env.STANDIN_HOME) {
  process.stdout.write('::error::STANDIN_HOME is not set: run workflows through tests/template/workflows/engine.py\n');
  process.exit(1);
}
const s = require(require('path').join(process.env.STANDIN_HOME, '_lib', 'standin.js'));
const fs = require('fs');
const path = require('path');

s.onlyInputs('actions/setup-python', ['python-version', 'python-version-file', 'update-environment']);

function requested() {
  const direct = s.lines('python-version');
  if (direct.length > 1) s.fail('stand-in for actions/setup-python: one python-version only');
  if (direct.length) return direct[0];
  const file = s.input('python-version-file');
  if (file) {
    const text = fs.readFileSync(s.resolvePath(file), 'utf8').split('\n')[0].trim();
    if (text) return text;
  }
  return s.fail('stand-in for actions/setup-python: give python-version or python-version-file');
}

const want = requested();
const probe = s.which('python3');
if (!probe) s.fail('no python3 on this machine');
const found = JSON.parse(
  s.run(probe, [
    '-c',
    'import json, os, sys; print(json.dumps({"executable": os.path.realpath(sys.executable), ' +
      '"prefix": sys.prefix, "version": "%d.%d.%d" % sys.version_info[:3]}))',
  ]),
);
const [major, minor] = found.version.split('.');
const exact = /^\d+\.\d+\.\d+$/.test(want);
const series = /^\d+\.\d+$/.test(want);
if (!exact && !series) {
  s.fail(
    `stand-in for actions/setup-python accepts "X.Y" or "X.Y.Z", not "${want}" ` +
      `(on GitHub it may resolve to another version than this machine's ${found.version})`,
  );
}
if (series ? want !== `${major}.${minor}` : want !== found.version) {
  s.fail(
    `Python ${want} was requested, but this machine has only Python ${found.version} ` +
      `(${found.executable}); the stand-in never downloads one. Run this job with ` +
      `--matrix for ${major}.${minor}, or ask for ${major}.${minor}.`,
  );
}

// Like the real action: a bin folder holding python, python3, python3.Y and pip; nothing else.
const bin = s.toolsDir('Python', found.version, 'x64', 'bin');
const sibling = (name) => path.join(path.dirname(found.executable), name);
const links = {
  python: found.executable,
  python3: found.executable,
  [`python${major}.${minor}`]: found.executable,
};
for (const pip of ['pip', 'pip3', `pip${major}.${minor}`]) {
  if (fs.existsSync(sibling(pip))) links[pip] = sibling(pip);
}
s.shimDir(bin, links);
const interpreter = path.join(bin, 'python');

if (s.bool('update-environment', true)) {
  s.addPath(bin);
  for (const name of ['pythonLocation', 'Python_ROOT_DIR', 'Python2_ROOT_DIR', 'Python3_ROOT_DIR']) {
    s.exportVariable(name, found.prefix);
  }
  s.exportVariable('PKG_CONFIG_PATH', path.join(found.prefix, 'lib', 'pkgconfig'));
}
s.setOutput('python-version', found.version);
s.setOutput('python-path', interpreter);
s.setOutput('cache-hit', 'false');
s.info(`Successfully set up CPython (${found.version}) from this machine: ${found.executable}`);
