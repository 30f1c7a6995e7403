import { parseArgs, type ParseArgsConfig } from 'node:util';
import { INGESTION_ORDER } from '../pipeline/bronze.js';
import { LIMS_TABLE_NAMES, isLimsTableName, type LimsTableName } from '../sources/schema.js';

/** A mistake in how the program was called: reported in one line, exit code 2, nothing written. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export function parseCommandArgs(command: string, argv: readonly string[], options: OptionSpec, positionals = 0) {
  try {
    const parsed = parseArgs({ args: [...argv], options: { ...options, help: { type: 'boolean', short: 'h' } }, allowPositionals: positionals > 0, strict: true });
    if (parsed.positionals.length > positionals) throw new UsageError(`${command}: unexpected argument ${parsed.positionals[positionals]}`);
    return parsed;
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const message = error instanceof Error ? error.message.split('\n')[0]! : String(error);
    throw new UsageError(`${command}: ${message.replace(/\. To specify.*$/, '')}`);
  }
}

export function integerOption(command: string, name: string, raw: string | undefined, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) {
    throw new UsageError(`${command}: --${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return Number(raw);
}

export function dateOption(command: string, name: string, raw: string | undefined): Date | undefined {
  if (raw === undefined) return undefined;
  const date = /^\d{4}-\d{2}-\d{2}$/.test(raw) ? new Date(`${raw}T00:00:00Z`) : new Date(NaN);
  if (Number.isNaN(date.getTime())) throw new UsageError(`${command}: --${name} must be a date YYYY-MM-DD, got "${raw}"`);
  return date;
}

/** `--tables a,b` as LIMS tables in ingestion order (reference tables first); all five when absent. */
export function tablesOption(command: string, raw: string | boolean | undefined): LimsTableName[] {
  if (typeof raw !== 'string') return [...INGESTION_ORDER];
  const requested = raw.split(',').map((name) => {
    if (!isLimsTableName(name)) throw new UsageError(`${command}: unknown table "${name}"; tables: ${LIMS_TABLE_NAMES.join(', ')}`);
    return name;
  });
  return INGESTION_ORDER.filter((table) => requested.includes(table));
}
