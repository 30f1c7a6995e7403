import { describe, expect, it } from 'vitest';
import { Rng } from '../simulate/random.js';
import { sortFloat64 } from './sort.js';

describe('sortFloat64', () => {
  const rng = new Rng(3, 9);
  const cases: Record<string, Float64Array> = {
    'normals and their negatives': Float64Array.from({ length: 50_000 }, () => rng.normal() * 10 ** Math.floor(rng.next() * 20 - 10)),
    'few distinct values, signed zeros and infinities': Float64Array.from({ length: 30_000 }, (_, i) => [0, -0, 1, -1, 0.5, Infinity, -Infinity, 1e-310, -1e-310][i % 9]! * (rng.next() < 0.5 ? 1 : -1)),
    'clustered under one far outlier (one full bucket)': Float64Array.from({ length: 20_000 }, (_, i) => (i === 7 ? 1e12 : rng.next())),
    'already in order': Float64Array.from({ length: 10_000 }, (_, i) => i - 5000),
    'small (built-in sort)': Float64Array.from({ length: 100 }, () => rng.normal()),
    'with NaN (built-in sort)': Float64Array.from({ length: 10_000 }, (_, i) => (i % 97 === 0 ? NaN : rng.normal())),
  };
  for (const [name, values] of Object.entries(cases)) {
    it(`orders ${name} exactly as Float64Array.prototype.sort`, () => {
      const expected = Float64Array.from(values).sort();
      const actual = sortFloat64(Float64Array.from(values));
      expect(Array.from(actual, (v) => (Object.is(v, -0) ? '-0' : String(v)))).toEqual(Array.from(expected, (v) => (Object.is(v, -0) ? '-0' : String(v))));
    });
  }
});
