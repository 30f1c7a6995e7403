import type { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStorage } from '../../test/support/storage.js';
import type { EmbeddedAzurite } from '../platform/azurite.js';
import { TABLES, poisonQueueName } from '../platform/resources.js';
import type { Storage } from '../platform/storage.js';
import { ParkedMessageLog } from './parkedMessages.js';
import { StorageWorkQueue, decodeQueueBody, encodeQueueBody } from './storageQueue.js';
import { drainQueue, type Backoff, type WorkMessage, type WorkQueue } from './workQueue.js';

interface Task {
  readonly partition: string;
  readonly shard: number;
}

const NO_BACKOFF: Backoff = { initialSeconds: 0, maxSeconds: 0 };

let azurite: EmbeddedAzurite;
let storage: Storage;
let parkedLog: ParkedMessageLog;
let queueCount = 0;

beforeAll(async () => {
  ({ azurite, storage } = await startTestStorage());
  parkedLog = new ParkedMessageLog(storage.table(TABLES.parked));
});

afterAll(async () => {
  await azurite?.stop();
});

/** A fresh queue per test, and a plain client on it to look at (or write) the raw text. */
async function freshQueue(backoff: Backoff = NO_BACKOFF): Promise<{ queue: WorkQueue<Task>; raw: QueueClient }> {
  const name = `work-${++queueCount}`;
  const raw = storage.queues.getQueueClient(name);
  await raw.create();
  return { queue: new StorageWorkQueue<Task>(name, storage, parkedLog, backoff), raw };
}

async function poisonEnvelopes(name: string): Promise<Record<string, unknown>[]> {
  const { peekedMessageItems } = await storage.queues.getQueueClient(poisonQueueName(name)).peekMessages({ numberOfMessages: 32 });
  return peekedMessageItems.map((item) => JSON.parse(Buffer.from(item.messageText, 'base64').toString('utf8')) as Record<string, unknown>);
}

async function approximateCount(raw: QueueClient): Promise<number | undefined> {
  return (await raw.getProperties()).approximateMessagesCount;
}

const alwaysFails = async (): Promise<void> => {
  throw new Error('unit "mg/dl" is not UCUM');
};

describe('message body encoding', () => {
  it('is base64 of the JSON text, and decodes back', () => {
    const body = { partition: 'ingest_date=2026-03-01', shard: 7, note: 'µg/L' };
    const text = encodeQueueBody(body);
    expect(Buffer.from(text, 'base64').toString('utf8')).toBe(JSON.stringify(body));
    expect(decodeQueueBody(text)).toEqual({ ok: true, body });
  });

  it('says what is wrong with text that is not base64 JSON', () => {
    expect(decodeQueueBody('{"shard": 1}')).toEqual({ ok: false, problem: expect.stringContaining('not base64') });
    const notJson = decodeQueueBody(Buffer.from('shard=1').toString('base64'));
    expect(notJson).toEqual({ ok: false, problem: expect.stringContaining('base64 but not JSON') });
  });

  it('refuses a body that has no JSON form', () => {
    expect(() => encodeQueueBody(undefined)).toThrow(/JSON value/);
  });
});

describe('Storage work queue on Azurite', () => {
  it('round-trips JSON bodies, one at a time and many at once', async () => {
    const { queue, raw } = await freshQueue();
    const bodies: Task[] = Array.from({ length: 5 }, (_, shard) => ({ partition: 'feature_date=2026-03-01', shard }));
    await queue.send(bodies[0]!);
    await queue.sendMany(bodies.slice(1));

    const received = await queue.receive(10, 5);
    expect(received.map((message) => message.body).sort((a, b) => a.shard - b.shard)).toEqual(bodies);
    expect(received.every((message) => message.attempt === 1)).toBe(true);

    for (const message of received) await queue.complete(message);
    expect(await queue.receive(10)).toEqual([]);
    expect(await approximateCount(raw)).toBe(0);
  });

  it('writes base64 JSON that a plain client (and the Functions trigger) reads, and reads base64 written by others', async () => {
    const { queue, raw } = await freshQueue();
    const body: Task = { partition: 'ingest_date=2026-03-02', shard: 3 };
    await queue.send(body);
    const [peeked] = (await raw.peekMessages()).peekedMessageItems;
    expect(peeked?.messageText).toBe(Buffer.from(JSON.stringify(body)).toString('base64'));
    await raw.clearMessages();

    const foreign: Task = { partition: 'ingest_date=2026-03-03', shard: 9 };
    await raw.sendMessage(Buffer.from(JSON.stringify(foreign)).toString('base64'));
    const [message] = await queue.receive(1);
    expect(message?.body).toEqual(foreign);
  });

  it('parks a message whose handler always fails after maxAttempts deliveries, with its reason', async () => {
    const { queue, raw } = await freshQueue();
    const body: Task = { partition: 'ingest_date=2026-03-04', shard: 1 };
    await queue.send(body);
    const attempts: number[] = [];
    const parkedReasons: string[] = [];

    const result = await drainQueue(
      queue,
      async (_body, message) => {
        attempts.push(message.attempt);
        await alwaysFails();
      },
      { maxAttempts: 3, visibilityTimeoutSeconds: 5, onParked: (_message, reason) => parkedReasons.push(reason) },
    );

    expect(attempts).toEqual([1, 2, 3]);
    expect(result).toMatchObject({ processed: 0, failed: 2, parked: 1, deferred: 0 });
    expect(parkedReasons).toEqual(['Failed on attempt 3 of 3: unit "mg/dl" is not UCUM']);

    const [envelope] = await poisonEnvelopes(queue.name);
    expect(envelope).toMatchObject({ queue: queue.name, body, reason: parkedReasons[0], attempts: 3 });
    expect(new Date(String(envelope?.parkedAt)).getTime()).not.toBeNaN();

    const parked = await parkedLog.list(queue.name);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({ queue: queue.name, reason: parkedReasons[0], attempts: 3 });
    expect(JSON.parse(parked[0]!.body)).toEqual(body);
    expect(parked[0]!.parkedAt).toBeInstanceOf(Date);

    expect(await queue.receive(10)).toEqual([]);
    expect(await approximateCount(raw)).toBe(0);
  });

  it('completes a message that fails once then succeeds, without parking it', async () => {
    const { queue, raw } = await freshQueue({ initialSeconds: 1, maxSeconds: 1 });
    await queue.send({ partition: 'ingest_date=2026-03-05', shard: 2 });
    const attempts: number[] = [];

    const result = await drainQueue(
      queue,
      async (_body, message) => {
        attempts.push(message.attempt);
        if (message.attempt === 1) throw new Error('lake briefly unavailable');
      },
      { maxAttempts: 3 },
    );

    expect(attempts).toEqual([1, 2]);
    expect(result).toMatchObject({ processed: 1, failed: 1, parked: 0, deferred: 0 });
    expect(await parkedLog.list(queue.name)).toEqual([]);
    expect(await approximateCount(raw)).toBe(0);
  });

  it('hides a retried message until its backoff has passed', async () => {
    const { queue } = await freshQueue({ initialSeconds: 1, maxSeconds: 1 });
    await queue.send({ partition: 'ingest_date=2026-03-06', shard: 4 });
    const [first] = await queue.receive(1);
    const dueAt = await queue.retryLater(first!, new Error('try again'));
    expect(await queue.receive(1)).toEqual([]);

    await new Promise((resolve) => setTimeout(resolve, dueAt.getTime() - Date.now() + 200));
    const [second] = await queue.receive(1);
    expect(second).toMatchObject({ id: first!.id, attempt: 2, body: first!.body });
    await queue.complete(second!);
  });

  it('parks malformed messages with a clear reason and keeps processing the good ones', async () => {
    const { queue, raw } = await freshQueue();
    await raw.sendMessage('{"partition": "plain text, not base64"}');
    await raw.sendMessage(Buffer.from('shard=5').toString('base64'));
    await queue.send({ partition: 'ingest_date=2026-03-07', shard: 6 });
    const handled: Task[] = [];

    const result = await drainQueue(queue, async (body) => void handled.push(body), { maxAttempts: 3 });

    expect(handled).toEqual([{ partition: 'ingest_date=2026-03-07', shard: 6 }]);
    expect(result).toMatchObject({ processed: 1, parked: 0 });
    const parked = await parkedLog.list(queue.name);
    expect(parked.map((message) => message.reason).sort()).toEqual([
      expect.stringMatching(/^Malformed message, parked without processing: message is base64 but not JSON/),
      expect.stringMatching(/^Malformed message, parked without processing: message text is not base64/),
    ]);
    expect(parked.map((message) => message.body)).toContain('{"partition": "plain text, not base64"}');
    expect(await poisonEnvelopes(queue.name)).toHaveLength(2);
    expect(await approximateCount(raw)).toBe(0);
  });

  it('keeps its handlers busy past a slow message: the others go on to the next batch meanwhile', async () => {
    const { queue } = await freshQueue();
    for (let shard = 0; shard < 8; shard++) await queue.send({ partition: 'ingest_date=2026-03-09', shard });
    const handled: number[] = [];
    let othersDone: () => void = () => {};
    const allOthers = new Promise<void>((resolve) => (othersDone = resolve));
    let slowSawOthersDone = false;

    // The first message waits for the seven others, which come in two batches of four.
    const result = await drainQueue(
      queue,
      async ({ shard }) => {
        if (shard === 0) slowSawOthersDone = await Promise.race([allOthers.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 3_000))]);
        handled.push(shard);
        if (handled.length === 7 && !handled.includes(0)) othersDone();
      },
      { maxAttempts: 3, max: 4, concurrency: 2 },
    );

    expect(slowSawOthersDone).toBe(true);
    expect(handled.at(-1)).toBe(0);
    expect(result).toMatchObject({ processed: 8, failed: 0, parked: 0 });
  });

  it('stops draining when the next retry is due after the wait window, leaving it queued', async () => {
    const { queue, raw } = await freshQueue({ initialSeconds: 120, maxSeconds: 120 });
    await queue.send({ partition: 'ingest_date=2026-03-08', shard: 8 });

    const result = await drainQueue(queue, alwaysFails, { maxAttempts: 3, waitForRetriesWithinSeconds: 1 });

    expect(result).toMatchObject({ processed: 0, failed: 1, parked: 0, deferred: 1 });
    expect(await approximateCount(raw)).toBe(1);
  });

  it('refuses to settle a message twice', async () => {
    const { queue } = await freshQueue();
    await queue.send({ partition: 'ingest_date=2026-03-09', shard: 0 });
    const [message] = await queue.receive(1);
    await queue.complete(message!);
    await expect(queue.complete(message!)).rejects.toThrow(/already settled/);
    const stranger: WorkMessage<Task> = { id: 'x', body: { partition: 'p', shard: 0 }, attempt: 1 };
    await expect(queue.park(stranger, 'no')).rejects.toThrow(/was not received from queue/);
  });
});
