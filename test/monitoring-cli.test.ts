import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../lib/local/main.js';

/**
 * The analyst tools (`detect`, `drift-test`) run in-process through the CLI's `main`, on CSV
 * files written from the reference fixtures (R surveillance, scipy, numpy): the numbers that come
 * out of the command are the references', and bad input is one line naming the file and row.
 */
const work = mkdtempSync(path.join(tmpdir(), 'lims-monitoring-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

let out: string[] = [];
let err: string[] = [];
beforeEach(() => {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
});
afterEach(() => vi.restoreAllMocks());

const fixture = <T>(name: string): T => JSON.parse(readFileSync(new URL(`./fixtures/monitoring/${name}`, import.meta.url), 'utf8')) as T;

function file(name: string, text: string): string {
  const p = path.join(work, name);
  writeFileSync(p, text);
  return p;
}

function days(start: string, n: number, step = 1): string[] {
  const t0 = Date.parse(`${start}T00:00:00Z`);
  return Array.from({ length: n }, (_, i) => new Date(t0 + i * step * 86_400_000).toISOString().slice(0, 10));
}

function countsCsv(name: string, dates: readonly string[], counts: readonly number[]): string {
  return file(name, `date,count\n${dates.map((d, i) => `${d},${counts[i]}`).join('\n')}\n`);
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const code = await main(args);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

interface DetectRow {
  date: string;
  count: number;
  threshold: number | null;
  alarm: boolean | null;
}

function closeTo(got: number | null, want: number | null, rel: number, what: string): void {
  if (want === null) return void expect(got, what).toBeNull();
  expect(got, what).not.toBeNull();
  expect(Math.abs(got! - want), `${what}: ${got} vs ${want}`).toBeLessThanOrEqual(rel * Math.abs(want) + 1e-9);
}

describe('lims-mlops detect equals R surveillance', () => {
  const ears = fixture<{ cases: { name: string; observed: number[]; control: { method: string; alpha?: number; baseline?: number; minSigma?: number }; range: number[]; upperbound: (number | null)[]; alarm: (boolean | null)[] }[] }>('ears.json');
  const plain = ears.cases.filter((c) => c.control.baseline === undefined && c.control.minSigma === undefined);

  it.each(plain.map((c) => [c.name, c]))('EARS %s', async (_name, c) => {
    const csv = countsCsv('ears.csv', days('2025-01-01', c.observed.length), c.observed);
    const args = ['detect', '--input', csv, '--method', `ears-${c.control.method.toLowerCase()}`, '--json'];
    if (c.control.alpha !== undefined) args.push('--alpha', String(c.control.alpha));
    const result = await run(args);
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as DetectRow[];
    expect(rows).toHaveLength(c.observed.length);
    expect(result.stdout.trim().split('\n')).toHaveLength(c.observed.length + 2); // one object per line, inside [ ]
    c.range.forEach((k, j) => {
      closeTo(rows[k - 1]!.threshold, c.upperbound[j]!, 1e-12, `${c.name} k=${k}`);
      expect(rows[k - 1]!.alarm).toBe(c.alarm[j]);
    });
    for (let k = 0; k < c.range[0]! - 1; k++) expect(rows[k]).toMatchObject({ threshold: null, alarm: null, count: c.observed[k] });
  });

  const farrington = fixture<{
    series: Record<string, { freq: number; observed: number[]; dates: string[] | null }>;
    cases: { name: string; series: string; control: Record<string, unknown>; range: number[]; upperbound: (number | null)[]; alarm: (boolean | null)[] }[];
  }>('farrington.json');
  const dated = farrington.cases.filter((c) => farrington.series[c.series]!.dates !== null && Object.keys(c.control).every((k) => k === 'range'));

  it.each(dated.map((c) => [c.name, c]))('Farrington flexible %s (dates read from the file)', async (_name, c) => {
    const s = farrington.series[c.series]!;
    const csv = countsCsv('farrington.csv', s.dates!, s.observed);
    const result = await run(['detect', '--input', csv, '--method', 'farrington-flexible', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as DetectRow[];
    expect(rows).toHaveLength(s.observed.length);
    c.range.forEach((k, j) => {
      closeTo(rows[k - 1]!.threshold, c.upperbound[j]!, 1e-6, `${c.name} k=${k}`);
      expect(rows[k - 1]!.alarm, `${c.name} k=${k}`).toBe(c.alarm[j]);
    });
    // 52 (weekly) or 365 (daily) periods a year, 5 years back and 3 periods either side.
    const first = s.freq * 5 + 3;
    for (let k = 0; k < first; k++) expect(rows[k]!.threshold).toBeNull();
  });

  it('cusum has thresholds once its 28-day baseline exists, and an outbreak alarms', async () => {
    const counts = Array.from({ length: 60 }, (_, i) => (i >= 50 ? 30 : 10 + (i % 3)));
    const result = await run(['detect', '--input', countsCsv('cusum.csv', days('2025-03-01', 60), counts), '--method', 'cusum', '--json']);
    expect(result.code, result.stderr).toBe(0);
    const rows = JSON.parse(result.stdout) as DetectRow[];
    expect(rows.slice(0, 30).every((r) => r.threshold === null && r.alarm === null)).toBe(true);
    expect(rows.slice(30, 50).every((r) => r.alarm === false)).toBe(true);
    expect(rows[50]!.alarm).toBe(true);
  });

  it('prints a table without --json', async () => {
    const result = await run(['detect', '--input', countsCsv('table.csv', days('2025-03-01', 20), Array.from({ length: 20 }, () => 4)), '--method', 'ears-c1']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('date');
    expect(result.stdout).toContain('0 alarms in 20 periods');
  });
});

describe('lims-mlops drift-test equals scipy and numpy', () => {
  const ks = fixture<{ cases: { name: string; statistic: number; pvalue: number; sample1: number[]; sample2: number[] }[] }>('ks.json');
  const psi = fixture<{ cases: { name: string; bins: number; epsilon: number; baseline: number[]; current: number[]; psi: number }[] }>('psi.json');

  it.each(ks.cases.filter((c) => c.sample1 && c.sample2).map((c) => [c.name, c]))('KS %s', async (_name, c) => {
    const a = file('a.csv', `value\n${c.sample1.join('\n')}\n`);
    const b = file('b.csv', `value\n${c.sample2.join('\n')}\n`);
    const result = await run(['drift-test', '--baseline', a, '--current', b, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const got = JSON.parse(result.stdout) as { n_baseline: number; n_current: number; ks_statistic: number; ks_pvalue: number; psi: number };
    expect(Object.keys(got)).toEqual(['n_baseline', 'n_current', 'ks_statistic', 'ks_pvalue', 'psi']);
    expect(got.n_baseline).toBe(c.sample1.length);
    expect(got.n_current).toBe(c.sample2.length);
    expect(Math.abs(got.ks_statistic - c.statistic)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(got.ks_pvalue - c.pvalue)).toBeLessThanOrEqual(1e-9);
  });

  it.each(psi.cases.filter((c) => c.bins === 10 && c.epsilon === 1e-4).map((c) => [c.name, c]))('PSI %s', async (_name, c) => {
    const a = file('pa.csv', `id,x\n${c.baseline.map((v, i) => `${i},${v}`).join('\n')}\n`);
    const b = file('pb.csv', `x,id\n${c.current.map((v, i) => `${v},${i}`).join('\n')}\n`);
    const result = await run(['drift-test', '--baseline', a, '--current', b, '--column', 'x', '--json']);
    expect(result.code, result.stderr).toBe(0);
    expect(Math.abs((JSON.parse(result.stdout) as { psi: number }).psi - c.psi)).toBeLessThanOrEqual(1e-12);
  });
});

describe('bad input: one line naming the file and row, exit code 2', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['detect: missing count column', () => ['detect', '--input', file('nocount.csv', 'date,cases\n2025-01-01,3\n'), '--method', 'ears-c1'], /nocount\.csv:1: header lacks column\(s\) count/],
    ['detect: non-numeric count', () => ['detect', '--input', file('nan.csv', 'date,count\n2025-01-01,3\n2025-01-02,three\n'), '--method', 'ears-c1'], /nan\.csv:3: count "three" is not a number/],
    ['detect: empty count cell', () => ['detect', '--input', file('blank.csv', 'date,count\n2025-01-01,\n'), '--method', 'cusum'], /blank\.csv:2: count "" is not a number/],
    ['detect: negative count', () => ['detect', '--input', file('neg.csv', 'date,count\n2025-01-01,-2\n'), '--method', 'cusum'], /neg\.csv:2: count -2 is not a non-negative whole number/],
    ['detect: bad date', () => ['detect', '--input', file('baddate.csv', 'date,count\n2025-02-30,1\n'), '--method', 'cusum'], /baddate\.csv:2: date "2025-02-30" is not a date YYYY-MM-DD/],
    ['detect: unsorted dates', () => ['detect', '--input', file('unsorted.csv', 'date,count\n2025-01-02,1\n2025-01-03,1\n2025-01-01,1\n'), '--method', 'ears-c2'], /unsorted\.csv:4: date 2025-01-01 comes before 2025-01-03/],
    ['detect: duplicate dates', () => ['detect', '--input', file('dup.csv', 'date,count\n2025-01-01,1\n2025-01-02,1\n2025-01-02,4\n'), '--method', 'ears-c3'], /dup\.csv:4: date 2025-01-02 repeats line 3/],
    ['detect: a gap in a daily series', () => ['detect', '--input', file('gap.csv', 'date,count\n2025-01-01,1\n2025-01-02,1\n2025-01-04,4\n'), '--method', 'ears-c1'], /gap\.csv:4: date 2025-01-04 is 2 days after 2025-01-02, but the series is daily/],
    ['detect: empty file', () => ['detect', '--input', file('empty.csv', ''), '--method', 'ears-c1'], /empty\.csv: the file is empty/],
    ['detect: header only', () => ['detect', '--input', file('header.csv', 'date,count\n'), '--method', 'ears-c1'], /header\.csv: no data rows/],
    ['detect: missing file', () => ['detect', '--input', path.join(work, 'nope.csv'), '--method', 'ears-c1'], /nope\.csv: cannot read the file/],
    ['detect: bad population', () => ['detect', '--input', file('pop.csv', 'date,count,population\n2025-01-01,1,0\n'), '--method', 'farrington-flexible'], /pop\.csv:2: population 0 must be positive/],
    ['detect: unknown method', () => ['detect', '--input', file('ok.csv', 'date,count\n2025-01-01,1\n'), '--method', 'ears-c4'], /--method must be one of ears-c1, ears-c2, ears-c3, cusum, farrington-flexible, got "ears-c4"/],
    ['detect: alpha with cusum', () => ['detect', '--input', file('ok2.csv', 'date,count\n2025-01-01,1\n'), '--method', 'cusum', '--alpha', '0.05'], /--alpha does not apply to cusum/],
    ['detect: alpha out of range', () => ['detect', '--input', file('ok3.csv', 'date,count\n2025-01-01,1\n'), '--method', 'ears-c1', '--alpha', '1.5'], /--alpha must be a number between 0 and 1, got "1.5"/],
    ['drift-test: missing column', () => ['drift-test', '--baseline', file('b1.csv', 'value\n1\n2\n'), '--current', file('c1.csv', 'other\n1\n'), '--column', 'value'], /c1\.csv:1: no column "value"/],
    ['drift-test: non-numeric value', () => ['drift-test', '--baseline', file('b2.csv', 'value\n1\n2\nn/a\n'), '--current', file('c2.csv', 'value\n1\n')], /b2\.csv:4: value "n\/a" is not a number/],
    ['drift-test: empty file', () => ['drift-test', '--baseline', file('b3.csv', '\n\n'), '--current', file('c3.csv', 'value\n1\n')], /b3\.csv: the file is empty/],
    ['drift-test: no column to pick', () => ['drift-test', '--baseline', file('b4.csv', 'a,b\n1,2\n'), '--current', file('c4.csv', 'a,b\n1,2\n')], /b4\.csv:1: 2 columns \(a, b\) and none is "value": name one with --column/],
    ['drift-test: missing --current', () => ['drift-test', '--baseline', file('b5.csv', 'value\n1\n')], /--baseline FILE.csv and --current FILE.csv are required/],
  ];
  it.each(cases)('%s', async (_name, args, message) => {
    const result = await run(args());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(err).toHaveLength(1);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });

  it('drift --baseline-start without the other dates, and overlapping windows, are usage errors', async () => {
    let result = await run(['drift', '--baseline-start', '2026-01-01']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('drift: give all four of --baseline-start, --baseline-end, --current-start, --current-end (missing --baseline-end, --current-start, --current-end)');
    err = [];
    result = await run(['drift', '--baseline-start', '2026-01-01', '--baseline-end', '2026-01-10', '--current-start', '2026-01-10', '--current-end', '2026-01-12']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('baseline must end before the current window starts');
    err = [];
    result = await run(['drift', '--baseline-start', '2026-01-01', '--baseline-end', '2026-01-10', '--current-start', '2026-01-11', '--current-end', '2026-13-01']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--current-end must be a date YYYY-MM-DD');
  });
});
