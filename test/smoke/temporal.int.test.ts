/** Smoke test: a workflow with an activity runs on the real Temporal dev server. */
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { temporalAddress } from '../infra.ts';
import * as activities from './smoke-activities.ts';

describe('Temporal dev server (real)', () => {
  it('runs a workflow and its activity through @temporalio/worker and @temporalio/client', async () => {
    const taskQueue = `smoke-${randomUUID()}`;
    const nativeConnection = await NativeConnection.connect({ address: temporalAddress() });
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: fileURLToPath(new URL('./smoke-workflows.ts', import.meta.url)),
      activities,
    });
    const connection = await Connection.connect({ address: temporalAddress() });
    const client = new Client({ connection });
    const result = await worker.runUntil(
      client.workflow.execute('smokeWorkflow', { taskQueue, workflowId: `smoke-${randomUUID()}`, args: ['marketlake'] }),
    );
    await connection.close();
    await nativeConnection.close();
    expect(result).toBe(`hello, marketlake, pid ${process.pid} (from a workflow)`);
  });
});
