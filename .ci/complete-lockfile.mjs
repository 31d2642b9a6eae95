#!/usr/bin/env node
// Why: the registry this project is built against lacks some other-platform builds of native
// packages (e.g. DuckDB's darwin bindings), so `npm install` leaves them out of
// package-lock.json, and `npm ci` then refuses the lock ("Missing: ... from lock file").
// This adds each missing optional platform package as an entry with its version and the os/cpu
// (and libc) it targets: npm ci skips it on other platforms and fetches it by version on its own.
// Run after every `npm install` that changes the lock: `node .ci/complete-lockfile.mjs`.
import fs from 'node:fs';

const file = new URL('../package-lock.json', import.meta.url);
const lock = JSON.parse(fs.readFileSync(file, 'utf8'));
const packages = lock.packages;
const added = [];
for (const meta of Object.values(packages)) {
  for (const [dep, version] of Object.entries(meta.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    if (packages[key]) continue;
    const name = dep.split('/').pop();
    const entry = { version, optional: true };
    const os = /(darwin|linux|win32|freebsd|android)/.exec(name)?.[1];
    const cpu = /(arm64|x64|ia32|ppc64|s390x|riscv64|loong64|arm)/.exec(name)?.[1];
    if (os) entry.os = [os];
    if (cpu) entry.cpu = [cpu];
    if (name.includes('musl')) entry.libc = ['musl'];
    else if (os === 'linux') entry.libc = ['glibc'];
    packages[key] = entry;
    added.push(`${dep}@${version}`);
  }
}
fs.writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
console.log(added.length ? `added ${added.length} platform entries: ${added.join(', ')}` : 'lock file complete');
