/**
 * Every storage container, table and queue the product uses, named once. The embedded platform
 * creates them at start; the Bicep templates must create the same (a consistency test checks).
 */
export const CONTAINERS = {
  lake: 'lake',
  models: 'models',
  reports: 'reports',
} as const;

export const TABLES = {
  watermarks: 'watermarks',
  runs: 'runs',
  parked: 'parkedmessages',
  dqReports: 'dqreports',
  modelAliases: 'modelaliases',
  modelAudit: 'modelaudit',
  alerts: 'alerts',
  /** Outbreak detection: one row per (day, test, region) with every method's value, threshold and alarm. */
  outbreakSignals: 'outbreaksignals',
  /** Realised model performance: one row per prediction day once its 7-day outcomes are known. */
  modelPerformance: 'modelperformance',
  /** Open/resolved state of each alert (kind, subject): the de-duplication record. */
  alertState: 'alertstate',
  /** Every delivery of an alert or report (channel, recipients) and each attempt at it. */
  alertDeliveries: 'alertdeliveries',
} as const;

export const QUEUES = {
  bronzeCommitted: 'bronze-committed',
  goldDay: 'gold-day',
  goldFeatures: 'gold-features',
  scoreDevices: 'score-devices',
  /**
   * Alert events for the dispatcher. On Service Bus the `alerts` topic's `dispatcher`
   * subscription forwards here; on the embedded default events are sent here directly.
   */
  alertDispatch: 'alert-dispatch',
  /** One message per (alert or report, channel): retried with backoff, then parked. */
  alertDeliveries: 'alert-deliveries',
} as const;

/**
 * Service Bus topics (Azure only): alert events are published to `alerts`, whose `dispatcher`
 * subscription auto-forwards to the dispatcher's queue; other subscriptions (an archive, a
 * Logic App) can be added without touching the code.
 */
export const TOPICS = {
  alerts: { name: 'alerts', subscriptions: { dispatcher: { forwardTo: QUEUES.alertDispatch } } },
} as const;

/** Storage-queue poison queues follow the Functions host convention: `<queue>-poison`. */
export function poisonQueueName(queue: string): string {
  return `${queue}-poison`;
}
