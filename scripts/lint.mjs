#!/usr/bin/env node
// starwave's own lint rules (zero dependencies). `npm run lint`; prints `file:line: rule: explanation`, exits 1 on any.
//
//   workflow-imports      src/workflows imports only @temporalio/workflow, src/workflows and src/planning by
//                         relative path, or anything with `import type` (erased before bundling).
//   workflow-determinism  src/workflows and src/planning (bundled into the workflow sandbox): no Node built-ins,
//                         undici, Date.now(, Math.random(, setTimeout(, console.: replay must be deterministic;
//                         use Temporal's timers (sleep), log, and time passed in as input.
//   no-console-log        no console.log in src/ outside src/cli and src/demo: library code logs through
//                         Temporal's log or an injected logger.
//   no-focused-tests      no .only( / .skip( in test/: CI must run every test.
//   no-access-key         nothing that looks like an Alibaba Cloud AccessKey ID outside test/.
//   env-in-config         src/ reads process.env only in src/config/env.ts: every setting has one schema.
//   no-import-cli         no file outside src/cli imports src/cli: the CLI is a composition root, not a library.
//   workflow-code         src/workflows is imported only by the worker (and tests): others use src/contracts.
//   contracts-floor       src/contracts imports nothing of starwave's outside itself: every room may import it.
//
// A deliberate exception: `// lint-allow <rule>: <reason>` on the offending line or the line above it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

// `--root DIR` lints another tree (used to check the linter itself against planted violations).
const rootFlag = process.argv.indexOf('--root');
const root = rootFlag > 0 && process.argv[rootFlag + 1]
  ? resolve(process.argv[rootFlag + 1])
  : resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP_DIRS = new Set(['node_modules', '.git', '.temporal', '.data', 'dist', 'coverage']);
const CODE_EXT = /\.(?:[cm]?ts|[cm]?js|tsx|jsx)$/;
const PURE_DIRS = ['src/workflows', 'src/planning', 'src/engine', 'src/contracts'];
const CONSOLE_ALLOWED_DIRS = ['src/cli', 'src/demo'];
const ACCESS_KEY = /LTAI[0-9A-Za-z]{12,}/g;
const BUILTINS = new Set(builtinModules.flatMap((name) => [name, name.split('/')[0]]));

/** @type {string[]} */
const violations = [];
/** Lines of the file being checked, for `lint-allow` comments. */
let currentLines = [];
// A deliberate exception is written next to the code, with its reason, on the same or the previous line:
//   // lint-allow workflow-determinism: Temporal's sandboxed Date is the workflow clock
const ALLOW = /lint-allow\s+([\w-]+)\s*(?::|--)\s*\S/;
const allowed = (line, rule) =>
  [currentLines[line - 1], currentLines[line - 2]].some((text) => ALLOW.exec(text ?? '')?.[1] === rule);
const report = (file, line, rule, explanation) => {
  if (!allowed(line, rule)) violations.push(`${file}:${line}: ${rule}: ${explanation}`);
};

/** @param {string} dir @returns {string[]} repo-relative paths with '/' separators */
function walk(dir) {
  const out = [];
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const rel = dir ? `${dir}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...walk(rel));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

const under = (file, dir) => file === dir || file.startsWith(`${dir}/`);

/**
 * Blanks comments (and, with `strings: true`, string/template/regex contents) with spaces, keeping newlines so
 * offsets map to the same line numbers. Template `${...}` expressions stay code.
 * @param {string} src
 * @param {{ strings: boolean }} opts
 */
function blank(src, opts) {
  const out = src.split('');
  const wipe = (from, to) => {
    for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ';
  };
  /** @type {number[]} brace depth at each open `${` */
  const templateStack = [];
  let braceDepth = 0;
  let lastSignificant = '';
  let i = 0;
  const n = src.length;
  const scanString = (quote, start) => {
    let j = start + 1;
    while (j < n && src[j] !== quote && src[j] !== '\n') j += src[j] === '\\' ? 2 : 1;
    if (opts.strings) wipe(start + 1, j);
    return j + 1;
  };
  // Returns the index after the template chunk; stops after '`' or after '${' (pushing onto the stack).
  const scanTemplate = (start) => {
    let j = start;
    while (j < n) {
      if (src[j] === '\\') j += 2;
      else if (src[j] === '`') break;
      else if (src[j] === '$' && src[j + 1] === '{') {
        if (opts.strings) wipe(start, j);
        templateStack.push(braceDepth);
        braceDepth++;
        return j + 2;
      } else j++;
    }
    if (opts.strings) wipe(start, j);
    return j + 1;
  };
  while (i < n) {
    const c = src[i];
    const next = src[i + 1];
    if (c === '/' && next === '/') {
      const end = src.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      wipe(i, stop);
      i = stop;
    } else if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end === -1 ? n : end + 2;
      wipe(i, stop);
      i = stop;
    } else if (c === '"' || c === "'") {
      i = scanString(c, i);
      lastSignificant = 'a';
    } else if (c === '`') {
      i = scanTemplate(i + 1);
      lastSignificant = 'a';
    } else if (c === '/' && (lastSignificant === '' || '(,=:[!&|?{};+-*%<>~^'.includes(lastSignificant))) {
      // Regex literal.
      let j = i + 1;
      let inClass = false;
      while (j < n && src[j] !== '\n') {
        if (src[j] === '\\') j++;
        else if (src[j] === '[') inClass = true;
        else if (src[j] === ']') inClass = false;
        else if (src[j] === '/' && !inClass) break;
        j++;
      }
      if (opts.strings) wipe(i + 1, j);
      i = j + 1;
      lastSignificant = 'a';
    } else {
      if (c === '{') braceDepth++;
      if (c === '}') {
        braceDepth--;
        if (templateStack.length && templateStack[templateStack.length - 1] === braceDepth) {
          templateStack.pop();
          i = scanTemplate(i + 1);
          lastSignificant = 'a';
          continue;
        }
      }
      if (!/\s/.test(c)) lastSignificant = /[\w$)\]]/.test(c) ? 'a' : c;
      i++;
    }
  }
  return out.join('');
}

const lineOf = (src, index) => src.slice(0, index).split('\n').length;

/** Every module specifier a file imports, with whether the import is erased (type-only). */
function importsOf(code) {
  /** @type {{ specifier: string, typeOnly: boolean, index: number }[]} */
  const found = [];
  const fromClause = /\b(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*(['"])([^'"\n]+)\4/g;
  for (const m of code.matchAll(fromClause)) {
    const clause = m[3] ?? '';
    const named = /^\{([\s\S]*)\}$/.exec(clause.trim());
    const allInlineTypes =
      named !== null &&
      named[1].split(',').map((s) => s.trim()).filter(Boolean).every((s) => s.startsWith('type '));
    found.push({ specifier: m[5], typeOnly: Boolean(m[2]) || allInlineTypes, index: m.index });
  }
  const bare = /\bimport\s*(['"])([^'"\n]+)\1/g; // side-effect import
  for (const m of code.matchAll(bare)) found.push({ specifier: m[2], typeOnly: false, index: m.index });
  const calls = /\b(?:require|import)\s*\(\s*(['"])([^'"\n]+)\1\s*\)/g;
  for (const m of code.matchAll(calls)) found.push({ specifier: m[2], typeOnly: false, index: m.index });
  return found;
}

function checkPure(file, code, codeNoStrings) {
  // Planning is pure but may use pure packages (zod); only workflows get the import allowlist.
  const isWorkflow = under(file, 'src/workflows');
  for (const { specifier, typeOnly, index } of importsOf(code)) {
    const line = lineOf(code, index);
    const bareName = specifier.startsWith('node:') ? specifier.slice(5) : specifier;
    if (specifier.startsWith('node:') || BUILTINS.has(bareName)) {
      if (!typeOnly) report(file, line, 'workflow-determinism', `imports Node built-in '${specifier}'; workflows run in Temporal's deterministic sandbox`);
      continue;
    }
    if (specifier === 'undici' || specifier.startsWith('undici/')) {
      if (!typeOnly) report(file, line, 'workflow-determinism', "imports undici; do I/O in activities, not workflows");
      continue;
    }
    if (typeOnly || specifier === '@temporalio/workflow' || specifier === '@temporalio/common' || !isWorkflow) continue;
    if (specifier.startsWith('.')) {
      const target = relative(root, resolve(root, dirname(file), specifier)).split(sep).join('/');
      if (PURE_DIRS.some((dir) => under(target, dir)) || target === 'src/starrocks/status') continue;
      report(file, line, 'workflow-imports', `imports '${specifier}' (${target}) as a value; only ${PURE_DIRS.join(', ')} (and the status table) may be, use 'import type' for the rest`);
      continue;
    }
    report(file, line, 'workflow-imports', `imports '${specifier}' as a value; workflows may import only @temporalio/workflow (use 'import type' for types)`);
  }
  const banned = [
    [/\bDate\.now\s*\(/g, 'Date.now( reads the clock; pass time in as input, or mark the one deliberate read of the sandbox clock with // lint-allow workflow-determinism: <reason>'],
    [/\bMath\.random\s*\(/g, 'Math.random() is not replay-safe; use uuid4() from @temporalio/workflow or a seed in workflow input'],
    [/(?<![\w$.])setTimeout\s*\(/g, 'setTimeout( in a workflow; use sleep() or condition() from @temporalio/workflow'],
    [/\bconsole\./g, 'console. in a workflow; use log from @temporalio/workflow (replay-aware)'],
  ];
  for (const [pattern, explanation] of banned) {
    for (const m of codeNoStrings.matchAll(pattern)) report(file, lineOf(codeNoStrings, m.index), 'workflow-determinism', explanation);
  }
}

const files = walk('');
for (const file of files) {
  const full = join(root, file);
  if (statSync(full).size > 5_000_000) continue;
  const raw = readFileSync(full);
  if (raw.includes(0)) continue; // binary
  const text = raw.toString('utf8');
  currentLines = text.split('\n');

  if (!under(file, 'test') && file !== 'package-lock.json') {
    for (const m of text.matchAll(ACCESS_KEY)) {
      report(file, lineOf(text, m.index), 'no-access-key', `'${m[0].slice(0, 6)}...' looks like an Alibaba Cloud AccessKey ID; read credentials from the environment`);
    }
  }
  if (!CODE_EXT.test(file)) continue;
  const code = blank(text, { strings: false });
  const codeNoStrings = blank(text, { strings: true });

  if (PURE_DIRS.some((dir) => under(file, dir))) checkPure(file, code, codeNoStrings);
  if (under(file, 'src') && !CONSOLE_ALLOWED_DIRS.some((dir) => under(file, dir))) {
    for (const m of codeNoStrings.matchAll(/\bconsole\.log\s*\(/g)) {
      report(file, lineOf(codeNoStrings, m.index), 'no-console-log', 'console.log in library code; log through Temporal log or an injected logger');
    }
  }
  if (under(file, 'src') && file !== 'src/config/env.ts') {
    for (const m of codeNoStrings.matchAll(/\bprocess\.env\b/g)) {
      report(file, lineOf(codeNoStrings, m.index), 'env-in-config', 'reads process.env outside src/config/env.ts; add the setting to its schema and use loadEnv()');
    }
  }
  if (under(file, 'src')) {
    for (const { specifier, typeOnly, index } of importsOf(code)) {
      if (!specifier.startsWith('.')) continue;
      const target = relative(root, resolve(root, dirname(file), specifier)).split(sep).join('/');
      if (!under(file, 'src/cli') && under(target, 'src/cli')) {
        report(file, lineOf(code, index), 'no-import-cli', `imports '${specifier}' from src/cli; move what is shared into a room both can import`);
      }
      if (under(file, 'src/contracts') && !under(target, 'src/contracts')) {
        report(file, lineOf(code, index), 'contracts-floor', `imports '${specifier}' from outside src/contracts; move what both need into src/contracts`);
      }
      const workflowsAllowed = under(file, 'src/workflows') || under(file, 'src/worker') || typeOnly;
      if (!workflowsAllowed && under(target, 'src/workflows')) {
        report(file, lineOf(code, index), 'workflow-code', `imports workflow code '${specifier}'; import contracts from src/contracts instead`);
      }
    }
  }
  if (under(file, 'test')) {
    for (const m of codeNoStrings.matchAll(/\.(only|skip)\s*\(/g)) {
      report(file, lineOf(codeNoStrings, m.index), 'no-focused-tests', `.${m[1]}( would keep other tests from running in CI`);
    }
  }
}

if (violations.length) {
  const key = (v) => v.replace(/:(\d+):/, (_, line) => `:${line.padStart(8, '0')}:`);
  violations.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  for (const v of violations) console.error(v);
  console.error(`\nlint: ${violations.length} problem(s) in ${files.length} files`);
  process.exit(1);
}
console.log(`lint: ${files.length} files, no problems`);
