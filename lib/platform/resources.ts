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
} as const;

export const QUEUES = {
  bronzeCommitted: 'bronze-committed',
  goldDay: 'gold-day',
  goldFeatures: 'gold-features',
  scoreDevices: 'score-devices',
} as const;

/** Storage-queue poison queues follow the Functions host convention: `<queue>-poison`. */
export function poisonQueueName(queue: string): string {
  return `${queue}-poison`;
}
