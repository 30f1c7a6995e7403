import type { DequeuedMessageItem, QueueClient } from '@azure/storage-queue';
import type { Storage } from '../platform/storage.js';
import { poisonQueueName } from '../platform/resources.js';
import { forEachLimited } from './concurrency.js';
import { onceSucceeded } from './once.js';
import type { ParkedMessage, ParkedMessageLog } from './parkedMessages.js';
import { DEFAULT_BACKOFF, backoffSeconds, type Backoff, type DecodedBody, type WorkMessage, type WorkQueue } from './workQueue.js';

/** The Storage queue service hands out at most 32 messages per receive. */
const RECEIVE_LIMIT = 32;
const SEND_CONCURRENCY = 16;

/**
 * Bodies are base64 of the JSON: the Azure Functions storage-queue trigger expects base64 by
 * default, while `@azure/storage-queue` would send the text as is.
 */
export function encodeQueueBody(body: unknown): string {
  const json = JSON.stringify(body);
  if (json === undefined) throw new TypeError('A work message body must be a JSON value (got undefined or a function).');
  return Buffer.from(json, 'utf8').toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Strict inverse of `encodeQueueBody`; says what is wrong instead of throwing. */
export function decodeQueueBody(text: string): DecodedBody {
  // Buffer.from(..., 'base64') skips invalid characters silently, so check the alphabet first.
  if (!BASE64.test(text)) return { ok: false, problem: 'message text is not base64 (work queue bodies are base64-encoded JSON)' };
  try {
    return { ok: true, body: JSON.parse(Buffer.from(text, 'base64').toString('utf8')) };
  } catch (error) {
    return { ok: false, problem: `message is base64 but not JSON: ${(error as Error).message}` };
  }
}

/** What settling a received message needs; the pop receipt is only valid for this delivery. */
interface Receipt {
  readonly messageId: string;
  readonly popReceipt: string;
}

/**
 * Work queue on an Azure Storage queue. attempt = dequeueCount; retries hide the message again
 * for the backoff; parking sends an envelope to `<name>-poison` and records it in the
 * parked-messages table before the original is deleted.
 */
export class StorageWorkQueue<T> implements WorkQueue<T> {
  private readonly queue: QueueClient;
  private readonly poison: QueueClient;
  private readonly ensurePoisonQueue: () => Promise<void>;
  private readonly receipts = new WeakMap<WorkMessage<T>, Receipt>();

  constructor(
    readonly name: string,
    storage: Pick<Storage, 'queues'>,
    private readonly parkedLog: ParkedMessageLog,
    private readonly backoff: Backoff = DEFAULT_BACKOFF,
  ) {
    this.queue = storage.queues.getQueueClient(name);
    this.poison = storage.queues.getQueueClient(poisonQueueName(name));
    // A missing poison queue would make every park fail and the message loop forever.
    this.ensurePoisonQueue = onceSucceeded(() => this.poison.createIfNotExists());
  }

  async send(body: T): Promise<void> {
    await this.queue.sendMessage(encodeQueueBody(body));
  }

  async sendMany(bodies: readonly T[]): Promise<void> {
    await forEachLimited(bodies, SEND_CONCURRENCY, (body) => this.send(body));
  }

  /** At most 32 messages per call (the service's limit). Undecodable ones are parked, not returned. */
  async receive(max: number, visibilityTimeoutSeconds?: number): Promise<WorkMessage<T>[]> {
    const numberOfMessages = Math.min(Math.max(1, max), RECEIVE_LIMIT);
    for (;;) {
      const { receivedMessageItems: items } = await this.queue.receiveMessages({ numberOfMessages, visibilityTimeout: visibilityTimeoutSeconds });
      const messages: WorkMessage<T>[] = [];
      for (const item of items) {
        const message = await this.accept(item);
        if (message) messages.push(message);
      }
      // Receive again if everything was parked, so an empty answer really means an empty queue.
      if (messages.length > 0 || items.length === 0) return messages;
    }
  }

  async complete(message: WorkMessage<T>): Promise<void> {
    const receipt = this.settle(message);
    await this.queue.deleteMessage(receipt.messageId, receipt.popReceipt);
  }

  /** The text is left unchanged (a trigger must still read it); only the visibility moves. */
  async retryLater(message: WorkMessage<T>): Promise<Date> {
    const receipt = this.settle(message);
    const delaySeconds = backoffSeconds(this.backoff, message.attempt);
    await this.queue.updateMessage(receipt.messageId, receipt.popReceipt, undefined, delaySeconds);
    return new Date(Date.now() + delaySeconds * 1000);
  }

  async park(message: WorkMessage<T>, reason: string): Promise<void> {
    const receipt = this.settle(message);
    await this.moveAside(receipt, message.body, this.parkedRecord(message.id, JSON.stringify(message.body), reason, message.attempt));
  }

  private async accept(item: DequeuedMessageItem): Promise<WorkMessage<T> | undefined> {
    const receipt: Receipt = { messageId: item.messageId, popReceipt: item.popReceipt };
    const decoded = decodeQueueBody(item.messageText);
    if (!decoded.ok) {
      const reason = `Malformed message, parked without processing: ${decoded.problem}`;
      await this.moveAside(receipt, item.messageText, this.parkedRecord(item.messageId, item.messageText, reason, item.dequeueCount));
      return undefined;
    }
    // The body's shape is the handler's to check: a wrong shape fails, is retried, then parked.
    const message: WorkMessage<T> = { id: item.messageId, body: decoded.body as T, attempt: item.dequeueCount };
    this.receipts.set(message, receipt);
    return message;
  }

  /** Poison envelope first, then the table record, then the delete: a crash in between duplicates, never loses. */
  private async moveAside(receipt: Receipt, poisonBody: unknown, parked: ParkedMessage): Promise<void> {
    await this.ensurePoisonQueue();
    const envelope = { queue: this.name, body: poisonBody, reason: parked.reason, attempts: parked.attempts, parkedAt: parked.parkedAt.toISOString() };
    await this.poison.sendMessage(encodeQueueBody(envelope));
    await this.parkedLog.record(parked);
    await this.queue.deleteMessage(receipt.messageId, receipt.popReceipt);
  }

  private parkedRecord(id: string, body: string, reason: string, attempts: number): ParkedMessage {
    return { queue: this.name, id, body, reason, attempts, parkedAt: new Date() };
  }

  /** A delivery is settled once: its pop receipt is no longer valid afterwards. */
  private settle(message: WorkMessage<T>): Receipt {
    const receipt = this.receipts.get(message);
    if (!receipt) throw new Error(`Message ${message.id} was not received from queue ${this.name}, or was already settled.`);
    this.receipts.delete(message);
    return receipt;
  }
}
