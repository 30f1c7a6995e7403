/**
 * The manual review that outbreak detection is measured against: every Monday a reviewer looks
 * at each test and region and flags it when its positives over the past 7 days (Monday to
 * Sunday just ended) exceed the mean plus 2 SD (sample SD) of the four weekly totals before.
 * Alarms fall on Mondays only; the first possible review needs 35 days of history.
 */
export interface ManualReviewPoint {
  readonly value: number;
  readonly threshold: number;
  readonly alarm: boolean;
}

/** 0 = Sunday ... 1 = Monday. */
function weekdayOf(date: string): number {
  return new Date(`${date}T00:00:00Z`).getUTCDay();
}

/** One entry per day in [from, to]: the review on Mondays with 5 weeks of history, null otherwise. */
export function manualReview(positives: ArrayLike<number>, dates: readonly string[], from = 0, to = dates.length - 1, contiguousFrom = 0): (ManualReviewPoint | null)[] {
  const out: (ManualReviewPoint | null)[] = [];
  const week = (end: number): number => {
    let s = 0;
    for (let d = end - 6; d <= end; d++) s += positives[d]!;
    return s;
  };
  for (let t = from; t <= to; t++) {
    if (weekdayOf(dates[t]!) !== 1 || t - 35 < contiguousFrom) {
      out.push(null);
      continue;
    }
    const past = week(t - 1);
    const before = [week(t - 8), week(t - 15), week(t - 22), week(t - 29)];
    const mean = before.reduce((a, b) => a + b, 0) / 4;
    const sd = Math.sqrt(before.reduce((a, b) => a + (b - mean) ** 2, 0) / 3);
    const threshold = mean + 2 * sd;
    out.push({ value: past, threshold, alarm: past > threshold });
  }
  return out;
}
