// @ts-check
/**
 * The dependency rule of src/ (npm run check:deps, run by CI): no import cycle between files, and
 * the top-level folders import each other only in the direction data flows, as listed below.
 * A folder may import itself and the folders it lists; the list must stay a DAG (checked here),
 * so no cycle can form between folders either.
 */
const ALLOWED = {
  config: [],
  // spans through the OpenTelemetry API, and the SDK when asked for: a leaf every layer may use
  tracing: [],
  common: ['config', 'database', 'tracing'],
  database: ['config'],
  logging: ['config'],
  destination: ['config'],
  metrics: ['common', 'config'],
  webhook: ['common', 'config', 'database', 'destination'],
  // the events core: channels write into it, delivery reads from it; it knows neither
  'channel-events': ['common', 'database'],
  channel: ['channel-events', 'common', 'config', 'database', 'metrics', 'tracing'],
  // a worker thread of the process, knowing nothing of what runs in it
  'worker-thread': [],
  delivery: [
    'channel-events',
    'common',
    'config',
    'database',
    'destination',
    'metrics',
    'tracing',
    'webhook',
    'worker-thread',
  ],
  // the operator console's reads: it reads the engine's (delivery/) and webhook's tables; the
  // engine never imports it
  'delivery-log': ['channel-events', 'common', 'config', 'database', 'delivery', 'webhook'],
  health: ['common', 'config', 'database', 'delivery'],
  dashboard: ['common'],
  // the event catalog: names, examples and the document's schemas
  'event-types': ['common'],
};

(function assertAcyclic() {
  const state = new Map();
  const visit = (folder, path) => {
    if (state.get(folder) === 'done') return;
    if (state.get(folder) === 'visiting')
      throw new Error(`folder cycle in ALLOWED: ${[...path, folder].join(' → ')}`);
    state.set(folder, 'visiting');
    for (const next of ALLOWED[folder] ?? []) visit(next, [...path, folder]);
    state.set(folder, 'done');
  };
  for (const folder of Object.keys(ALLOWED)) visit(folder, []);
})();

const escape = (name) => name.replace(/[-]/g, '\\-');
const KNOWN = `^src/(${Object.keys(ALLOWED).map(escape).join('|')})/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Files must not import each other in a cycle.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'folder-not-in-the-map',
      severity: 'error',
      comment:
        'Every top-level folder of src/ is listed in .dependency-cruiser.cjs with what it may import.',
      from: { path: '^src/[^/]+/', pathNot: KNOWN },
      to: { path: '^src/' },
    },
    {
      name: 'console-reads-engine-tables',
      severity: 'error',
      comment:
        "src/delivery-log/ takes from the engine only its tables' entities and how a delivery is " +
        'shown (DTOs, ids): it reads the delivery tables itself, and never calls the queue, the ' +
        "worker or the engine's services.",
      from: { path: '^src/delivery\\-log/' },
      to: {
        path: '^src/delivery/',
        pathNot:
          '^src/delivery/(delivery\\.entity|delivery-view|delivery-id\\.param|dto/delivery\\.dto)\\.ts$',
      },
    },
    ...Object.entries(ALLOWED).map(([folder, allowed]) => ({
      name: `direction-${folder}`,
      severity: 'error',
      comment: `src/${folder}/ may import only ${allowed.length ? allowed.join(', ') : 'nothing else in src/'}.`,
      from: { path: `^src/${escape(folder)}/` },
      to: {
        path: '^src/',
        pathNot: `^src/(${[folder, ...allowed].map(escape).join('|')})/`,
      },
    })),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
  },
};
