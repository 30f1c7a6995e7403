import { ServiceBusClient } from '@azure/service-bus';
import type { Config } from '../config/config.js';
import { TABLES } from '../platform/resources.js';
import { credentialFor, type Storage } from '../platform/storage.js';
import { ParkedMessageLog } from './parkedMessages.js';
import { ServiceBusWorkQueue } from './serviceBusQueue.js';
import { StorageWorkQueue } from './storageQueue.js';
import type { Backoff, WorkQueue } from './workQueue.js';

export type QueueConfig = Pick<Config, 'QUEUE_PROVIDER' | 'SERVICE_BUS_NAMESPACE' | 'AZURE_CLIENT_ID'>;

export interface OpenOptions {
  readonly backoff?: Backoff;
}

// One AMQP connection per namespace, and one sender/receiver pair per queue, for the process's
// lifetime: Functions instances reuse them across invocations instead of reconnecting each time.
const serviceBusClients = new Map<string, ServiceBusClient>();
const serviceBusQueues = new Map<string, ServiceBusWorkQueue<unknown>>();

/** The work queue `name` on the configured provider (QUEUE_PROVIDER). */
export function openWorkQueue<T>(name: string, config: QueueConfig, storage: Storage, options: OpenOptions = {}): WorkQueue<T> {
  const parkedLog = new ParkedMessageLog(storage.table(TABLES.parked));
  if (config.QUEUE_PROVIDER === 'storage') return new StorageWorkQueue<T>(name, storage, parkedLog, options.backoff);
  const key = `${config.SERVICE_BUS_NAMESPACE}/${name}`;
  let queue = serviceBusQueues.get(key);
  if (!queue) {
    queue = new ServiceBusWorkQueue<unknown>(name, serviceBusClient(config), parkedLog, options);
    serviceBusQueues.set(key, queue);
  }
  // Bodies are JSON whatever T is; the handler checks their shape.
  return queue as WorkQueue<T>;
}

function serviceBusClient(config: QueueConfig): ServiceBusClient {
  let client = serviceBusClients.get(config.SERVICE_BUS_NAMESPACE);
  if (!client) {
    client = new ServiceBusClient(config.SERVICE_BUS_NAMESPACE, credentialFor(config));
    serviceBusClients.set(config.SERVICE_BUS_NAMESPACE, client);
  }
  return client;
}

/** Closes the Service Bus connections (CLI shutdown); Storage queues hold none. */
export async function closeWorkQueues(): Promise<void> {
  const clients = [...serviceBusClients.values()];
  serviceBusClients.clear();
  serviceBusQueues.clear();
  await Promise.all(clients.map((client) => client.close()));
}

export { drainQueue, backoffSeconds, DEFAULT_BACKOFF } from './workQueue.js';
export type { Backoff, DrainOptions, DrainResult, ProcessOptions, WorkHandler, WorkMessage, WorkQueue } from './workQueue.js';
export { ParkedMessageLog, type ParkedMessage } from './parkedMessages.js';
export { parkOnLastAttempt } from './functionsTrigger.js';
