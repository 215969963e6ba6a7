import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { createConnection, type Connection } from 'mysql2/promise';
import { createDatabase, type DatabaseKind } from '../test/helpers/databases.js';
import { type HttpApi, httpApi } from '../test/helpers/http-api.js';
import { freePort } from '../test/helpers/spawn-app.js';
import { HttpClient } from './http.js';
import { onInterrupt, stopChild } from './processes.js';

export type { DatabaseKind };

/** A fresh, empty database for one workload; `drop` removes it. */
export interface Database {
  url: string;
  drop(): Promise<void>;
}

/**
 * Makes fresh databases as the e2e suites do (test/helpers/databases.ts): new `cw_bench_<random>`
 * databases on one MySQL server, or SQLite files. Each is dropped if the bench is interrupted.
 */
export class Databases {
  private constructor(
    readonly kind: DatabaseKind,
    private readonly admin: Connection | undefined,
    private readonly server: string,
  ) {}

  static async open(kind: DatabaseKind, mysqlServer: string): Promise<Databases> {
    if (kind === 'sqlite') return new Databases(kind, undefined, mysqlServer);
    const server = new URL(mysqlServer);
    server.pathname = '/';
    return new Databases(kind, await createConnection(server.toString()), mysqlServer);
  }

  async create(): Promise<Database> {
    const database = await createDatabase(this.kind, 'cw_bench', this.server);
    const unregister = onInterrupt(() => database.drop());
    return {
      url: database.url,
      drop: async () => {
        unregister();
        await database.drop();
      },
    };
  }

  async version(): Promise<string> {
    if (!this.admin) return '';
    const [rows] = await this.admin.query('SELECT VERSION() AS version');
    return String((rows as { version: string }[])[0].version);
  }

  /** Server-wide counters (`SHOW GLOBAL STATUS`), by name: they count every client of the server. */
  async status(names: readonly string[]): Promise<Record<string, number>> {
    if (!this.admin) return {};
    const [rows] = await this.admin.query('SHOW GLOBAL STATUS WHERE Variable_name IN (?)', [names]);
    return Object.fromEntries(
      (rows as { Variable_name: string; Value: string }[]).map((row) => [
        row.Variable_name,
        Number(row.Value),
      ]),
    );
  }

  /** The server's process, when it runs on this machine and its pid file is readable. */
  async serverPid(): Promise<number | undefined> {
    if (!this.admin) return undefined;
    const [rows] = await this.admin.query('SELECT @@pid_file AS file');
    try {
      const pid = Number(readFileSync((rows as { file: string }[])[0].file, 'utf8').trim());
      return existsSync(`/proc/${pid}/stat`) ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await this.admin?.end();
  }
}

const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, in ms, from /proc/<pid>/stat. */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces and parentheses: count fields after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

export interface PhaseUsage {
  cpuMs: number;
  peakRssMb: number;
  /**
   * Cores used on average, during the phase, by processes other than the service, the receiver,
   * the bench and the database server: on a shared machine, a sign the figures are disturbed.
   */
  otherCores: number;
}

/** CPU time of the whole machine, in ms, from the first line of /proc/stat (idle and iowait left out). */
function machineBusyMs(): number {
  const [, user, nice, system, , , irq, softirq, steal] = readFileSync('/proc/stat', 'utf8')
    .split('\n', 1)[0]
    .trim()
    .split(/\s+/)
    .map(Number);
  return ((user + nice + system + irq + softirq + (steal || 0)) * 1000) / CLOCK_TICKS;
}

/** Processes whose command name is one of `names` (e.g. the database server). */
export function pidsNamed(...names: string[]): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (names.includes(readFileSync(`/proc/${entry}/comm`, 'utf8').trim()))
        pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

const cpuOf = (pids: readonly number[]) =>
  pids.reduce((sum, pid) => {
    try {
      return sum + cpuMs(pid);
    } catch {
      return sum;
    }
  }, 0);

/**
 * Samples the service's RSS every 100 ms from its start; `phase()` marks the start of a timed
 * phase and answers a function that ends it with the CPU time and peak RSS since the mark.
 */
export class Meter {
  private readonly timer: NodeJS.Timeout;
  private phasePeak = 0;
  peakRssMb = 0;
  /** Processes of the bench's own set-up besides the service, left out of `otherCores`. */
  companions: number[] = [];

  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.sample();
  }

  private sample(): void {
    try {
      const rss = rssMb(this.pid);
      this.peakRssMb = Math.max(this.peakRssMb, rss);
      this.phasePeak = Math.max(this.phasePeak, rss);
    } catch {
      // the process is gone; the exit is reported by whoever waits on it
    }
  }

  phase(): () => PhaseUsage {
    this.sample();
    this.phasePeak = 0;
    this.sample();
    const started = performance.now();
    const machine0 = machineBusyMs();
    const companions0 = cpuOf(this.companions);
    const cpu0 = cpuMs(this.pid);
    return () => {
      this.sample();
      const cpu = cpuMs(this.pid) - cpu0;
      const ours = cpu + cpuOf(this.companions) - companions0;
      const other = machineBusyMs() - machine0 - ours;
      return {
        cpuMs: cpu,
        peakRssMb: this.phasePeak,
        otherCores: Math.max(0, other / (performance.now() - started)),
      };
    };
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

/** The extra service settings BENCH_SERVICE_ENV asks for (e.g. "DELIVERY_CONCURRENCY=128"). */
export function serviceEnv(): Record<string, string> {
  return Object.fromEntries(
    (process.env.BENCH_SERVICE_ENV ?? '')
      .split(/\s+/)
      .filter((pair) => pair.includes('='))
      .map((pair) => [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)]),
  );
}

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const KEPT_LINES = 200;

/** The node flags `npm run start:prod` starts the service with (e.g. its heap size). */
function productionFlags(): string[] {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  const words = pkg.scripts['start:prod'].split(/\s+/);
  return words.slice(words.indexOf('node') + 1, words.indexOf('dist/main.js'));
}

/** `node dist/main.js` in its own process, as `npm run start:prod` runs it, on one database. */
export class Service {
  readonly meter: Meter;
  /** Keep-alive connections for the timed calls. */
  readonly api: HttpClient;
  /** The API as the e2e suites call it, for the set-up (createWebhook, createChannel). */
  readonly http: HttpApi;
  /** Everything it wrote (stdout and stderr); the first lines are kept, the rest counted. */
  readonly output: string[] = [];
  /** The last lines past the first KEPT_LINES (a crash's stack is at the end). */
  readonly outputTail: string[] = [];
  outputLines = 0;
  private readonly unregister: () => void;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {
    this.meter = new Meter(child.pid!);
    this.api = new HttpClient(port, 32);
    this.http = httpApi(`http://127.0.0.1:${port}`, 'bench');
    this.unregister = onInterrupt(() => this.stop());
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.setEncoding('utf8');
      stream.on('data', (chunk: string) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop()!;
        for (const line of lines) {
          if (line.trim() === '') continue;
          this.outputLines++;
          if (this.output.length < KEPT_LINES) this.output.push(line);
          else {
            this.outputTail.push(line);
            if (this.outputTail.length > 20) this.outputTail.shift();
          }
        }
      });
    }
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** How it ended (exit code or signal), or undefined while it runs. */
  get ended(): string | undefined {
    if (this.running) return undefined;
    return this.child.signalCode
      ? `killed by ${this.child.signalCode}`
      : `exit code ${this.child.exitCode}`;
  }

  /** Throws if the service is gone: waits check this so that a crash ends them at once. */
  assertRunning(): void {
    if (!this.running) throw new Error(`the service ended (${this.ended}) during the workload`);
  }

  static async start(databaseUrl: string, env: Record<string, string> = {}): Promise<Service> {
    const port = await freePort();
    const extraArgs = (process.env.BENCH_SERVICE_ARGS ?? '').split(' ').filter(Boolean);
    // A clean environment: only what is set here reaches the service, so the caller's shell
    // (or a .env file, hence the empty working folder) cannot change what is measured.
    const workdir = mkdtempSync(join(tmpdir(), 'cw-bench-service-'));
    const child = spawn(process.execPath, [...productionFlags(), ...extraArgs, MAIN], {
      cwd: workdir,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        NODE_ENV: 'production',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        API_KEYS: 'bench',
        INGEST_TOKEN: 'bench',
        DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8',
        RATE_LIMIT_API: '100000000/1m',
        RATE_LIMIT_INGEST_DENIALS: '100000000/1m',
        LOG_LEVEL: 'error',
        ...env,
        ...serviceEnv(),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.once('exit', () => rmSync(workdir, { recursive: true, force: true }));
    const service = new Service(child, port);
    try {
      await service.ready();
    } catch (error) {
      await service.stop();
      throw error;
    }
    return service;
  }

  private async ready(): Promise<void> {
    const deadline = Date.now() + 120_000;
    for (;;) {
      if (!this.running) {
        throw new Error(
          `the service exited (${this.child.exitCode ?? this.child.signalCode}) before answering:\n${this.output.join('\n')}`,
        );
      }
      try {
        const { status } = await this.api.request('GET', '/health/live');
        if (status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error('the service did not answer within 120 s');
      await sleep(100);
    }
  }

  /** SIGTERM lets it finish and record the attempts in flight (each ≤ DELIVERY_TIMEOUT). */
  async stop(): Promise<void> {
    this.unregister();
    this.meter.stop();
    this.api.close();
    await stopChild(this.child, 'the service', 25_000);
  }
}
