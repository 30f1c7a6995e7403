/**
 * The alert event contract: what any stage (scoring, monitoring, the pipeline's own health
 * checks) hands to alerting with `recordAlertEvent(ctx, event)`. Alerting records it, publishes
 * it on the `alerts` topic, and the dispatcher de-duplicates and delivers it.
 *
 * An event says that a condition holds (status `firing`, the default) or no longer holds
 * (`resolved`) for one subject: the identity of an alert is (kind, subject). Details are shown
 * in e-mails, Slack and PagerDuty as they are: never put patient identifiers or secrets in them
 * (device ids, test codes, regions, statistics and counts are fine).
 */
export const ALERT_KINDS = ['calibration_drift', 'high_risk_device', 'data_drift', 'pipeline_failure', 'outbreak_signal', 'model_performance'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export const SEVERITIES = ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const;
export type Severity = (typeof SEVERITIES)[number];

export type AlertStatus = 'firing' | 'resolved';

export type DetailValue = string | number | boolean | null;

export interface AlertEvent {
  readonly kind: AlertKind;
  readonly severity: Severity;
  /** What the alert is about, stable across days: a device id, `device/analyte`, `test/region`, `stage:silver`, ... */
  readonly subject: string;
  /** One line a person reads first ("Device D-0042: risk score 91 (HIGH)"). */
  readonly title: string;
  /** Flat facts behind the alert (statistics, thresholds, counts); no patient identifiers. */
  readonly details: Readonly<Record<string, DetailValue>>;
  /** The data day the condition was observed on (YYYY-MM-DD). */
  readonly day: string;
  /** Which part of the product raised it ("scoring", "monitoring/drift", "alerts/pipeline-health", ...). */
  readonly source: string;
  readonly status?: AlertStatus;
}

/** What travels on the topic: the event plus an id that stays the same across redeliveries. */
export interface AlertMessage {
  readonly id: string;
  readonly event: AlertEvent;
  readonly publishedAt: string;
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isAlertKind(value: unknown): value is AlertKind {
  return typeof value === 'string' && (ALERT_KINDS as readonly string[]).includes(value);
}

export function isSeverity(value: unknown): value is Severity {
  return typeof value === 'string' && (SEVERITIES as readonly string[]).includes(value);
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_SUBJECT = 200;
const MAX_TITLE = 300;
const MAX_DETAILS = 40;
const MAX_DETAIL_TEXT = 500;

/** Checks an event from anywhere (a producer, a queue message); the error names the field. */
export function validateAlertEvent(value: unknown, where = 'alert event'): AlertEvent {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where} must be a JSON object`);
  const e = value as Record<string, unknown>;
  const fail = (field: string, expected: string): never => {
    throw new Error(`${where} field ${field} must be ${expected}, got ${JSON.stringify(e[field])?.slice(0, 80)}`);
  };
  if (!isAlertKind(e.kind)) fail('kind', `one of ${ALERT_KINDS.join(', ')}`);
  if (!isSeverity(e.severity)) fail('severity', `one of ${SEVERITIES.join(', ')}`);
  if (typeof e.subject !== 'string' || e.subject.trim() === '' || e.subject.length > MAX_SUBJECT) fail('subject', `a non-empty text of at most ${MAX_SUBJECT} characters`);
  if (typeof e.title !== 'string' || e.title.trim() === '' || e.title.length > MAX_TITLE) fail('title', `a non-empty text of at most ${MAX_TITLE} characters`);
  if (typeof e.day !== 'string' || !DATE.test(e.day) || Number.isNaN(Date.parse(`${e.day}T00:00:00Z`))) fail('day', 'a date YYYY-MM-DD');
  if (typeof e.source !== 'string' || e.source.trim() === '') fail('source', 'a non-empty text');
  if (e.status !== undefined && e.status !== 'firing' && e.status !== 'resolved') fail('status', 'firing or resolved');
  const details = e.details ?? {};
  if (typeof details !== 'object' || details === null || Array.isArray(details)) fail('details', 'an object of flat values');
  const entries = Object.entries(details as Record<string, unknown>);
  if (entries.length > MAX_DETAILS) fail('details', `at most ${MAX_DETAILS} entries`);
  const clean: Record<string, DetailValue> = {};
  for (const [key, v] of entries) {
    if (v === null || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) clean[key] = v;
    else if (typeof v === 'string') clean[key] = v.slice(0, MAX_DETAIL_TEXT);
    else fail(`details.${key}`, 'a string, finite number, boolean or null');
  }
  return {
    kind: e.kind as AlertKind,
    severity: e.severity as Severity,
    subject: (e.subject as string).trim(),
    title: (e.title as string).trim(),
    details: clean,
    day: e.day as string,
    source: (e.source as string).trim(),
    status: (e.status as AlertStatus | undefined) ?? 'firing',
  };
}

export function validateAlertMessage(value: unknown): AlertMessage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('alert message must be a JSON object');
  const m = value as Record<string, unknown>;
  if (typeof m.id !== 'string' || m.id === '') throw new Error(`alert message field id must be a non-empty text, got ${JSON.stringify(m.id)}`);
  if (typeof m.publishedAt !== 'string' || Number.isNaN(Date.parse(m.publishedAt))) throw new Error('alert message field publishedAt must be an ISO time');
  return { id: m.id, publishedAt: m.publishedAt, event: validateAlertEvent(m.event, 'alert message field event') };
}

/** The alert's identity, as PagerDuty's dedup_key and in logs. */
export function alertKey(event: Pick<AlertEvent, 'kind' | 'subject'>): string {
  return `lims-mlops/${event.kind}/${event.subject}`;
}

/** Table keys may not contain / \ # ? or control characters; percent-encoding is reversible. */
export function tableKey(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
