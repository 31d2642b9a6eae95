#!/usr/bin/env node
// Runs one TypeScript entry point (e.g. `node bin/run-ts.js bench/run.ts`) through tsx.
import { register } from 'tsx/esm/api';
import { pathToFileURL } from 'node:url';
import path from 'node:path';
register();
const entry = process.argv[2];
if (!entry) { console.error('usage: run-ts.js <file.ts> [args...]'); process.exit(2); }
process.argv.splice(1, 2, path.resolve(entry));
await import(pathToFileURL(path.resolve(entry)).href);
