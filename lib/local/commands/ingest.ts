import { bronzeDeps } from '../../app/stages.js';
import { backfillTable, type TableIngestResult } from '../../pipeline/bronze.js';
import { UsageError, dateOption, tablesOption } from '../args.js';
import type { Command } from '../command.js';
import { progress } from '../progress.js';
import { ingestWithProgress } from '../pipelineRun.js';
import { formatTable, withPlatform } from '../session.js';

export const ingestCommand: Command = {
  name: 'ingest',
  summary: 'Pull new and changed LIMS rows into bronze (or backfill a date range)',
  usage: `lims-mlops ingest [--from YYYY-MM-DD --to YYYY-MM-DD] [--tables a,b]

Without dates: incremental pull from each table's watermark (what the timer does); each
committed page is queued for silver, which \`lims-mlops serve\` or \`run\` processes.
With --from/--to: re-pull rows modified in [from, to) whatever the watermark (a backfill).
  --tables LIST   only these tables (default: all five)`,
  options: { from: { type: 'string' }, to: { type: 'string' }, tables: { type: 'string' } },
  prepare(values, _positionals, config) {
    const from = dateOption('ingest', 'from', values.from as string | undefined);
    const to = dateOption('ingest', 'to', values.to as string | undefined);
    if ((from === undefined) !== (to === undefined)) throw new UsageError('ingest: --from and --to go together');
    if (from && to && from >= to) throw new UsageError('ingest: --from must be before --to');
    const tables = tablesOption('ingest', values.tables);
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        let results: TableIngestResult[];
        if (from && to) {
          results = [];
          for (const table of tables) {
            const bar = progress(`backfill ${table}`, undefined);
            results.push(await backfillTable(bronzeDeps(ctx), table, from, to, { pageSize: config.INGEST_PAGE_SIZE, overlapMinutes: 0, onProgress: (_t, n) => bar.update(n, 'rows') }));
            bar.finish();
          }
        } else {
          results = await ingestWithProgress(ctx, tables);
        }
        console.log(formatTable(['table', 'rows read', 'rows written', 'pages'], results.map((r) => [r.table, r.rowsRead, r.rowsWritten, r.pages])));
        return 0;
      });
  },
};
