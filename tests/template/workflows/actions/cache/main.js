// Stand-in for actions/cache (main step: restore). See action.yml and lib.js.
'use strict';
const { RESTORE_INPUTS, restore, s } = require('./lib.js');

s.onlyInputs('actions/cache', RESTORE_INPUTS);
s.saveState('CACHE_KEY', s.input('key', { required: true }));
const found = restore();
if (found) {
  s.saveState('CACHE_RESULT', found.matched);
  s.setOutput('cache-hit', String(found.exact));
}
