import type { BronzeCommit } from '../pipeline/bronze.js';
import { MAX_FEATURE_RUN_DAYS, type DayWork, type FeatureWork } from '../pipeline/gold.js';
import type { ScoreWork } from '../scoring/batch.js';
import { isLimsTableName } from '../sources/schema.js';
import { daysBetween } from '../calendar/days.js';

/**
 * Queue bodies are checked before use: a malformed message fails with a message naming the
 * field, is retried, then parked with that reason (never half-processed).
 */
const DATE = /^\d{4}-\d{2}-\d{2}$/;

function record(body: unknown, kind: string): Record<string, unknown> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error(`${kind} message must be a JSON object`);
  return body as Record<string, unknown>;
}

function field<T>(body: Record<string, unknown>, kind: string, path: string, valid: (value: unknown) => value is T, expected: string): T {
  const value = body[path.split('.').pop()!];
  if (!valid(value)) throw new Error(`${kind} message field ${path} must be ${expected}, got ${JSON.stringify(value)}`);
  return value;
}

const isDate = (value: unknown): value is string => typeof value === 'string' && DATE.test(value);
const isText = (value: unknown): value is string => typeof value === 'string' && value.length > 0;
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0;
const isFlag = (value: unknown): value is boolean => typeof value === 'boolean';

export function parseBronzeCommit(body: unknown): BronzeCommit {
  const message = record(body, 'bronze-committed');
  const table = field(message, 'bronze-committed', 'table', (v): v is string => typeof v === 'string' && isLimsTableName(v), 'a LIMS table name');
  const partition = record(message.partition, 'bronze-committed partition');
  return {
    table: table as BronzeCommit['table'],
    partition: { ingest_date: field(partition, 'bronze-committed', 'partition.ingest_date', isDate, 'a date YYYY-MM-DD') },
    unit: field(message, 'bronze-committed', 'unit', isText, 'a unit name'),
    rows: field(message, 'bronze-committed', 'rows', isCount, 'a row count'),
    ...(message.rebuild === undefined ? {} : { rebuild: field(message, 'bronze-committed', 'rebuild', isFlag, 'true or false') }),
  };
}

export function parseDayWork(body: unknown): DayWork {
  return { date: field(record(body, 'gold-day'), 'gold-day', 'date', isDate, 'a date YYYY-MM-DD') };
}

export function parseFeatureWork(body: unknown): FeatureWork {
  const message = record(body, 'gold-features');
  const from = field(message, 'gold-features', 'from', isDate, 'a date YYYY-MM-DD');
  const to = field(message, 'gold-features', 'to', isDate, 'a date YYYY-MM-DD');
  const days = daysBetween(from, to) + 1;
  if (!(days >= 1 && days <= MAX_FEATURE_RUN_DAYS)) throw new Error(`gold-features message must span 1 to ${MAX_FEATURE_RUN_DAYS} days from "from" to "to", got ${from}..${to}`);
  return { from, to, shard: field(message, 'gold-features', 'shard', isCount, 'a shard number') };
}

export function parseScoreWork(body: unknown): ScoreWork {
  const message = record(body, 'score-devices');
  return {
    scoreDate: field(message, 'score-devices', 'scoreDate', isDate, 'a date YYYY-MM-DD'),
    shard: field(message, 'score-devices', 'shard', isCount, 'a shard number'),
  };
}
