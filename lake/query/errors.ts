/** Query errors callers branch on (`instanceof`): the CLI prints them, the API maps them to problem details. */

/** The query ran longer than its time limit and was interrupted. */
export class QueryTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`query interrupted after its ${timeoutMs / 1000} s time limit (raise it with --timeout <seconds> or SQL_TIMEOUT_S)`);
    this.name = 'QueryTimeoutError';
  }
}

/** The query names a table or view the lake does not have. */
export class UnknownViewError extends Error {
  constructor(
    readonly name: string,
    readonly views: readonly string[],
    readonly suggestion?: string,
  ) {
    super(
      `no table or view named ${JSON.stringify(name)} in the lake${suggestion ? `; did you mean ${suggestion}?` : ''} ` +
        `(views: ${views.join(', ')})`,
    );
    this.name = 'UnknownViewError';
  }
}

/** Edit distance, for "did you mean": small strings only. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length];
}

/** The closest of `candidates` to `name`, when it is close enough to be a likely typo. */
export function closestName(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  let best: { c: string; d: number } | undefined;
  for (const c of candidates) {
    const d = c.includes(lower) || lower.includes(c) ? 1 : distance(lower, c);
    if (!best || d < best.d) best = { c, d };
  }
  return best && best.d <= Math.max(2, Math.floor(best.c.length / 3)) ? best.c : undefined;
}
