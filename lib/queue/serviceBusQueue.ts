import { randomUUID } from 'node:crypto';
import type { ServiceBusClient, ServiceBusMessage, ServiceBusReceivedMessage, ServiceBusReceiver, ServiceBusSender } from '@azure/service-bus';
import type { ParkedMessage, ParkedMessageLog } from './parkedMessages.js';
import { DEFAULT_BACKOFF, backoffSeconds, type Backoff, type DecodedBody, type WorkMessage, type WorkQueue } from './workQueue.js';

/** Application properties a retry copy carries, so the work keeps its id and attempt count. */
export const RETRY_PROPERTIES = { workId: 'workId', priorAttempts: 'priorAttempts', lastError: 'lastError' } as const;

export interface RetryOf {
  readonly workId: string;
  readonly priorAttempts: number;
  readonly lastError: string;
}

/**
 * The body goes as UTF-8 JSON bytes (portable to any Service Bus client, and what the Functions
 * trigger hands over as the parsed object). Every send gets a fresh message id so a queue with
 * duplicate detection never drops a retry copy; the work id lives in `workId` instead.
 */
export function toServiceBusMessage(body: unknown, retryOf?: RetryOf): ServiceBusMessage {
  const json = JSON.stringify(body);
  if (json === undefined) throw new TypeError('A work message body must be a JSON value (got undefined or a function).');
  const message: ServiceBusMessage = { body: Buffer.from(json, 'utf8'), contentType: 'application/json', messageId: randomUUID() };
  if (retryOf) {
    message.applicationProperties = {
      [RETRY_PROPERTIES.workId]: retryOf.workId,
      [RETRY_PROPERTIES.priorAttempts]: retryOf.priorAttempts,
      [RETRY_PROPERTIES.lastError]: retryOf.lastError.slice(0, 1_000),
    };
  }
  return message;
}

export type ReceivedFields = Pick<ServiceBusReceivedMessage, 'body' | 'messageId' | 'deliveryCount' | 'applicationProperties' | 'sequenceNumber'>;

export interface ServiceBusDelivery {
  readonly id: string;
  /** 1-based, counted across retry copies. */
  readonly attempt: number;
  readonly body: DecodedBody;
  /** The body as text, for the parked-messages record. */
  readonly text: string;
}

/**
 * Reads a message received with `skipParsingBodyAsJson`. The JS SDK exposes the raw AMQP
 * delivery count, which is 0 on the first delivery (the .NET SDK adds 1), hence the +1.
 */
export function readServiceBusMessage(received: ReceivedFields): ServiceBusDelivery {
  const properties = received.applicationProperties ?? {};
  const workId = properties[RETRY_PROPERTIES.workId];
  const priorAttempts = properties[RETRY_PROPERTIES.priorAttempts];
  return {
    id: typeof workId === 'string' ? workId : String(received.messageId ?? received.sequenceNumber),
    attempt: (typeof priorAttempts === 'number' ? priorAttempts : 0) + (received.deliveryCount ?? 0) + 1,
    ...decodeServiceBusBody(received.body),
  };
}

function decodeServiceBusBody(body: unknown): Pick<ServiceBusDelivery, 'body' | 'text'> {
  // Bytes (the AMQP data section) are JSON text; an AMQP value section is already a value.
  if (!(body instanceof Uint8Array)) return { body: { ok: true, body }, text: JSON.stringify(body) ?? String(body) };
  const text = Buffer.from(body).toString('utf8');
  try {
    return { body: { ok: true, body: JSON.parse(text) }, text };
  } catch (error) {
    return { body: { ok: false, problem: `message body is not JSON: ${(error as Error).message}` }, text };
  }
}

export interface ServiceBusQueueOptions {
  readonly backoff?: Backoff;
  /** How long `receive` waits for a first message on an empty queue (default 1000 ms). */
  readonly receiveWaitMs?: number;
}

/**
 * Work queue on a Service Bus queue (peekLock). Retry = schedule a copy at the backoff time and
 * complete the original: abandon would redeliver at once, so a struggling dependency would burn
 * every attempt in seconds. Park = dead-letter with the reason, plus the parked-messages record.
 */
export class ServiceBusWorkQueue<T> implements WorkQueue<T> {
  private readonly sender: ServiceBusSender;
  private readonly receiver: ServiceBusReceiver;
  private readonly backoff: Backoff;
  private readonly receiveWaitMs: number;
  private readonly deliveries = new WeakMap<WorkMessage<T>, ServiceBusReceivedMessage>();

  constructor(
    readonly name: string,
    client: ServiceBusClient,
    private readonly parkedLog: ParkedMessageLog,
    options: ServiceBusQueueOptions = {},
  ) {
    this.sender = client.createSender(name);
    this.receiver = client.createReceiver(name, { receiveMode: 'peekLock', skipParsingBodyAsJson: true });
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    this.receiveWaitMs = options.receiveWaitMs ?? 1_000;
  }

  async send(body: T): Promise<void> {
    await this.sender.sendMessages(toServiceBusMessage(body));
  }

  async sendMany(bodies: readonly T[]): Promise<void> {
    let batch = await this.sender.createMessageBatch();
    for (const body of bodies) {
      const message = toServiceBusMessage(body);
      if (batch.tryAddMessage(message)) continue;
      if (batch.count > 0) {
        await this.sender.sendMessages(batch);
        batch = await this.sender.createMessageBatch();
      }
      if (!batch.tryAddMessage(message)) throw new Error(`A message for queue ${this.name} exceeds the Service Bus batch size (${batch.maxSizeInBytes} bytes).`);
    }
    if (batch.count > 0) await this.sender.sendMessages(batch);
  }

  /** The lock duration is the queue's setting (Bicep); the SDK renews locks for up to 5 minutes. */
  async receive(max: number): Promise<WorkMessage<T>[]> {
    for (;;) {
      const received = await this.receiver.receiveMessages(max, { maxWaitTimeInMs: this.receiveWaitMs });
      const messages: WorkMessage<T>[] = [];
      for (const raw of received) {
        const message = await this.accept(raw);
        if (message) messages.push(message);
      }
      // Receive again if everything was parked, so an empty answer really means an empty queue.
      if (messages.length > 0 || received.length === 0) return messages;
    }
  }

  async complete(message: WorkMessage<T>): Promise<void> {
    await this.receiver.completeMessage(this.settle(message));
  }

  async retryLater(message: WorkMessage<T>, error: Error): Promise<Date> {
    const raw = this.settle(message);
    const dueAt = new Date(Date.now() + backoffSeconds(this.backoff, message.attempt) * 1000);
    const copy = toServiceBusMessage(message.body, { workId: message.id, priorAttempts: message.attempt, lastError: error.message });
    // Copy first, then complete: a crash in between delivers twice, never loses the work.
    await this.sender.scheduleMessages(copy, dueAt);
    await this.receiver.completeMessage(raw);
    return dueAt;
  }

  async park(message: WorkMessage<T>, reason: string): Promise<void> {
    const parked = { queue: this.name, id: message.id, body: JSON.stringify(message.body), reason, attempts: message.attempt, parkedAt: new Date() };
    await this.deadLetter(this.settle(message), parked);
  }

  private async accept(raw: ServiceBusReceivedMessage): Promise<WorkMessage<T> | undefined> {
    const delivery = readServiceBusMessage(raw);
    if (!delivery.body.ok) {
      const reason = `Malformed message, parked without processing: ${delivery.body.problem}`;
      await this.deadLetter(raw, { queue: this.name, id: delivery.id, body: delivery.text, reason, attempts: delivery.attempt, parkedAt: new Date() });
      return undefined;
    }
    const message: WorkMessage<T> = { id: delivery.id, body: delivery.body.body as T, attempt: delivery.attempt };
    this.deliveries.set(message, raw);
    return message;
  }

  /** Record first: if the dead-lettering fails, the redelivery parks again under the same row. */
  private async deadLetter(raw: ServiceBusReceivedMessage, parked: ParkedMessage): Promise<void> {
    await this.parkedLog.record(parked);
    await this.receiver.deadLetterMessage(raw, {
      deadLetterReason: parked.reason.split('\n', 1)[0]?.slice(0, 256) ?? '',
      deadLetterErrorDescription: parked.reason.slice(0, 4_096),
    });
  }

  private settle(message: WorkMessage<T>): ServiceBusReceivedMessage {
    const raw = this.deliveries.get(message);
    if (!raw) throw new Error(`Message ${message.id} was not received from queue ${this.name}, or was already settled.`);
    this.deliveries.delete(message);
    return raw;
  }
}
