import { InvocationContext, type LogLevel } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStorage } from '../../test/support/storage.js';
import type { EmbeddedAzurite } from '../platform/azurite.js';
import { TABLES } from '../platform/resources.js';
import type { Storage } from '../platform/storage.js';
import { deliveryAttempt, parkOnLastAttempt } from './functionsTrigger.js';
import { ParkedMessageLog } from './parkedMessages.js';

let azurite: EmbeddedAzurite;
let storage: Storage;
let parkedLog: ParkedMessageLog;

beforeAll(async () => {
  ({ azurite, storage } = await startTestStorage());
  parkedLog = new ParkedMessageLog(storage.table(TABLES.parked));
});

afterAll(async () => {
  await azurite?.stop();
});

const failure = new Error('device D-17 has no calibration interval');
const failing = async (): Promise<void> => {
  throw failure;
};

function contextWith(triggerMetadata: Record<string, unknown>, logs: string[] = []): InvocationContext {
  const logHandler = (level: LogLevel, ...args: unknown[]): void => void logs.push(`${level}: ${args.join(' ')}`);
  return new InvocationContext({ invocationId: 'inv-1', triggerMetadata, logHandler });
}

describe('parkOnLastAttempt', () => {
  it('records the reason on the final storage-queue delivery, then rethrows for the host', async () => {
    const run = parkOnLastAttempt('silver-trigger', 5, failing, () => parkedLog);
    await expect(run({ partition: 'p1' }, contextWith({ dequeueCount: 5, id: 'msg-1' }))).rejects.toBe(failure);

    const [parked, ...others] = await parkedLog.list('silver-trigger');
    expect(others).toEqual([]);
    expect(parked).toMatchObject({
      id: 'msg-1',
      body: '{"partition":"p1"}',
      reason: 'Failed on attempt 5 of 5: device D-17 has no calibration interval',
      attempts: 5,
    });
  });

  it('records nothing while the host still has attempts left', async () => {
    const run = parkOnLastAttempt('early-trigger', 5, failing, () => parkedLog);
    await expect(run({}, contextWith({ dequeueCount: 4, id: 'msg-2' }))).rejects.toBe(failure);
    expect(await parkedLog.list('early-trigger')).toEqual([]);
  });

  it('reads the Service Bus delivery count and message id', async () => {
    const run = parkOnLastAttempt('gold-trigger', 3, failing, () => parkedLog);
    await expect(run('plain text', contextWith({ deliveryCount: 3, messageId: 'sb/1#a' }))).rejects.toBe(failure);
    expect(await parkedLog.list('gold-trigger')).toMatchObject([{ id: 'sb/1#a', body: 'plain text', attempts: 3 }]);
  });

  it('passes a success through untouched', async () => {
    const seen: unknown[] = [];
    const run = parkOnLastAttempt('ok-trigger', 1, async (body: unknown) => void seen.push(body), () => parkedLog);
    await run({ shard: 1 }, contextWith({ dequeueCount: 1 }));
    expect(seen).toEqual([{ shard: 1 }]);
    expect(await parkedLog.list('ok-trigger')).toEqual([]);
  });

  it('still rethrows the handler error when the record cannot be written, and logs why', async () => {
    const logs: string[] = [];
    const unusable = new ParkedMessageLog(storage.table('no_such-table!'));
    const run = parkOnLastAttempt('broken-trigger', 1, failing, () => unusable);
    await expect(run({}, contextWith({ dequeueCount: 1, id: 'msg-3' }, logs))).rejects.toBe(failure);
    expect(logs).toEqual([expect.stringMatching(/^error: Could not record parked message msg-3 of queue broken-trigger/)]);
  });
});

describe('deliveryAttempt', () => {
  it('reads dequeueCount or deliveryCount, numeric strings included, and nothing else', () => {
    expect(deliveryAttempt(contextWith({ dequeueCount: 2 }))).toBe(2);
    expect(deliveryAttempt(contextWith({ deliveryCount: '4' }))).toBe(4);
    expect(deliveryAttempt(contextWith({}))).toBeUndefined();
    expect(deliveryAttempt(new InvocationContext())).toBeUndefined();
  });
});
