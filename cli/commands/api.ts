/** `marketlake api`: run the HTTP API (Hono) on API_PORT: REST, SSE, SQL, docs and the live chart page. */
import type { Command } from 'commander';

export function registerApiCommand(program: Command): void {
  program
    .command('api')
    .description('run the HTTP API on API_PORT: /v1 market data and analytics, /v1/stream (SSE), POST /v1/sql, /docs, the live chart at /')
    .action(async () => {
      const { runApi } = await import('../../api/index.ts');
      await runApi();
    });
}
