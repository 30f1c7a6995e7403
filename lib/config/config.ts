import { SETTINGS, type Config, type SettingKey } from './settings.js';

export class ConfigError extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

/** Reads and validates every setting from the environment: the one place configuration is read. */
export function loadConfig(env: Environment = process.env): Config {
  const values: Record<string, unknown> = {};
  for (const key of Object.keys(SETTINGS) as SettingKey[]) {
    const definition = SETTINGS[key];
    const raw = env[key];
    if (raw === undefined || raw.trim() === '') {
      values[key] = definition.default;
      continue;
    }
    const parsed = definition.parse(raw);
    if (parsed === undefined) {
      const shown = definition.secret ? '(hidden secret value)' : JSON.stringify(raw);
      throw new ConfigError(key, `Setting ${key} is invalid: expected ${definition.expected}, got ${shown}.`);
    }
    values[key] = parsed;
  }
  const config = values as Config;
  checkCombinations(config);
  return config;
}

function requireWhen(config: Config, condition: boolean, key: SettingKey, because: string): void {
  if (condition && config[key] === '') throw new ConfigError(key, `Setting ${key} is required ${because}.`);
}

function checkCombinations(config: Config): void {
  const sql = config.LIMS_SOURCE === 'mssql';
  requireWhen(config, sql, 'LIMS_SQL_SERVER', 'when LIMS_SOURCE=mssql');
  requireWhen(config, sql, 'LIMS_SQL_DATABASE', 'when LIMS_SOURCE=mssql');
  requireWhen(config, sql && config.LIMS_SQL_AUTH === 'sql', 'LIMS_SQL_USER', 'when LIMS_SQL_AUTH=sql');
  requireWhen(config, sql && config.LIMS_SQL_AUTH === 'sql', 'LIMS_SQL_PASSWORD', 'when LIMS_SQL_AUTH=sql');
  requireWhen(config, config.QUEUE_PROVIDER === 'servicebus', 'SERVICE_BUS_NAMESPACE', 'when QUEUE_PROVIDER=servicebus');
  if (config.QUEUE_PROVIDER === 'servicebus' && config.LAKE_STORAGE_ACCOUNT === '' && config.LAKE_STORAGE_CONNECTION_STRING === '') {
    throw new ConfigError('QUEUE_PROVIDER', 'Setting QUEUE_PROVIDER=servicebus needs Azure storage (LAKE_STORAGE_ACCOUNT); the embedded default uses storage queues.');
  }
}

export { SETTINGS, type Config, type SettingKey };
