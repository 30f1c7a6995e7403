import type { LimsTableName, Row, Watermark } from './schema.js';

/**
 * A LIMS database seen as change streams, one per table, ordered by (modified_at, key).
 * Implementations: the SQL Server source (`mssql`) and the built-in simulator's store.
 */
export interface LimsSource {
  readonly kind: string;
  /**
   * Up to `limit` rows of `table` strictly after `after` (all rows when `after` is null),
   * ordered by (modified_at, key), and with modified_at <= `until` when given.
   * Values use the in-memory representation of `schema.ts`.
   */
  readPage(table: LimsTableName, after: Watermark | null, limit: number, until?: number): Promise<Row[]>;
  close(): Promise<void>;
}
