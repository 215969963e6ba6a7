/**
 * npm run bench — the service's performance table, on MySQL and on SQLite, in one run.
 *
 * Every workload gets a fresh database (a new `cw_bench_<random>` on the MySQL server, dropped
 * after; a temporary SQLite file), a receiver in its own process and the built service
 * (`node dist/main.js`) in its own process. Set-up goes through the API and is not timed. During
 * each timed phase the service's CPU time and peak RSS are read from /proc.
 *
 *   burst      20 webhooks, 1,000 channels go live (16 hooks in flight); then a bare node:http loop
 *              against the same receiver, and on MySQL the design probe (probe.ts) on the same
 *              deliveries, as the ceilings
 *   reconnect  5 webhooks, 2,000 channels go live at once (64 hooks in flight)
 *   steady     10 webhooks, 50 transitions/s for 10 s
 *   fanout     10,000 webhooks, one channel goes live
 *   reads      200 webhooks, 32 connections on each read route for 5 s; on MySQL the webhook
 *              routes again on the bare read server (bare-reads.ts)
 *   backlog    20 webhooks, 5,000 channels, the receiver refusing for 20 s, then the drain
 *   fresh      20 webhooks, 100,000 failed deliveries recovered at once, then the drain while 50
 *              other channels a second go live on the same webhooks: how long the new events wait
 *   fairness   2 webhooks, 150 channels go live, alone and then beside a receiver that never answers
 *   instances  MySQL only: 20 webhooks, 500 channels go live through one, two, then three instances
 *              on one database; what the database server did per delivery (its global counters:
 *              point BENCH_MYSQL_URL at a server nothing else uses)
 *
 * A workload whose callbacks do not all arrive within its timeout fails, and the run exits
 * non-zero after printing the table (the backlog's drain reports what it reached instead).
 *
 * Environment: BENCH_SCALE (1; e.g. 0.1 for a quick run), BENCH_ONLY (e.g. burst,reconnect),
 * BENCH_DB (mysql,sqlite), BENCH_MYSQL_URL (mysql://root@127.0.0.1:3306/), BENCH_TIMEOUT_SCALE (1),
 * BENCH_DRAIN_TIMEOUT (seconds, 300), BENCH_SERVICE_ARGS (node flags for the service, e.g.
 * --cpu-prof), BENCH_SERVICE_ENV (extra service settings, e.g. "DELIVERY_CONCURRENCY=128").
 */
import Sqlite from 'better-sqlite3';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, release, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatTable, type Results, rows, writeJson } from './report.js';
import { type DatabaseKind, Databases, pidsNamed } from './service.js';
import { instances } from './instances.js';
import { type Settings, WORKLOADS as SINGLE } from './workloads.js';

const WORKLOADS = { ...SINGLE, instances } as const;
type WorkloadName = keyof typeof WORKLOADS;

function list<T extends string>(name: string, all: readonly T[]): T[] {
  const raw = process.env[name]?.trim();
  if (!raw) return [...all];
  const chosen = raw.split(',').map((item) => item.trim()) as T[];
  const unknown = chosen.filter((item) => !all.includes(item));
  if (unknown.length > 0)
    throw new Error(`${name}: unknown ${unknown.join(', ')} (known: ${all.join(', ')})`);
  return all.filter((item) => chosen.includes(item));
}

function positive(name: string, fallback: number): number {
  const raw = process.env[name]?.trim();
  if (!raw) return fallback;
  const value = Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

function machine(mariadb: string) {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? cpus()[0]?.model ?? 'unknown';
  const memory = new Sqlite(':memory:');
  const sqlite = (memory.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  memory.close();
  return {
    cpu: model,
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    kernel: release(),
    node: process.version,
    mariadb,
    sqlite,
  };
}

async function main(): Promise<number> {
  const workloads = list('BENCH_ONLY', Object.keys(WORKLOADS) as WorkloadName[]);
  const kinds = list<DatabaseKind>('BENCH_DB', ['mysql', 'sqlite']);
  const settings: Settings = {
    scale: positive('BENCH_SCALE', 1),
    timeoutScale: positive('BENCH_TIMEOUT_SCALE', 1),
    drainTimeoutMs: positive('BENCH_DRAIN_TIMEOUT', 300) * 1000,
  };
  const mysqlServer = process.env.BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';
  if (!existsSync(fileURLToPath(new URL('../dist/main.js', import.meta.url))))
    throw new Error('dist/main.js is missing: build the service first (nest build)');

  const started = Date.now();
  const opened = new Map<DatabaseKind, Databases>();
  const results: Results = { mysql: {}, sqlite: {} };
  let failures = 0;
  try {
    for (const kind of kinds) opened.set(kind, await Databases.open(kind, mysqlServer));
    const databasePids = pidsNamed('mariadbd', 'mysqld');
    const host = machine((await opened.get('mysql')?.version()) ?? 'not used');
    console.log(
      `channel-webhooks benchmark — ${host.cpu}, ${host.cores} cores, ${host.memoryGiB} GiB, Linux ${host.kernel}`,
    );
    console.log(`Node ${host.node}, MariaDB ${host.mariadb}, SQLite ${host.sqlite}`);
    console.log(
      `scale ${settings.scale}, workloads ${workloads.join(', ')}, databases ${kinds.join(', ')}\n`,
    );

    for (const kind of kinds) {
      for (const workload of workloads) {
        const label = `[${kind} ${workload}]`;
        console.log(`${label} start`);
        const workloadStarted = Date.now();
        const result = await WORKLOADS[workload]({
          databases: opened.get(kind)!,
          databasePids,
          settings,
          log: (line) => console.log(`${label} ${line}`),
        });
        results[kind][workload] = result;
        for (const note of result.notes) console.log(`${label} note: ${note}`);
        for (const output of result.service)
          for (const line of output.head.slice(0, 5)) console.log(`${label} service: ${line}`);
        if (result.error) {
          failures++;
          console.error(`${label} FAILED: ${result.error}`);
        } else {
          console.log(`${label} done in ${((Date.now() - workloadStarted) / 1000).toFixed(0)} s`);
        }
      }
    }

    const table = rows(results, workloads);
    const wallSeconds = Math.round((Date.now() - started) / 1000);
    console.log(`\n${host.cpu}, ${host.cores} cores · Node ${host.node} · MariaDB ${host.mariadb}`);
    console.log(formatTable(table, results));
    console.log(`\nwall time ${wallSeconds} s`);
    writeJson(new URL('./results/latest.json', import.meta.url), {
      finishedAt: new Date().toISOString(),
      wallSeconds,
      machine: host,
      settings: { ...settings, workloads, databases: kinds },
      table,
      results,
    });
    if (failures > 0) console.error(`${failures} workload(s) failed`);
    return failures > 0 ? 1 : 0;
  } finally {
    for (const databases of opened.values()) await databases.close();
  }
}

process.exitCode = await main();
