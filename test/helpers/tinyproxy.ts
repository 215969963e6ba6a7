import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './spawn-app.js';

export interface Tinyproxy {
  /** `http://<address>:<port>`, as DELIVERY_PROXY takes it. */
  url: string;
  /** The requests it logged, as it logs them: `POST http://…/ HTTP/1.1`, `CONNECT 1.2.3.4:443 HTTP/1.1`. */
  requests(): string[];
  close(): Promise<void>;
}

/**
 * Debian's tinyproxy on a loopback address, in the foreground, logging every request it is asked
 * (CONNECT to any port allowed, as no ConnectPort line is given; clients from 127.0.0.0/8).
 */
export async function startTinyproxy(address = '127.0.0.1'): Promise<Tinyproxy> {
  const dir = mkdtempSync(join(tmpdir(), 'cw-tinyproxy-'));
  const port = await freePort();
  const log = join(dir, 'tinyproxy.log');
  writeFileSync(
    join(dir, 'tinyproxy.conf'),
    [
      `Port ${port}`,
      `Listen ${address}`,
      'Timeout 30',
      `LogFile "${log}"`,
      'LogLevel Connect',
      'MaxClients 200',
      'Allow 127.0.0.0/8',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn('tinyproxy', ['-d', '-c', join(dir, 'tinyproxy.conf')], {
    stdio: 'ignore',
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ host: address, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`tinyproxy did not start (exit code ${child.exitCode})`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: `http://${address}:${port}`,
    requests: () => {
      let text: string;
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        return [];
      }
      return [...text.matchAll(/Request \(file descriptor \d+\): (.*)$/gm)].map(
        (match) => match[1],
      );
    },
    close: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
