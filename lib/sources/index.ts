import path from 'node:path';
import type { Config } from '../config/config.js';
import { SimulatorSource } from '../simulate/index.js';
import { MssqlSource } from './mssql.js';
import type { LimsSource } from './source.js';

/** The configured LIMS: SQL Server in production, the simulator's store on a laptop. */
export function openSource(config: Config, localDataDir = config.LOCAL_DATA_DIR): LimsSource {
  if (config.LIMS_SOURCE === 'simulator') return new SimulatorSource(path.join(localDataDir, 'lims'));
  return new MssqlSource({
    server: config.LIMS_SQL_SERVER,
    port: config.LIMS_SQL_PORT,
    database: config.LIMS_SQL_DATABASE,
    authentication:
      config.LIMS_SQL_AUTH === 'sql'
        ? { kind: 'sql', user: config.LIMS_SQL_USER, password: config.LIMS_SQL_PASSWORD }
        : { kind: 'entra', ...(config.AZURE_CLIENT_ID ? { clientId: config.AZURE_CLIENT_ID } : {}) },
    encrypt: config.LIMS_SQL_ENCRYPT,
    trustServerCertificate: config.LIMS_SQL_TRUST_SERVER_CERTIFICATE,
    ...(config.LIMS_SQL_MAPPING_FILE ? { mappingFile: config.LIMS_SQL_MAPPING_FILE } : {}),
  });
}
