/** UTC calendar days: epoch-ms day starts and their names (YYYY-MM-DD), as the lake's date partitions name them. */

export const DAY_MS = 86_400_000;

/** Start (epoch ms) of the UTC day holding `ms`. */
export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

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

/** Days (since the epoch) whose YYYYMMDD is remembered: 1900-01-01 to 2099-12-31, birth dates and result times. */
const FIRST_CACHED_DAY = -25_567;
const civilDates = new Int32Array(73_049);

/**
 * The UTC date of an epoch-ms instant as the number YYYYMMDD, by arithmetic (H. Hinnant's
 * civil_from_days): no Date object, for per-row work such as age bands. Remembered per day, as
 * a unit's rows share few days and its patients' birth dates recur.
 */
export function civilDate(ms: number): number {
  const day = Math.floor(ms / DAY_MS);
  const slot = day - FIRST_CACHED_DAY;
  if (slot < 0 || slot >= civilDates.length) return civilDateOfDay(day);
  return civilDates[slot] || (civilDates[slot] = civilDateOfDay(day));
}

function civilDateOfDay(days: number): number {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const dayOfEra = z - era * 146_097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460) + Math.floor(dayOfEra / 36_524) - Math.floor(dayOfEra / 146_096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthFromMarch = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthFromMarch + 2) / 5) + 1;
  const month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9;
  const year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
  return year * 10_000 + month * 100 + day;
}

/** Epoch ms of a day's start; a malformed date is refused with the value. */
export function dayMs(date: string): number {
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || Number.isNaN(ms)) throw new Error(`Invalid date "${date}": expected YYYY-MM-DD`);
  return ms;
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/** Every day `from`..`to`, inclusive. */
export function dateRange(from: string, to: string): string[] {
  const n = daysBetween(from, to) + 1;
  return Array.from({ length: Math.max(0, n) }, (_, i) => addDays(from, i));
}
