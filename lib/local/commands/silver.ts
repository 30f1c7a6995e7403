import { UsageError, dateOption, tablesOption } from '../args.js';
import type { Command } from '../command.js';
import { rerunSilver } from '../pipelineRun.js';
import { withPlatform } from '../session.js';
import { printSilverAndGold } from './stageSummary.js';

export const silverCommand: Command = {
  name: 'silver',
  summary: 'Standardize the bronze of a date range to silver again, then its gold',
  usage: `lims-mlops silver --from YYYY-MM-DD --to YYYY-MM-DD [--tables a,b] [--rebuild] [--json]

Runs silver again for every unit committed to bronze on ingest dates in [from, to) (reference
tables first), through the same queue and handler as a fresh commit, then gold for the days
it touched. Rows silver holds at the same version stay as they are, so a rerun of unchanged
bronze writes nothing and duplicates nothing.
  --tables LIST   only these tables (default: all five)
  --rebuild       rewrite rows silver already holds at their version: after the standards
                  changed (a site's LOINC mapping, the UCUM table, PII_HASH_KEY)
  --json          print the counts as JSON`,
  options: { from: { type: 'string' }, to: { type: 'string' }, tables: { type: 'string' }, rebuild: { type: 'boolean' }, json: { type: 'boolean' } },
  prepare(values, _positionals, config) {
    const from = dateOption('silver', 'from', values.from as string | undefined);
    const to = dateOption('silver', 'to', values.to as string | undefined);
    if (!from || !to) throw new UsageError('silver: --from and --to are required (bronze ingest dates, YYYY-MM-DD)');
    if (from >= to) throw new UsageError('silver: --from must be before --to');
    const tables = tablesOption('silver', values.tables);
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const day = (date: Date) => date.toISOString().slice(0, 10);
        const counts = await rerunSilver(ctx, { from: day(from), to: day(to), tables, rebuild: values.rebuild === true });
        if (values.json) {
          console.log(JSON.stringify({ units: counts.units, silver: counts.silver, dataQuality: counts.dataQuality, gold: counts.gold, parked: counts.parked }, null, 2));
        } else {
          console.log(`${counts.units.toLocaleString('en-US')} bronze units ingested in [${day(from)}, ${day(to)})`);
          printSilverAndGold(counts, 'this rerun');
          if (counts.parked > 0) console.log(`\n${counts.parked} messages parked: see \`lims-mlops status\`.`);
        }
        return counts.parked > 0 ? 1 : 0;
      });
  },
};
