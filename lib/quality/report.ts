import type { LimsTableName } from '../sources/schema.js';
import type { Evaluation, PositionEvaluation } from './evaluate.js';

/** One table's data quality over a run (or several runs, merged). */
export interface TableDqReport {
  readonly rowsIn: number;
  readonly passed: number;
  readonly quarantined: number;
  /** Rows that broke each rule (a row can break several; warnings are counted too). */
  readonly failuresByRule: Readonly<Record<string, number>>;
}

/** Data quality per LIMS table; tables that were not evaluated are absent. */
export type DqReport = Readonly<Partial<Record<LimsTableName, TableDqReport>>>;

export function reportOf(table: LimsTableName, evaluation: Evaluation | PositionEvaluation): DqReport {
  const passed = evaluation.passed.length;
  const quarantined = evaluation.quarantined.length;
  return { [table]: { rowsIn: passed + quarantined, passed, quarantined, failuresByRule: { ...evaluation.counts } } };
}

function addTable(a: TableDqReport, b: TableDqReport): TableDqReport {
  const failuresByRule: Record<string, number> = { ...a.failuresByRule };
  for (const [rule, count] of Object.entries(b.failuresByRule)) failuresByRule[rule] = (failuresByRule[rule] ?? 0) + count;
  return { rowsIn: a.rowsIn + b.rowsIn, passed: a.passed + b.passed, quarantined: a.quarantined + b.quarantined, failuresByRule };
}

/** Sums reports table by table and rule by rule (batches of a run, or runs of a day). */
export function mergeDqReports(...reports: DqReport[]): DqReport {
  const merged: Partial<Record<LimsTableName, TableDqReport>> = {};
  for (const report of reports) {
    for (const [table, counts] of Object.entries(report) as [LimsTableName, TableDqReport | undefined][]) {
      if (!counts) continue;
      const earlier = merged[table];
      merged[table] = earlier ? addTable(earlier, counts) : counts;
    }
  }
  return merged;
}
