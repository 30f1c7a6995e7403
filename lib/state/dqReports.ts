import type { TableClient } from '@azure/data-tables';
import { mergeDqReports, type DqReport } from '../quality/report.js';

interface DqEntity {
  partitionKey: string;
  rowKey: string;
  report: string;
  recordedAt: string;
}

/** Newest first in Table storage's ascending RowKey order. */
function invertedTime(ms: number): string {
  return String(8_640_000_000_000_000 - ms).padStart(16, '0');
}

/** The data-quality report of every silver unit of work, kept in Table storage for `status`. */
export class DqReportStore {
  constructor(private readonly table: TableClient) {}

  async record(unit: string, report: DqReport): Promise<void> {
    const now = Date.now();
    await this.table.upsertEntity<DqEntity>({
      partitionKey: 'silver',
      rowKey: `${invertedTime(now)}-${unit.replace(/[^A-Za-z0-9_.-]/g, '_')}`,
      report: JSON.stringify(report),
      recordedAt: new Date(now).toISOString(),
    });
  }

  /** Every unit's report since `since`, summed per table and rule. */
  async since(since: Date): Promise<DqReport> {
    const reports: DqReport[] = [];
    const filter = `PartitionKey eq 'silver' and RowKey lt '${invertedTime(since.getTime())}'`;
    for await (const entity of this.table.listEntities<DqEntity>({ queryOptions: { filter } })) reports.push(JSON.parse(entity.report) as DqReport);
    return mergeDqReports(...reports);
  }
}
