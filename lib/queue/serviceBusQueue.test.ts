import { afterAll, describe, expect, it } from 'vitest';
import { storageFromConnectionString } from '../platform/storage.js';
import { closeWorkQueues, openWorkQueue, type QueueConfig } from './index.js';
import { RETRY_PROPERTIES, ServiceBusWorkQueue, readServiceBusMessage, toServiceBusMessage, type ReceivedFields } from './serviceBusQueue.js';
import { StorageWorkQueue } from './storageQueue.js';

/** What the receiver hands over for a sent message (the SDK's raw AMQP delivery count). */
function delivered(sent: ReturnType<typeof toServiceBusMessage>, deliveryCount: number): ReceivedFields {
  return { body: sent.body, messageId: sent.messageId, deliveryCount, applicationProperties: sent.applicationProperties };
}

describe('Service Bus message conversion', () => {
  const body = { partition: 'feature_date=2026-03-01', shard: 7, unit: 'µmol/L' };

  it('sends the body as UTF-8 JSON bytes with a fresh message id each time', () => {
    const first = toServiceBusMessage(body);
    expect(Buffer.isBuffer(first.body)).toBe(true);
    expect(JSON.parse((first.body as Buffer).toString('utf8'))).toEqual(body);
    expect(first.contentType).toBe('application/json');
    expect(first.messageId).not.toBe(toServiceBusMessage(body).messageId);
    expect(first.applicationProperties).toBeUndefined();
  });

  it('reads a first delivery back as attempt 1 (the JS SDK counts deliveries from 0)', () => {
    const sent = toServiceBusMessage(body);
    expect(readServiceBusMessage(delivered(sent, 0))).toEqual({
      id: sent.messageId,
      attempt: 1,
      body: { ok: true, body },
      text: JSON.stringify(body),
    });
    expect(readServiceBusMessage(delivered(sent, 2)).attempt).toBe(3);
  });

  it('keeps the work id and counts attempts across retry copies', () => {
    const copy = toServiceBusMessage(body, { workId: 'work-1', priorAttempts: 2, lastError: 'x'.repeat(5_000) });
    expect(copy.applicationProperties?.[RETRY_PROPERTIES.lastError]).toHaveLength(1_000);
    const read = readServiceBusMessage(delivered(copy, 0));
    expect(read).toMatchObject({ id: 'work-1', attempt: 3, body: { ok: true, body } });
    expect(copy.messageId).not.toBe('work-1');
  });

  it('reports a body that is not JSON instead of throwing', () => {
    const read = readServiceBusMessage({ body: Buffer.from('shard=7'), messageId: 'm-1', deliveryCount: 0 });
    expect(read).toMatchObject({ id: 'm-1', attempt: 1, text: 'shard=7', body: { ok: false, problem: expect.stringContaining('not JSON') } });
  });

  it('accepts an AMQP value body as already decoded', () => {
    expect(readServiceBusMessage({ body: { shard: 1 }, messageId: 'm-2', deliveryCount: 0 }).body).toEqual({ ok: true, body: { shard: 1 } });
  });
});

describe('openWorkQueue', () => {
  // Clients connect lazily: nothing here reaches the (fictitious) namespace.
  const storage = storageFromConnectionString('UseDevelopmentStorage=true');
  const serviceBus: QueueConfig = { QUEUE_PROVIDER: 'servicebus', SERVICE_BUS_NAMESPACE: 'contoso-lims.servicebus.windows.net', AZURE_CLIENT_ID: '' };

  afterAll(closeWorkQueues);

  it('chooses the adapter from QUEUE_PROVIDER', () => {
    expect(openWorkQueue('silver-work', { ...serviceBus, QUEUE_PROVIDER: 'storage' }, storage)).toBeInstanceOf(StorageWorkQueue);
    expect(openWorkQueue('silver-work', serviceBus, storage)).toBeInstanceOf(ServiceBusWorkQueue);
  });

  it('reuses one Service Bus sender/receiver per queue', () => {
    const queue = openWorkQueue('gold-work', serviceBus, storage);
    expect(openWorkQueue('gold-work', serviceBus, storage)).toBe(queue);
    expect(openWorkQueue('other-work', serviceBus, storage)).not.toBe(queue);
  });
});
