import { describe, expect, it } from 'vitest';
import { NumberList, orderByKey } from './numbers.js';

describe('number columns', () => {
  it('order positions by whole-number key, ties in position order, and refuse a key that cannot be packed', () => {
    expect(Array.from(orderByKey([5, 0, 5, 2 ** 27 - 1, 0, 3]))).toEqual([1, 4, 5, 0, 2, 3]);
    expect(Array.from(orderByKey([]))).toEqual([]);
    expect(() => orderByKey([1, 0.5])).toThrow('key 0.5 at position 1');
    expect(() => orderByKey([2 ** 27])).toThrow('is not a whole number below');
  });

  it('grow a list past its capacity, keeping what was written and reading unset positions as unset', () => {
    const list = new NumberList(NaN, 2);
    for (let i = 0; i < 5; i++) list.push(i + 0.5);
    list.set(9, 7);
    list.add(9, 1);
    expect(list.length).toBe(10);
    expect(Array.from(list.values())).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, NaN, NaN, NaN, NaN, 8]);
    expect(list.get(42)).toBeNaN();
  });
});
