import { RestError, odata, type TableClient } from '@azure/data-tables';
import { severityRank, tableKey, type AlertEvent, type AlertKind, type Severity } from './events.js';

/**
 * The de-duplication record of every alert (kind, subject) in Table storage: open or resolved,
 * the severity last sent, and when. Every change is a conditional write (create, or update on
 * the ETag read), so concurrent dispatchers agree on one decision per event: of 100 identical
 * events arriving together, exactly one sends.
 */
export interface AlertState {
  readonly kind: AlertKind;
  readonly subject: string;
  readonly status: 'open' | 'resolved';
  readonly severity: Severity;
  readonly title: string;
  readonly day: string;
  readonly firstSeenAt: string;
  readonly lastSeenAt: string;
  readonly lastSentAt: string | null;
  readonly lastSentSeverity: Severity | null;
  /** Incremented on every send (new, escalation, reminder, reopening, resolution). */
  readonly notifications: number;
  /** Id of the alert message whose decision sent last: its redelivery re-queues, never re-decides. */
  readonly notifiedBy: string | null;
  /** Why the last notification was sent. */
  readonly notifiedFor: 'new' | 'escalated' | 'reminder' | 'reopened' | 'resolved' | null;
  readonly resolvedAt: string | null;
}

export type Decision =
  | { readonly action: 'send'; readonly reason: 'new' | 'escalated' | 'reminder' | 'reopened'; readonly notification: number }
  | { readonly action: 'resolve'; readonly reason: 'resolved'; readonly notification: number; readonly sentSeverity: Severity | null }
  | { readonly action: 'suppress'; readonly reason: 'duplicate' | 'not open' };

interface StateEntity extends Omit<AlertState, 'lastSentAt' | 'lastSentSeverity' | 'notifiedBy' | 'notifiedFor' | 'resolvedAt'> {
  partitionKey: string;
  rowKey: string;
  lastSentAt?: string;
  lastSentSeverity?: Severity;
  notifiedBy?: string;
  notifiedFor?: NonNullable<AlertState['notifiedFor']>;
  resolvedAt?: string;
}

/** The decision for `event` given the alert's state, as a pure function (the table makes it atomic). */
export function decide(previous: AlertState | undefined, event: AlertEvent, messageId: string, now: Date, windowMs: number): Decision {
  if (previous?.notifiedBy === messageId) {
    // A redelivery of the message that made the last decision: decide the same again.
    return previous.status === 'resolved'
      ? { action: 'resolve', reason: 'resolved', notification: previous.notifications, sentSeverity: previous.lastSentSeverity }
      : { action: 'send', reason: previous.notifiedFor === 'resolved' || previous.notifiedFor === null ? 'new' : previous.notifiedFor, notification: previous.notifications };
  }
  if (event.status === 'resolved') {
    if (!previous || previous.status !== 'open') return { action: 'suppress', reason: 'not open' };
    return { action: 'resolve', reason: 'resolved', notification: previous.notifications + 1, sentSeverity: previous.lastSentSeverity };
  }
  if (!previous) return { action: 'send', reason: 'new', notification: 1 };
  const next = previous.notifications + 1;
  if (previous.status === 'resolved') return { action: 'send', reason: 'reopened', notification: next };
  if (previous.lastSentSeverity === null || severityRank(event.severity) > severityRank(previous.lastSentSeverity)) return { action: 'send', reason: 'escalated', notification: next };
  const sentAt = previous.lastSentAt === null ? 0 : Date.parse(previous.lastSentAt);
  if (now.getTime() - sentAt >= windowMs) return { action: 'send', reason: 'reminder', notification: next };
  return { action: 'suppress', reason: 'duplicate' };
}

function nextState(previous: AlertState | undefined, event: AlertEvent, decision: Decision, messageId: string, now: Date): AlertState {
  const at = now.toISOString();
  const base: AlertState = previous ?? {
    kind: event.kind,
    subject: event.subject,
    status: 'open',
    severity: event.severity,
    title: event.title,
    day: event.day,
    firstSeenAt: at,
    lastSeenAt: at,
    lastSentAt: null,
    lastSentSeverity: null,
    notifications: 0,
    notifiedBy: null,
    notifiedFor: null,
    resolvedAt: null,
  };
  const seen = { ...base, lastSeenAt: at };
  if (decision.action === 'suppress') return seen;
  if (decision.action === 'resolve') {
    return { ...base, status: 'resolved', resolvedAt: at, notifications: decision.notification, notifiedBy: messageId, notifiedFor: 'resolved', lastSentAt: at };
  }
  return {
    ...seen,
    status: 'open',
    severity: event.severity,
    title: event.title,
    day: event.day,
    firstSeenAt: decision.reason === 'reopened' ? at : base.firstSeenAt,
    resolvedAt: null,
    lastSentAt: at,
    lastSentSeverity: event.severity,
    notifications: decision.notification,
    notifiedBy: messageId,
    notifiedFor: decision.reason,
  };
}

export class AlertStateStore {
  constructor(private readonly table: TableClient) {}

  /**
   * Decides what to do with `event` and records the decision, atomically per alert: a write
   * that loses a race (409 on create, 412 on update) re-reads and decides again.
   */
  async apply(event: AlertEvent, messageId: string, now: Date, windowMs: number): Promise<{ decision: Decision; state: AlertState | undefined }> {
    const partitionKey = event.kind;
    const rowKey = tableKey(event.subject);
    for (let attempt = 0; attempt < 50; attempt++) {
      const current = await this.read(partitionKey, rowKey);
      const previous = current?.state;
      const decision = decide(previous, event, messageId, now, windowMs);
      // Nothing to record: a resolution of an alert that is not open changes nothing.
      if (decision.action === 'suppress' && decision.reason === 'not open') return { decision, state: previous };
      if (decision.action === 'suppress') {
        // A duplicate changes nothing a decision reads: a plain merge of when it was last seen,
        // so a burst of duplicates does not queue up behind one ETag.
        await this.table.updateEntity({ partitionKey, rowKey, lastSeenAt: now.toISOString() }, 'Merge');
        return { decision, state: previous };
      }
      if (previous?.notifiedBy === messageId) return { decision, state: previous };
      const state = nextState(previous, event, decision, messageId, now);
      try {
        const entity = toEntity(partitionKey, rowKey, state);
        if (current) await this.table.updateEntity(entity, 'Replace', { etag: current.etag });
        else await this.table.createEntity(entity);
        return { decision, state };
      } catch (error) {
        if (!(error instanceof RestError && (error.statusCode === 409 || error.statusCode === 412))) throw error;
        // Lost a race: re-read at once, with a small jitter only after repeated losses.
        if (attempt >= 3) await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * Math.min(attempt, 10)));
      }
    }
    throw new Error(`Could not record the alert ${event.kind}/${event.subject}: too many concurrent updates`);
  }

  async get(kind: AlertKind, subject: string): Promise<AlertState | undefined> {
    return (await this.read(kind, tableKey(subject)))?.state;
  }

  /** Open alerts, of one kind or all. */
  async open(kind?: AlertKind): Promise<AlertState[]> {
    const filter = kind ? odata`PartitionKey eq ${kind} and status eq 'open'` : `status eq 'open'`;
    const states: AlertState[] = [];
    for await (const entity of this.table.listEntities<StateEntity>({ queryOptions: { filter } })) states.push(fromEntity(entity));
    return states;
  }

  async all(): Promise<AlertState[]> {
    const states: AlertState[] = [];
    for await (const entity of this.table.listEntities<StateEntity>()) states.push(fromEntity(entity));
    return states;
  }

  private async read(partitionKey: string, rowKey: string): Promise<{ state: AlertState; etag: string } | undefined> {
    try {
      const entity = await this.table.getEntity<StateEntity>(partitionKey, rowKey);
      return { state: fromEntity(entity), etag: entity.etag };
    } catch (error) {
      if (error instanceof RestError && error.statusCode === 404) return undefined;
      throw error;
    }
  }
}

function toEntity(partitionKey: string, rowKey: string, state: AlertState): StateEntity {
  const { lastSentAt, lastSentSeverity, notifiedBy, notifiedFor, resolvedAt, ...rest } = state;
  return {
    partitionKey,
    rowKey,
    ...rest,
    ...(lastSentAt ? { lastSentAt } : {}),
    ...(lastSentSeverity ? { lastSentSeverity } : {}),
    ...(notifiedBy ? { notifiedBy } : {}),
    ...(notifiedFor ? { notifiedFor } : {}),
    ...(resolvedAt ? { resolvedAt } : {}),
  };
}

function fromEntity(entity: StateEntity): AlertState {
  return {
    kind: entity.kind,
    subject: entity.subject,
    status: entity.status,
    severity: entity.severity,
    title: entity.title,
    day: entity.day,
    firstSeenAt: entity.firstSeenAt,
    lastSeenAt: entity.lastSeenAt,
    lastSentAt: entity.lastSentAt ?? null,
    lastSentSeverity: entity.lastSentSeverity ?? null,
    notifications: entity.notifications,
    notifiedBy: entity.notifiedBy ?? null,
    notifiedFor: entity.notifiedFor ?? null,
    resolvedAt: entity.resolvedAt ?? null,
  };
}
