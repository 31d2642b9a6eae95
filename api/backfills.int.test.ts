/**
 * What goes wrong on Temporal's side is a dependency down (503 naming Temporal), never a 500: a
 * namespace the server does not know (not registered yet, or lost) and a server that is not there.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../stack/net.ts';
import { temporalAddress } from '../test/infra.ts';
import { TemporalBackfills } from './backfills.ts';
import { NotFoundProblem, UnavailableProblem } from './problem.ts';

const clients: TemporalBackfills[] = [];
afterAll(() => Promise.all(clients.map((c) => c.close())));

function backfills(address: string, namespace: string): TemporalBackfills {
  const b = new TemporalBackfills({ address, namespace, taskQueue: 'marketlake-backfill' });
  clients.push(b);
  return b;
}

describe('TemporalBackfills: Temporal-side failures are 503', () => {
  it('an unknown workflow id in a known namespace is a 404', async () => {
    await expect(backfills(temporalAddress(), 'default').get('no-such-backfill')).rejects.toBeInstanceOf(NotFoundProblem);
  });

  it('a namespace the server does not know is a 503 naming Temporal', async () => {
    const err = await backfills(temporalAddress(), `missing-${Date.now()}`).get('0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableProblem);
    expect((err as Error).message).toMatch(/Temporal at .* is unavailable/);
  });

  it('no server at the address is a 503', async () => {
    const err = await backfills(`127.0.0.1:${await freePort()}`, 'default').get('0').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnavailableProblem);
  });
});
