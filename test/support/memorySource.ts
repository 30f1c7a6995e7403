import { LIMS_TABLES, compareToWatermark, type LimsTableName, type Row, type Watermark } from '../../lib/sources/schema.js';
import type { LimsSource } from '../../lib/sources/source.js';

/** A LIMS held in memory, where a test decides which rows are committed when. */
export class MemorySource implements LimsSource {
  readonly kind = 'memory';
  private readonly tables = new Map<LimsTableName, Row[]>();
  /** Throw on the n-th readPage call (1-based) to inject a crash. */
  failOnRead: number | null = null;
  private reads = 0;

  insert(table: LimsTableName, rows: readonly Row[]): void {
    const spec = LIMS_TABLES[table];
    const all = [...(this.tables.get(table) ?? []), ...rows];
    all.sort((a, b) => compareToWatermark(a, spec, { modifiedAt: b[spec.modifiedColumn] as number, key: String(b[spec.key]) }));
    this.tables.set(table, all);
  }

  async readPage(table: LimsTableName, after: Watermark | null, limit: number, until?: number): Promise<Row[]> {
    this.reads++;
    if (this.failOnRead === this.reads) throw new Error('injected source failure');
    const spec = LIMS_TABLES[table];
    return (this.tables.get(table) ?? [])
      .filter((row) => !after || compareToWatermark(row, spec, after) > 0)
      .filter((row) => until === undefined || (row[spec.modifiedColumn] as number) <= until)
      .slice(0, limit);
  }

  async close(): Promise<void> {}
}

/** Device-log rows: the smallest table, enough to exercise ingestion. */
export function deviceLogs(count: number, start: number, stepMs = 60_000, prefix = 'L'): Row[] {
  return Array.from({ length: count }, (_, i) => ({
    log_id: `${prefix}${String(i).padStart(6, '0')}`,
    device_id: `DEV-${i % 7}`,
    logged_at: start + i * stepMs,
    level: i % 10 === 0 ? 'ERROR' : 'INFO',
    event_code: 'E100',
    message: `event ${i}`,
    modified_at: start + i * stepMs,
  }));
}
