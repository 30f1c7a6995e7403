import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { MssqlSource, MssqlSourceError, mssqlConfig, type MssqlSourceOptions } from './mssql.js';
import { leasePool, poolKey } from './mssql-pool.js';

const PASSWORD = 'S3cret!Pa55-word';

/** A local port nothing listens on: connecting fails at once, no SQL Server needed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP port');
  return address.port;
}

function sqlLogin(port: number, password = PASSWORD): MssqlSourceOptions {
  return { server: '127.0.0.1', port, database: 'lims', authentication: { kind: 'sql', user: 'lims_reader', password } };
}

describe('mssqlConfig', () => {
  it('uses a SQL login with encryption on and certificate checks on by default', () => {
    const config = mssqlConfig({ server: 'lims.example.org', database: 'LIMS', authentication: { kind: 'sql', user: 'reader', password: PASSWORD } });
    expect(config).toMatchObject({
      server: 'lims.example.org',
      port: 1433,
      database: 'LIMS',
      authentication: { type: 'default', options: { userName: 'reader', password: PASSWORD } },
      options: { encrypt: true, trustServerCertificate: false, useUTC: true },
    });
  });

  it('uses DefaultAzureCredential for Entra ID, with a user-assigned identity when a client id is given', () => {
    const base = { server: 'x.database.windows.net', database: 'LIMS' } as const;
    expect(mssqlConfig({ ...base, authentication: { kind: 'entra' } }).authentication).toEqual({ type: 'azure-active-directory-default', options: {} });
    expect(mssqlConfig({ ...base, authentication: { kind: 'entra', clientId: 'c0ffee' } }).authentication).toEqual({
      type: 'azure-active-directory-default',
      options: { clientId: 'c0ffee' },
    });
  });

  it('passes port, TLS settings and the request timeout through', () => {
    const config = mssqlConfig({ ...sqlLogin(14330), encrypt: false, trustServerCertificate: true, requestTimeoutMs: 5000 });
    expect(config).toMatchObject({ port: 14330, requestTimeout: 5000, options: { encrypt: false, trustServerCertificate: true } });
  });
});

describe('connection pool cache', () => {
  it('shares one pool per configuration and keys it without the password', async () => {
    const config = mssqlConfig(sqlLogin(await closedPort()));
    const first = leasePool(config);
    const second = leasePool(mssqlConfig(sqlLogin(config.port!)));
    const otherPassword = leasePool(mssqlConfig(sqlLogin(config.port!, 'another password')));
    expect(second.pool).toBe(first.pool);
    expect(otherPassword.pool).not.toBe(first.pool);
    expect(poolKey(config)).toMatch(/^[0-9a-f]{64}$/);
    for (const lease of [first, second, otherPassword]) {
      await expect(lease.pool).rejects.toThrow();
      await lease.release();
    }
    // A failed connection is forgotten: the next lease tries again with a new pool.
    const retry = leasePool(config);
    expect(retry.pool).not.toBe(first.pool);
    await expect(retry.pool).rejects.toThrow();
    await retry.release();
  });
});

describe('MssqlSource', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lims-mssql-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fails at construction on a bad mapping file, naming the file and key', () => {
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ tables: { devices: { table: 'dbo.[Instruments]' } } }));
    expect(() => new MssqlSource({ ...sqlLogin(1433), mappingFile: file })).toThrow(`${file}: tables.devices.table: illegal SQL identifier`);
  });

  it('does not show the password when the source is logged or serialised', () => {
    const source = new MssqlSource(sqlLogin(1433));
    expect(inspect(source, { depth: 10, showHidden: true })).not.toContain(PASSWORD);
    expect(JSON.stringify(source)).not.toContain(PASSWORD);
  });

  it('reports a connection failure with the table name and without the password', async () => {
    const source = new MssqlSource(sqlLogin(await closedPort()));
    const error = await source.readPage('lab_results', { modifiedAt: Date.UTC(2026, 0, 1), key: 'R1' }, 100).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MssqlSourceError);
    const failure = error as MssqlSourceError;
    expect(failure.message).toMatch(/^SQL Server read of LIMS table lab_results \(\[dbo\]\.\[lab_results\]\) failed: /);
    expect(failure.code).toBe('ESOCKET');
    for (const text of [failure.message, String(failure.stack), inspect(failure, { depth: 10, showHidden: true }), JSON.stringify(failure)]) {
      expect(text).not.toContain(PASSWORD);
    }
    await source.close();
  });

  it('redacts the password even where the driver message happens to contain it', async () => {
    // The driver's message names the host; with the host as password it must still not appear.
    const source = new MssqlSource(sqlLogin(await closedPort(), '127.0.0.1'));
    const error = await source.readPage('devices', null, 10).catch((e: unknown) => e);
    expect((error as Error).message).toContain('devices');
    expect((error as Error).message).not.toContain('127.0.0.1');
    await source.close();
  });
});
