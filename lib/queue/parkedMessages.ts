import { odata, type TableClient } from '@azure/data-tables';
import { onceSucceeded } from './once.js';

/** A message moved aside after its last attempt (or because it could not be read at all). */
export interface ParkedMessage {
  readonly queue: string;
  readonly id: string;
  /** The body as JSON text, or the raw message text when it was not valid JSON. */
  readonly body: string;
  readonly reason: string;
  readonly attempts: number;
  readonly parkedAt: Date;
}

interface ParkedEntity {
  body: string;
  bodyTruncated: boolean;
  reason: string;
  attempts: number;
  parkedAt: Date;
}

// Table string properties hold at most 32K UTF-16 characters; the full body stays in the
// poison queue / dead-letter queue, the table keeps enough to see what failed.
const MAX_BODY_CHARS = 30_000;
const MAX_REASON_CHARS = 2_000;

/**
 * The parked-messages Table (PK = queue, RK = message id): one place that lists what was parked,
 * whichever queue provider or Functions trigger parked it.
 */
export class ParkedMessageLog {
  // Created on first use as well as at deployment: a missing table must not stop a park.
  private readonly ensureTable: () => Promise<void>;

  constructor(private readonly table: TableClient) {
    this.ensureTable = onceSucceeded(() => table.createTable());
  }

  async record(parked: ParkedMessage): Promise<void> {
    await this.ensureTable();
    const entity: ParkedEntity = {
      body: parked.body.slice(0, MAX_BODY_CHARS),
      bodyTruncated: parked.body.length > MAX_BODY_CHARS,
      reason: parked.reason.slice(0, MAX_REASON_CHARS),
      attempts: parked.attempts,
      parkedAt: parked.parkedAt,
    };
    await this.table.upsertEntity({ partitionKey: parked.queue, rowKey: rowKeyFor(parked.id), ...entity }, 'Replace');
  }

  /** Parked messages, oldest first; all queues unless one is named. */
  async list(queue?: string): Promise<ParkedMessage[]> {
    const filter = queue === undefined ? undefined : odata`PartitionKey eq ${queue}`;
    const parked: ParkedMessage[] = [];
    for await (const entity of this.table.listEntities<ParkedEntity>({ queryOptions: { filter } })) {
      // Keys are always present on entities read back; the SDK types them optional.
      const { partitionKey = '', rowKey = '' } = entity;
      parked.push({
        queue: partitionKey,
        id: decodeURIComponent(rowKey),
        body: entity.body,
        reason: entity.reason,
        attempts: entity.attempts,
        parkedAt: new Date(entity.parkedAt),
      });
    }
    return parked.sort((a, b) => a.parkedAt.getTime() - b.parkedAt.getTime());
  }
}

/** Row keys may not contain / \ # ? (Service Bus message ids can); percent-encoding is reversible. */
function rowKeyFor(messageId: string): string {
  return encodeURIComponent(messageId);
}
