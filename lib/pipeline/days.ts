/** UTC calendar days, as the lake's date partitions name them (YYYY-MM-DD). */

/** The UTC day (YYYY-MM-DD) of an epoch-ms instant. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Epoch ms of a day's start; a malformed date is refused with the value. */
export function dayMs(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms)) throw new Error(`Invalid date "${date}": expected YYYY-MM-DD`);
  return ms;
}
