import { describe, expect, it } from 'vitest';
import { SseStatusError, SseTradeReader } from './sse-trade-reader.ts';

/** An SSE response as the API sends it: a head, then HTTP chunks of whole frames. */
function response(): { bytes: Buffer; ids: number[]; frameEnds: Map<number, number> } {
  const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
  let body = 'HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nX-Request-Id: 1\r\ntransfer-encoding: chunked\r\n\r\n';
  body += chunk('retry: 1000\nid: t0=1\n\n');
  const ids: number[] = [];
  for (let d = 0, id = 0; d < 200; d++) {
    let s = '';
    for (let k = 0; k < 1 + ((d * 7) % 13); k++) {
      id++;
      ids.push(id);
      s += `id: t0=${id},t1=${id * 3}\nevent: trade\ndata: {"v":1,"symbol":"SYM${id % 10}USDT","tradeId":${id},"isBuyerMaker":false}\n\n`;
    }
    if (d % 50 === 0) s += ': keep-alive\n\n';
    body += chunk(s);
  }
  const frameEnds = new Map<number, number>();
  for (const m of body.matchAll(/"tradeId":(\d+)[^\n]*\n\n/g)) frameEnds.set(Number(m[1]), m.index + m[0].length);
  return { bytes: Buffer.from(body, 'latin1'), ids, frameEnds };
}

describe('SseTradeReader (the SSE bench clients)', () => {
  it('reports every trade once, in order, when the read holding the end of its frame arrives, however the bytes are split', () => {
    const { bytes, ids, frameEnds } = response();
    let seed = 7;
    const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    for (let trial = 0; trial < 200; trial++) {
      const cuts = new Set<number>();
      for (let i = 0, n = Math.floor(random() * 300); i < n; i++) cuts.add(1 + Math.floor(random() * (bytes.length - 1)));
      if (trial % 5 === 0) for (let i = 1; i < 600; i++) cuts.add(i); // byte by byte through the head and the first frames
      const bounds = [...[...cuts].sort((a, b) => a - b), bytes.length];
      const got: [number, number][] = [];
      const reader = new SseTradeReader((id, at) => got.push([id, at]));
      // The read buffer is reused between reads, as the fleet's is.
      const readBuffer = Buffer.alloc(bytes.length);
      bounds.forEach((end, k) => {
        const n = bytes.copy(readBuffer, 0, k === 0 ? 0 : bounds[k - 1], end);
        reader.read(readBuffer.subarray(0, n), k);
        readBuffer.fill(0);
      });
      expect(reader.open).toBe(true);
      expect(got.map(([id]) => id)).toEqual(ids);
      for (const [id, at] of got) expect(at).toBe(bounds.findIndex((b) => b >= frameEnds.get(id)!));
    }
  });

  it('an answer other than 200 is an error naming its status line', () => {
    const reader = new SseTradeReader(() => undefined);
    reader.read(Buffer.from('HTTP/1.1 503 Service Unavailable\r\n'), 0);
    expect(() => reader.read(Buffer.from('content-type: application/problem+json\r\n\r\n{}'), 1)).toThrow(SseStatusError);
    expect(reader.open).toBe(false);
  });
});
