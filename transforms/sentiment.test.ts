/**
 * Must show 3: gold/sentiment never looks ahead. Readings and news become part of an hour only
 * if they were known before the hour's end: a news item published at (or after) the end of
 * 10:00-11:00, and a Fear & Greed reading as of 11:00, leave the 10:00 row exactly as it was.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { Lake, LakeQueryEngine, type LakeRow } from '../lake/index.ts';
import { removeTmpDirs, tmpLakeDir } from '../test/support/lake/tmp.ts';
import { MODELS, runTransforms, testModels } from './index.ts';

afterAll(() => removeTmpDirs());

const us = (iso: string) => Date.parse(iso) * 1000;
const fearGreed = (asOf: string, value: number, classification: string): LakeRow => ({
  source: 'alternative.me',
  indicator: 'fear_and_greed',
  value,
  classification,
  as_of: us(asOf),
  received_at: us(asOf) + 60_000_000,
});
const news = (guid: string, publishedAt: string, score: number, symbols: string): LakeRow => ({
  feed: 'coindesk',
  guid,
  link: `https://example.invalid/${guid}`,
  title: `headline ${guid}`,
  summary: null,
  published_at: us(publishedAt),
  // Received late: an as-of join on arrival time would put it in the wrong hour.
  received_at: us(publishedAt) + 3_600_000_000,
  sentiment_score: score,
  sentiment_comparative: score / 5,
  symbols,
});

async function hours(lake: Lake) {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    return (await engine.query(`SELECT strftime(hour, '%H:%M') AS h, scope, fear_greed, news_count, news_score_mean, epoch_ms(known_at) AS known FROM gold_sentiment ORDER BY hour, scope`)).rows;
  } finally {
    engine.close();
  }
}

describe('gold/sentiment', () => {
  it('an hour is built only from what was known before its end', async () => {
    const lake = new Lake(tmpLakeDir('sentiment-'));
    await (await lake.table('bronze/sentiment')).append([fearGreed('2026-08-17T00:00:00Z', 40, 'Fear')]);
    await (await lake.table('bronze/news')).append([news('a', '2026-08-17T10:15:00Z', 2, 'BTC'), news('b', '2026-08-17T10:45:00Z', -1, 'ETH')]);
    expect((await runTransforms(lake, MODELS, { select: ['sentiment'] })).ok).toBe(true);
    const before = await hours(lake);
    const ten = before.filter((r) => r.h === '10:00');
    expect(ten).toEqual([
      { h: '10:00', scope: 'ALL', fear_greed: 40, news_count: '2', news_score_mean: 0.5, known: String(Date.parse('2026-08-17T10:45:00Z')) },
      { h: '10:00', scope: 'BTC', fear_greed: 40, news_count: '1', news_score_mean: 2, known: String(Date.parse('2026-08-17T10:15:00Z')) },
      { h: '10:00', scope: 'ETH', fear_greed: 40, news_count: '1', news_score_mean: -1, known: String(Date.parse('2026-08-17T10:45:00Z')) },
    ]);

    // Published exactly at the hour's end and later; a new reading as of the hour's end.
    await (await lake.table('bronze/news')).append([news('c', '2026-08-17T11:00:00Z', 5, 'BTC'), news('d', '2026-08-17T11:30:00Z', 4, 'BTC')]);
    await (await lake.table('bronze/sentiment')).append([fearGreed('2026-08-17T11:00:00Z', 90, 'Extreme Greed')]);
    const rerun = await runTransforms(lake, MODELS, { select: ['sentiment'] });
    expect(rerun.models[0].status).toBe('success');
    const after = await hours(lake);
    expect(after.filter((r) => r.h === '10:00')).toEqual(ten);
    expect(after.filter((r) => before.some((b) => b.h === r.h)).filter((r) => r.h !== '11:00')).toEqual(before.filter((r) => r.h !== '11:00'));
    expect(after.find((r) => r.h === '11:00' && r.scope === 'ALL')).toMatchObject({ fear_greed: 90, news_count: '2', news_score_mean: 4.5 });
    expect((await testModels(lake, MODELS, ['sentiment'])).filter((r) => !r.passed)).toEqual([]);
  });
});
