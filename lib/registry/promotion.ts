import type { AliasRecord, ModelRegistry } from './registry.js';

/**
 * Manual alias moves shared by the CLI and the admin HTTP routes: promote a version to
 * production, or roll production back to the version it replaced (from the audit trail).
 */
export async function promoteVersion(registry: ModelRegistry, version: string, actor: string, reason: string): Promise<AliasRecord> {
  return registry.setAlias('production', version, { actor, reason, expected: await registry.alias('production') });
}

export async function rollbackProduction(registry: ModelRegistry, actor: string, reason: string): Promise<AliasRecord> {
  const current = await registry.alias('production');
  if (!current) throw new Error('No production model to roll back');
  const lastChange = (await registry.auditTrail(200)).find((r) => r.alias === 'production' && r.to === current.version);
  if (!lastChange?.from) throw new Error(`Production (${current.version}) has no earlier version to roll back to`);
  return registry.setAlias('production', lastChange.from, { actor, reason, expected: current });
}
