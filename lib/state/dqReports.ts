import type { TableClient } from '@azure/data-tables';
import { mergeDqReports, type DqReport } from '../quality/report.js';

interface DqEntity {
  partitionKey: string;
  rowKey: string;
  report: string;
  recordedAt: string;
}

/**
 * The data-quality report of every silver unit of work, kept in Table storage for `status`.
 * One entity per unit: a rerun or redelivery replaces its report instead of adding one.
 */
export class DqReportStore {
  constructor(private readonly table: TableClient) {}

  async record(unit: string, report: DqReport): Promise<void> {
    await this.table.upsertEntity<DqEntity>(
      { partitionKey: 'silver', rowKey: unit.replace(/[^A-Za-z0-9_.-]/g, '_'), report: JSON.stringify(report), recordedAt: new Date().toISOString() },
      'Replace',
    );
  }

  /** Every unit's report since `since`, summed per table and rule. */
  async since(since: Date): Promise<DqReport> {
    const reports: DqReport[] = [];
    const filter = `PartitionKey eq 'silver' and recordedAt ge '${since.toISOString()}'`;
    for await (const entity of this.table.listEntities<DqEntity>({ queryOptions: { filter } })) reports.push(JSON.parse(entity.report) as DqReport);
    return mergeDqReports(...reports);
  }
}
