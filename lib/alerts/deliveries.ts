import { RestError, type TableClient } from '@azure/data-tables';
import { tableKey } from './events.js';

/**
 * Every delivery (one alert notice or report, one channel) and every attempt at it, in Table
 * storage: PK = the delivery id; RK `summary` holds the current status, RK `attempt-NNN` one
 * row per attempt with its outcome. A parked delivery keeps its reason here and in the
 * parked-messages table.
 */
export type Channel = 'email' | 'slack' | 'pagerduty';
export type DeliveryStatus = 'queued' | 'sent' | 'retrying' | 'parked';

export interface DeliverySummary {
  readonly id: string;
  readonly channel: Channel;
  /** "alert" or "report". */
  readonly what: 'alert' | 'report';
  /** Alert kind/subject, or the report date. */
  readonly about: string;
  readonly severity: string | null;
  readonly action: string | null;
  readonly recipients: number;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly reference: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface DeliveryAttempt {
  readonly id: string;
  readonly attempt: number;
  readonly at: string;
  readonly outcome: 'sent' | 'failed';
  readonly error: string | null;
}

type SummaryEntity = Omit<DeliverySummary, 'id' | 'lastError' | 'reference' | 'severity' | 'action'> & {
  partitionKey: string;
  rowKey: string;
  deliveryId: string;
  severity?: string;
  action?: string;
  lastError?: string;
  reference?: string;
};

export class DeliveryLog {
  constructor(private readonly table: TableClient) {}

  /** Records a delivery as queued; a delivery already known keeps its status and attempts. */
  async queued(deliveries: readonly Pick<DeliverySummary, 'id' | 'channel' | 'what' | 'about' | 'severity' | 'action' | 'recipients'>[]): Promise<void> {
    const now = new Date().toISOString();
    await Promise.all(
      deliveries.map(async (d) => {
        const entity: SummaryEntity = {
          partitionKey: tableKey(d.id),
          rowKey: 'summary',
          deliveryId: d.id,
          channel: d.channel,
          what: d.what,
          about: d.about,
          ...(d.severity ? { severity: d.severity } : {}),
          ...(d.action ? { action: d.action } : {}),
          recipients: d.recipients,
          status: 'queued',
          attempts: 0,
          createdAt: now,
          updatedAt: now,
        };
        try {
          await this.table.createEntity(entity);
        } catch (error) {
          if (!(error instanceof RestError && error.statusCode === 409)) throw error;
        }
      }),
    );
  }

  async get(id: string): Promise<DeliverySummary | undefined> {
    try {
      return fromEntity(await this.table.getEntity<SummaryEntity>(tableKey(id), 'summary'));
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }

  /** One attempt's outcome: its own row, then the summary. */
  async attempt(id: string, attempt: number, outcome: 'sent' | 'failed', status: DeliveryStatus, detail: { error?: string; reference?: string }): Promise<void> {
    const at = new Date().toISOString();
    await this.table.upsertEntity(
      { partitionKey: tableKey(id), rowKey: `attempt-${String(attempt).padStart(3, '0')}`, deliveryId: id, attempt, at, outcome, ...(detail.error ? { error: detail.error.slice(0, 2000) } : {}) },
      'Replace',
    );
    await this.table.upsertEntity(
      {
        partitionKey: tableKey(id),
        rowKey: 'summary',
        status,
        attempts: attempt,
        updatedAt: at,
        ...(detail.error ? { lastError: detail.error.slice(0, 2000) } : {}),
        ...(detail.reference ? { reference: detail.reference.slice(0, 1000) } : {}),
      },
      'Merge',
    );
  }

  async list(): Promise<DeliverySummary[]> {
    const out: DeliverySummary[] = [];
    for await (const entity of this.table.listEntities<SummaryEntity>({ queryOptions: { filter: `RowKey eq 'summary'` } })) out.push(fromEntity(entity));
    return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  }

  async attempts(id: string): Promise<DeliveryAttempt[]> {
    const out: DeliveryAttempt[] = [];
    const filter = `PartitionKey eq '${tableKey(id).replace(/'/g, "''")}' and RowKey ge 'attempt-' and RowKey lt 'attempt.'`;
    for await (const e of this.table.listEntities<{ attempt: number; at: string; outcome: 'sent' | 'failed'; error?: string }>({ queryOptions: { filter } })) {
      out.push({ id, attempt: e.attempt, at: e.at, outcome: e.outcome, error: e.error ?? null });
    }
    return out.sort((a, b) => a.attempt - b.attempt);
  }
}

function fromEntity(e: SummaryEntity): DeliverySummary {
  return {
    id: e.deliveryId,
    channel: e.channel,
    what: e.what,
    about: e.about,
    severity: e.severity ?? null,
    action: e.action ?? null,
    recipients: e.recipients ?? 0,
    status: e.status,
    attempts: e.attempts ?? 0,
    lastError: e.lastError ?? null,
    reference: e.reference ?? null,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}
