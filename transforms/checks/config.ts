/**
 * Configuration of the quality checks: `QUALITY_CONFIG` is a JSON object (inline, or the path of
 * a `.json` / `.yaml` file) that overrides any check's severity, blocking flag, enabled flag or
 * thresholds, e.g.
 *
 * ```json
 * { "maxFailingRows": 50,
 *   "checks": { "freshness_silver": { "severity": "error", "thresholds": { "maxLagMinutes": 5 } },
 *               "cross_source_price": { "enabled": false } } }
 * ```
 *
 * It is validated at start against the checks themselves: an unknown check or threshold, or a
 * value of the wrong type, is a ConfigError naming it.
 */
import fs from 'node:fs';
import YAML from 'yaml';
import { z } from 'zod';
import { ConfigError } from '../../common/config.ts';
import { SEVERITIES, type QualityCheck, type Severity } from './check.ts';

export const DEFAULT_MAX_FAILING_ROWS = 100;

const checkOverrideSchema = z
  .object({
    severity: z.enum(SEVERITIES).optional(),
    blocking: z.boolean().optional(),
    enabled: z.boolean().optional(),
    thresholds: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();

export const qualityConfigSchema = z
  .object({
    /** Failing rows kept per check in gold/quality_failures. */
    maxFailingRows: z.number().int().min(0).default(DEFAULT_MAX_FAILING_ROWS),
    checks: z.record(z.string(), checkOverrideSchema).default({}),
  })
  .strict();

export type QualityConfigInput = z.input<typeof qualityConfigSchema>;

/** A check with its configuration applied. */
export interface ConfiguredCheck {
  readonly check: QualityCheck;
  readonly severity: Severity;
  readonly blocking: boolean;
  readonly enabled: boolean;
  readonly thresholds: Record<string, unknown>;
}

export interface QualityConfig {
  readonly maxFailingRows: number;
  readonly checks: readonly ConfiguredCheck[];
}

/**
 * The raw overrides in `QUALITY_CONFIG` (inline JSON or a .json/.yaml file path); {} when unset.
 * `STREAM_MAX_FILL_GAP_MS`, when set, is the default of silver_matches_bronze's
 * `maxFillGapMinutes` (the check must apply the stream's rule; QUALITY_CONFIG still wins).
 */
export function qualityConfigInputFromEnv(env: NodeJS.ProcessEnv = process.env): unknown {
  const fillGap = streamFillGapOverride(env);
  const raw = env.QUALITY_CONFIG?.trim();
  if (!raw) return fillGap;
  let input: unknown;
  try {
    if (raw.startsWith('{')) input = JSON.parse(raw);
    else {
      const text = fs.readFileSync(raw, 'utf8');
      input = raw.endsWith('.yaml') || raw.endsWith('.yml') ? YAML.parse(text) : JSON.parse(text);
    }
  } catch (err) {
    throw new ConfigError(`QUALITY_CONFIG: cannot read ${raw.startsWith('{') ? 'the inline JSON' : raw}: ${(err as Error).message}`);
  }
  // A malformed object is left whole for resolveQualityConfig to name what is wrong.
  if (Object.keys(fillGap).length === 0 || typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  return mergeQualityConfigInputs(fillGap, input as QualityConfigInput);
}

/** silver_matches_bronze's fill gap from the stream's setting, or nothing when it is unset. */
function streamFillGapOverride(env: NodeJS.ProcessEnv): QualityConfigInput {
  const raw = env.STREAM_MAX_FILL_GAP_MS?.trim();
  if (!raw) return {};
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) throw new ConfigError(`STREAM_MAX_FILL_GAP_MS: expected a positive whole number of milliseconds, got '${raw}'`);
  return { checks: { silver_matches_bronze: { thresholds: { maxFillGapMinutes: ms / 60_000 } } } };
}

/** `QUALITY_CONFIG` applied to the checks. */
export function qualityConfigFromEnv(checks: readonly QualityCheck[], env: NodeJS.ProcessEnv = process.env): QualityConfig {
  return resolveQualityConfig(checks, qualityConfigInputFromEnv(env), 'QUALITY_CONFIG');
}

/** Applies overrides to the checks, validating every key against them. */
export function resolveQualityConfig(checks: readonly QualityCheck[], input: unknown, source = 'quality configuration'): QualityConfig {
  const parsed = qualityConfigSchema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new ConfigError(`${source}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  const byName = new Map(checks.map((c) => [c.name, c]));
  for (const name of Object.keys(parsed.data.checks)) {
    if (!byName.has(name)) throw new ConfigError(`${source}: checks.${name}: no such check (known: ${[...byName.keys()].join(', ')})`);
  }
  return {
    maxFailingRows: parsed.data.maxFailingRows,
    checks: checks.map((check) => {
      const o = parsed.data.checks[check.name] ?? {};
      const t = check.thresholds.safeParse(o.thresholds ?? {});
      if (!t.success) {
        throw new ConfigError(`${source}: checks.${check.name}.thresholds: ${t.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
      }
      return {
        check,
        severity: o.severity ?? check.severity,
        blocking: o.blocking ?? check.blocking,
        enabled: o.enabled ?? true,
        thresholds: t.data as Record<string, unknown>,
      };
    }),
  };
}

/** Merges two override objects (the second wins per check and per threshold): env config plus a workflow's input. */
export function mergeQualityConfigInputs(a: QualityConfigInput | undefined, b: QualityConfigInput | undefined): QualityConfigInput {
  // Validated later by resolveQualityConfig; here only merged.
  const checks: Record<string, z.input<typeof checkOverrideSchema>> = { ...(a?.checks ?? {}) };
  for (const [name, o] of Object.entries(b?.checks ?? {})) {
    const prev = checks[name] ?? {};
    checks[name] = { ...prev, ...o, thresholds: { ...(prev.thresholds ?? {}), ...(o.thresholds ?? {}) } };
  }
  return { maxFailingRows: b?.maxFailingRows ?? a?.maxFailingRows, checks };
}
