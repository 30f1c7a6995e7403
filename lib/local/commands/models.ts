import { promoteVersion, rollbackProduction } from '../../registry/promotion.js';
import { UsageError } from '../args.js';
import type { Command } from '../command.js';
import { formatTable, withPlatform } from '../session.js';

const actor = (): string => `cli:${process.env.USER ?? 'unknown'}`;

export const modelsCommand: Command = {
  name: 'models',
  summary: 'List model versions with their metrics, aliases and alias history',
  usage: 'lims-mlops models [--json]',
  options: { json: { type: 'boolean' } },
  prepare(values, _positionals, config) {
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const registry = ctx.registry();
        const [versions, production, staging, audit] = await Promise.all([registry.versions(), registry.alias('production'), registry.alias('staging'), registry.auditTrail(20)]);
        if (values.json) {
          console.log(JSON.stringify({ aliases: { production: production?.version ?? null, staging: staging?.version ?? null }, versions, audit }, null, 2));
          return 0;
        }
        if (versions.length === 0) {
          console.log('No model versions yet: run `lims-mlops train` (or `lims-mlops run`).');
          return 0;
        }
        const tag = (v: string): string => [production?.version === v ? 'production' : '', staging?.version === v ? 'staging' : ''].filter(Boolean).join(', ');
        const f = (n: number | null | undefined): string => (n === null || n === undefined ? '-' : n.toFixed(3));
        console.log(formatTable(['version', 'created', 'aliases', 'ROC-AUC', 'PR-AUC', 'recall@HIGH'], versions.map((c) => [c.version, c.created, tag(c.version), f(c.metrics.roc_auc), f(c.metrics.pr_auc), f(c.metrics.recall)])));
        console.log('\nAlias changes');
        console.log(formatTable(['at', 'alias', 'from', 'to', 'by', 'reason'], audit.map((a) => [a.at, a.alias, a.from ?? '-', a.to, a.actor, a.reason])));
        return 0;
      });
  },
};

export const promoteCommand: Command = {
  name: 'promote',
  summary: 'Make a model version the production model',
  usage: 'lims-mlops promote VERSION [--reason TEXT]',
  options: { reason: { type: 'string' } },
  positionals: 1,
  prepare(values, positionals, config) {
    const version = positionals[0];
    if (!version) throw new UsageError('promote: name the version (see `lims-mlops models`)');
    const reason = typeof values.reason === 'string' ? values.reason : 'manual promotion';
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const moved = await promoteVersion(ctx.registry(), version, actor(), reason);
        console.log(`production -> ${moved.version}`);
        return 0;
      });
  },
};

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: 'Point production back at the version it replaced',
  usage: 'lims-mlops rollback [--reason TEXT]',
  options: { reason: { type: 'string' } },
  prepare(values, _positionals, config) {
    const reason = typeof values.reason === 'string' ? values.reason : 'manual rollback';
    return () =>
      withPlatform(config, { out: console.log, err: console.error }, async ({ ctx }) => {
        const moved = await rollbackProduction(ctx.registry(), actor(), reason);
        console.log(`production -> ${moved.version}`);
        return 0;
      });
  },
};
