/**
 * The backfill's input (ONE JSON object, so that the Temporal UI's "Start Workflow" form can start
 * it as it is) and its validation. Pure: the workflow bundle imports it, so no Node built-ins.
 *
 * ```json
 * {"symbols": ["BTCUSDT"], "from": "2024-01-01", "to": "2024-01-31", "source": "klines",
 *  "mode": "missing", "dryRun": false, "maxConcurrency": 4}
 * ```
 */
export const BACKFILL_SOURCES = ['klines', 'trades', 'aggTrades', 'rest', 'auto'] as const;
export type BackfillSource = (typeof BACKFILL_SOURCES)[number];
export const BACKFILL_MODES = ['missing', 'all'] as const;
export type BackfillMode = (typeof BACKFILL_MODES)[number];

/** The largest number of symbol-days one backfill may cover unless the input raises it. */
export const DEFAULT_MAX_PARTITIONS = 20_000;
export const MAX_CONCURRENCY_LIMIT = 32;

export interface BackfillInput {
  readonly symbols: readonly string[];
  /** A date (`2024-01-01`) or an ISO timestamp; the backfill covers the UTC days from..to. */
  readonly from: string;
  /** Inclusive. */
  readonly to: string;
  readonly source?: BackfillSource;
  readonly mode?: BackfillMode;
  readonly dryRun?: boolean;
  readonly maxConcurrency?: number;
  readonly exchange?: string;
  /** When partitions failed: how long the run waits for a `retryFailed` signal before it ends (default 0). */
  readonly retryWaitMinutes?: number;
}

/** The input with defaults applied and the range as UTC days. */
export interface NormalisedInput {
  readonly symbols: readonly string[];
  readonly fromDay: string;
  readonly toDay: string;
  readonly source: BackfillSource;
  readonly mode: BackfillMode;
  readonly dryRun: boolean;
  readonly maxConcurrency: number;
  readonly exchange: string;
  readonly retryWaitMinutes: number;
}

/** A bad input: names the field. The workflow turns it into a non-retryable ApplicationFailure. */
export class InvalidBackfillInput extends Error {
  constructor(
    readonly field: string,
    reason: string,
  ) {
    super(`invalid backfill input: ${field}: ${reason}`);
    this.name = 'InvalidBackfillInput';
  }
}

/**
 * A well-formed symbol that Binance does not have (neither its archive nor its API knows it).
 * Found by the planning activity (workflows/backfill/symbol-check.ts), before any work.
 */
export class UnknownSymbolError extends InvalidBackfillInput {
  constructor(
    readonly symbol: string,
    archiveUrl?: string,
  ) {
    super('symbols', `${JSON.stringify(symbol)} is not a Binance symbol: the exchange does not list it${archiveUrl ? ` and the archive has no ${archiveUrl}` : ''}`);
    this.name = 'UnknownSymbolError';
  }
}

/** Binance spot symbols: upper-case letters and digits, e.g. BTCUSDT, 1INCHUSDT. */
export const BINANCE_SYMBOL = /^[A-Z0-9]{2,20}$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const KNOWN_FIELDS = new Set(['symbols', 'from', 'to', 'source', 'mode', 'dryRun', 'maxConcurrency', 'exchange', 'retryWaitMinutes', 'carry']);

export const DAY_MS = 86_400_000;

export function dayOf(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function dayStartMs(day: string): number {
  return Date.parse(`${day}T00:00:00Z`);
}

/** The UTC days from..to, inclusive. */
export function daysBetween(fromDay: string, toDay: string): string[] {
  const out: string[] = [];
  for (let t = dayStartMs(fromDay); t <= dayStartMs(toDay); t += DAY_MS) out.push(dayOf(t));
  return out;
}

function parseWhen(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new InvalidBackfillInput(field, 'required: a date such as "2024-01-01" or an ISO timestamp');
  if (!DATE_ONLY.test(value) && !ISO_TIMESTAMP.test(value)) throw new InvalidBackfillInput(field, `not a date or ISO timestamp: ${JSON.stringify(value)}`);
  const ms = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00Z` : value);
  if (!Number.isFinite(ms) || (DATE_ONLY.test(value) && dayOf(ms) !== value)) throw new InvalidBackfillInput(field, `not a real date: ${JSON.stringify(value)}`);
  return dayOf(ms);
}

/**
 * Checks the input and applies the defaults; throws InvalidBackfillInput naming the first bad
 * field. `nowMs` bounds `to` (no backfill of the future); `maxPartitions` bounds the size.
 */
export function normaliseBackfillInput(raw: unknown, opts: { nowMs: number; maxPartitions?: number }): NormalisedInput {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new InvalidBackfillInput('input', 'must be one JSON object such as {"symbols": ["BTCUSDT"], "from": "2024-01-01", "to": "2024-01-31"}');
  const input = raw as Record<string, unknown>;
  for (const key of Object.keys(input)) if (!KNOWN_FIELDS.has(key)) throw new InvalidBackfillInput(key, `unknown field (known: ${[...KNOWN_FIELDS].filter((k) => k !== 'carry').join(', ')})`);
  const symbols = input.symbols;
  if (!Array.isArray(symbols) || symbols.length === 0) throw new InvalidBackfillInput('symbols', 'required: a non-empty list such as ["BTCUSDT"]');
  for (const s of symbols) {
    if (typeof s !== 'string' || !BINANCE_SYMBOL.test(s)) throw new InvalidBackfillInput('symbols', `not a Binance symbol: ${JSON.stringify(s)} (upper-case letters and digits, e.g. "BTCUSDT")`);
  }
  if (new Set(symbols).size !== symbols.length) throw new InvalidBackfillInput('symbols', 'lists a symbol twice');
  const fromDay = parseWhen('from', input.from);
  const toDay = parseWhen('to', input.to);
  if (fromDay > toDay) throw new InvalidBackfillInput('from', `${JSON.stringify(input.from)} is after to ${JSON.stringify(input.to)}`);
  if (toDay > dayOf(opts.nowMs)) throw new InvalidBackfillInput('to', `${JSON.stringify(input.to)} is in the future`);
  const source = input.source ?? 'auto';
  if (typeof source !== 'string' || !(BACKFILL_SOURCES as readonly string[]).includes(source)) throw new InvalidBackfillInput('source', `unknown source ${JSON.stringify(source)} (one of ${BACKFILL_SOURCES.join(', ')})`);
  const mode = input.mode ?? 'missing';
  if (typeof mode !== 'string' || !(BACKFILL_MODES as readonly string[]).includes(mode)) throw new InvalidBackfillInput('mode', `unknown mode ${JSON.stringify(mode)} (one of ${BACKFILL_MODES.join(', ')})`);
  const dryRun = input.dryRun ?? false;
  if (typeof dryRun !== 'boolean') throw new InvalidBackfillInput('dryRun', 'must be true or false');
  const maxConcurrency = input.maxConcurrency ?? 4;
  if (typeof maxConcurrency !== 'number' || !Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > MAX_CONCURRENCY_LIMIT) {
    throw new InvalidBackfillInput('maxConcurrency', `must be a whole number from 1 to ${MAX_CONCURRENCY_LIMIT}`);
  }
  const exchange = input.exchange ?? 'binance';
  if (exchange !== 'binance') throw new InvalidBackfillInput('exchange', `only "binance" archives are supported, not ${JSON.stringify(exchange)}`);
  const retryWaitMinutes = input.retryWaitMinutes ?? 0;
  if (typeof retryWaitMinutes !== 'number' || !(retryWaitMinutes >= 0) || retryWaitMinutes > 7 * 24 * 60) throw new InvalidBackfillInput('retryWaitMinutes', 'must be a number of minutes from 0 to 10080');
  const maxPartitions = opts.maxPartitions ?? DEFAULT_MAX_PARTITIONS;
  const partitions = symbols.length * ((dayStartMs(toDay) - dayStartMs(fromDay)) / DAY_MS + 1);
  if (partitions > maxPartitions) {
    throw new InvalidBackfillInput('to', `the range covers ${partitions} symbol-days, above the limit of ${maxPartitions} (BACKFILL_MAX_PARTITIONS): split it`);
  }
  return { symbols: symbols as string[], fromDay, toDay, source: source as BackfillSource, mode: mode as BackfillMode, dryRun, maxConcurrency, exchange, retryWaitMinutes };
}

/** The line the Temporal UI shows for the run. */
export function backfillSummary(input: NormalisedInput): string {
  const symbols = input.symbols.length <= 3 ? input.symbols.join(',') : `${input.symbols.slice(0, 3).join(',')} +${input.symbols.length - 3}`;
  return `Backfill ${symbols} ${input.fromDay}..${input.toDay} ${input.source}, ${input.mode}${input.dryRun ? ' (dry run)' : ''}`;
}

/** What the Temporal UI shows on the run's page (its "current details", markdown): the input at a glance. */
export function backfillDetails(input: NormalisedInput, run = 1): string {
  return [
    `**${backfillSummary(input)}**`,
    '',
    `- symbols: ${input.symbols.join(', ')}`,
    `- range: ${input.fromDay} .. ${input.toDay} (UTC days, inclusive)`,
    `- source: ${input.source}`,
    `- mode: ${input.mode}${input.dryRun ? ' (dry run: writes nothing)' : ''}`,
    `- max concurrency: ${input.maxConcurrency}`,
    ...(run > 1 ? [`- run ${run} (continued as new)`] : []),
  ].join('\n');
}
