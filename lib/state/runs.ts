import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';

/** One run of a stage over a unit of work, as the run ledger records it. */
export interface RunRecord {
  readonly runId: string;
  readonly stage: string;
  readonly unit: string;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly rowsIn: number;
  readonly rowsOut: number;
  readonly status: 'running' | 'succeeded' | 'failed';
  readonly error: string | null;
}

interface RunEntity extends Omit<RunRecord, 'endedAt' | 'error'> {
  partitionKey: string;
  rowKey: string;
  endedAt?: string;
  error?: string;
}

/** Newest first in Table storage's ascending RowKey order. */
export function invertedTime(ms: number): string {
  return String(8_640_000_000_000_000 - ms).padStart(16, '0');
}

export interface RunHandle {
  readonly runId: string;
  succeed(counts: { rowsIn: number; rowsOut: number }): Promise<void>;
  fail(error: unknown, counts?: { rowsIn: number; rowsOut: number }): Promise<void>;
}

export class RunLedger {
  constructor(private readonly table: TableClient) {}

  async start(stage: string, unit: string): Promise<RunHandle> {
    const started = Date.now();
    const runId = `${new Date(started).toISOString().replace(/[-:.]/g, '').slice(0, 15)}-${randomUUID().slice(0, 8)}`;
    const base: RunEntity = {
      partitionKey: stage,
      rowKey: `${invertedTime(started)}-${runId}`,
      runId,
      stage,
      unit,
      startedAt: new Date(started).toISOString(),
      rowsIn: 0,
      rowsOut: 0,
      status: 'running',
    };
    await this.table.createEntity(base);
    const finish = async (status: RunRecord['status'], counts: { rowsIn: number; rowsOut: number }, error?: string): Promise<void> => {
      const entity: RunEntity = { ...base, ...counts, status, endedAt: new Date().toISOString() };
      if (error !== undefined) entity.error = error.slice(0, 4000);
      await this.table.upsertEntity(entity, 'Replace');
    };
    return {
      runId,
      succeed: (counts) => finish('succeeded', counts),
      fail: (error, counts = { rowsIn: 0, rowsOut: 0 }) => finish('failed', counts, error instanceof Error ? error.message : String(error)),
    };
  }

  /** Most recent runs, newest first, across stages or for one stage. */
  async recent(limit: number, stage?: string): Promise<RunRecord[]> {
    const filter = stage ? `PartitionKey eq '${stage.replace(/'/g, "''")}'` : undefined;
    const records: RunRecord[] = [];
    for await (const entity of this.table.listEntities<RunEntity>(filter ? { queryOptions: { filter } } : {})) {
      records.push({ ...entity, endedAt: entity.endedAt ?? null, error: entity.error ?? null });
    }
    records.sort((a, b) => b.startedAt.localeCompare(a.startedAt));
    return records.slice(0, limit);
  }
}
