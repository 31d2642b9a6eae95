/**
 * Serialises the service's async steps (processing a batch, a timed flush, applying a new
 * assignment) so that the lake never sees two commits of the same partitions interleaved.
 */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn, fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
