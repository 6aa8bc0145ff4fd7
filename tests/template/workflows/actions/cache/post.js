// Stand-in for actions/cache (post step: save). act runs it only when the job succeeded
// (post-if: success()), like GitHub; an exact hit on the primary key is not saved again.
'use strict';
const { RESTORE_INPUTS, save, s } = require('./lib.js');

s.onlyInputs('actions/cache', RESTORE_INPUTS);
const key = s.getState('CACHE_KEY') || s.input('key', { required: true });
if (s.getState('CACHE_RESULT') === key) {
  s.info(`Cache hit occurred on the primary key ${key}, not saving cache.`);
} else {
  save(s.lines('path', { required: true }), key);
}
