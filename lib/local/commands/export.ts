import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import type { AppContext } from '../../app/context.js';
import type { LakeTable, PartitionValues } from '../../lake/lake.js';
import { rowsToParquet } from '../../lake/parquet.js';
import { findLakeTable, lakeTableName } from '../../pipeline/catalog.js';
import type { Row } from '../../sources/schema.js';
import { UsageError, dateOption } from '../args.js';
import type { Command } from '../command.js';
import { progress } from '../progress.js';
import { withPlatform } from '../session.js';

/** The first date-valued partition column decides whether a partition is inside --from/--to. */
function partitionDay(partition: PartitionValues): string | undefined {
  return Object.values(partition).find((v) => /^\d{4}-\d{2}-\d{2}$/.test(v));
}

function csvCell(value: unknown, type: string | undefined): string {
  if (value === null || value === undefined) return '';
  if ((type === 'timestamp' || type === 'date') && typeof value === 'number') {
    const iso = new Date(value).toISOString();
    return type === 'date' ? iso.slice(0, 10) : iso;
  }
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Streams rows partition by partition; CSV is written as it goes, Parquet at the end. */
async function exportTable(ctx: AppContext, table: LakeTable, out: string, from?: string, to?: string): Promise<number> {
  const partitions = (await ctx.lake.listPartitions(table))
    .filter((p) => {
      const day = partitionDay(p);
      return day === undefined || ((!from || day >= from) && (!to || day < to));
    })
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
  const partitionColumns = [...new Set(partitions.flatMap((p) => Object.keys(p)))];
  const columns = [...table.columns, ...partitionColumns.map((name) => ({ name, type: 'string' as const }))];
  const types = new Map(columns.map((c) => [c.name, c.type]));
  await mkdir(path.dirname(path.resolve(out)), { recursive: true });
  const csv = out.endsWith('.csv') ? createWriteStream(out) : undefined;
  csv?.write(`${columns.map((c) => c.name).join(',')}\n`);
  const collected: Row[] = [];
  const bar = progress(`export ${lakeTableName(table)}`, partitions.length);
  let rows = 0;
  for (const [index, partition] of partitions.entries()) {
    for await (const batch of ctx.lake.readPartition(table, partition)) {
      for (const row of batch) {
        const full = { ...row, ...partition };
        rows++;
        if (csv) {
          if (!csv.write(`${columns.map((c) => csvCell(full[c.name], types.get(c.name))).join(',')}\n`)) await once(csv, 'drain');
        } else {
          collected.push(full);
        }
      }
    }
    bar.update(index + 1, `${rows.toLocaleString('en-US')} rows`);
  }
  if (csv) {
    csv.end();
    await once(csv, 'finish');
  } else {
    await writeFile(out, rowsToParquet(columns, collected));
  }
  bar.finish(`${rows.toLocaleString('en-US')} rows to ${out}`);
  return rows;
}

export const exportCommand: Command = {
  name: 'export',
  summary: 'Pull any lake table into one Parquet or CSV file',
  usage: `lims-mlops export TABLE --out FILE.parquet|FILE.csv [--from YYYY-MM-DD] [--to YYYY-MM-DD]

TABLE is zone/name, e.g. gold/device_features, silver/lab_results, quarantine/lab_results,
bronze/devices (a bare name works when one zone has it). Partition columns are added to the
rows. --from/--to keep date partitions in [from, to). CSV timestamps are ISO 8601 UTC.`,
  options: { out: { type: 'string' }, from: { type: 'string' }, to: { type: 'string' } },
  positionals: 1,
  prepare(values, positionals, config) {
    const name = positionals[0];
    if (!name) throw new UsageError('export: name the table to export, e.g. gold/device_features');
    const table = findLakeTable(name);
    if ('error' in table) throw new UsageError(`export: ${table.error}`);
    const out = values.out;
    if (typeof out !== 'string' || !/\.(parquet|csv)$/.test(out)) throw new UsageError('export: --out must name a .parquet or .csv file');
    const from = dateOption('export', 'from', values.from as string | undefined)?.toISOString().slice(0, 10);
    const to = dateOption('export', 'to', values.to as string | undefined)?.toISOString().slice(0, 10);
    if (from && to && from >= to) throw new UsageError('export: --from must be before --to');
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const rows = await exportTable(ctx, table, out, from, to);
        if (rows === 0) console.error(`export: ${lakeTableName(table)} has no committed rows${from || to ? ' in that range' : ''}.`);
        return 0;
      });
  },
};
