import { DEFAULT_ALERT_RECIPIENTS, parseRecipientRoutes } from '../alerts/recipients.js';
import { OUTBREAK_METHODS, parseOutbreakMethods } from '../outbreaks/methodNames.js';
import { boolean, integer, number, oneOf, schedule, text, type SettingDefinition } from './schema.js';

/** Every setting of the product. Add a key here and it is validated, sampled and documented. */
export const SETTINGS = {
  LAKE_STORAGE_CONNECTION_STRING: text({
    description: 'Storage connection string (Azurite or key-based). Empty with no account: the embedded Azurite is started.',
    secret: true,
    localOnly: true,
  }),
  LAKE_STORAGE_ACCOUNT: text({
    description: 'Storage account name, reached with the managed identity (Azure). Takes precedence over the connection string.',
    example: '',
  }),
  AZURE_CLIENT_ID: text({
    description: 'Client id of the user-assigned managed identity used for Storage, Service Bus and SQL (Azure).',
  }),
  LOCAL_DATA_DIR: text({
    description: 'Project-local folder for the embedded Azurite data and the simulated LIMS.',
    default: '.lims-mlops',
    localOnly: true,
  }),
  QUEUE_PROVIDER: oneOf({
    description: 'Work queues on Storage queues or Service Bus queues.',
    values: ['storage', 'servicebus'] as const,
    default: 'storage',
  }),
  SERVICE_BUS_NAMESPACE: text({
    description: 'Fully qualified Service Bus namespace (e.g. contoso-lims.servicebus.windows.net) when QUEUE_PROVIDER=servicebus.',
  }),
  QUEUE_MAX_ATTEMPTS: integer({
    description: 'Deliveries of a work message before it is parked with its reason.',
    default: 5,
    min: 1,
    max: 100,
  }),
  LIMS_SOURCE: oneOf({
    description: 'Where LIMS rows come from: the built-in simulator or SQL Server.',
    values: ['simulator', 'mssql'] as const,
    default: 'simulator',
  }),
  LIMS_SQL_SERVER: text({ description: 'SQL Server host name (LIMS_SOURCE=mssql).' }),
  LIMS_SQL_PORT: integer({ description: 'SQL Server port.', default: 1433, min: 1, max: 65535 }),
  LIMS_SQL_DATABASE: text({ description: 'LIMS database name.' }),
  LIMS_SQL_AUTH: oneOf({
    description: 'SQL authentication (login and password) or Entra ID (managed identity).',
    values: ['sql', 'entra'] as const,
    default: 'entra',
  }),
  LIMS_SQL_USER: text({ description: 'SQL login (LIMS_SQL_AUTH=sql).' }),
  LIMS_SQL_PASSWORD: text({ description: 'SQL password (LIMS_SQL_AUTH=sql); a Key Vault reference in Azure.', secret: true }),
  LIMS_SQL_ENCRYPT: boolean({ description: 'Encrypt the SQL connection (TLS).', default: true }),
  LIMS_SQL_TRUST_SERVER_CERTIFICATE: boolean({ description: 'Accept a self-signed SQL Server certificate.', default: false }),
  LIMS_SQL_MAPPING_FILE: text({ description: 'Per-site column-mapping JSON file (empty: default table and column names).' }),
  INGEST_SCHEDULE: schedule({ description: 'Bronze ingestion timer (NCRONTAB, UTC).', default: '0 */15 * * * *' }),
  INGEST_PAGE_SIZE: integer({ description: 'Rows per source page and per bronze file (one silver unit of work); bounds ingestion memory.', default: 200_000, min: 100, max: 1_000_000 }),
  INGEST_OVERLAP_MINUTES: integer({ description: 'Re-read window behind the watermark for rows committed late.', default: 10, min: 0, max: 1440 }),
  PROMOTION_AUC_TOLERANCE: number({
    description: 'Promotion gate: a new model replaces production unless its holdout ROC-AUC is worse than production\'s on the same holdout by more than this.',
    default: 0.01,
    min: 0,
    max: 1,
  }),
  SCORING_SCHEDULE: schedule({ description: 'Daily batch scoring of every device (NCRONTAB, UTC), before the 06:00 report.', default: '0 30 5 * * *' }),
  WORKER_THREADS: integer({
    description: 'Worker threads per instance for the CPU of silver units and gold days (decode, standardize, check, aggregate, encode), so an instance uses its cores while the main thread reads and writes the lake. One per core suits; 0 does that work on the main thread.',
    default: 2,
    min: 0,
    max: 64,
  }),
  KEY_INDEX_CACHE_KEYS: integer({
    description: 'Keys of silver partition indexes (key -> version and file) an instance keeps between upserts, about 100 bytes each. The default holds 12 days of lab results at 10,000 devices; fewer days than one silver unit touches (late results spread it over about a week) means re-reading key columns for every unit.',
    default: 4_000_000,
    min: 0,
    max: 100_000_000,
  }),
  GOLD_SHARDS: integer({ description: 'Device shards of gold feature work: one queue message per shard and run of feature days, one partition per feature day and shard.', default: 4, min: 1, max: 256 }),
  DRIFT_SCHEDULE: schedule({ description: 'Daily drift report (NCRONTAB, UTC): data drift, calibration drift and Westgard QC of the latest days, to reports/drift/.', default: '0 40 5 * * *' }),
  DRIFT_BASELINE_DAYS: integer({ description: 'Drift report: days of the baseline window, just before the current window.', default: 28, min: 3, max: 730 }),
  DRIFT_CURRENT_DAYS: integer({ description: 'Drift report: days of the current window, ending on the latest day with data.', default: 7, min: 1, max: 180 }),
  OUTBREAK_SCHEDULE: schedule({ description: 'Daily outbreak detection (NCRONTAB, UTC) on gold outbreak_series: signals to the outbreaksignals table, alerts.', default: '0 45 5 * * *' }),
  OUTBREAK_SCAN_REPLICAS: integer({ description: 'Monte Carlo replicas of the space-time permutation scan (p-values are multiples of 1/(replicas+1)).', default: 999, min: 19, max: 99_999 }),
  OUTBREAK_ALERT_METHODS: {
    ...text({
      description: `Outbreak methods the alert rule counts (comma-separated): ${OUTBREAK_METHODS.join(', ')}. Every method is computed and stored either way.`,
      default: 'ears_c1,cusum,scan,positivity_seasonal',
    }),
    expected: `comma-separated method ids from ${OUTBREAK_METHODS.join(', ')}`,
    parse: (raw: string) => parseOutbreakMethods(raw)?.join(','),
  },
  OUTBREAK_ALERT_MIN_METHODS: integer({
    description: 'An outbreak_signal alert fires for a test and region when at least this many of OUTBREAK_ALERT_METHODS alarm on the same day (1: any of them).',
    default: 2,
    min: 1,
    max: 8,
  }),
  MODEL_PERFORMANCE_SCHEDULE: schedule({ description: 'Daily realised model performance (NCRONTAB, UTC): predictions 7+ days old against the failures that followed.', default: '0 50 5 * * *' }),
  MODEL_PERFORMANCE_WINDOW_DAYS: integer({
    description: 'Realised model performance: prediction days pooled (ending on the day evaluated) for the comparison with the model card, so one quiet day is no alarm.',
    default: 14,
    min: 1,
    max: 365,
  }),
  LOINC_MAPPING_FILE: text({
    description: 'Site LOINC mapping CSV (site_id,local_code,local_unit,loinc_code,loinc_long_common_name) that adds to or replaces rows of the shipped mapping (empty: shipped mapping only).',
  }),
  PII_HASH_KEY: {
    ...text({
      description: 'Key of the HMAC-SHA-256 that replaces patient ids in silver. Empty: the embedded default generates one per installation under LOCAL_DATA_DIR; required with any other storage.',
      secret: true,
    }),
    expected: 'at least 32 characters (e.g. openssl rand -hex 32)',
    parse: (raw: string) => (raw.trim().length >= 32 ? raw.trim() : undefined),
  },
  REGION_MAPPING_FILE: text({
    description: 'Postal-code prefix to region CSV (postal_prefix,region_id,region_name) that adds to or replaces rows of the shipped table (empty: shipped table only).',
  }),
  POSTAL_CODE_PATTERN: {
    ...text({
      description: 'Regular expression a postal code (trimmed, upper-cased, spaces removed) must match to be reduced to a region; others become "unknown".',
      default: '^[0-9]{5}$',
    }),
    expected: 'a regular expression',
    parse: (raw: string) => (isRegularExpression(raw.trim()) ? raw.trim() : undefined),
  },
  ADMIN_API_KEY: {
    ...text({
      description: 'Key that the admin HTTP routes (promote, rollback) require in the x-admin-key header. Empty: those routes answer 503 (disabled).',
      secret: true,
    }),
    expected: 'at least 16 characters',
    parse: (raw: string) => (raw.trim().length >= 16 ? raw.trim() : undefined),
  },
  MODEL_ALIAS_CHECK_SECONDS: integer({
    description: 'How often a serving instance reads the production alias (one Table read) to pick up a newly promoted model.',
    default: 10,
    min: 1,
    max: 3600,
  }),
  ALERT_EVALUATION_SCHEDULE: schedule({
    description: 'Alert rule evaluation (NCRONTAB, UTC): high-risk devices of the latest score day, failed pipeline stages, data freshness.',
    default: '0 */15 * * * *',
  }),
  ALERT_CALIBRATION_Z: number({ description: 'Alert rule: device calibration drift is CRITICAL when |z| of a device/analyte exceeds this (and survives ALERT_CALIBRATION_FDR).', default: 3, min: 0.5, max: 20 }),
  ALERT_CALIBRATION_FDR: number({
    description: "Alert rule: a calibration |z| > ALERT_CALIBRATION_Z is CRITICAL only when its two-sided p-value survives Benjamini-Hochberg at this false discovery rate across the day's device/analyte z-tests; otherwise it is reported as WARNING.",
    default: 0.05,
    min: 0,
    max: 1,
  }),
  ALERT_RISK_SCORE: integer({ description: 'Alert rule: a device is a HIGH alert when its batch risk score (0-100) exceeds this.', default: 80, min: 0, max: 100 }),
  ALERT_DRIFT_P_VALUE: number({ description: 'Alert rule: a data-drift test counts when its (corrected) KS p-value is below this.', default: 0.05, min: 0, max: 1 }),
  ALERT_DRIFT_MIN_TESTS: integer({ description: 'Alert rule: data drift is a MEDIUM alert when at least this many tests drift on one day.', default: 3, min: 1, max: 10_000 }),
  ALERT_FRESHNESS_MINUTES: integer({
    description: 'Alert rule: pipeline failure (HIGH) when the newest ingested change is older than this against the clock (the simulated clock for the simulator).',
    default: 60,
    min: 1,
    max: 10_080,
  }),
  ALERT_PERFORMANCE_MARGIN: number({
    description: 'Alert rule: realised model performance is a MEDIUM alert when a metric falls below the model card\'s holdout figure by more than this.',
    default: 0.05,
    min: 0,
    max: 1,
  }),
  ALERT_DEDUP_WINDOW_MINUTES: integer({
    description: 'An open alert (same kind and subject) is not re-sent inside this window; an escalation to a higher severity is.',
    default: 1440,
    min: 1,
    max: 43_200,
  }),
  ALERT_RECIPIENTS: {
    ...text({
      description: 'Which recipient groups get the e-mail of each alert kind: kind=group,group;... with groups lab_managers, ops_team, public_health.',
      default: DEFAULT_ALERT_RECIPIENTS,
    }),
    expected: 'kind=group[,group];... with kinds calibration_drift, high_risk_device, data_drift, pipeline_failure, outbreak_signal, model_performance and groups lab_managers, ops_team, public_health',
    parse: (raw: string) => (parseRecipientRoutes(raw) ? raw.trim() : undefined),
  },
  ALERT_EMAIL_LAB_MANAGERS: emailList('E-mail addresses of the lab managers (comma-separated); they also get the daily report.'),
  ALERT_EMAIL_OPS_TEAM: emailList('E-mail addresses of the operations team (comma-separated).'),
  ALERT_EMAIL_PUBLIC_HEALTH: emailList('E-mail addresses of the public-health contacts who get outbreak signals (comma-separated).'),
  ALERT_SLACK_MIN_SEVERITY: oneOf({
    description: 'Lowest alert severity posted to Slack (when SLACK_WEBHOOK_URL is set).',
    values: ['LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const,
    default: 'HIGH',
  }),
  SLACK_WEBHOOK_URL: {
    ...text({ description: 'Slack incoming-webhook URL for alerts. Empty: no Slack.', secret: true }),
    expected: 'an http(s) URL',
    parse: (raw: string) => (/^https?:\/\/\S+$/.test(raw.trim()) ? raw.trim() : undefined),
  },
  PAGERDUTY_ROUTING_KEY: text({ description: 'PagerDuty Events API v2 routing (integration) key; CRITICAL alerts page. Empty: no PagerDuty.', secret: true }),
  PAGERDUTY_EVENTS_URL: {
    ...text({ description: 'PagerDuty Events API v2 endpoint.', default: 'https://events.pagerduty.com/v2/enqueue' }),
    expected: 'an http(s) URL',
    parse: (raw: string) => (/^https?:\/\/\S+$/.test(raw.trim()) ? raw.trim() : undefined),
  },
  EMAIL_ACS_ENDPOINT: {
    ...text({
      description: 'Azure Communication Services endpoint (https://<resource>.communication.azure.com), reached with the managed identity. Empty: e-mails are written to <LOCAL_DATA_DIR>/outbox as .html files.',
    }),
    expected: 'an https URL',
    parse: (raw: string) => (/^https:\/\/\S+$/.test(raw.trim()) ? raw.trim() : undefined),
  },
  EMAIL_SENDER: text({
    description: 'Sender address of alert and report e-mails (a MailFrom address of the ACS e-mail domain in Azure).',
    default: 'DoNotReply@lims-mlops.local',
  }),
  REPORT_SCHEDULE: schedule({ description: 'Daily executive report (NCRONTAB, UTC): stored in reports/daily, e-mailed, served at /api/dashboard.', default: '0 0 6 * * *' }),
  REPORT_EMAIL_TO: emailList('Recipients of the daily report (comma-separated). Empty: the lab managers (ALERT_EMAIL_LAB_MANAGERS).'),
  LOG_LEVEL: oneOf({ description: 'Log verbosity.', values: ['debug', 'info', 'warn', 'error'] as const, default: 'info' }),
} satisfies Record<string, SettingDefinition<unknown>>;

/** A comma-separated list of e-mail addresses (empty allowed). */
function emailList(description: string): SettingDefinition<string> {
  return {
    ...text({ description }),
    expected: 'comma-separated e-mail addresses',
    parse: (raw: string) => {
      const addresses = raw.split(',').map((a) => a.trim()).filter(Boolean);
      return addresses.every((a) => /^[^\s@,;<>]+@[^\s@,;<>]+\.[^\s@,;<>]+$/.test(a)) ? addresses.join(',') : undefined;
    },
  };
}

function isRegularExpression(text: string): boolean {
  try {
    new RegExp(text);
    return true;
  } catch {
    return false;
  }
}

export type SettingKey = keyof typeof SETTINGS;
export type Config = { readonly [K in SettingKey]: (typeof SETTINGS)[K]['default'] };
