import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { AppContext } from '../app/context.js';
import { TABLES } from '../platform/resources.js';
import { LIMS_TABLE_NAMES } from '../sources/schema.js';
import type { RunRecord } from '../state/runs.js';
import type { FailedUnit, Freshness } from './rules.js';
import { DAY_MS } from '../calendar/days.js';

/**
 * Pipeline health as the alert rules and the report see it: data freshness against the
 * pipeline's clock, stage runs and failures from the run ledger.
 *
 * The clock: with SQL Server it is the wall clock. The simulator writes a finished lab whose
 * last day lies in the past (or future), so comparing its data with the wall clock would say
 * nothing; its clock is the end of the simulated period (midnight after the last simulated
 * day), read from the simulator's meta.json. Freshness = clock - the newest source change
 * ingested (the largest watermark over the LIMS tables).
 */
export interface PipelineClock {
  readonly now: Date;
  readonly kind: 'wall' | 'simulated';
}

export function pipelineClock(ctx: Pick<AppContext, 'config' | 'localDataDir'>): PipelineClock {
  if (ctx.config.LIMS_SOURCE === 'simulator') {
    const meta = path.join(ctx.localDataDir, 'lims', 'meta.json');
    if (existsSync(meta)) {
      try {
        const { options } = JSON.parse(readFileSync(meta, 'utf8')) as { options?: { start?: string; days?: number } };
        const start = Date.parse(`${options?.start}T00:00:00Z`);
        if (Number.isFinite(start) && Number.isInteger(options?.days)) return { now: new Date(start + options!.days! * DAY_MS), kind: 'simulated' };
      } catch {
        // An unreadable meta file: fall back to the wall clock.
      }
    }
  }
  return { now: new Date(), kind: 'wall' };
}

export interface TableFreshness {
  readonly table: string;
  readonly newestChange: string | null;
  readonly lastIngestAt: string | null;
}

export async function freshness(ctx: Pick<AppContext, 'watermarks'>, clock: PipelineClock): Promise<{ overall: Freshness; tables: TableFreshness[] }> {
  const states = await ctx.watermarks.all();
  const tables = LIMS_TABLE_NAMES.map((table) => {
    const state = states[table];
    return {
      table,
      newestChange: state?.watermark ? new Date(state.watermark.modifiedAt).toISOString() : null,
      lastIngestAt: state?.updatedAt ?? null,
    };
  });
  const newest = tables.map((t) => t.newestChange).filter((t): t is string => t !== null).sort().pop() ?? null;
  return {
    overall: {
      clock: clock.now.toISOString(),
      clockKind: clock.kind,
      newestChange: newest,
      lagMinutes: newest === null ? null : Math.max(0, (clock.now.getTime() - Date.parse(newest)) / 60_000),
    },
    tables,
  };
}

export interface StageRuns {
  readonly stage: string;
  readonly runs: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly running: number;
  readonly rowsOut: number;
}

/** Runs started since `since` (wall clock: the ledger records when work ran). */
export async function runsSince(ctx: Pick<AppContext, 'storage'>, since: Date): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  const filter = `startedAt ge '${since.toISOString()}'`;
  for await (const e of ctx.storage.table(TABLES.runs).listEntities<RunRecord & { endedAt?: string; error?: string }>({ queryOptions: { filter } })) {
    records.push({ runId: e.runId, stage: e.stage, unit: e.unit, startedAt: e.startedAt, endedAt: e.endedAt ?? null, rowsIn: e.rowsIn, rowsOut: e.rowsOut, status: e.status, error: e.error ?? null });
  }
  return records.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

export function stageSummary(runs: readonly RunRecord[]): StageRuns[] {
  const byStage = new Map<string, StageRuns>();
  for (const r of runs) {
    const s = byStage.get(r.stage) ?? { stage: r.stage, runs: 0, succeeded: 0, failed: 0, running: 0, rowsOut: 0 };
    byStage.set(r.stage, {
      ...s,
      runs: s.runs + 1,
      succeeded: s.succeeded + (r.status === 'succeeded' ? 1 : 0),
      failed: s.failed + (r.status === 'failed' ? 1 : 0),
      running: s.running + (r.status === 'running' ? 1 : 0),
      rowsOut: s.rowsOut + (r.rowsOut ?? 0),
    });
  }
  return [...byStage.values()].sort((a, b) => a.stage.localeCompare(b.stage));
}

/** Units whose latest run failed: a failure that a retry fixed is not a failure any more. */
export function failedUnits(runs: readonly RunRecord[]): FailedUnit[] {
  const latest = new Map<string, RunRecord>();
  for (const r of runs) {
    const key = `${r.stage}\u0000${r.unit}`;
    const seen = latest.get(key);
    if (!seen || r.startedAt >= seen.startedAt) latest.set(key, r);
  }
  return [...latest.values()].filter((r) => r.status === 'failed').map((r) => ({ stage: r.stage, unit: r.unit, error: r.error, at: r.endedAt ?? r.startedAt }));
}
