import { describe, expect, it } from 'vitest';
import { LivePosition, formatPosition, parsePosition, partitionKey } from './position.ts';

describe('stream positions', () => {
  it('a live position writes what formatPosition writes, after every change and around any one partition, and parses back', () => {
    const live = new LivePosition();
    const plain = new Map<string, number>();
    const steps: [Parameters<typeof partitionKey>[0], number, number][] = [['trades', 0, 5], ['trades', 3, 1], ['candles', 0, 77], ['trades', 0, 6], ['alerts', 0, 3], ['trades', 3, 2]];
    for (const [channel, partition, offset] of steps) {
      const around = live.around(partitionKey(channel, partition));
      live.set(partitionKey(channel, partition), offset);
      plain.set(partitionKey(channel, partition), offset);
      // The ids of one partition's events, the others standing still.
      expect(around.before + offset + around.after).toBe(live.format());
      expect(live.format()).toBe(formatPosition(plain));
      expect(parsePosition(live.format())).toEqual(plain);
    }
    expect(live.format()).toBe('t0=6,t3=2,c0=77,a0=3');
    expect(live.get('trades:3')).toBe(2);
    expect(live.size).toBe(4);
  });
});
