import { describe, expect, it } from 'vitest';
import { civilDate } from './days.js';

const byDate = (ms: number): number => {
  const d = new Date(ms);
  return d.getUTCFullYear() * 10_000 + (d.getUTCMonth() + 1) * 100 + d.getUTCDate();
};

describe('civilDate', () => {
  it('equals the Date object over two centuries, leap days, century years and instants before 1970 included', () => {
    const instants = [Date.UTC(2000, 1, 29), Date.UTC(1900, 1, 28, 23, 59), Date.UTC(1900, 2, 1), Date.UTC(2100, 1, 28), Date.UTC(1969, 11, 31, 23, 59, 59, 999), 0, -1];
    for (let ms = Date.UTC(1900, 0, 1); ms < Date.UTC(2100, 0, 1); ms += 86_400_000 * 7 + 3_600_001) instants.push(ms);
    for (const ms of instants) expect(civilDate(ms), new Date(ms).toISOString()).toBe(byDate(ms));
  });
});
