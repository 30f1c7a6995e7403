import { RestError, type TableClient } from '@azure/data-tables';
import type { Watermark } from '../sources/schema.js';

/**
 * Ingestion position per source table, in Table storage.
 *
 * Besides the (modified_at, key) watermark it keeps the keys already ingested inside the
 * overlap window behind the watermark, so that a late-committed row found on the next pass is
 * ingested once and the rows already taken are not taken again; and the bronze partition of a
 * unit of work in flight, so that a rerun after a crash replaces that unit instead of adding a
 * copy to another day's partition.
 */
export interface IngestState {
  readonly watermark: Watermark | null;
  /** `${modified_at}|${key}` of rows ingested with modified_at inside the overlap window. */
  readonly recentKeys: readonly string[];
  readonly pending: { readonly unit: string; readonly partition: string } | null;
  readonly updatedAt: string | null;
}

const EMPTY: IngestState = { watermark: null, recentKeys: [], pending: null, updatedAt: null };
/** Table storage caps a string property at 64 KiB (32K UTF-16 characters). */
const CHUNK_CHARS = 30_000;
/** ... and an entity at 1 MiB: keep the recent keys well inside it. */
const MAX_CHUNKS = 14;

interface WatermarkEntity {
  partitionKey: string;
  rowKey: string;
  modifiedAt?: number;
  watermarkKey?: string;
  pendingUnit?: string;
  pendingPartition?: string;
  updatedAt?: string;
  [chunk: `recent${number}`]: string | undefined;
}

export class WatermarkStore {
  constructor(
    private readonly table: TableClient,
    private readonly scope = 'bronze',
  ) {}

  async get(sourceTable: string): Promise<IngestState> {
    try {
      const entity = await this.table.getEntity<WatermarkEntity>(this.scope, sourceTable);
      return fromEntity(entity);
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return EMPTY;
      throw error;
    }
  }

  async all(): Promise<Record<string, IngestState>> {
    const states: Record<string, IngestState> = {};
    const entities = this.table.listEntities<WatermarkEntity>({ queryOptions: { filter: `PartitionKey eq '${this.scope}'` } });
    for await (const entity of entities) states[entity.rowKey] = fromEntity(entity);
    return states;
  }

  async put(sourceTable: string, state: IngestState): Promise<void> {
    await this.table.upsertEntity(toEntity(this.scope, sourceTable, state), 'Replace');
  }
}

function fromEntity(entity: WatermarkEntity): IngestState {
  const chunks: string[] = [];
  for (let i = 0; entity[`recent${i}`] !== undefined; i++) chunks.push(entity[`recent${i}`] ?? '');
  const joined = chunks.join('');
  return {
    watermark: entity.modifiedAt !== undefined && entity.watermarkKey !== undefined ? { modifiedAt: entity.modifiedAt, key: entity.watermarkKey } : null,
    recentKeys: joined === '' ? [] : joined.split('\n'),
    pending: entity.pendingUnit && entity.pendingPartition ? { unit: entity.pendingUnit, partition: entity.pendingPartition } : null,
    updatedAt: entity.updatedAt ?? null,
  };
}

function toEntity(scope: string, sourceTable: string, state: IngestState): WatermarkEntity {
  const entity: WatermarkEntity = { partitionKey: scope, rowKey: sourceTable, updatedAt: new Date().toISOString() };
  if (state.watermark) {
    entity.modifiedAt = state.watermark.modifiedAt;
    entity.watermarkKey = state.watermark.key;
  }
  if (state.pending) {
    entity.pendingUnit = state.pending.unit;
    entity.pendingPartition = state.pending.partition;
  }
  const joined = state.recentKeys.join('\n');
  if (joined.length > CHUNK_CHARS * MAX_CHUNKS) {
    throw new Error(
      `Too many rows (${state.recentKeys.length}) inside the overlap window of ${sourceTable} to remember; lower INGEST_OVERLAP_MINUTES.`,
    );
  }
  for (let i = 0; i * CHUNK_CHARS < joined.length; i++) entity[`recent${i}`] = joined.slice(i * CHUNK_CHARS, (i + 1) * CHUNK_CHARS);
  return entity;
}
