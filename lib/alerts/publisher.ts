import { ServiceBusClient, type ServiceBusSender } from '@azure/service-bus';
import type { Config } from '../config/config.js';
import { QUEUES, TOPICS } from '../platform/resources.js';
import { credentialFor, type Storage } from '../platform/storage.js';
import { openWorkQueue } from '../queue/index.js';
import type { WorkQueue } from '../queue/workQueue.js';
import { alertKey, type AlertMessage } from './events.js';

/**
 * Where alert events are published. In Azure (QUEUE_PROVIDER=servicebus) that is the Service
 * Bus topic `alerts`; its `dispatcher` subscription forwards to the dispatcher's queue, and more
 * subscriptions (an archive, a ticketing Logic App) can listen without code changes. On the
 * embedded default (Storage queues) events go straight to the dispatcher's queue.
 */
export interface AlertPublisher {
  readonly description: string;
  publish(messages: readonly AlertMessage[]): Promise<void>;
}

/** Publishes to the dispatcher's work queue (Storage queue on the embedded default). */
export class QueueAlertPublisher implements AlertPublisher {
  constructor(private readonly queue: WorkQueue<AlertMessage>) {}

  get description(): string {
    return `queue ${this.queue.name}`;
  }

  async publish(messages: readonly AlertMessage[]): Promise<void> {
    await this.queue.sendMany(messages);
  }
}

/**
 * Publishes to a Service Bus topic. Kind and severity travel as application properties, so a
 * subscription can filter with a SQL rule (e.g. `severity = 'CRITICAL'`); the message id is
 * the event's id, which duplicate detection on the topic can use.
 */
export class ServiceBusTopicPublisher implements AlertPublisher {
  constructor(
    private readonly sender: Pick<ServiceBusSender, 'sendMessages' | 'entityPath'>,
  ) {}

  get description(): string {
    return `Service Bus topic ${this.sender.entityPath}`;
  }

  async publish(messages: readonly AlertMessage[]): Promise<void> {
    if (messages.length === 0) return;
    await this.sender.sendMessages(
      messages.map((m) => ({
        body: m,
        contentType: 'application/json',
        messageId: m.id,
        subject: m.event.kind,
        correlationId: alertKey(m.event),
        applicationProperties: { kind: m.event.kind, severity: m.event.severity, status: m.event.status ?? 'firing' },
      })),
    );
  }
}

const topicSenders = new Map<string, { client: ServiceBusClient; sender: ServiceBusSender }>();

/** The configured publisher: the `alerts` topic with Service Bus, the dispatcher's queue otherwise. */
export function alertPublisher(config: Pick<Config, 'QUEUE_PROVIDER' | 'SERVICE_BUS_NAMESPACE' | 'AZURE_CLIENT_ID'>, storage: Storage): AlertPublisher {
  if (config.QUEUE_PROVIDER === 'storage') return new QueueAlertPublisher(openWorkQueue<AlertMessage>(QUEUES.alertDispatch, config, storage));
  let entry = topicSenders.get(config.SERVICE_BUS_NAMESPACE);
  if (!entry) {
    const client = new ServiceBusClient(config.SERVICE_BUS_NAMESPACE, credentialFor(config));
    entry = { client, sender: client.createSender(TOPICS.alerts.name) };
    topicSenders.set(config.SERVICE_BUS_NAMESPACE, entry);
  }
  return new ServiceBusTopicPublisher(entry.sender);
}

/** Closes the topic connections (CLI shutdown). */
export async function closeAlertPublishers(): Promise<void> {
  const entries = [...topicSenders.values()];
  topicSenders.clear();
  await Promise.all(entries.map(async (e) => {
    await e.sender.close();
    await e.client.close();
  }));
}
