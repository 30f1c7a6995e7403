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

  it('answers the same when a day is asked again (remembered days) and outside the remembered years', () => {
    const instants = [Date.UTC(1899, 11, 31, 23), Date.UTC(1900, 0, 1), Date.UTC(2099, 11, 31, 12), Date.UTC(2100, 0, 1), Date.UTC(1850, 5, 1), Date.UTC(2250, 5, 1), Date.UTC(2026, 2, 1, 0, 0, 0, 1)];
    for (const ms of instants) {
      const first = civilDate(ms);
      expect(first, new Date(ms).toISOString()).toBe(byDate(ms));
      // Another instant of the same day, then the same instant again.
      expect(civilDate(ms - (ms % 86_400_000 + 86_400_000) % 86_400_000)).toBe(first);
      expect(civilDate(ms)).toBe(first);
    }
  });
});
