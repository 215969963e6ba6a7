import { HttpClient, pool } from './http.js';
import { Receiver } from './receiver-handle.js';
import { cpuMs, Service } from './service.js';
import { formatNumber } from './stats.js';
import {
  checkSpread,
  type Context,
  cpuPerDelivery,
  createChannels,
  createWebhooks,
  disturbed,
  hook,
  RECORD_SETTLE_MS,
  waitDelivered,
  type WorkloadResult,
} from './workloads.js';

/** What the database server counts, read before and after each run (server-wide). */
const COUNTERS = [
  'Questions',
  'Com_select',
  'Com_insert',
  'Com_update',
  'Com_delete',
  'Com_commit',
  // rows written and transactions committed, by the storage engines (MySQL and MariaDB alike)
  'Handler_write',
  'Handler_update',
  'Handler_delete',
  'Handler_commit',
  'Innodb_data_fsyncs',
] as const;

const INSTANCE_COUNTS = [1, 2, 3] as const;

/**
 * One, two, then three instances on one MySQL database: the same burst (20 webhooks, 500 channels
 * going live, the hooks spread over the instances), deliveries/s, and what the database server
 * did per delivery — statements and rows written from its global counters, its CPU time from
 * /proc. The counters are the whole server's: the figures hold when nothing else uses it.
 */
export async function instances(context: Context): Promise<WorkloadResult> {
  const result: WorkloadResult = { metrics: [], notes: [], service: [] };
  if (context.databases.kind !== 'mysql') {
    result.notes.push('MySQL only: SQLite is for one instance');
    return result;
  }
  const serverPid = await context.databases.serverPid();
  if (serverPid === undefined)
    result.notes.push('the database server is not on this machine: no database CPU figures');
  const webhooks = 20;
  const channelCount = Math.max(1, Math.round(500 * context.settings.scale));
  const expected = webhooks * channelCount;
  for (const count of INSTANCE_COUNTS) {
    const label = `${count} instance${count > 1 ? 's' : ''}`;
    const database = await context.databases.create();
    const services: Service[] = [];
    let receiver: Receiver | undefined;
    try {
      receiver = await Receiver.start();
      // one at a time: the first applies the migrations, the others find none pending
      for (let i = 0; i < count; i++) services.push(await Service.start(database.url));
      const [first] = services;
      first.meter.companions = [
        receiver.pid,
        process.pid,
        ...services.slice(1).map((service) => service.pid),
        ...context.databasePids,
      ];
      await createWebhooks(context, first, receiver, webhooks);
      const channels = await createChannels(context, first, channelCount);
      context.log(`${label}: ${channelCount} channels go live → ${expected} callbacks`);
      const clients = services.map((service) => new HttpClient(service.port, 16, {}));
      try {
        const before = await context.databases.status(COUNTERS);
        const serverCpu0 = serverPid === undefined ? NaN : cpuMs(serverPid);
        const servicesCpu0 = services.reduce((sum, service) => sum + cpuMs(service.pid), 0);
        const endPhase = first.meter.phase();
        const started = Date.now();
        // 16 hooks in flight in all, each channel's hook to the next instance in turn
        await pool(channels, 16, (channel, index) =>
          hook(clients[index % count], channel.streamKey, 'publish'),
        );
        for (const service of services) service.assertRunning();
        const done = await waitDelivered(
          context,
          first,
          receiver,
          expected,
          180_000 * context.settings.timeoutScale,
        );
        await new Promise((resolve) => setTimeout(resolve, RECORD_SETTLE_MS));
        disturbed(result, endPhase(), `the ${label} run`);
        const serverCpu = serverPid === undefined ? NaN : cpuMs(serverPid) - serverCpu0;
        const servicesCpu =
          services.reduce((sum, service) => sum + cpuMs(service.pid), 0) - servicesCpu0;
        const after = await context.databases.status(COUNTERS);
        await checkSpread(receiver, webhooks, channelCount, result);

        const per = (name: (typeof COUNTERS)[number]) =>
          ((after[name] ?? NaN) - (before[name] ?? NaN)) / expected;
        const rowsWritten = per('Handler_write') + per('Handler_update') + per('Handler_delete');
        const serverUs = cpuPerDelivery(serverCpu, expected);
        result.metrics.push(
          {
            name: `${label}: deliveries/s`,
            value: expected / ((done.lastDelivered - started) / 1000),
            unit: '/s',
          },
          { name: `${label}: statements per delivery`, value: per('Questions'), unit: '' },
          { name: `${label}: rows written per delivery`, value: rowsWritten, unit: '' },
          { name: `${label}: fsyncs per delivery`, value: per('Innodb_data_fsyncs'), unit: '' },
          { name: `${label}: database CPU per delivery`, value: serverUs, unit: 'µs' },
          {
            name: `${label}: services' CPU per delivery`,
            value: cpuPerDelivery(servicesCpu, expected),
            unit: 'µs',
          },
          {
            name: `${label}: statements per database CPU-second`,
            value: (per('Questions') * expected) / (serverCpu / 1000),
            unit: '/s',
          },
        );
        result.notes.push(
          `${label}, per delivery: ` +
            COUNTERS.map((name) => `${name} ${formatNumber(per(name))}`).join(', '),
        );
      } finally {
        for (const client of clients) client.close();
      }
    } catch (error) {
      result.error = `${label}: ${(error as Error).message}`;
      break;
    } finally {
      for (const service of services) {
        await service.stop();
        if (service.outputLines > 0)
          result.notes.push(
            `${label}: an instance wrote ${service.outputLines} log line(s) at LOG_LEVEL=error`,
          );
        result.service.push({
          lines: service.outputLines,
          head: service.output.slice(0, 20),
          tail: service.outputTail,
        });
      }
      await receiver?.stop();
      await database.drop();
    }
  }
  return result;
}
