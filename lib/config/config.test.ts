import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';
import { sampleLocalSettings, settingsMarkdownTable } from './sample.js';
import { SETTINGS } from './settings.js';

describe('configuration', () => {
  it('applies defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.LIMS_SOURCE).toBe('simulator');
    expect(config.INGEST_PAGE_SIZE).toBe(200_000);
    expect(config.INGEST_SCHEDULE).toBe('0 */15 * * * *');
  });

  it.each([
    [{ INGEST_PAGE_SIZE: 'lots' }, 'Setting INGEST_PAGE_SIZE is invalid: expected an integer from 100 to 1000000, got "lots".'],
    [{ LIMS_SOURCE: 'oracle' }, 'Setting LIMS_SOURCE is invalid: expected one of simulator, mssql, got "oracle".'],
    [{ INGEST_SCHEDULE: '*/15 * * * *' }, 'Setting INGEST_SCHEDULE is invalid: expected a six-field NCRONTAB expression such as "0 */15 * * * *", got "*/15 * * * *".'],
    [{ LIMS_SOURCE: 'mssql' }, 'Setting LIMS_SQL_SERVER is required when LIMS_SOURCE=mssql.'],
  ])('rejects %j with one line naming the key', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('local.settings.sample.json lists every setting, generated from the schema', () => {
    const file = JSON.parse(readFileSync('local.settings.sample.json', 'utf8')) as unknown;
    expect(file).toEqual(sampleLocalSettings());
    for (const key of Object.keys(SETTINGS)) expect(sampleLocalSettings().Values).toHaveProperty(key);
  });

  it('the README configuration table is the generated one', () => {
    expect(readFileSync('README.md', 'utf8')).toContain(settingsMarkdownTable());
  });
});
