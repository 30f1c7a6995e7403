import { describe, expect, it } from 'vitest';
import { KeyIndex, keyAt, keyListOf, keyStart } from './keyIndex.js';

describe('key lists', () => {
  it('spell each key back, non-ASCII and empty keys included', () => {
    const keys = ['R-1', '', 'Müller-ß', 'R-10', 'R-1'];
    const list = keyListOf(keys);
    expect(keys.map((_, i) => keyAt(list, i))).toEqual(keys);
    expect(keyStart(list, 3)).toBe('R-1Müller-ß'.length);
  });
});

describe('KeyIndex', () => {
  const idOf = (n: number) => `R${n.toString(36)}`;

  it('finds every key added from several files with its latest version, file and row, and no key it never got', () => {
    const index = new KeyIndex();
    // Three files of 40,000 keys, each overlapping the one before by half: later files win.
    for (let file = 0; file < 3; file++) {
      const keys = Array.from({ length: 40_000 }, (_, i) => idOf(file * 20_000 + i));
      const list = keyListOf(keys);
      for (let i = 0; i < keys.length; i++) index.set(list.text, keyStart(list, i), list.ends[i]!, 1_000 * file + i, file, i);
    }
    expect(index.size).toBe(80_000);
    const wrong: string[] = [];
    for (let n = 0; n < 80_000; n++) {
      const entry = index.find(idOf(n));
      const file = Math.min(2, Math.floor(n / 20_000));
      const row = n - 20_000 * file;
      if (entry < 0 || index.version(entry) !== 1_000 * file + row || index.file(entry) !== file || index.row(entry) !== row) wrong.push(idOf(n));
    }
    for (let n = 80_000; n < 81_000; n++) if (index.find(idOf(n)) >= 0) wrong.push(idOf(n));
    expect(wrong).toEqual([]);
  });

  it('tells apart keys that are prefixes of each other and finds keys inside a longer string', () => {
    const index = new KeyIndex();
    index.set('ab', 0, 2, 1, 0, 0);
    index.set('abc', 0, 3, 2, 0, 1);
    index.set('xxabyy', 2, 4, 3, 1, 5);
    expect(index.size).toBe(2);
    expect(index.version(index.find('ab'))).toBe(3);
    expect(index.file(index.find('--ab--', 2, 4))).toBe(1);
    expect(index.row(index.find('ab'))).toBe(5);
    expect(index.version(index.find('abc'))).toBe(2);
    expect(index.find('a')).toBe(-1);
    expect(index.find('abcd')).toBe(-1);
  });

  it('keeps one entry for an empty key set twice', () => {
    const index = new KeyIndex();
    index.set('', 0, 0, 1, 0, 0);
    index.set('x', 1, 1, 2, 3, 7);
    expect(index.size).toBe(1);
    expect([index.version(index.find('')), index.file(index.find('')), index.row(index.find(''))]).toEqual([2, 3, 7]);
  });
});
