import type sql from 'mssql';
import { defaultMapping, loadMappingFile, quoteTable, type LimsMapping } from './mapping.js';
import { leasePool, loadMssql, type PoolLease } from './mssql-pool.js';
import { buildPageQuery, rowFromRecord, type SqlParameter } from './mssql-query.js';
import { LIMS_TABLES, type LimsTableName, type Row, type Watermark } from './schema.js';
import type { LimsSource } from './source.js';

export type MssqlAuthentication =
  | { readonly kind: 'sql'; readonly user: string; readonly password: string }
  /** DefaultAzureCredential: managed identity in Azure (clientId picks a user-assigned one), developer login locally. */
  | { readonly kind: 'entra'; readonly clientId?: string };

export interface MssqlSourceOptions {
  readonly server: string;
  readonly port?: number;
  readonly database: string;
  readonly authentication: MssqlAuthentication;
  /** TLS; default true. */
  readonly encrypt?: boolean;
  /** Accept a certificate that does not chain to a trusted root; default false. */
  readonly trustServerCertificate?: boolean;
  /** Per-site mapping (mapping.ts); absent or empty: default table and column names. */
  readonly mappingFile?: string;
  readonly requestTimeoutMs?: number;
}

/** A page of INGEST_PAGE_SIZE wide rows (200 000 by default) can take longer than the driver's 15 s default. */
const DEFAULT_REQUEST_TIMEOUT_MS = 120_000;

export function mssqlConfig(options: MssqlSourceOptions): sql.config {
  return {
    server: options.server,
    port: options.port ?? 1433,
    database: options.database,
    authentication: authentication(options.authentication),
    requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
    options: {
      encrypt: options.encrypt ?? true,
      trustServerCertificate: options.trustServerCertificate ?? false,
      useUTC: true,
      appName: 'lims-mlops',
    },
  };
}

function authentication(auth: MssqlAuthentication): NonNullable<sql.config['authentication']> {
  if (auth.kind === 'sql') return { type: 'default', options: { userName: auth.user, password: auth.password } };
  return { type: 'azure-active-directory-default', options: auth.clientId ? { clientId: auth.clientId } : {} };
}

/** A failed read, with the LIMS table for context; never carries the password or the driver error itself. */
export class MssqlSourceError extends Error {
  override readonly name = 'MssqlSourceError';
  constructor(
    message: string,
    /** Driver code such as ELOGIN, ESOCKET, ETIMEOUT, EREQUEST. */
    readonly code: string | undefined,
    /** SQL Server error number such as 208 (invalid object name) or 18456 (login failed). */
    readonly sqlErrorNumber: number | undefined,
  ) {
    super(message);
  }
}

/** SQL Server error numbers a site can fix in its mapping file. */
const MAPPING_ERRORS = new Set([207, 208]);

export class MssqlSource implements LimsSource {
  readonly kind = 'mssql';
  // ECMAScript private fields: unlike TypeScript `private`, console.log and JSON.stringify
  // of a source do not show them, and the configuration holds the password.
  readonly #config: sql.config;
  readonly #secrets: readonly string[];
  readonly #mapping: LimsMapping;
  #lease: PoolLease | undefined;

  constructor(options: MssqlSourceOptions) {
    this.#mapping = options.mappingFile ? loadMappingFile(options.mappingFile) : defaultMapping();
    this.#config = mssqlConfig(options);
    this.#secrets = options.authentication.kind === 'sql' && options.authentication.password ? [options.authentication.password] : [];
  }

  async readPage(table: LimsTableName, after: Watermark | null, limit: number, until?: number): Promise<Row[]> {
    const query = buildPageQuery(table, this.#mapping, after, limit, until);
    let records: Record<string, unknown>[];
    try {
      const request = (await this.#pool()).request();
      const driver = await loadMssql();
      for (const parameter of query.parameters) request.input(parameter.name, sqlType(driver, parameter), parameter.value);
      records = (await request.query<Record<string, unknown>>(query.text)).recordset;
    } catch (error) {
      throw this.#readError(table, error);
    }
    return records.map((record) => rowFromRecord(LIMS_TABLES[table], record));
  }

  /** Releases this source's hold on the shared pool (closing it when no other source uses it). */
  async close(): Promise<void> {
    const lease = this.#lease;
    this.#lease = undefined;
    await lease?.release();
  }

  async #pool(): Promise<sql.ConnectionPool> {
    const lease = (this.#lease ??= leasePool(this.#config));
    try {
      return await lease.pool;
    } catch (error) {
      // Let the next read connect again instead of replaying this failure.
      if (this.#lease === lease) this.#lease = undefined;
      await lease.release();
      throw error;
    }
  }

  #readError(table: LimsTableName, error: unknown): MssqlSourceError {
    const { message, code, number } = driverError(error);
    const hint = number !== undefined && MAPPING_ERRORS.has(number) ? ' (check the mapping file, LIMS_SQL_MAPPING_FILE)' : '';
    const text = `SQL Server read of LIMS table ${table} (${quoteTable(this.#mapping[table].table)}) failed: ${message}${hint}`;
    return new MssqlSourceError(redact(text, this.#secrets), code, number);
  }
}

function sqlType(driver: typeof sql, parameter: SqlParameter): sql.ISqlType {
  switch (parameter.type) {
    case 'int':
      return driver.Int();
    case 'datetime2':
      return driver.DateTime2(3);
    case 'nvarchar':
      return driver.NVarChar(4000);
  }
}

/** mssql wraps tedious errors; the SQL Server error number sits on the error or its originalError. */
function driverError(error: unknown): { message: string; code: string | undefined; number: number | undefined } {
  if (!(error instanceof Error)) return { message: String(error), code: undefined, number: undefined };
  const fields = error as Error & { code?: unknown; number?: unknown; originalError?: { number?: unknown } };
  const number = typeof fields.number === 'number' ? fields.number : fields.originalError?.number;
  return {
    message: error.message,
    code: typeof fields.code === 'string' ? fields.code : undefined,
    number: typeof number === 'number' ? number : undefined,
  };
}

function redact(text: string, secrets: readonly string[]): string {
  return secrets.reduce((result, secret) => result.split(secret).join('***'), text);
}
