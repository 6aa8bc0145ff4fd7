// Stand-in for actions/checkout with `ref:`: see action.yml.
'use strict';
if (!process.env.STANDIN_HOME) {
  process.stdout.write('::error::STANDIN_HOME is not set: run workflows through tests/template/workflows/engine.py\n');
  process.exit(1);
}
const s = require(require('path').join(process.env.STANDIN_HOME, '_lib', 'standin.js'));

s.onlyInputs('actions/checkout', [
  'repository', 'ref', 'token', 'persist-credentials', 'fetch-depth', 'fetch-tags',
]);
const repository = s.input('repository') || process.env.GITHUB_REPOSITORY;
if (repository !== process.env.GITHUB_REPOSITORY) {
  s.fail(`stand-in for actions/checkout checks out this repository only, not ${repository}`);
}
const git = (...args) => s.run('git', ['-C', s.workspace(), ...args]).trim();
const ref = s.input('ref') || process.env.GITHUB_SHA;

// When this is the job's only checkout, act copied nothing: start the workspace from the
// scenario's origin, as the real action starts it from GitHub (all branches and tags).
const fs = require('fs');
if (!fs.existsSync(require('path').join(s.workspace(), '.git'))) {
  if (!process.env.STANDIN_ORIGIN) s.fail('STANDIN_ORIGIN is not set: the scenario repository has no origin');
  s.run('git', ['init', '--quiet', s.workspace()]);
  git('remote', 'add', 'origin', process.env.STANDIN_ORIGIN);
  git('fetch', '--quiet', 'origin', '+refs/heads/*:refs/remotes/origin/*', '+refs/tags/*:refs/tags/*');
}

if (/^[0-9a-f]{40}$/.test(ref)) {
  git('checkout', '--quiet', '--force', '--detach', ref);
} else if (ref.startsWith('refs/heads/') || !ref.startsWith('refs/')) {
  const branch = ref.replace(/^refs\/heads\//, '');
  const isTag = !ref.startsWith('refs/') && git('ls-remote', '--tags', 'origin', `refs/tags/${ref}`);
  if (isTag) {
    git('fetch', '--quiet', '--no-tags', 'origin', `+refs/tags/${ref}:refs/tags/${ref}`);
    git('checkout', '--quiet', '--force', '--detach', `refs/tags/${ref}`);
  } else {
    git('fetch', '--quiet', '--no-tags', 'origin', `+refs/heads/${branch}:refs/remotes/origin/${branch}`);
    git('checkout', '--quiet', '--force', '-B', branch, `refs/remotes/origin/${branch}`);
  }
} else {
  git('fetch', '--quiet', '--no-tags', 'origin', `+${ref}:${ref}`);
  git('checkout', '--quiet', '--force', '--detach', ref);
}
s.info(`Checked out ${ref} at ${git('rev-parse', 'HEAD')} from origin (${git('remote', 'get-url', 'origin')})`);
