import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { EmbeddedAzurite } from '../platform/azurite.js';
import { startTestStorage } from '../../test/support/storage.js';
import { encodeKeyedFile, Lake, partitionPath, tablePath, type LakeTable, type PartitionValues } from './lake.js';
import type { Row } from '../sources/schema.js';
import { parquetToRows } from './parquet.js';

let azurite: EmbeddedAzurite;
let lake: Lake;
const table: LakeTable = {
  zone: 'silver',
  name: 'things',
  columns: [{ name: 'id', type: 'string' }, { name: 'n', type: 'int32' }, { name: 'modified_at', type: 'timestamp' }],
};
const day = { date: '2026-03-01' };

beforeAll(async () => {
  const started = await startTestStorage();
  azurite = started.azurite;
  const container = started.storage.container('lake-unit');
  await container.create();
  lake = new Lake(container);
});
afterAll(async () => azurite.stop());

function upsert(into: Lake, t: LakeTable, partition: PartitionValues, unit: string, rows: readonly Row[]): Promise<{ written: number }> {
  return into.upsertPartition(t, partition, unit, encodeKeyedFile(t, rows, 'id'), 'id');
}

async function ids(partition = day): Promise<string[]> {
  const all: string[] = [];
  for await (const rows of lake.readPartition(table, partition)) all.push(...rows.map((r) => String(r.id)));
  return all.sort();
}

describe('lake partitions', () => {
  it('replace swaps a partition whole; append swaps only the same unit', async () => {
    const p = { date: '2026-02-01' };
    await lake.writePartition(table, p, 'a', [{ id: 'a1', n: 1, modified_at: 1 }], 'append');
    await lake.writePartition(table, p, 'b', [{ id: 'b1', n: 1, modified_at: 1 }], 'append');
    await lake.writePartition(table, p, 'a', [{ id: 'a2', n: 2, modified_at: 1 }], 'append');
    expect(await ids(p)).toEqual(['a2', 'b1']);
    await lake.writePartition(table, p, 'c', [{ id: 'c1', n: 3, modified_at: 1 }], 'replace');
    expect(await ids(p)).toEqual(['c1']);
    const blobs: string[] = [];
    for await (const blob of lake.container.listBlobsFlat({ prefix: 'silver/things/date=2026-02-01/' })) blobs.push(blob.name);
    expect(blobs.filter((b) => b.endsWith('.parquet'))).toHaveLength(1);
  });

  it('reads columns from a manifest the caller holds, and from the new one once a replace deleted its files', async () => {
    const [other, p] = [{ ...table, name: 'otherthings' }, { date: '2026-02-02' }];
    await lake.writePartition(other, p, 'a', [{ id: 'a1', n: 1, modified_at: 1 }]);
    const held = (await lake.readManifest(other, p))!;
    expect((await lake.readColumns(other, p, ['id'], held)).flatMap((b) => Array.from(b.columns.id!))).toEqual(['a1']);
    await lake.writePartition(other, p, 'b', [{ id: 'b1', n: 2, modified_at: 1 }]);
    expect((await lake.readColumns(other, p, ['id'], held)).flatMap((b) => Array.from(b.columns.id!))).toEqual(['b1']);
  });

  it('concurrent upserts never lose each other\'s rows', async () => {
    const writers = Array.from({ length: 6 }, (_, i) => upsert(lake, table, day, `w${i}`, [{ id: `w${i}`, n: i, modified_at: 1 }]));
    await Promise.all(writers);
    expect(await ids()).toEqual(['w0', 'w1', 'w2', 'w3', 'w4', 'w5']);
  });

  it('upsert keeps the newest version of a key and ignores versions that are not newer', async () => {
    const p = { date: '2026-05-01' };
    await upsert(lake, table, p, 'a', [{ id: 'x', n: 1, modified_at: 10 }, { id: 'y', n: 1, modified_at: 10 }]);
    await upsert(lake, table, p, 'b', [{ id: 'x', n: 2, modified_at: 20 }]);
    const stale = await upsert(lake, table, p, 'c', [{ id: 'y', n: 0, modified_at: 5 }, { id: 'x', n: 2, modified_at: 20 }]);
    expect(stale.written).toBe(0);
    const rows: Record<string, unknown>[] = [];
    for await (const batch of lake.readPartition(table, p)) rows.push(...batch);
    expect(rows.map((r) => [r.id, r.n]).sort()).toEqual([['x', 2], ['y', 1]]);
  });

  it('an upsert that replaces same versions rewrites the rows it holds at that version, never older ones', async () => {
    const [same, p] = [{ ...table, name: 'samethings' }, { date: '2026-05-01' }];
    await upsert(lake, same, p, 'a', [{ id: 'x', n: 1, modified_at: 10 }, { id: 'y', n: 1, modified_at: 10 }]);
    const file = encodeKeyedFile(same, [{ id: 'x', n: 2, modified_at: 10 }, { id: 'y', n: 0, modified_at: 5 }], 'id');
    expect((await lake.upsertPartition(same, p, 'b', file, 'id')).written).toBe(0);
    expect((await lake.upsertPartition(same, p, 'c', file, 'id', 'replace')).written).toBe(1);
    // Another process reads the same rows from the manifest (the rewritten x, y untouched).
    const rows: Record<string, unknown>[] = [];
    for await (const batch of new Lake(lake.container).readPartition(same, p)) rows.push(...batch);
    expect(rows.map((r) => [r.id, r.n]).sort()).toEqual([['x', 2], ['y', 1]]);
  });

  it('stores an upsert of fresh and stale rows whole, its stale rows marked deleted, and another process indexes it alike', async () => {
    const [mixedTable, p] = [{ ...table, name: 'mixedthings' }, { date: '2026-05-03' }];
    await upsert(lake, mixedTable, p, 'a', [{ id: 'x', n: 1, modified_at: 10 }, { id: 'y', n: 1, modified_at: 10 }]);
    const mixed = await upsert(lake, mixedTable, p, 'b', [{ id: 'y', n: 9, modified_at: 10 }, { id: 'z', n: 1, modified_at: 10 }]);
    expect(mixed.written).toBe(1);
    const files = (await lake.readManifest(mixedTable, p))!.files;
    expect(files.map((f) => [f.rows, f.deletedRows ?? []])).toEqual([[2, []], [2, [0]]]);
    const other = new Lake(lake.container);
    await upsert(other, mixedTable, p, 'c', [{ id: 'y', n: 2, modified_at: 20 }]);
    const rows: Record<string, unknown>[] = [];
    for await (const batch of lake.readPartition(mixedTable, p)) rows.push(...batch);
    expect(rows.map((r) => [r.id, r.n]).sort()).toEqual([['x', 1], ['y', 2], ['z', 1]]);
  });

  it('writes a keys sidecar beside each upserted file, which another process reads for its key index, and drops it with its file', async () => {
    const [keyed, p] = [{ ...table, name: 'keyedthings' }, { date: '2026-05-02' }];
    await upsert(lake, keyed, p, 'a', [{ id: 'x', n: 1, modified_at: 10 }, { id: 'y', n: 1, modified_at: 10 }]);
    const [file] = (await lake.readManifest(keyed, p))!.files;
    expect(file!.keys).toMatch(/\.keys$/);
    expect(parquetToRows(await lake.readFile(keyed, p, file!.keys!))).toEqual([{ id: 'x', modified_at: 10 }, { id: 'y', modified_at: 10 }]);
    // Another process (no cached index) judges freshness from the sidecar.
    const other = new Lake(lake.container);
    expect((await upsert(other, keyed, p, 'b', [{ id: 'x', n: 0, modified_at: 5 }])).written).toBe(0);
    expect((await upsert(other, keyed, p, 'c', [{ id: 'y', n: 2, modified_at: 20 }])).written).toBe(1);
    expect((await other.readRows(keyed, p)).map((r) => [r.id, r.n]).sort()).toEqual([['x', 1], ['y', 2]]);
    // A replace drops the files and their sidecars.
    await lake.writePartition(keyed, p, 'd', [{ id: 'z', n: 3, modified_at: 30 }]);
    const blobs: string[] = [];
    for await (const blob of lake.container.listBlobsFlat({ prefix: 'silver/keyedthings/date=2026-05-02/' })) blobs.push(blob.name.split('/').pop()!);
    expect(blobs.sort()).toEqual(['_manifest.json', (await lake.readManifest(keyed, p))!.files[0]!.name].sort());
  });

  it('keeps the key indexes of the partitions it upserted last, as many keys as its budget holds', async () => {
    const keyed = { ...table, name: 'cachedthings' };
    const [first, second] = [{ date: '2026-06-01' }, { date: '2026-06-02' }];
    const budgeted = new Lake(lake.container, 4);
    const keyReads = vi.spyOn(budgeted, 'readFile');
    const sidecarsRead = () => keyReads.mock.calls.filter(([, , file]) => file.endsWith('.keys')).length;
    const row = (id: string) => ({ id, n: 1, modified_at: 10 });
    await upsert(budgeted, keyed, first, 'a', [row('a'), row('b')]);
    await upsert(budgeted, keyed, second, 'b', [row('c'), row('d')]);
    // Four keys: both indexes are kept, so neither partition's keys are read again.
    await upsert(budgeted, keyed, first, 'c', [row('e')]);
    expect(sidecarsRead()).toBe(0);
    // Five keys: the partition upserted longest ago is dropped and read again when next upserted.
    await upsert(budgeted, keyed, second, 'd', [row('f')]);
    expect(sidecarsRead()).toBe(1);
    await upsert(budgeted, keyed, first, 'e', [row('a')]);
    expect(sidecarsRead()).toBe(3);
    expect((await budgeted.readRows(keyed, first)).map((r) => r.id).sort()).toEqual(['a', 'b', 'e']);
  });

  it('marks superseded rows deleted in the manifest, and rewrites a file once a quarter of it is superseded', async () => {
    const p = { date: '2026-06-01' };
    const first = Array.from({ length: 8 }, (_, i) => ({ id: `k${i}`, n: 0, modified_at: 1 }));
    await upsert(lake, table, p, 'first', first);
    await upsert(lake, table, p, 'fix1', [{ id: 'k0', n: 1, modified_at: 2 }]);
    let manifest = await lake.readManifest(table, p);
    expect(manifest?.files).toHaveLength(2);
    expect(manifest?.files.find((f) => f.rows === 8)?.deletedRows).toEqual([0]);
    expect((await lake.countRows(table)).rows).toBeGreaterThan(0);
    await upsert(lake, table, p, 'fix2', [{ id: 'k1', n: 1, modified_at: 2 }, { id: 'k2', n: 1, modified_at: 2 }]);
    manifest = await lake.readManifest(table, p);
    expect(manifest?.files.some((f) => f.deletedRows?.length)).toBe(false);
    const rows: Record<string, unknown>[] = [];
    for await (const batch of lake.readPartition(table, p)) rows.push(...batch);
    expect(rows).toHaveLength(8);
    expect(rows.filter((r) => r.n === 1).map((r) => r.id).sort()).toEqual(['k0', 'k1', 'k2']);
  });

  it('honours rows deleted by key in manifests written before deleted rows were named by position', async () => {
    const [legacy, p] = [{ ...table, name: 'legacythings' }, { date: '2026-05-04' }];
    await upsert(lake, legacy, p, 'a', ['w', 'x', 'y', 'z'].map((id) => ({ id, n: 1, modified_at: 10 })));
    await upsert(lake, legacy, p, 'b', [{ id: 'y', n: 2, modified_at: 20 }]);
    // The manifest as it was written before: the superseded row named by its key.
    const manifest = (await lake.readManifest(legacy, p))!;
    const files = manifest.files.map(({ deletedRows, ...file }) => (deletedRows ? { ...file, deleted: ['y'] } : file));
    const body = JSON.stringify({ ...manifest, files });
    await lake.container.getBlockBlobClient(`${tablePath(legacy)}/${partitionPath(p)}/_manifest.json`).upload(body, Buffer.byteLength(body));
    const other = new Lake(lake.container);
    const live = async () => (await other.readRows(legacy, p)).map((r) => `${r.id}${r.n}`).sort();
    expect(await live()).toEqual(['w1', 'x1', 'y2', 'z1']);
    expect((await other.countRows(legacy)).rows).toBe(4);
    // Its key index does not take the deleted row for the live version.
    expect((await upsert(other, legacy, p, 'c', [{ id: 'y', n: 3, modified_at: 15 }])).written).toBe(0);
    // A second superseded row of the four compacts the file without both.
    await upsert(other, legacy, p, 'd', [{ id: 'x', n: 4, modified_at: 30 }]);
    const compacted = (await other.readManifest(legacy, p))!.files;
    expect(compacted.some((f) => f.deleted ?? f.deletedRows)).toBe(false);
    expect(await live()).toEqual(['w1', 'x4', 'y2', 'z1']);
  });

  it('reads a partition whose file holds more rows than a call can take as arguments', async () => {
    const p = { date: '2026-07-01' };
    const rows = Array.from({ length: 150_000 }, (_, i) => ({ id: `r${i}`, n: i % 7, modified_at: 1 }));
    await lake.writePartition(table, p, 'big', rows);
    expect(await lake.readRows(table, p)).toHaveLength(150_000);
  });

  it('lists committed partitions from manifests only', async () => {
    const writer = lake.writer(table, { date: '2026-04-01' }, 'uncommitted');
    await writer.write([{ id: 'x', n: 0, modified_at: 1 }]);
    const partitions = (await lake.listPartitions(table)).map((p) => p.date).sort();
    expect(partitions).toEqual(['2026-02-01', '2026-03-01', '2026-05-01', '2026-06-01', '2026-07-01']);
  });

  it('lists the partitions under leading key values, and finds the first committed partition past uncommitted ones', async () => {
    const nested = { zone: 'gold' as const, name: 'nested_test', columns: table.columns };
    for (const [day, shard] of [['2026-01-02', '0'], ['2026-01-02', '1'], ['2026-01-03', '0']] as const) await lake.writePartition(nested, { day, shard }, 'u', [{ id: `${day}-${shard}`, n: 1, modified_at: 1 }]);
    const early = lake.writer(nested, { day: '2026-01-01', shard: '0' }, 'uncommitted');
    await early.write([{ id: 'x', n: 0, modified_at: 1 }]);
    expect((await lake.listPartitions(nested, { day: '2026-01-02' })).map((p) => p.shard).sort()).toEqual(['0', '1']);
    expect(await lake.listPartitions(nested, { day: '2026-01-09' })).toEqual([]);
    expect(await lake.firstPartition(nested)).toEqual({ day: '2026-01-02', shard: '0' });
    expect(await lake.firstPartition({ zone: 'gold', name: 'no_such_table' })).toBeUndefined();
  });
});
