import { createConnection } from 'mysql2/promise';

/**
 * When TEST_MYSQL_URL is set, the MySQL suites run too; check the server answers before any test
 * starts, so an unreachable MySQL fails the run instead of skipping it.
 */
export default async function setup(): Promise<void> {
  const url = process.env.TEST_MYSQL_URL;
  if (!url) return;
  const connection = await createConnection(serverUrl(url)).catch((error: Error) => {
    throw new Error(`TEST_MYSQL_URL is set but MySQL cannot be reached: ${error.message}`);
  });
  await connection.end();
}

export function serverUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/';
  return parsed.toString();
}
