#!/usr/bin/env node
/**
 * The rule of Temporal's workflow sandbox that dependency-cruiser cannot check here (its swc
 * parser does not tell `import type` from a value import): workflow files
 * (workflows/workflows.ts, workflows/**\/workflow.ts) import activities only as types, and no
 * chain of VALUE imports from them reaches an activities module or a Node built-in. Type imports
 * are erased before Temporal bundles the code, so they are not followed.
 *
 *   node .ci/workflow-sandbox.mjs [rootDir]     (part of `npm run deps`)
 *
 * Exit 1 and one line per violation, naming the chain, when the rule is broken.
 */
import fs from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { parseSync } from '@swc/core';

const root = path.resolve(process.argv[2] ?? '.');
const workflowsDir = path.join(root, 'workflows');
const BUILTINS = new Set(builtinModules);

function workflowFiles() {
  if (!fs.existsSync(workflowsDir)) return [];
  const out = [];
  const top = path.join(workflowsDir, 'workflows.ts');
  if (fs.existsSync(top)) out.push(top);
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name === 'workflow.ts') out.push(p);
    }
  };
  walk(workflowsDir);
  return out;
}

/** The module specifiers a file imports as values (type-only imports and exports left out). */
function valueImports(file) {
  const ast = parseSync(fs.readFileSync(file, 'utf8'), { syntax: 'typescript', target: 'es2022' });
  const specs = [];
  for (const item of ast.body) {
    if (item.type === 'ImportDeclaration') {
      if (item.typeOnly) continue;
      // `import { type A, type B } from 'x'` is erased whole, like `import type`.
      if (item.specifiers.length > 0 && item.specifiers.every((s) => s.type === 'ImportSpecifier' && s.isTypeOnly)) continue;
      specs.push(item.source.value);
    } else if ((item.type === 'ExportNamedDeclaration' || item.type === 'ExportAllDeclaration') && item.source) {
      if (item.typeOnly) continue;
      if (item.specifiers?.length > 0 && item.specifiers.every((s) => s.isTypeOnly)) continue;
      specs.push(item.source.value);
    }
  }
  // Dynamic import() anywhere in the file.
  const visit = (node) => {
    if (!node || typeof node !== 'object') return;
    if (Array.isArray(node)) return node.forEach(visit);
    if (node.type === 'CallExpression' && node.callee?.type === 'Import') {
      const arg = node.arguments?.[0]?.expression;
      specs.push(arg?.type === 'StringLiteral' ? arg.value : '<computed import()>');
    }
    for (const v of Object.values(node)) if (v && typeof v === 'object') visit(v);
  };
  visit(ast.body);
  return specs;
}

const rel = (p) => path.relative(root, p);
const isActivities = (p) => /(^|\/)activities(\.ts$|\/)/.test(rel(p));
const violations = [];

for (const start of workflowFiles()) {
  const seen = new Set();
  const queue = [[start, [rel(start)]]];
  while (queue.length > 0) {
    const [file, chain] = queue.shift();
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of valueImports(file)) {
      const bare = spec.replace(/^node:/, '').split('/')[0];
      if (spec.startsWith('node:') || BUILTINS.has(bare)) {
        violations.push(`workflow-sandbox: ${[...chain, spec].join(' → ')}: a Node built-in in the workflow sandbox`);
        continue;
      }
      if (!spec.startsWith('.')) continue; // packages: Temporal's bundler checks them
      const target = path.resolve(path.dirname(file), spec);
      if (isActivities(target)) {
        violations.push(`workflow-sandbox: ${[...chain, rel(target)].join(' → ')}: activities are imported as a value (use \`import type\` and proxyActivities)`);
        continue;
      }
      if (fs.existsSync(target)) queue.push([target, [...chain, rel(target)]]);
    }
  }
}

for (const v of violations) console.error(`  error ${v}`);
if (violations.length > 0) {
  console.error(`\nx ${violations.length} workflow sandbox violation(s).`);
  process.exit(1);
}
console.log(`✔ workflow sandbox: ${workflowFiles().length} workflow file(s) import no Node built-in and no activities as values`);
