import { createPool, type Pool } from 'mysql2/promise';

/**
 * A mysql2 pool set up as the service sets up its own (src/database/data-source-options.ts): UTC,
 * ids as strings, no stack captured per query, several statements per round trip, every connection
 * READ COMMITTED from when it opens. The ceilings use it, so they differ from the service only in
 * what runs above the driver.
 */
export function servicePool(uri: string): Pool {
  const pool = createPool({
    uri,
    timezone: 'Z',
    charset: 'utf8mb4_unicode_ci',
    supportBigNumbers: true,
    bigNumberStrings: true,
    connectionLimit: 20,
    trace: false,
    multipleStatements: true,
  });
  pool.pool.on('connection', (connection) => {
    connection.query('SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED');
  });
  return pool;
}
