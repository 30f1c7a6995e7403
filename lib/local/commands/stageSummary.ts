import { LIMS_TABLE_NAMES } from '../../sources/schema.js';
import type { PipelineCounts } from '../pipelineRun.js';
import { formatTable } from '../session.js';

/** Silver's rows in, out and quarantined per table, the data-quality rules broken, and gold's rows. */
export function printSilverAndGold(counts: Pick<PipelineCounts, 'silver' | 'dataQuality' | 'gold'>, scope: string): void {
  console.log(`\nSilver standardization (${scope})`);
  console.log(
    formatTable(
      ['table', 'rows in', 'rows out', 'quarantined'],
      LIMS_TABLE_NAMES.map((t) => [t, counts.silver[t]?.rowsIn ?? 0, counts.silver[t]?.rowsOut ?? 0, counts.silver[t]?.quarantined ?? 0]),
    ),
  );
  const rules = Object.entries(counts.dataQuality).flatMap(([table, report]) =>
    Object.entries(report?.failuresByRule ?? {}).filter(([, n]) => n > 0).map(([rule, n]) => [table, rule, n] as [string, string, number]),
  );
  console.log(`\nData-quality rules broken (${scope})`);
  console.log(rules.length === 0 ? '(none)' : formatTable(['table', 'rule', 'rows'], rules));
  const g = counts.gold;
  console.log('\nGold');
  console.log(
    formatTable(
      ['table', 'rows'],
      [
        ['device_daily', g.deviceDays],
        ['qc_daily', g.qcGroups],
        ['outbreak_series', g.seriesRows],
        ['device_features', g.featureRows],
      ],
    ),
  );
}
