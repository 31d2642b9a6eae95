/**
 * Must-show 2 of issue 13: a user starts a backfill from the Temporal Web UI. Headless Chromium
 * opens the test dev server's UI, fills Start Workflow's form (workflow id, task queue, type, the
 * JSON input as README's "Start a backfill from the Temporal UI" says), submits, and sees the run
 * complete on its page; the lake then holds the day.
 */
import { randomUUID } from 'node:crypto';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LakeQueryEngine } from '../../lake/index.ts';
import { temporalUiUrl } from '../../test/infra.ts';
import { workflowsFixture, type WorkflowsFixture } from '../../test/support/workflows-fixture.ts';
import type { BackfillResult } from './types.ts';

let fx: WorkflowsFixture;
let browser: Browser;

beforeAll(async () => {
  fx = await workflowsFixture('backfill-ui');
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--headless', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await fx?.cleanup();
});

describe('Temporal Web UI', () => {
  it('Start Workflow with the backfill JSON: the run completes and the UI shows it', async () => {
    const workflowId = `ui-backfill-${randomUUID().slice(0, 8)}`;
    const input = { symbols: ['BTCUSDT'], from: '2017-08-17', to: '2017-08-17', source: 'trades', mode: 'missing', dryRun: false, maxConcurrency: 4 };
    const page = await browser.newPage();
    await page.goto(`${temporalUiUrl()}/namespaces/${fx.namespace}/workflows/start-workflow`, { waitUntil: 'networkidle' });
    await page.fill('#workflowId', workflowId);
    await page.fill('#taskQueue', 'marketlake-backfill');
    await page.fill('#workflowType', 'backfill');
    // The input is a code editor: type into it as a person does (insertText: no auto-closed
    // brackets), then leave it (Tab), which is when the form takes its value.
    await page.click('.cm-content');
    await page.keyboard.insertText(JSON.stringify(input));
    await page.keyboard.press('Tab');
    await page.check('input[id="json/plain"]');
    // The form checks that the queue has a poller (and shows it, moving the button): wait for that.
    await page.getByText('Task Queue is Active').waitFor({ timeout: 30_000 });
    const started = page.waitForRequest((r) => r.method() === 'POST' && r.url().includes(`/workflows/${workflowId}`), { timeout: 30_000 });
    await page.locator('[data-testid="start-workflow-button"]').click();
    await started;
    await expect.poll(() => fx.client.workflow.getHandle(workflowId).describe().then(() => true, () => false), { timeout: 30_000 }).toBe(true);

    const result = (await fx.client.workflow.getHandle(workflowId).result()) as BackfillResult;
    expect(result.failed).toEqual([]);
    expect(result.progress.partitions).toMatchObject({ total: 1, done: 1 });
    // The run's page in the UI shows it completed.
    await page.goto(`${temporalUiUrl()}/namespaces/${fx.namespace}/workflows/${workflowId}`, { waitUntil: 'networkidle' });
    await expect.poll(async () => page.getByText('Completed', { exact: true }).count(), { timeout: 30_000 }).toBeGreaterThan(0);

    const engine = await LakeQueryEngine.open({ lake: fx.lakeDir });
    try {
      const [row] = (await engine.query(`SELECT count(*) AS n FROM silver_candles WHERE symbol = 'BTCUSDT' AND date = DATE '2017-08-17' AND "interval" = '1m'`)).rows;
      expect(Number(row.n)).toBe(1200);
    } finally {
      engine.connection.closeSync();
    }
    await page.close();
  }, 120_000);
});
