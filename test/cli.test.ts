import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parquetToRows } from '../lib/lake/parquet.js';

/** The built CLI (npm test builds before it runs the tests), run as a user would. */
const CLI = path.resolve('dist/lib/local/cli.js');
const work = mkdtempSync(path.join(tmpdir(), 'lims-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', LOCAL_DATA_DIR: path.join(work, 'data'), ...env },
    timeout: 240_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

interface Summary {
  tables: Record<string, { simulated: number; ingestedThisRun: number; inBronze: number }>;
}

describe('lims-mlops CLI', () => {
  it('run ingests exactly what the simulator produced, and a second run adds nothing', () => {
    const first = cli(['run', '--devices', '12', '--days', '21', '--json']);
    expect(first.code, first.stderr).toBe(0);
    const summary = JSON.parse(first.stdout) as Summary;
    expect(Object.keys(summary.tables)).toHaveLength(5);
    for (const [table, counts] of Object.entries(summary.tables)) {
      expect(counts.simulated, table).toBeGreaterThan(0);
      expect(counts.ingestedThisRun, table).toBe(counts.simulated);
      expect(counts.inBronze, table).toBe(counts.simulated);
    }
    const second = JSON.parse(cli(['run', '--devices', '12', '--days', '21', '--json']).stdout) as Summary;
    for (const [table, counts] of Object.entries(second.tables)) {
      expect(counts.ingestedThisRun, table).toBe(0);
      expect(counts.inBronze, table).toBe(summary.tables[table]!.simulated);
    }
    // Two whole runs (monitoring, evaluation and the report included) on a shared 2-core machine.
  }, 300_000);

  it('silver reruns the bronze of a date range without duplicating a row; --rebuild rewrites rows under a new PII key', () => {
    const exported = (name: string) => {
      const out = path.join(work, `${name}.parquet`);
      const result = cli(['export', 'silver/lab_results', '--out', out]);
      expect(result.code, result.stderr).toBe(0);
      return new Map(parquetToRows(readFileSync(out), ['result_id', 'patient_key']).map((r) => [String(r.result_id), r.patient_key]));
    };
    const range = ['--from', '2000-01-01', '--to', '2100-01-01'];
    const before = exported('before');
    expect(before.size).toBeGreaterThan(1_000);
    const rerun = cli(['silver', ...range, '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    const counts = JSON.parse(rerun.stdout) as { units: number; silver: Record<string, { rowsIn: number }>; gold: { days: number } };
    expect(counts.units).toBeGreaterThanOrEqual(5);
    expect(counts.silver.lab_results!.rowsIn).toBeGreaterThanOrEqual(before.size);
    expect(counts.gold.days).toBeGreaterThan(0);
    expect(exported('rerun')).toEqual(before);
    const rebuilt = cli(['silver', ...range, '--tables', 'lab_results', '--rebuild', '--json'], { PII_HASH_KEY: 'another-key-of-at-least-thirty-two-characters' });
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    const after = exported('rebuilt');
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    const rekeyed = [...after].filter(([id, key]) => key !== null && key !== before.get(id));
    expect(rekeyed.length).toBe([...after.values()].filter((key) => key !== null).length);
  }, 300_000);

  it.each([
    [['run', '--devices', 'many'], {}, 'run: --devices must be an integer from 1 to 100000, got "many"'],
    [['ingest', '--from', '2026-02-30x', '--to', '2026-03-01'], {}, 'ingest: --from must be a date YYYY-MM-DD'],
    [['ingest', '--from', '2026-03-01'], {}, 'ingest: --from and --to go together'],
    [['silver', '--from', '2026-03-01'], {}, 'silver: --from and --to are required'],
    [['silver', '--from', '2026-03-01', '--to', '2026-03-01', '--tables', 'lab_results'], {}, 'silver: --from must be before --to'],
    [['silver', '--from', '2026-03-01', '--to', '2026-03-02', '--tables', 'labs'], {}, 'silver: unknown table "labs"'],
    [['serve', '--prot', '80'], {}, "serve: Unknown option '--prot'"],
    [['explode'], {}, 'unknown command "explode"'],
    [['run'], { INGEST_OVERLAP_MINUTES: '-5' }, 'Setting INGEST_OVERLAP_MINUTES is invalid: expected an integer from 0 to 1440, got "-5".'],
  ])('%j fails with one clear line, exit code 2 and nothing written', (args, env, message) => {
    const dataDir = path.join(work, `untouched-${args[0]}`);
    const result = cli(args, { ...env, LOCAL_DATA_DIR: dataDir });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(message);
    expect(existsSync(dataDir)).toBe(false);
  });

  it('--help describes each command', () => {
    for (const command of ['run', 'simulate', 'ingest', 'silver', 'serve', 'status']) {
      const result = cli([command, '--help']);
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`lims-mlops ${command}`);
    }
  });
});
