/** UTC calendar date (`YYYY-MM-DD`) of an epoch-µs instant: the value of `date` partitions. */
export function utcDateOf(epochMicros: number): string {
  return new Date(Math.floor(epochMicros / 1000)).toISOString().slice(0, 10);
}
