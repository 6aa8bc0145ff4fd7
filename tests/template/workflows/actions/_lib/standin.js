// The slice of @actions/core, @actions/glob and @actions/io the stand-in actions need, with
// no npm dependencies: the stand-ins run offline under act, on the host, with the machine's node.
//
// The harness (tests/template/workflows/engine.py) passes STANDIN_HOME (the folder holding this file),
// STANDIN_ARTIFACTS, STANDIN_CACHE and STANDIN_TOOLS to act with --env.
'use strict';

const crypto = require('crypto');
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

// ---- workflow commands ---------------------------------------------------------------------

function escapeData(text) {
  return String(text).replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

function info(message) {
  process.stdout.write(`${message}\n`);
}

function notice(message) {
  process.stdout.write(`::notice::${escapeData(message)}\n`);
}

function warning(message) {
  process.stdout.write(`::warning::${escapeData(message)}\n`);
}

/**
 * Fail the step the way a real action does: an error annotation and exit status 1. act stops
 * reading a step's output as soon as it fails, so the exit waits a moment for it to read this.
 */
function fail(message) {
  process.stdout.write(`::error::${escapeData(message)}\n`);
  process.exitCode = 1;
  const until = Date.now() + 300;
  while (Date.now() < until) {
    // a busy wait: callers rely on fail() not returning
  }
  process.exit(1);
}

function commandFile(variable) {
  const file = process.env[variable];
  if (!file) fail(`${variable} is not set: this stand-in must run under act`);
  return file;
}

/** Append `name=value` to a GITHUB_* file, with a heredoc delimiter as @actions/core does. */
function appendKeyValue(variable, name, value) {
  const text = String(value);
  const delimiter = `ghadelimiter_${crypto.randomUUID()}`;
  fs.appendFileSync(commandFile(variable), `${name}<<${delimiter}\n${text}\n${delimiter}\n`);
}

function setOutput(name, value) {
  appendKeyValue('GITHUB_OUTPUT', name, value);
}

function exportVariable(name, value) {
  process.env[name] = String(value);
  appendKeyValue('GITHUB_ENV', name, value);
}

function addPath(dir) {
  fs.appendFileSync(commandFile('GITHUB_PATH'), `${dir}\n`);
  process.env.PATH = `${dir}${path.delimiter}${process.env.PATH || ''}`;
}

function saveState(name, value) {
  appendKeyValue('GITHUB_STATE', name, value);
}

function getState(name) {
  return process.env[`STATE_${name}`] || '';
}

// ---- inputs --------------------------------------------------------------------------------

function envName(name) {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

function input(name, { required = false } = {}) {
  const value = (process.env[envName(name)] || '').trim();
  if (required && !value) fail(`Input required and not supplied: ${name}`);
  return value;
}

/** A multi-line input as its non-empty lines (what the real actions accept as lists). */
function lines(name, { required = false } = {}) {
  return input(name, { required })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
}

/** core.getBooleanInput: only the YAML 1.2 core schema spellings of true and false. */
function bool(name, fallback) {
  const value = input(name);
  if (!value) return fallback;
  if (['true', 'True', 'TRUE'].includes(value)) return true;
  if (['false', 'False', 'FALSE'].includes(value)) return false;
  return fail(
    `Input does not meet YAML 1.2 "Core Schema" specification: ${name}\n` +
      'Support boolean input list: `true | True | TRUE | false | False | FALSE`',
  );
}

/**
 * Refuse any input this stand-in does not implement. The real action may accept it, but a
 * stand-in that silently ignored it would let a workflow pass here that behaves otherwise on
 * GitHub: the way out is to implement the input in the stand-in, not to ignore it.
 */
function onlyInputs(action, supported) {
  const known = new Set(supported.map(envName));
  const given = Object.keys(process.env).filter(
    (key) => key.startsWith('INPUT_') && !known.has(key) && process.env[key] !== '',
  );
  if (given.length) {
    const names = given.map((key) => key.slice(6).toLowerCase()).join(', ');
    fail(
      `stand-in for ${action} does not implement input(s): ${names}. ` +
        `Implement them in tests/template/workflows/actions/ (or change the workflow); ` +
        `supported: ${supported.join(', ')}`,
    );
  }
}

// ---- the runner ----------------------------------------------------------------------------

function workspace() {
  return process.env.GITHUB_WORKSPACE || process.cwd();
}

/** A path from an input: `~` expanded, relative to the workspace. */
function resolvePath(p) {
  const expanded = p === '~' || p.startsWith('~/') ? path.join(os.homedir(), p.slice(1)) : p;
  return path.resolve(workspace(), expanded);
}

/** A folder the harness passes with --env (artifact store, cache store, tools). */
function storeDir(variable) {
  const dir = process.env[variable];
  if (!dir) fail(`${variable} is not set: run this workflow through tests/template/workflows/engine.py`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** A stable tool folder: STANDIN_TOOLS (shared by a test session) or the runner's tool cache. */
function toolsDir(...parts) {
  const root = process.env.STANDIN_TOOLS || process.env.RUNNER_TOOL_CACHE || os.tmpdir();
  return path.join(root, ...parts);
}

function eventPayload() {
  const file = process.env.GITHUB_EVENT_PATH;
  if (!file || !fs.existsSync(file)) return {};
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Run a program and return its stdout; fail the step with its output when it fails. */
function run(program, args, { env } = {}) {
  const result = spawnSync(program, args, { encoding: 'utf8', env: env || process.env });
  if (result.error) fail(`${program}: ${result.error.message}`);
  if (result.status !== 0) {
    fail(`${program} ${args.join(' ')} exited ${result.status}\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** Find a program on PATH (what `command -v` does). */
function which(program) {
  for (const dir of (process.env.PATH || '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, program);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return '';
}

/**
 * A folder holding only symlinks `name -> target`, for PATH: putting a whole system bin folder
 * first on PATH would also put everything else in it ahead of the runner's own tools.
 */
function shimDir(dir, links) {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, target] of Object.entries(links)) {
    const link = path.join(dir, name);
    let current = null;
    try {
      current = fs.readlinkSync(link);
    } catch {
      // absent
    }
    if (current === target) continue;
    const temporary = `${link}.${process.pid}.tmp`;
    fs.rmSync(temporary, { force: true });
    fs.symlinkSync(target, temporary);
    fs.renameSync(temporary, link); // atomic: concurrent jobs may shim the same folder
  }
  return dir;
}

// ---- globs (@actions/glob semantics) -------------------------------------------------------

function hasMagic(segment) {
  return /[*?[]/.test(segment);
}

function segmentSource(segment) {
  let out = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i];
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[' && segment.indexOf(']', i + 1) > i + 1) {
      const end = segment.indexOf(']', i + 1);
      let cls = segment.slice(i + 1, end).replace(/\\/g, '\\\\');
      if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
      out += `[${cls}]`;
      i = end;
    } else out += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return out;
}

/** One pattern line: negation, trailing-separator (directories only), absolute regex, root. */
function parsePattern(line) {
  let text = line;
  let negate = false;
  while (text.startsWith('!')) {
    negate = !negate;
    text = text.slice(1).trim();
  }
  const directoryOnly = text.endsWith('/');
  const absolute = resolvePath(text).split(path.sep).join('/');
  const segments = absolute.split('/').slice(1);
  let source = '^';
  const literal = [];
  let magic = false;
  for (const segment of segments) {
    if (segment === '**') source += '(?:/[^/]+)*';
    else source += `/${segmentSource(segment)}`;
    if (hasMagic(segment)) magic = true;
    if (!magic) literal.push(segment);
  }
  return {
    negate,
    directoryOnly,
    regex: new RegExp(`${source}$`),
    searchPath: `/${literal.join('/')}`,
  };
}

function matchesItself(pattern, item, isDirectory) {
  return pattern.regex.test(item) && (!pattern.directoryOnly || isDirectory);
}

/** @actions/glob's implicit descendants: a pattern matching a folder matches all below it. */
function matchesWithAncestors(pattern, item, isDirectory) {
  if (matchesItself(pattern, item, isDirectory)) return true;
  let parent = path.posix.dirname(item);
  while (parent !== '/' && parent !== item) {
    if (matchesItself(pattern, parent, true)) return true;
    parent = path.posix.dirname(parent);
  }
  return false;
}

function isHidden(name) {
  return name.startsWith('.');
}

/** Search roots of the positive patterns, without roots nested in another (getSearchPaths). */
function searchPaths(patterns) {
  const roots = [...new Set(patterns.filter((p) => !p.negate).map((p) => p.searchPath))];
  return roots.filter(
    (root) => !roots.some((other) => other !== root && root.startsWith(`${other}/`)),
  );
}

/**
 * Expand pattern lines into paths. `files: true` returns files only, with implicit descendants
 * (upload-artifact); otherwise the matched items themselves, files or folders (actions/cache).
 * `includeHidden: false` skips every file or folder below a search root whose name starts
 * with a dot, as @actions/glob's excludeHiddenFiles does.
 */
function glob(patternLines, { files = true, includeHidden = true } = {}) {
  const patterns = patternLines.map(parsePattern);
  const roots = searchPaths(patterns);
  const found = new Set();

  const evaluate = (item, isDirectory) => {
    let matched = false;
    for (const pattern of patterns) {
      const hit = files
        ? matchesWithAncestors(pattern, item, isDirectory)
        : matchesItself(pattern, item, isDirectory);
      if (hit) matched = !pattern.negate;
    }
    return matched;
  };

  const walk = (item) => {
    let stat;
    try {
      stat = fs.statSync(item); // follows symbolic links, like @actions/glob
    } catch {
      return; // absent or a broken link
    }
    const isDirectory = stat.isDirectory();
    const matched = evaluate(item, isDirectory);
    if (matched && (!files || !isDirectory)) {
      found.add(item);
      if (!files) return; // a matched folder is taken whole
    }
    if (!isDirectory) return;
    for (const name of fs.readdirSync(item).sort()) {
      if (!includeHidden && isHidden(name)) continue;
      walk(path.posix.join(item, name));
    }
  };
  for (const root of roots) walk(root);
  return { paths: [...found].sort(), searchPaths: roots };
}

/** upload-artifact's root: the least common ancestor of several search paths. */
function commonAncestor(paths) {
  const split = paths.map((p) => p.split('/'));
  const first = split[0];
  let length = 0;
  while (length < first.length && split.every((parts) => parts[length] === first[length])) {
    length += 1;
  }
  return first.slice(0, length).join('/') || '/';
}

// ---- files ---------------------------------------------------------------------------------

function copyFile(source, target) {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  fs.copyFileSync(source, target);
}

function copyTree(source, target) {
  fs.cpSync(source, target, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
}

function listFiles(root) {
  const out = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else out.push(full);
    }
  };
  if (fs.existsSync(root)) walk(root);
  return out.sort();
}

function sha256(text) {
  return crypto.createHash('sha256').update(text).digest('hex');
}

module.exports = {
  addPath,
  bool,
  commonAncestor,
  copyFile,
  copyTree,
  eventPayload,
  exportVariable,
  fail,
  getState,
  glob,
  info,
  input,
  lines,
  listFiles,
  notice,
  onlyInputs,
  resolvePath,
  run,
  saveState,
  setOutput,
  sha256,
  shimDir,
  storeDir,
  toolsDir,
  warning,
  which,
  workspace,
};
