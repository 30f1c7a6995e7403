/**
 * Time-based train / validation / holdout split of device-day rows by feature day.
 *
 *   ...train days...] gap [..validation days..] gap [..holdout days..]   (newest last)
 *
 * Only rows whose label is observed (`label_observed = 1`: the whole 7-day label window lies in
 * the data seen so far) take part. The holdout is the newest `holdoutDays` labelled days, the
 * validation the `validationDays` before it, and training everything older, with `gapDays`
 * (default 7 = LABEL_HORIZON_DAYS) dropped between consecutive splits.
 *
 * Why the gap: the label of feature day d looks at failures on days d+1 .. d+7. If training
 * ended on day T and validation started on T+1, the last training labels would be decided by
 * failures that happen during the validation window: the model would have learned from the
 * same events it is then scored on. With a 7-day gap, validation starts on T+8 and every
 * training label is settled by events strictly before the first validation day (and likewise
 * between validation and holdout). Features only look backwards, so they need no gap.
 *
 * Days are UTC day starts in epoch milliseconds (as elsewhere in the product).
 */
import { LABEL_HORIZON_DAYS } from '../features/deviceFeatures.js';
import { DAY_MS, isoDay } from '../calendar/days.js';

export interface TimeSplitOptions {
  /** Newest labelled days held out for the final metrics (default 14). */
  readonly holdoutDays?: number;
  /** Days before the holdout (and its gap) for early stopping and calibration (default 14). */
  readonly validationDays?: number;
  /** Days dropped between splits (default LABEL_HORIZON_DAYS = 7). */
  readonly gapDays?: number;
  /** Minimum days left for training (default 1). */
  readonly minTrainDays?: number;
}

/** Inclusive range of feature days (epoch ms of UTC day starts). */
export interface DayWindow {
  readonly firstDay: number;
  readonly lastDay: number;
  readonly days: number;
}

export interface TimeSplit {
  /** Row indices of each split, ascending. */
  readonly train: Uint32Array;
  readonly validation: Uint32Array;
  readonly holdout: Uint32Array;
  readonly windows: { readonly train: DayWindow; readonly validation: DayWindow; readonly holdout: DayWindow };
  /** Rows left out: label not yet observed, or feature day inside a gap. */
  readonly excluded: { readonly unobserved: number; readonly gap: number };
}


function window(firstIndex: number, lastIndex: number): DayWindow {
  return { firstDay: firstIndex * DAY_MS, lastDay: lastIndex * DAY_MS, days: lastIndex - firstIndex + 1 };
}

/**
 * Splits rows by feature day. `labelObserved` (1/0 per row) may be null when every label is known.
 * Throws with the numbers when the labelled days cannot hold the three splits and two gaps.
 */
export function timeSplit(featureDays: ArrayLike<number>, labelObserved: ArrayLike<number> | null, options: TimeSplitOptions = {}): TimeSplit {
  const holdoutDays = options.holdoutDays ?? 14;
  const validationDays = options.validationDays ?? 14;
  const gapDays = options.gapDays ?? LABEL_HORIZON_DAYS;
  const minTrainDays = options.minTrainDays ?? 1;
  for (const [name, value, min] of [
    ['holdoutDays', holdoutDays, 1],
    ['validationDays', validationDays, 1],
    ['gapDays', gapDays, 0],
    ['minTrainDays', minTrainDays, 1],
  ] as const) {
    if (!Number.isInteger(value) || value < min) throw new Error(`timeSplit: ${name} must be an integer >= ${min}, got ${value}`);
  }
  const n = featureDays.length;
  if (labelObserved && labelObserved.length !== n) throw new Error(`timeSplit: ${n} feature days but ${labelObserved.length} label_observed flags`);
  const dayIndex = new Float64Array(n);
  let first = Infinity;
  let last = -Infinity;
  let unobserved = 0;
  for (let i = 0; i < n; i++) {
    const ms = featureDays[i] as number;
    if (!Number.isFinite(ms)) throw new Error(`timeSplit: row ${i}: feature day ${ms} is not a time`);
    const d = Math.floor(ms / DAY_MS);
    dayIndex[i] = d;
    if (labelObserved && labelObserved[i] !== 1) {
      unobserved++;
      continue;
    }
    if (d < first) first = d;
    if (d > last) last = d;
  }
  if (first === Infinity) throw new Error('timeSplit: no rows with an observed label');
  const holdoutFirst = last - holdoutDays + 1;
  const validationLast = holdoutFirst - gapDays - 1;
  const validationFirst = validationLast - validationDays + 1;
  const trainLast = validationFirst - gapDays - 1;
  const available = last - first + 1;
  if (trainLast - first + 1 < minTrainDays) {
    const needed = minTrainDays + gapDays + validationDays + gapDays + holdoutDays;
    throw new Error(
      `timeSplit: labelled feature days ${isoDay(first * DAY_MS)}..${isoDay(last * DAY_MS)} span ${available} days; ` +
        `${minTrainDays} train + ${gapDays} gap + ${validationDays} validation + ${gapDays} gap + ${holdoutDays} holdout days need ${needed}`,
    );
  }
  const train: number[] = [];
  const validation: number[] = [];
  const holdout: number[] = [];
  let gap = 0;
  for (let i = 0; i < n; i++) {
    if (labelObserved && labelObserved[i] !== 1) continue;
    const d = dayIndex[i] as number;
    if (d <= trainLast) train.push(i);
    else if (d >= validationFirst && d <= validationLast) validation.push(i);
    else if (d >= holdoutFirst) holdout.push(i);
    else gap++;
  }
  return {
    train: Uint32Array.from(train),
    validation: Uint32Array.from(validation),
    holdout: Uint32Array.from(holdout),
    windows: { train: window(first, trainLast), validation: window(validationFirst, validationLast), holdout: window(holdoutFirst, last) },
    excluded: { unobserved, gap },
  };
}
