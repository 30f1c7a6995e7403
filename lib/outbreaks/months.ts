import { readColumns, type Columns } from '../drift/lakeColumns.js';
import type { Lake, PartitionListing } from '../lake/lake.js';
import { OUTBREAK_SERIES, OUTBREAK_SERIES_MONTHS } from '../pipeline/goldTables.js';
import type { Row } from '../sources/schema.js';

/**
 * Previous years' outbreak series read a month at a time. The daily job looks back on 5 years
 * of 7 weeks around its day: 245 daily partitions, two GETs and a small Parquet file each. A
 * packed month (gold outbreak_series_months) holds a month of days in one file and records the
 * manifest ETags of the days it was packed from; it is used while one listing of the month's
 * daily partitions shows the same ETags, and packed again from the days otherwise (a corrected
 * day, a day that arrived late). The daily partitions stay the truth; a packed month is a copy.
 */

/** The columns of a packed month the series are built from. */
const PACKED_COLUMNS = ['series_date', 'loinc_code', 'loinc_name', 'region', 'tests', 'positives'];

/** `YYYY-MM` of an ISO day. */
export function monthOf(date: string): string {
  return date.slice(0, 7);
}

function sameSources(recorded: Readonly<Record<string, string>> | undefined, days: readonly PartitionListing[]): boolean {
  if (!recorded || Object.keys(recorded).length !== days.length) return false;
  return days.every((d) => recorded[d.path] === d.etag);
}

/** The days of a month packed from its daily partitions (listed in `days`) and committed. */
async function pack(lake: Lake, month: string, days: readonly PartitionListing[]): Promise<void> {
  const rows: Row[] = [];
  for (const day of [...days].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const series_date = day.partition.series_date!;
    for (const row of await lake.readRows(OUTBREAK_SERIES, day.partition)) rows.push({ series_date, ...row });
  }
  const writer = lake.writer(OUTBREAK_SERIES_MONTHS, { series_month: month }, `pack-${month}`);
  await writer.write(rows);
  await writer.commit('replace', { sources: Object.fromEntries(days.map((d) => [d.path, d.etag])) });
}

/** A view of rows [from, to) of a batch (no copy). */
function sliceOf(batch: Columns, from: number, to: number): Columns {
  return {
    length: to - from,
    number: (name) => batch.number(name).subarray(from, to),
    text: (name) => batch.text(name).slice(from, to),
    codes: (name) => {
      const { codes, values } = batch.codes(name);
      return { codes: codes.subarray(from, to), values };
    },
  };
}

/** The packed rows of `wanted` days, split by day (a packed file is sorted by day). */
function byDay(batches: readonly Columns[], wanted: ReadonlySet<string>, out: Map<string, Columns[]>): void {
  for (const batch of batches) {
    const { codes, values } = batch.codes('series_date');
    for (let start = 0; start < batch.length; ) {
      let end = start + 1;
      while (end < batch.length && codes[end] === codes[start]) end++;
      const date = codes[start]! < 0 ? undefined : values[codes[start]!];
      if (date !== undefined && wanted.has(date)) out.set(date, [...(out.get(date) ?? []), sliceOf(batch, start, end)]);
      start = end;
    }
  }
}

/**
 * The outbreak_series of `dates` (days of past months), by day as `readSeriesDays` gives them,
 * read from each month's packed copy, packed first where it is missing or stale.
 */
export async function readPackedMonths(lake: Lake, dates: readonly string[]): Promise<{ byDate: Map<string, Columns[]>; packed: number }> {
  const months = [...new Set(dates.map(monthOf))];
  const wanted = new Set(dates);
  const byDate = new Map<string, Columns[]>(dates.map((d) => [d, []]));
  let packed = 0;
  await Promise.all(
    months.map(async (month) => {
      const partition = { series_month: month };
      const [days, copy] = await Promise.all([lake.listManifests(OUTBREAK_SERIES, `series_date=${month}-`), lake.readManifest(OUTBREAK_SERIES_MONTHS, partition)]);
      if (days.length === 0) return;
      let manifest = copy;
      if (!sameSources(copy?.sources, days)) {
        await pack(lake, month, days);
        packed++;
        manifest = undefined;
      }
      byDay(await readColumns(lake, OUTBREAK_SERIES_MONTHS, partition, PACKED_COLUMNS, manifest), wanted, byDate);
    }),
  );
  return { byDate, packed };
}
