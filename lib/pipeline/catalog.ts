import type { LakeTable } from '../lake/lake.js';
import { LIMS_TABLE_NAMES } from '../sources/schema.js';
import { bronzeTable } from './bronze.js';
import { GOLD_TABLES } from './goldTables.js';
import { SILVER_TABLES, quarantineTable } from './silverTables.js';

/** Every table of the lake, by `zone/name`: what `export` and `status` can name. */
export const LAKE_TABLES: readonly LakeTable[] = [
  ...LIMS_TABLE_NAMES.map(bronzeTable),
  ...LIMS_TABLE_NAMES.map((name) => SILVER_TABLES[name]),
  ...LIMS_TABLE_NAMES.map(quarantineTable),
  ...GOLD_TABLES,
];

export function lakeTableName(table: Pick<LakeTable, 'zone' | 'name'>): string {
  return `${table.zone}/${table.name}`;
}

/** `gold/device_features`, `gold.device_features`, or a bare name when only one zone has it. */
export function findLakeTable(name: string): LakeTable | { error: string } {
  const normalized = name.replace('.', '/');
  const exact = LAKE_TABLES.find((t) => lakeTableName(t) === normalized);
  if (exact) return exact;
  const byName = LAKE_TABLES.filter((t) => t.name === normalized);
  if (byName.length === 1) return byName[0]!;
  const known = LAKE_TABLES.map(lakeTableName).join(', ');
  if (byName.length > 1) return { error: `table "${name}" exists in several zones; name one of ${byName.map(lakeTableName).join(', ')}` };
  return { error: `unknown table "${name}"; tables: ${known}` };
}
