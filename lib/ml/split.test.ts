import { describe, expect, test } from 'vitest';
import { LABEL_HORIZON_DAYS } from '../features/deviceFeatures.js';
import { timeSplit } from './split.js';
import { DAY_MS } from '../calendar/days.js';

const start = Date.UTC(2026, 0, 1);

/** 3 devices x `days` days; labels observed except the last `unobserved` days. */
function rows(days: number, unobserved: number): { featureDays: number[]; observed: number[] } {
  const featureDays: number[] = [];
  const observed: number[] = [];
  for (let d = 0; d < days; d++) {
    for (let device = 0; device < 3; device++) {
      featureDays.push(start + d * DAY_MS);
      observed.push(d >= days - unobserved ? 0 : 1);
    }
  }
  return { featureDays, observed };
}

describe('timeSplit', () => {
  test('train / gap / validation / gap / holdout over labelled days only', () => {
    const { featureDays, observed } = rows(60, 7);
    const split = timeSplit(featureDays, observed, { holdoutDays: 10, validationDays: 10 });
    const dayOf = (i: number): number => ((featureDays[i] as number) - start) / DAY_MS;
    const days = (idx: Uint32Array): number[] => [...new Set(Array.from(idx, dayOf))];
    // Labelled days 0..52: holdout 43..52, gap 36..42, validation 26..35, gap 19..25, train 0..18.
    expect(days(split.holdout)).toEqual(Array.from({ length: 10 }, (_, i) => 43 + i));
    expect(days(split.validation)).toEqual(Array.from({ length: 10 }, (_, i) => 26 + i));
    expect(days(split.train)).toEqual(Array.from({ length: 19 }, (_, i) => i));
    expect(split.windows.train).toEqual({ firstDay: start, lastDay: start + 18 * DAY_MS, days: 19 });
    expect(split.windows.holdout.days).toBe(10);
    expect(split.excluded).toEqual({ unobserved: 21, gap: 42 });
    // No label window (days d+1 .. d+7) of one split reaches a feature day of the next.
    const maxTrain = Math.max(...Array.from(split.train, dayOf));
    const minValidation = Math.min(...Array.from(split.validation, dayOf));
    const maxValidation = Math.max(...Array.from(split.validation, dayOf));
    const minHoldout = Math.min(...Array.from(split.holdout, dayOf));
    expect(maxTrain + LABEL_HORIZON_DAYS).toBeLessThan(minValidation);
    expect(maxValidation + LABEL_HORIZON_DAYS).toBeLessThan(minHoldout);
    // Every row lands in exactly one place.
    expect(split.train.length + split.validation.length + split.holdout.length + split.excluded.unobserved + split.excluded.gap).toBe(featureDays.length);
  });

  test('defaults: 14 holdout, 14 validation, 7-day gaps; null label flags mean all observed', () => {
    const { featureDays } = rows(90, 0);
    const split = timeSplit(featureDays, null);
    expect(split.windows.holdout.days).toBe(14);
    expect(split.windows.validation.days).toBe(14);
    expect(split.windows.train.days).toBe(90 - 14 - 7 - 14 - 7);
    expect((split.windows.validation.firstDay - split.windows.train.lastDay) / DAY_MS).toBe(8);
  });

  test('too few labelled days: a message with the arithmetic', () => {
    const { featureDays, observed } = rows(30, 0);
    expect(() => timeSplit(featureDays, observed)).toThrow(/span 30 days; 1 train \+ 7 gap \+ 14 validation \+ 7 gap \+ 14 holdout days need 43/);
    expect(() => timeSplit(featureDays, observed.map(() => 0))).toThrow(/no rows with an observed label/);
  });
});
