// Stand-in for actions/setup-node: see action.yml.
'use strict';
if (!process.env.STANDIN_HOME) {
  process.stdout.write('::error::STANDIN_HOME is not set: run workflows through tests/template/workflows/engine.py\n');
  process.exit(1);
}
const s = require(require('path').join(process.env.STANDIN_HOME, '_lib', 'standin.js'));
const fs = require('fs');
const path = require('path');

s.onlyInputs('actions/setup-node', ['node-version']);

const node = process.execPath; // act runs node actions with the machine's node
const version = process.version.replace(/^v/, '');
const want = s.input('node-version').replace(/^v/, '');
const wantMajor = /^(\d+)/.exec(want);
if (want && (!wantMajor || wantMajor[1] !== version.split('.')[0])) {
  s.notice(`node ${want} was requested; the stand-in provides this machine's node ${version}`);
}
const links = { node };
for (const tool of ['npm', 'npx', 'corepack']) {
  const sibling = path.join(path.dirname(node), tool);
  if (fs.existsSync(sibling)) links[tool] = sibling;
}
s.addPath(s.shimDir(s.toolsDir('node', version, 'x64', 'bin'), links));
s.setOutput('node-version', `v${version}`);
s.info(`node ${version} on PATH (${node})`);
