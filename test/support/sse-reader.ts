/** A minimal Server-Sent Events reader over a fetch Response (as a browser's EventSource parses it), for tests. */
export interface SseEvent {
  id: string | undefined;
  event: string;
  data: string;
}

export class SseReader {
  private buffer = '';
  private readonly decoder = new TextDecoder();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  /** The last id seen (what a browser would send as Last-Event-ID). */
  lastEventId = '';
  private readonly queue: SseEvent[] = [];

  constructor(res: Response) {
    if (!res.body) throw new Error('no body');
    this.reader = res.body.getReader();
  }

  /** Resolves with the next `n` events (or throws on timeout). */
  async take(n: number, timeoutMs = 20_000): Promise<SseEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.queue.length < n) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${n} SSE events (got ${this.queue.length})`);
      const chunk = await Promise.race([this.reader.read(), new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), left))]);
      if (chunk === 'timeout') continue;
      if (chunk.done) throw new Error(`stream ended after ${this.queue.length} events`);
      this.feed(this.decoder.decode(chunk.value, { stream: true }));
    }
    return this.queue.splice(0, n);
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }

  private feed(text: string): void {
    this.buffer += text;
    let i: number;
    while ((i = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, i);
      this.buffer = this.buffer.slice(i + 2);
      let event = 'message';
      const data: string[] = [];
      let id: string | undefined;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') id = value;
        else if (field === 'event') event = value;
        else if (field === 'data') data.push(value);
      }
      if (id !== undefined) this.lastEventId = id;
      if (data.length > 0) this.queue.push({ id, event, data: data.join('\n') });
    }
  }
}
