// Stand-in for actions/download-artifact: see action.yml.
'use strict';
if (!process.env.STANDIN_HOME) {
  process.stdout.write('::error::STANDIN_HOME is not set: run workflows through tests/template/workflows/engine.py\n');
  process.exit(1);
}
const s = require(require('path').join(process.env.STANDIN_HOME, '_lib', 'standin.js'));
const fs = require('fs');
const path = require('path');

s.onlyInputs('actions/download-artifact', [
  'name', 'path', 'pattern', 'merge-multiple', 'github-token', 'repository', 'run-id',
]);

const name = s.input('name');
const destination = s.resolvePath(s.input('path') || s.workspace());
const token = s.input('github-token');
let run = process.env.GITHUB_RUN_ID;
if (token) {
  const repository = s.input('repository') || process.env.GITHUB_REPOSITORY;
  if (!/^[^/]+\/[^/]+$/.test(repository)) {
    s.fail(`Invalid repository: '${repository}'. Must be in format owner/repo`);
  }
  if (repository !== process.env.GITHUB_REPOSITORY) {
    s.fail(`stand-in for actions/download-artifact: artifacts of ${repository} are not stored here`);
  }
  run = s.input('run-id') || run;
}
const store = s.storeDir('STANDIN_ARTIFACTS');
const runDir = path.join(store, String(run));
const available = fs.existsSync(runDir) ? fs.readdirSync(runDir).sort() : [];

function copyInto(artifact, target) {
  for (const file of s.listFiles(path.join(runDir, artifact))) {
    s.copyFile(file, path.join(target, path.relative(path.join(runDir, artifact), file)));
  }
}

if (name) {
  if (!available.includes(name)) {
    s.fail(
      `Unable to download artifact(s): Artifact not found for name: ${name}\n` +
        `        Please ensure that your artifact is not expired and the artifact was uploaded ` +
        `using a compatible version of toolkit/upload-artifact.\n` +
        `(stand-in: run ${run} has ${available.length ? available.join(', ') : 'no artifacts'}` +
        `${token ? '' : '; without github-token the current run is searched'})`,
    );
  }
  copyInto(name, destination);
  s.info(`Artifact download completed successfully: ${name} (run ${run}) into ${destination}`);
} else {
  const pattern = s.input('pattern');
  const regex = pattern
    ? new RegExp(`^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`)
    : null;
  const chosen = available.filter((artifact) => !regex || regex.test(artifact));
  const merge = s.bool('merge-multiple', false);
  for (const artifact of chosen) copyInto(artifact, merge ? destination : path.join(destination, artifact));
  s.info(`Total of ${chosen.length} artifact(s) downloaded`);
}
s.setOutput('download-path', destination);
