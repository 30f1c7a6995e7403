/* global process, console, setTimeout */
/**
 * CI: waits until the SQL Server service container accepts logins, then creates the database that
 * LIMS_SQL_TEST_CONNECTION names (if absent), for lib/sources/mssql.integration.test.ts.
 * Usage: LIMS_SQL_TEST_CONNECTION='Server=localhost,1433;Database=lims_test;User Id=sa;Password=...;Encrypt=true;TrustServerCertificate=true' node infra/scripts/create-sql-test-database.mjs
 */
import sql from 'mssql';

const connection = process.env.LIMS_SQL_TEST_CONNECTION;
if (!connection) {
  console.error('create-sql-test-database: LIMS_SQL_TEST_CONNECTION is not set');
  process.exit(2);
}
const database = /(?:^|;)\s*(?:Database|Initial Catalog)\s*=\s*([^;]+)/i.exec(connection)?.[1]?.trim();
if (!database || !/^[A-Za-z_][A-Za-z0-9_]{0,127}$/.test(database)) {
  console.error('create-sql-test-database: the connection string names no plain database (Database=<name>)');
  process.exit(2);
}
const master = connection.replace(/((?:^|;)\s*(?:Database|Initial Catalog)\s*=\s*)[^;]+/i, '$1master');
const deadline = Date.now() + Number(process.env.SQL_WAIT_SECONDS ?? 180) * 1000;

for (let attempt = 1; ; attempt++) {
  try {
    const pool = await sql.connect(master);
    await pool.request().query(`IF DB_ID(N'${database}') IS NULL CREATE DATABASE [${database}]`);
    await pool.close();
    console.log(`create-sql-test-database: database ${database} is ready (attempt ${attempt})`);
    break;
  } catch (error) {
    if (Date.now() > deadline) {
      console.error(`create-sql-test-database: SQL Server did not accept the login in time: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    }
    await new Promise((resolve) => setTimeout(resolve, 5000));
  }
}
