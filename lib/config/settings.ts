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
  INGEST_PAGE_SIZE: integer({ description: 'Rows per source page and per bronze file; bounds ingestion memory.', default: 50_000, min: 100, max: 1_000_000 }),
  INGEST_OVERLAP_MINUTES: integer({ description: 'Re-read window behind the watermark for rows committed late.', default: 10, min: 0, max: 1440 }),
  PROMOTION_AUC_TOLERANCE: number({
    description: 'Promotion gate: a new model replaces production unless its holdout ROC-AUC is worse than production\'s on the same holdout by more than this.',
    default: 0.01,
    min: 0,
    max: 1,
  }),
  SCORING_SCHEDULE: schedule({ description: 'Daily batch scoring of every device (NCRONTAB, UTC), before the 06:00 report.', default: '0 30 5 * * *' }),
  GOLD_SHARDS: integer({ description: 'Device shards of gold feature work: one queue message and one partition per feature day and shard.', default: 4, min: 1, max: 256 }),
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
  LOG_LEVEL: oneOf({ description: 'Log verbosity.', values: ['debug', 'info', 'warn', 'error'] as const, default: 'info' }),
} satisfies Record<string, SettingDefinition<unknown>>;

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
