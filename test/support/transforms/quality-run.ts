/** Running one data-quality check (or all) against a test lake, at a pinned "now". */
import { LakeQueryEngine, type Lake } from '../../../lake/index.ts';
import { ALL_CHECKS, resolveQualityConfig, runChecks, type CheckResult, type QualityConfigInput, type QualityRun } from '../../../transforms/index.ts';

export async function runCheckSet(lake: Lake, nowUs: number, opts: { only?: string[]; config?: QualityConfigInput } = {}): Promise<QualityRun> {
  const engine = await LakeQueryEngine.open({ lake });
  try {
    return await runChecks({ engine, config: resolveQualityConfig(ALL_CHECKS, opts.config ?? {}), nowUs, only: opts.only });
  } finally {
    engine.close();
  }
}

/** The result of one check, with optional threshold overrides. */
export async function runCheck(lake: Lake, name: string, nowUs: number, thresholds: Record<string, unknown> = {}): Promise<CheckResult> {
  const run = await runCheckSet(lake, nowUs, { only: [name], config: { checks: { [name]: { thresholds } } } });
  return run.results[0];
}
