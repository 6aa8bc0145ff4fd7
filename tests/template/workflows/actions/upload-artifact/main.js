// Stand-in for actions/upload-artifact: see action.yml.
'use strict';
if (!process.env.STANDIN_HOME) {
  process.stdout.write('::error::STANDIN_HOME is not set: run workflows through tests/template/workflows/engine.py\n');
  process.exit(1);
}
const s = require(require('path').join(process.env.STANDIN_HOME, '_lib', 'standin.js'));
const fs = require('fs');
const path = require('path');

s.onlyInputs('actions/upload-artifact', [
  'name', 'path', 'if-no-files-found', 'retention-days', 'compression-level', 'overwrite',
  'include-hidden-files',
]);

const name = s.input('name') || 'artifact';
const bad = /["':<>|*?\r\n\\/]/;
if (bad.test(name) || name.length > 256) {
  s.fail(`The artifact name is not valid: ${name}. Contains one of " : < > | * ? \\r \\n \\ /`);
}
const ifNone = s.input('if-no-files-found') || 'warn';
if (!['error', 'warn', 'ignore'].includes(ifNone)) {
  s.fail(`Unrecognized if-no-files-found input. Provided: ${ifNone}. Available options: warn,error,ignore`);
}
const retention = Number(s.input('retention-days') || '0');
if (!Number.isInteger(retention) || retention < 0 || retention > 90) {
  s.fail(`Invalid retention-days: ${s.input('retention-days')} (1-90, or 0 for the default)`);
}
const level = Number(s.input('compression-level') || '6');
if (!Number.isInteger(level) || level < 0 || level > 9) {
  s.fail(`Invalid compression-level: ${s.input('compression-level')}. Valid values are 0-9`);
}
const overwrite = s.bool('overwrite', false);
const patterns = s.lines('path', { required: true });

const { paths: files, searchPaths } = s.glob(patterns, {
  files: true,
  includeHidden: s.bool('include-hidden-files', false),
});
if (!files.length) {
  const message = `No files were found with the provided path: ${patterns.join('\n')}. No artifacts will be uploaded.`;
  if (ifNone === 'error') s.fail(message);
  if (ifNone === 'warn') s.warning(message);
  else s.info(message);
  process.exit(0);
}

// upload-artifact's root: one search path is the root (a lone file: its folder); several: their
// least common ancestor.
let root;
if (searchPaths.length > 1) root = s.commonAncestor(searchPaths);
else if (files.length === 1 && files[0] === searchPaths[0]) root = path.dirname(files[0]);
else root = searchPaths[0];

const run = process.env.GITHUB_RUN_ID;
if (!run) s.fail('GITHUB_RUN_ID is not set');
const store = s.storeDir('STANDIN_ARTIFACTS');
const target = path.join(store, run, name);
const metaDir = path.join(store, '_meta', run);
if (fs.existsSync(target)) {
  if (!overwrite) {
    s.fail(
      'Failed to CreateArtifact: Received non-retryable error: Failed request: (409) Conflict: ' +
        'an artifact with this name already exists on the workflow run',
    );
  }
  fs.rmSync(target, { recursive: true, force: true });
  s.info(`Artifact '${name}' (run ${run}) deleted: overwrite is true`);
}
const lines = [];
for (const file of files) {
  const rel = path.relative(root, file);
  s.copyFile(file, path.join(target, rel));
  lines.push(`${rel}\0${s.sha256(fs.readFileSync(file))}`);
}
const id = Date.now() * 1000 + Math.floor(Math.random() * 1000);
const digest = s.sha256(lines.join('\n'));
fs.mkdirSync(metaDir, { recursive: true });
fs.writeFileSync(
  path.join(metaDir, `${name}.json`),
  JSON.stringify({ id, name, run, root, files: files.length, retention, digest }, null, 2),
);
const url = `${process.env.GITHUB_SERVER_URL}/${process.env.GITHUB_REPOSITORY}/actions/runs/${run}/artifacts/${id}`;
s.setOutput('artifact-id', String(id));
s.setOutput('artifact-url', url);
s.setOutput('artifact-digest', digest);
s.info(`With the provided path, there will be ${files.length} file(s) uploaded (root ${root})`);
s.info(`Artifact ${name} has been successfully uploaded! Final size is stored as files. Artifact ID is ${id}`);
