import { createHmac, randomBytes } from 'node:crypto';
import type sql from 'mssql';

/**
 * One mssql connection pool per distinct connection configuration, shared by every source in the
 * process, so that Azure Functions invocations on a warm instance reuse open connections.
 * Sources lease the pool; it is closed when the last lease is released.
 */

interface SharedPool {
  readonly pool: Promise<sql.ConnectionPool>;
  leases: number;
}

export interface PoolLease {
  readonly pool: Promise<sql.ConnectionPool>;
  /** Idempotent; closes the pool when no other lease holds it. */
  release(): Promise<void>;
}

const pools = new Map<string, SharedPool>();

let driver: Promise<typeof sql> | undefined;

/**
 * The mssql driver, loaded on first use: loading it (and tedious) takes a quarter of a second,
 * which every Functions instance and CLI run would otherwise pay without a SQL Server source.
 */
export function loadMssql(): Promise<typeof sql> {
  return (driver ??= import('mssql').then((module) => module.default));
}

/**
 * The key must tell configurations apart by password too, yet must not be a digest from which
 * the password could be recovered offline: an HMAC under a secret that lives only in this process.
 */
const keySecret = randomBytes(32);

export function poolKey(config: sql.config): string {
  return createHmac('sha256', keySecret).update(JSON.stringify(config)).digest('hex');
}

export function leasePool(config: sql.config): PoolLease {
  const key = poolKey(config);
  const shared = pools.get(key) ?? openShared(key, config);
  shared.leases++;
  let released = false;
  return {
    pool: shared.pool,
    release: async () => {
      if (released) return;
      released = true;
      await releaseShared(key, shared);
    },
  };
}

function openShared(key: string, config: sql.config): SharedPool {
  const connected = loadMssql().then((driver) => {
    const pool = new driver.ConnectionPool(config);
    // Without a listener an 'error' event would crash the process; the failure reaches the caller
    // through its pending or next request instead.
    pool.on('error', () => undefined);
    return pool.connect();
  });
  const shared: SharedPool = { pool: connected, leases: 0 };
  // A failed connection is not cached: the next lease connects afresh.
  shared.pool.catch(() => {
    if (pools.get(key) === shared) pools.delete(key);
  });
  pools.set(key, shared);
  return shared;
}

async function releaseShared(key: string, shared: SharedPool): Promise<void> {
  shared.leases--;
  if (shared.leases > 0) return;
  if (pools.get(key) === shared) pools.delete(key);
  const pool = await shared.pool.catch(() => undefined);
  await pool?.close();
}
