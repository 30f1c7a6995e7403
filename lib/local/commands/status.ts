import type { AppContext } from '../../app/context.js';
import { bronzeTable } from '../../pipeline/bronze.js';
import { LAKE_TABLES, lakeTableName } from '../../pipeline/catalog.js';
import type { DqReport } from '../../quality/report.js';
import { TABLES } from '../../platform/resources.js';
import { ParkedMessageLog, type ParkedMessage } from '../../queue/index.js';
import { LIMS_TABLE_NAMES } from '../../sources/schema.js';
import type { RunRecord } from '../../state/runs.js';
import { integerOption } from '../args.js';
import type { Command } from '../command.js';
import { formatTable, withPlatform } from '../session.js';
import { DAY_MS } from '../../calendar/days.js';

export interface StatusReport {
  readonly watermarks: Record<string, { modifiedAt: string | null; key: string | null; updatedAt: string | null }>;
  readonly bronze: Record<string, { partitions: number; files: number; rows: number }>;
  /** Every other lake table by zone/name. */
  readonly lake: Record<string, { partitions: number; files: number; rows: number }>;
  /** Data-quality reports of the silver units of the last 24 hours, summed. */
  readonly dataQuality: DqReport;
  readonly recentRuns: readonly RunRecord[];
  readonly parkedMessages: readonly ParkedMessage[];
}

export async function collectStatus(ctx: AppContext, runs = 10): Promise<StatusReport> {
  const states = await ctx.watermarks.all();
  const watermarks: StatusReport['watermarks'] = {};
  const bronze: StatusReport['bronze'] = {};
  for (const table of LIMS_TABLE_NAMES) {
    const mark = states[table]?.watermark;
    watermarks[table] = { modifiedAt: mark ? new Date(mark.modifiedAt).toISOString() : null, key: mark?.key ?? null, updatedAt: states[table]?.updatedAt ?? null };
    bronze[table] = await ctx.lake.countRows(bronzeTable(table));
  }
  const lake: StatusReport['lake'] = {};
  for (const table of LAKE_TABLES.filter((t) => t.zone !== 'bronze')) lake[lakeTableName(table)] = await ctx.lake.countRows(table);
  const parkedMessages = await new ParkedMessageLog(ctx.storage.table(TABLES.parked)).list();
  const dataQuality = await ctx.dqReports.since(new Date(Date.now() - DAY_MS));
  return { watermarks, bronze, lake, dataQuality, recentRuns: await ctx.ledger.recent(runs), parkedMessages };
}

export function printStatus(report: StatusReport): void {
  console.log('Bronze tables');
  console.log(
    formatTable(
      ['table', 'partitions', 'files', 'rows', 'watermark (modified_at)', 'key'],
      LIMS_TABLE_NAMES.map((t) => [t, report.bronze[t]!.partitions, report.bronze[t]!.files, report.bronze[t]!.rows, report.watermarks[t]!.modifiedAt ?? '-', report.watermarks[t]!.key ?? '-']),
    ),
  );
  console.log('\nSilver, quarantine and gold tables');
  console.log(formatTable(['table', 'partitions', 'files', 'rows'], Object.entries(report.lake).map(([name, c]) => [name, c.partitions, c.files, c.rows])));
  console.log('\nData quality (silver units of the last 24 hours)');
  const tables = Object.entries(report.dataQuality);
  console.log(
    tables.length === 0
      ? '(no silver runs in the last 24 hours)'
      : formatTable(
          ['table', 'rows in', 'passed', 'quarantined', 'rules broken (rows)'],
          tables.map(([table, r]) => [
            table,
            r?.rowsIn ?? 0,
            r?.passed ?? 0,
            r?.quarantined ?? 0,
            Object.entries(r?.failuresByRule ?? {}).filter(([, n]) => n > 0).map(([rule, n]) => `${rule} ${n}`).join('; ') || '-',
          ]),
        ),
  );
  console.log('\nRecent runs');
  console.log(
    report.recentRuns.length === 0
      ? '(none yet)'
      : formatTable(
          ['started', 'stage', 'unit', 'status', 'rows in', 'rows out', 'error'],
          report.recentRuns.map((r) => [r.startedAt, r.stage, r.unit, r.status, r.rowsIn, r.rowsOut, r.error ?? '']),
        ),
  );
  console.log(`\nParked messages: ${report.parkedMessages.length}`);
  for (const parked of report.parkedMessages.slice(0, 20)) console.log(`  ${parked.parkedAt.toISOString()}  ${parked.queue}  ${parked.reason}`);
}

export const statusCommand: Command = {
  name: 'status',
  summary: 'Show watermarks, lake tables, data quality, recent runs and parked messages',
  usage: `lims-mlops status [--json] [--runs N]`,
  options: { json: { type: 'boolean' }, runs: { type: 'string' } },
  prepare(values, _positionals, config) {
    const runs = integerOption('status', 'runs', values.runs as string | undefined, 10, 1, 1000);
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const report = await collectStatus(ctx, runs);
        if (values.json) console.log(JSON.stringify(report, null, 2));
        else printStatus(report);
        return 0;
      });
  },
};
