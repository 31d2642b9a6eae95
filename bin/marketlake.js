#!/usr/bin/env node
// The package's bin. The project runs its TypeScript sources directly through tsx's ESM loader,
// so there is no build step between `npm ci` and `npx marketlake dev`.
import fs from 'node:fs';
import { register } from 'tsx/esm/api';
// A .env in the working directory fills in variables the environment does not set.
if (fs.existsSync('.env')) process.loadEnvFile('.env');
register();
const { run } = await import('../cli/main.ts');
await run(process.argv);
