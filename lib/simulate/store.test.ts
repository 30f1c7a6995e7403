import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parquetToRows } from '../lake/parquet.js';
import { LIMS_TABLES, LIMS_TABLE_NAMES, type LimsTableName, type Row, type Watermark } from '../sources/schema.js';
import { SimulatorSource, readGroundTruth, writeSimulatedLims, type SimulationOptions } from './index.js';

const OPTIONS: SimulationOptions = { devices: 10, days: 6, sites: 2, resultsPerDeviceDay: 60, seed: 3, start: '2026-02-01' };

let work: string;
let dir: string;
let written: Awaited<ReturnType<typeof writeSimulatedLims>>;

/** Every stored row of a table, straight from its day files in day order. */
function storedRows(table: LimsTableName): Row[] {
  const folder = path.join(dir, table);
  return readdirSync(folder)
    .sort()
    .flatMap((file) => parquetToRows(readFileSync(path.join(folder, file))));
}

function watermarkOf(table: LimsTableName, row: Row): Watermark {
  return { modifiedAt: row.modified_at as number, key: String(row[LIMS_TABLES[table].key]) };
}

async function pageThrough(source: SimulatorSource, table: LimsTableName, limit: number, until?: number): Promise<Row[]> {
  const rows: Row[] = [];
  let after: Watermark | null = null;
  for (;;) {
    const page = await source.readPage(table, after, limit, until);
    rows.push(...page);
    if (page.length < limit) return rows;
    after = watermarkOf(table, page[page.length - 1]!);
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'lims-sim-'));
  dir = path.join(work, 'lims');
  const progress: number[] = [];
  written = await writeSimulatedLims(OPTIONS, dir, (daysDone) => progress.push(daysDone));
  expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
});

afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('writeSimulatedLims', () => {
  it('writes Parquet parts per table and day, meta.json and ground_truth.json, and nothing else', () => {
    expect(readdirSync(work)).toEqual(['lims']);
    expect(readdirSync(path.join(dir, 'lab_results'))).toEqual(['2026-02-01', '2026-02-02', '2026-02-03', '2026-02-04', '2026-02-05', '2026-02-06'].map((d) => `day=${d}.part-0000.parquet`));
    const meta = JSON.parse(readFileSync(path.join(dir, 'meta.json'), 'utf8')) as { options: SimulationOptions; rows: Record<LimsTableName, number> };
    expect(meta.options).toEqual(OPTIONS);
    expect(meta.rows).toEqual(written.rows);
    for (const table of LIMS_TABLE_NAMES) expect(storedRows(table).length, table).toBe(written.rows[table]);
    expect(readGroundTruth(dir)).toEqual(JSON.parse(JSON.stringify(written.groundTruth)));
  });

  it('reuses a store written with the same options and replaces one written with others', async () => {
    const metaFile = path.join(dir, 'meta.json');
    const before = statSync(metaFile).mtimeMs;
    const again = await writeSimulatedLims(OPTIONS, dir);
    expect(again.rows).toEqual(written.rows);
    expect(statSync(metaFile).mtimeMs).toBe(before);

    const otherDir = path.join(work, 'other');
    await writeSimulatedLims({ ...OPTIONS, days: 2 }, otherDir);
    const replaced = await writeSimulatedLims({ ...OPTIONS, days: 3 }, otherDir);
    expect(readdirSync(path.join(otherDir, 'devices'))).toEqual(["day=2026-02-01.part-0000.parquet"]);
    expect(readdirSync(path.join(otherDir, 'lab_results'))).toHaveLength(3);
    expect(readGroundTruth(otherDir).options.days).toBe(3);
    expect(replaced.rows.lab_results).toBeGreaterThan(0);
    expect(readdirSync(work).sort()).toEqual(['lims', 'other']);
  });
});

describe('SimulatorSource', () => {
  it('pages through every table in small pages, returning exactly the stored rows in order', async () => {
    const source = new SimulatorSource(dir);
    for (const table of LIMS_TABLE_NAMES) {
      const paged = await pageThrough(source, table, 37);
      expect(paged.length, table).toBe(written.rows[table]);
      expect(paged, table).toEqual(storedRows(table));
    }
    await source.close();
  });

  it('never splits exact duplicates across pages, which a watermark could not tell apart', async () => {
    const rows = storedRows('lab_results');
    const at = rows.findIndex((row, i) => i > 0 && JSON.stringify(row) === JSON.stringify(rows[i - 1]));
    expect(at).toBeGreaterThan(1);
    const source = new SimulatorSource(dir);
    const page = await source.readPage('lab_results', watermarkOf('lab_results', rows[at - 2]!), 1);
    expect(page).toEqual([rows[at - 1], rows[at]]);
  });

  it('stops at until and resumes after it', async () => {
    const rows = storedRows('device_logs');
    const until = rows[Math.floor(rows.length / 2)]!.modified_at as number;
    const source = new SimulatorSource(dir);
    const head = await pageThrough(source, 'device_logs', 50, until);
    expect(head).toEqual(rows.filter((r) => (r.modified_at as number) <= until));
    const tail = await source.readPage('device_logs', watermarkOf('device_logs', head[head.length - 1]!), rows.length);
    expect([...head, ...tail]).toEqual(rows);
  });

  it('names the folder when there is no store', () => {
    const missing = path.join(work, 'nowhere');
    expect(() => new SimulatorSource(missing)).toThrow(missing);
    expect(() => readGroundTruth(missing)).toThrow(missing);
  });
});
