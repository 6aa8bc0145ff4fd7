// Stand-in for actions/cache/save: saves whenever it runs. See ../action.yml and ../lib.js.
'use strict';
const { save, s } = require('../lib.js');

s.onlyInputs('actions/cache/save', ['path', 'key']);
save(s.lines('path', { required: true }), s.input('key', { required: true }));
