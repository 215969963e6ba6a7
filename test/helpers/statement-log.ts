import { DataSource } from 'typeorm';
import { Reads } from '../../src/database/reads.js';
import type { TestDatabase } from './databases.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import type { TestApp } from './test-app.js';
import { DATA_SOURCE } from '../../src/database/data-source.token.js';

/** MySQL's COM_QUERY: a packet whose payload is this byte, then the statement's text. */
const COM_QUERY = 0x03;

/**
 * The statements the service sends its database, as they go: on MySQL read off the wire by a
 * proxy in front of the server (every COM_QUERY packet of every connection), on SQLite from
 * TypeORM's query log of both of the service's connections (the writer and the reader).
 */
export interface StatementLog {
  /** What the service's DATABASE_URL must be for its statements to be seen. */
  env: Record<string, string>;
  /** On MySQL, the proxy the statements go through (it can cut the database away). */
  proxy?: TcpProxy;
  /** Starts reading an app's statements (SQLite: its query log); MySQL's are read from the start. */
  attach(t: TestApp): void;
  /** Every statement seen so far, in order. */
  readonly statements: string[];
  close(): Promise<void>;
}

export async function startStatementLog(database: TestDatabase): Promise<StatementLog> {
  const statements: string[] = [];
  if (database.kind === 'sqlite') {
    return {
      env: { DATABASE_URL: database.url },
      attach(t) {
        for (const source of [
          t.app.get<DataSource>(DATA_SOURCE),
          t.app.get(Reads).manager.connection,
        ]) {
          const logger = source.logger;
          const logQuery = logger.logQuery.bind(logger);
          logger.logQuery = (query, ...rest) => {
            statements.push(query);
            return logQuery(query, ...rest);
          };
        }
      },
      statements,
      close: () => Promise.resolve(),
    };
  }
  const server = new URL(database.url);
  const proxy = await startTcpProxy({ host: server.hostname, port: Number(server.port) }, () => {
    let pending = Buffer.alloc(0);
    return (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      // packets: a 3-byte little-endian length, a sequence byte, the payload
      while (pending.length >= 4) {
        const length = pending.readUIntLE(0, 3);
        if (pending.length < 4 + length) break;
        const payload = pending.subarray(4, 4 + length);
        if (payload[0] === COM_QUERY) statements.push(payload.subarray(1).toString('utf8'));
        pending = pending.subarray(4 + length);
      }
    };
  });
  const proxied = new URL(database.url);
  proxied.port = String(proxy.port);
  return {
    env: { DATABASE_URL: proxied.toString() },
    proxy,
    attach: () => undefined,
    statements,
    close: () => proxy.close(),
  };
}
