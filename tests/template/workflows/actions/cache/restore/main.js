// Stand-in for actions/cache/restore. See ../action.yml and ../lib.js.
'use strict';
const { RESTORE_INPUTS, restore, s } = require('../lib.js');

s.onlyInputs('actions/cache/restore', RESTORE_INPUTS);
const key = s.input('key', { required: true });
s.setOutput('cache-primary-key', key);
const found = restore();
if (found) {
  s.setOutput('cache-hit', String(found.exact));
  s.setOutput('cache-matched-key', found.matched);
}
