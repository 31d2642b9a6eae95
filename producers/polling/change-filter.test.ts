import { describe, expect, it } from 'vitest';
import { ChangeFilter } from './change-filter.ts';

type Item = { id: string; v: number };
const filter = (capacity?: number) => new ChangeFilter<Item>((i) => i.id, (i) => String(i.v), capacity);

describe('ChangeFilter', () => {
  it('lets new and changed items through, holds back unchanged committed ones', () => {
    const f = filter();
    const first = f.changed([{ id: 'a', v: 1 }, { id: 'b', v: 1 }]);
    expect(first.map((i) => i.id)).toEqual(['a', 'b']);
    first.forEach((i) => f.commit(i));
    expect(f.changed([{ id: 'a', v: 1 }, { id: 'b', v: 2 }, { id: 'c', v: 1 }]).map((i) => `${i.id}${i.v}`)).toEqual(['b2', 'c1']);
  });

  it('repeats items that were never committed (a failed publish is retried)', () => {
    const f = filter();
    expect(f.changed([{ id: 'a', v: 1 }])).toHaveLength(1);
    expect(f.changed([{ id: 'a', v: 1 }])).toHaveLength(1);
  });

  it('stays bounded, forgetting the least recently seen key', () => {
    const f = filter(2);
    for (const id of ['a', 'b']) f.commit({ id, v: 1 });
    f.changed([{ id: 'a', v: 1 }]); // touch a: b is now the oldest
    f.commit({ id: 'c', v: 1 });
    expect(f.size).toBe(2);
    expect(f.has('a')).toBe(true);
    expect(f.has('b')).toBe(false);
  });
});
