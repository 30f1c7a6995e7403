import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { EmailClient } from '@azure/communication-email';
import type { TokenCredential } from '@azure/identity';
import type { Severity } from './events.js';

/**
 * The delivery channels, each a thin adapter: e-mail (Azure Communication Services in Azure, a
 * local outbox folder on the embedded default), Slack incoming webhooks and PagerDuty Events
 * API v2. A failed send throws an error that names the channel and the HTTP status, never the
 * webhook URL or key (they are secrets); the delivery queue retries it, then parks it.
 */
export interface EmailMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly html: string;
  readonly text: string;
}

export interface EmailSender {
  /** Where e-mail goes, safe to print. */
  readonly description: string;
  /** `idempotencyKey` is the same for every attempt at one delivery. */
  send(message: EmailMessage, idempotencyKey: string): Promise<{ reference: string }>;
}

/** E-mail as files a person can open: `<dir>/<time>-<subject>.html`, headers shown at the top. */
export class OutboxEmailSender implements EmailSender {
  constructor(
    readonly dir: string,
    private readonly from: string,
  ) {}

  get description(): string {
    return `local outbox ${this.dir}`;
  }

  async send(message: EmailMessage, idempotencyKey: string): Promise<{ reference: string }> {
    await mkdir(this.dir, { recursive: true });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const slug = message.subject.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 60);
    // The same delivery retried overwrites its own file instead of adding another.
    const name = `${stamp.slice(0, 8)}-${slug}-${shortHash(idempotencyKey)}.html`;
    const file = path.join(this.dir, name);
    const temp = `${file}.tmp-${process.pid}`;
    await writeFile(temp, outboxDocument(message, this.from));
    await rename(temp, file);
    return { reference: file };
  }
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function outboxDocument(message: EmailMessage, from: string): string {
  const header =
    `<div style="font:13px/1.4 system-ui,sans-serif;background:#f3f4f6;border-bottom:1px solid #d1d5db;padding:8px 12px;margin:0 0 12px">` +
    `<div><b>From:</b> ${escapeHtml(from)}</div><div><b>To:</b> ${escapeHtml(message.to.join(', ') || '(no recipients configured)')}</div>` +
    `<div><b>Subject:</b> ${escapeHtml(message.subject)}</div><div><b>Date:</b> ${new Date().toUTCString()}</div></div>`;
  const body = /<body[^>]*>/i.exec(message.html);
  if (body) return message.html.replace(body[0], `${body[0]}${header}`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>${escapeHtml(message.subject)}</title></head><body style="margin:0">${header}${message.html}</body></html>`;
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 10);
}

/** A UUID-shaped id derived from the delivery, so ACS sees every retry as the same operation. */
function operationId(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** Azure Communication Services e-mail, reached with the managed identity. */
export class AcsEmailSender implements EmailSender {
  private readonly client: EmailClient;

  constructor(
    private readonly endpoint: string,
    credential: TokenCredential,
    private readonly from: string,
  ) {
    this.client = new EmailClient(endpoint, credential);
  }

  get description(): string {
    return `Azure Communication Services ${new URL(this.endpoint).host}`;
  }

  async send(message: EmailMessage, idempotencyKey: string): Promise<{ reference: string }> {
    if (message.to.length === 0) throw new Error('e-mail: no recipients configured for this alert kind (ALERT_EMAIL_* / ALERT_RECIPIENTS / REPORT_EMAIL_TO)');
    const poller = await this.client.beginSend(
      {
        senderAddress: this.from,
        recipients: { to: message.to.map((address) => ({ address })) },
        content: { subject: message.subject, html: message.html, plainText: message.text },
        disableUserEngagementTracking: true,
      },
      { operationId: operationId(idempotencyKey) },
    );
    const result = await poller.pollUntilDone();
    if (result.status !== 'Succeeded') throw new Error(`e-mail: Azure Communication Services answered ${result.status}${result.error?.code ? ` (${result.error.code})` : ''}`);
    return { reference: result.id };
  }
}

const WEBHOOK_TIMEOUT_MS = 10_000;

async function postJson(channel: string, url: string, body: unknown): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
  } catch (error) {
    // fetch's own errors can carry the URL (a secret: the webhook path, the key): keep only
    // the cause's code, and do not chain the original error.
    const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
    // eslint-disable-next-line preserve-caught-error
    throw new Error(`${channel}: request failed (${cause})`);
  }
  if (!response.ok) {
    const text = (await response.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 200);
    throw new Error(`${channel}: HTTP ${response.status}${text ? ` ${text}` : ''}`);
  }
  return response;
}

export interface SlackMessage {
  readonly text: string;
  readonly blocks: readonly unknown[];
}

export async function postToSlack(webhookUrl: string, message: SlackMessage): Promise<{ reference: string }> {
  const response = await postJson('Slack', webhookUrl, message);
  await response.text();
  return { reference: `slack ${response.status}` };
}

export type PagerDutyAction = 'trigger' | 'resolve';

export interface PagerDutyEvent {
  readonly routing_key: string;
  readonly event_action: PagerDutyAction;
  readonly dedup_key: string;
  readonly payload?: {
    readonly summary: string;
    readonly source: string;
    readonly severity: 'critical' | 'error' | 'warning' | 'info';
    readonly timestamp?: string;
    readonly component?: string;
    readonly group?: string;
    readonly class?: string;
    readonly custom_details?: Readonly<Record<string, unknown>>;
  };
}

export function pagerDutySeverity(severity: Severity): 'critical' | 'error' | 'warning' | 'info' {
  return ({ CRITICAL: 'critical', HIGH: 'error', MEDIUM: 'warning', LOW: 'info' } as const)[severity];
}

export async function sendToPagerDuty(eventsUrl: string, event: PagerDutyEvent): Promise<{ reference: string }> {
  const response = await postJson('PagerDuty', eventsUrl, event);
  const body = (await response.json().catch(() => ({}))) as { dedup_key?: string; status?: string };
  return { reference: `pagerduty ${body.status ?? response.status} ${body.dedup_key ?? event.dedup_key}` };
}
