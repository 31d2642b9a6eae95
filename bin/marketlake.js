#!/usr/bin/env node
// The package's bin. The project runs its TypeScript sources directly through tsx's ESM loader,
// so there is no build step between `npm ci` and `npx marketlake dev`.
import { register } from 'tsx/esm/api';
register();
const { run } = await import('../cli/main.ts');
await run(process.argv);
