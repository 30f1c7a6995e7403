import { randomUUID } from 'node:crypto';
import type { TableClient } from '@azure/data-tables';
import type { AppContext } from '../app/context.js';
import { TABLES } from '../platform/resources.js';
import { tableKey, validateAlertEvent, type AlertEvent, type AlertKind, type AlertMessage } from './events.js';
import { alertPublisher, type AlertPublisher } from './publisher.js';
import { AlertStateStore } from './state.js';

/**
 * Recording and publishing alert events: what other stages call. The event is written to the
 * `alerts` table first (the record of every alert event), then published, then marked
 * published; an event whose publication failed is published again by the next evaluation's
 * sweep (`publishPending`), so a lost connection delays an alert but never drops it.
 */
export interface AlertSink {
  readonly events: TableClient;
  readonly publisher: AlertPublisher;
  readonly state: AlertStateStore;
}

export function alertSink(ctx: Pick<AppContext, 'config' | 'storage'>): AlertSink {
  return {
    events: ctx.storage.table(TABLES.alerts),
    publisher: alertPublisher(ctx.config, ctx.storage),
    state: new AlertStateStore(ctx.storage.table(TABLES.alertState)),
  };
}

/** The event's row in the `alerts` table: PK kind, RK `${day}_${subject}` (`_resolved` for a resolution). */
export function eventRowKey(event: Pick<AlertEvent, 'day' | 'subject' | 'status'>): string {
  return `${event.day}_${tableKey(event.subject)}${event.status === 'resolved' ? '_resolved' : ''}`;
}

const PUBLISH_CHUNK = 100;

/** Records, publishes and marks published; returns the messages as published. */
export async function publishEvents(sink: AlertSink, events: readonly AlertEvent[]): Promise<AlertMessage[]> {
  const messages = events.map((e) => ({ id: randomUUID(), event: validateAlertEvent(e), publishedAt: new Date().toISOString() }));
  const recordedAt = new Date().toISOString();
  await Promise.all(
    messages.map(({ id, event }) =>
      sink.events.upsertEntity(
        {
          partitionKey: event.kind,
          rowKey: eventRowKey(event),
          kind: event.kind,
          severity: event.severity,
          subject: event.subject,
          title: event.title,
          details: JSON.stringify(event.details),
          day: event.day,
          source: event.source,
          status: event.status ?? 'firing',
          eventId: id,
          recordedAt,
          publishedAt: '',
        },
        'Merge',
      ),
    ),
  );
  for (let i = 0; i < messages.length; i += PUBLISH_CHUNK) {
    const chunk = messages.slice(i, i + PUBLISH_CHUNK);
    await sink.publisher.publish(chunk);
    const publishedAt = new Date().toISOString();
    await Promise.all(chunk.map(({ event }) => sink.events.upsertEntity({ partitionKey: event.kind, rowKey: eventRowKey(event), publishedAt }, 'Merge')));
  }
  return messages;
}

/**
 * The function other stages call: records the event in the `alerts` table and publishes it
 * to the `alerts` topic for the dispatcher. Throws, naming the field, on a malformed event.
 */
export async function recordAlertEvent(ctx: Pick<AppContext, 'config' | 'storage'>, event: AlertEvent): Promise<AlertMessage> {
  return (await publishEvents(alertSink(ctx), [event]))[0]!;
}

export async function recordAlertEvents(ctx: Pick<AppContext, 'config' | 'storage'>, events: readonly AlertEvent[]): Promise<AlertMessage[]> {
  return publishEvents(alertSink(ctx), events);
}

export interface Reconciled {
  readonly firing: number;
  readonly published: number;
  readonly resolved: number;
}

/**
 * For a stage that knows every current condition of one kind: publishes the firing events and
 * a resolution for each open alert of that kind (within `inScope`) that no longer fires.
 */
export async function reconcileAlerts(
  sink: AlertSink,
  kind: AlertKind,
  firing: readonly AlertEvent[],
  context: {
    readonly day: string;
    readonly source: string;
    readonly inScope?: (subject: string) => boolean;
    /** Firing events to publish (default all); others are known to be published already. */
    readonly needsPublishing?: (event: AlertEvent) => boolean;
  },
): Promise<Reconciled> {
  const subjects = new Set(firing.map((e) => e.subject));
  const open = await sink.state.open(kind);
  const resolutions: AlertEvent[] = open
    .filter((s) => !subjects.has(s.subject) && (context.inScope?.(s.subject) ?? true))
    .map((s) => ({
      kind,
      severity: s.severity,
      subject: s.subject,
      title: s.title,
      details: { opened: s.firstSeenAt, last_seen: s.lastSeenAt },
      day: context.day,
      source: context.source,
      status: 'resolved',
    }));
  const fresh = context.needsPublishing ? firing.filter(context.needsPublishing) : firing;
  await publishEvents(sink, [...fresh, ...resolutions]);
  return { firing: firing.length, published: fresh.length, resolved: resolutions.length };
}

/** Events recorded by `recordAlertEvent` whose publication did not complete: published again. */
export async function publishPending(sink: AlertSink, olderThanMs = 60_000): Promise<number> {
  const cutoff = new Date(Date.now() - olderThanMs).toISOString();
  const pending: AlertEvent[] = [];
  const filter = `publishedAt eq '' and recordedAt lt '${cutoff}'`;
  for await (const e of sink.events.listEntities<Record<string, unknown>>({ queryOptions: { filter } })) {
    try {
      pending.push(validateAlertEvent({ ...e, details: JSON.parse(String(e.details ?? '{}')) }));
    } catch {
      // A row that is not a valid event (hand-edited) stays for a person to look at.
    }
  }
  if (pending.length > 0) await publishEvents(sink, pending);
  return pending.length;
}
