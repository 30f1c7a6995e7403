import { randomUUID } from 'node:crypto';
import { RestError, type TableClient } from '@azure/data-tables';
import { readBlobText } from '../platform/blobs.js';
import type { ContainerClient } from '@azure/storage-blob';
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
  /** Fingerprints of row versions ingested inside the overlap window (kept in a blob). */
  readonly recentKeys: readonly string[];
  readonly pending: { readonly unit: string; readonly partition: string } | null;
  readonly updatedAt: string | null;
}

const EMPTY: IngestState = { watermark: null, recentKeys: [], pending: null, updatedAt: null };

interface WatermarkEntity {
  partitionKey: string;
  rowKey: string;
  modifiedAt?: number;
  watermarkKey?: string;
  pendingUnit?: string;
  pendingPartition?: string;
  updatedAt?: string;
  /** Blob holding the overlap window's row-version keys (bursts exceed an entity's 1 MiB). */
  overlapBlob?: string;
}

export class WatermarkStore {
  /** The overlap blob each table's entity points at, and the keys it holds, as last read or written. */
  private readonly overlap = new Map<string, { blob: string; keys: readonly string[] }>();

  constructor(
    private readonly table: TableClient,
    private readonly container: ContainerClient,
    private readonly scope = 'bronze',
  ) {}

  async get(sourceTable: string): Promise<IngestState> {
    let entity: WatermarkEntity;
    try {
      entity = await this.table.getEntity<WatermarkEntity>(this.scope, sourceTable);
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return EMPTY;
      throw error;
    }
    const recentKeys = entity.overlapBlob ? await this.readKeys(entity.overlapBlob) : [];
    if (entity.overlapBlob) this.overlap.set(sourceTable, { blob: entity.overlapBlob, keys: recentKeys });
    return { ...fromEntity(entity), recentKeys };
  }

  async all(): Promise<Record<string, Omit<IngestState, 'recentKeys'>>> {
    const states: Record<string, Omit<IngestState, 'recentKeys'>> = {};
    const entities = this.table.listEntities<WatermarkEntity>({ queryOptions: { filter: `PartitionKey eq '${this.scope}'` } });
    for await (const entity of entities) states[entity.rowKey] = fromEntity(entity);
    return states;
  }

  /** Writes the keys blob (when they changed), then switches the entity to it in one step. */
  async put(sourceTable: string, state: IngestState): Promise<void> {
    const previous = this.overlap.get(sourceTable);
    let blob = previous?.keys === state.recentKeys ? previous.blob : undefined;
    if (blob === undefined && state.recentKeys.length > 0) {
      blob = `_state/overlap/${this.scope}/${sourceTable}/${Date.now().toString(36)}-${randomUUID().slice(0, 8)}.txt`;
      const body = state.recentKeys.join('\n');
      await this.container.getBlockBlobClient(blob).upload(body, Buffer.byteLength(body));
    }
    await this.table.upsertEntity(toEntity(this.scope, sourceTable, state, blob), 'Replace');
    if (blob) this.overlap.set(sourceTable, { blob, keys: state.recentKeys });
    else this.overlap.delete(sourceTable);
    if (previous && previous.blob !== blob) await this.container.getBlobClient(previous.blob).deleteIfExists();
  }

  private async readKeys(blob: string): Promise<string[]> {
    const text = await readBlobText(this.container.getBlobClient(blob));
    return text === '' ? [] : text.split('\n');
  }
}

function fromEntity(entity: WatermarkEntity): Omit<IngestState, 'recentKeys'> {
  return {
    watermark: entity.modifiedAt !== undefined && entity.watermarkKey !== undefined ? { modifiedAt: entity.modifiedAt, key: entity.watermarkKey } : null,
    pending: entity.pendingUnit && entity.pendingPartition ? { unit: entity.pendingUnit, partition: entity.pendingPartition } : null,
    updatedAt: entity.updatedAt ?? null,
  };
}

function toEntity(scope: string, sourceTable: string, state: IngestState, overlapBlob: string | undefined): WatermarkEntity {
  const entity: WatermarkEntity = { partitionKey: scope, rowKey: sourceTable, updatedAt: new Date().toISOString() };
  if (state.watermark) {
    entity.modifiedAt = state.watermark.modifiedAt;
    entity.watermarkKey = state.watermark.key;
  }
  if (state.pending) {
    entity.pendingUnit = state.pending.unit;
    entity.pendingPartition = state.pending.partition;
  }
  if (overlapBlob) entity.overlapBlob = overlapBlob;
  return entity;
}
