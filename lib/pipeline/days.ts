/** UTC calendar days, as the lake's date partitions name them (YYYY-MM-DD). */

import { DAY_MS } from '../features/deviceFeatures.js';

/** Day names by day number: isoDay runs once per row when silver partitions a batch. */
const dayNames = new Map<number, string>();

/** The UTC day (YYYY-MM-DD) of an epoch-ms instant. */
export function isoDay(ms: number): string {
  const day = Math.floor(ms / DAY_MS);
  let name = dayNames.get(day);
  if (name === undefined) {
    name = new Date(day * DAY_MS).toISOString().slice(0, 10);
    if (dayNames.size >= 100_000) dayNames.clear();
    dayNames.set(day, name);
  }
  return name;
}

/** Epoch ms of a day's start; a malformed date is refused with the value. */
export function dayMs(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms)) throw new Error(`Invalid date "${date}": expected YYYY-MM-DD`);
  return ms;
}
