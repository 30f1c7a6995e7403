import { weightedLookup, type Rng } from './random.js';

/** When samples arrive: fewer at weekends, a morning peak every day (all in UTC). */

/** Volume by UTC weekday (Sunday first), averaging 1 over a week. */
export const WEEKDAY_VOLUME: readonly number[] = [0.6, 1.15, 1.15, 1.15, 1.15, 1.1, 0.7];

/** Relative sample arrivals per hour of the day: quiet nights, morning peak. */
const HOURLY_ARRIVALS = [0.15, 0.1, 0.1, 0.1, 0.15, 0.3, 0.8, 1.8, 2.6, 2.8, 2.6, 2.2, 1.6, 1.4, 1.5, 1.4, 1.2, 1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2];
const ARRIVAL_SLOTS = 4096;
const ARRIVAL_MINUTE = weightedLookup(
  Array.from({ length: 1440 }, (_, minute) => HOURLY_ARRIVALS[Math.floor(minute / 60)] ?? 0),
  ARRIVAL_SLOTS,
);
const MINUTE_MS = 60_000;

/** A sample's arrival time (epoch ms) on the day starting at `dayStart`. */
export function arrivalTime(dayStart: number, rng: Rng): number {
  return dayStart + ARRIVAL_MINUTE[(rng.next() * ARRIVAL_SLOTS) | 0]! * MINUTE_MS + Math.floor(rng.next() * MINUTE_MS);
}
