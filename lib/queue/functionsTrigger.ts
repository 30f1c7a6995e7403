import type { InvocationContext } from '@azure/functions';
import { loadConfig } from '../config/config.js';
import { TABLES } from '../platform/resources.js';
import { configuredStorage } from '../platform/storage.js';
import { ParkedMessageLog, type ParkedMessage } from './parkedMessages.js';
import { asError, parkReason } from './workQueue.js';

export type TriggerHandler<T> = (body: T, context: InvocationContext) => Promise<void>;

/**
 * For storage-queue and Service Bus triggers, where the Functions host retries and moves the
 * message to the poison / dead-letter queue itself, but without our error message. When the
 * handler throws on the final delivery, the reason is recorded in the parked-messages table
 * before the error is rethrown for the host to act on.
 *
 * `maxAttempts` must equal the host's limit: `extensions.queues.maxDequeueCount` in host.json for
 * storage queues, the queue's `maxDeliveryCount` for Service Bus. `parkedLog` defaults to the
 * table of the configured storage account, opened on first need (not at registration).
 */
export function parkOnLastAttempt<T>(
  queueName: string,
  maxAttempts: number,
  handler: TriggerHandler<T>,
  parkedLog: () => ParkedMessageLog = hostedParkedLog,
): TriggerHandler<T> {
  return async (body, context) => {
    try {
      await handler(body, context);
    } catch (thrown) {
      const attempt = deliveryAttempt(context);
      if (attempt !== undefined && attempt >= maxAttempts) {
        await recordWithoutMasking(parkedLog, context, {
          queue: queueName,
          id: messageId(context),
          body: typeof body === 'string' ? body : JSON.stringify(body),
          reason: parkReason(asError(thrown), attempt, maxAttempts),
          attempts: attempt,
          parkedAt: new Date(),
        });
      }
      throw thrown;
    }
  };
}

/**
 * 1-based delivery number from the trigger metadata: `dequeueCount` (storage queue) or
 * `deliveryCount` (Service Bus, already 1-based as the host reports it); undefined if absent.
 */
export function deliveryAttempt(context: InvocationContext): number | undefined {
  const metadata = context.triggerMetadata ?? {};
  const count = Number(metadata.dequeueCount ?? metadata.deliveryCount);
  return Number.isInteger(count) && count > 0 ? count : undefined;
}

function messageId(context: InvocationContext): string {
  const metadata = context.triggerMetadata ?? {};
  const id = metadata.id ?? metadata.messageId;
  return typeof id === 'string' && id !== '' ? id : context.invocationId;
}

let hosted: ParkedMessageLog | undefined;

/** The configured account's parked-messages table. */
function hostedParkedLog(): ParkedMessageLog {
  if (hosted) return hosted;
  const storage = configuredStorage(loadConfig());
  if (!storage) throw new Error('no storage account is configured (LAKE_STORAGE_ACCOUNT or LAKE_STORAGE_CONNECTION_STRING)');
  hosted = new ParkedMessageLog(storage.table(TABLES.parked));
  return hosted;
}

/** A failure to record is logged, never thrown: the handler's own error is what the host must see. */
async function recordWithoutMasking(parkedLog: () => ParkedMessageLog, context: InvocationContext, parked: ParkedMessage): Promise<void> {
  try {
    await parkedLog().record(parked);
  } catch (error) {
    context.error(`Could not record parked message ${parked.id} of queue ${parked.queue}: ${asError(error).message}`);
  }
}
