import { mkdirSync, writeFileSync } from 'node:fs';
import { formatNumber } from './stats.js';
import type { DatabaseKind } from './service.js';
import type { Goal, Metric, WorkloadResult } from './workloads.js';

export type Results = Record<DatabaseKind, Record<string, WorkloadResult | undefined>>;

export interface Row {
  workload: string;
  metric: string;
  unit: string;
  mysql: number | null;
  sqlite: number | null;
  mysqlMet: boolean | null;
  sqliteMet: boolean | null;
  goal: string;
  mysqlNote?: string;
  sqliteNote?: string;
}

const met = (goal: Goal | undefined, value: number): boolean | null =>
  goal === undefined || Number.isNaN(value)
    ? null
    : goal.op === '>='
      ? value >= goal.target
      : value <= goal.target;

/** One row per (workload, metric), in the order they were first measured. */
export function rows(results: Results, workloads: readonly string[]): Row[] {
  const table: Row[] = [];
  for (const workload of workloads) {
    const byName = new Map<string, Row>();
    for (const kind of ['mysql', 'sqlite'] as const) {
      const result = results[kind][workload];
      for (const metric of result?.metrics ?? []) {
        let row = byName.get(metric.name);
        if (!row) {
          row = {
            workload,
            metric: metric.name,
            unit: metric.unit,
            mysql: null,
            sqlite: null,
            mysqlMet: null,
            sqliteMet: null,
            goal: metric.goal?.text ?? '',
          };
          byName.set(metric.name, row);
          table.push(row);
        }
        setValue(row, kind, metric);
      }
    }
    if (byName.size === 0) {
      const error = results.mysql[workload]?.error ?? results.sqlite[workload]?.error;
      table.push({
        workload,
        metric: error ? `failed: ${error.split('\n')[0].slice(0, 70)}` : '(no figures)',
        unit: '',
        mysql: null,
        sqlite: null,
        mysqlMet: null,
        sqliteMet: null,
        goal: '',
      });
    }
  }
  return table;
}

function setValue(row: Row, kind: DatabaseKind, metric: Metric) {
  const value = Number.isFinite(metric.value) ? metric.value : null;
  if (kind === 'mysql') {
    row.mysql = value;
    row.mysqlMet = met(metric.goal, metric.value);
    row.mysqlNote = metric.note;
  } else {
    row.sqlite = value;
    row.sqliteMet = met(metric.goal, metric.value);
    row.sqliteNote = metric.note;
  }
}

function cell(
  value: number | null,
  unit: string,
  ok: boolean | null,
  result: WorkloadResult | undefined,
  note: string | undefined,
): string {
  if (result === undefined) return '—';
  if (value === null) return result.error ? 'FAILED' : '—';
  const number = unit === '×' ? value.toFixed(2) : formatNumber(value);
  const text =
    unit === '×' ? `${number}×` : unit.startsWith('/') ? `${number}${unit}` : `${number} ${unit}`;
  const mark = ok === null ? '' : ok ? ' ✓' : ' ✗';
  return `${text}${mark}${note ? ' (timed out)' : ''}`;
}

/** The table as aligned text, one line per row. */
export function formatTable(table: Row[], results: Results): string {
  const header = ['workload', 'metric', 'MySQL', 'SQLite', 'goal'];
  const lines = table.map((row) => [
    row.workload,
    row.metric,
    cell(row.mysql, row.unit, row.mysqlMet, results.mysql[row.workload], row.mysqlNote),
    cell(row.sqlite, row.unit, row.sqliteMet, results.sqlite[row.workload], row.sqliteNote),
    row.goal,
  ]);
  const widths = header.map((title, i) =>
    Math.max(title.length, ...lines.map((line) => line[i].length)),
  );
  const format = (line: string[]) =>
    `| ${line.map((text, i) => (i >= 2 && i <= 3 ? text.padStart(widths[i]) : text.padEnd(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((width, i) => (i >= 2 && i <= 3 ? `${'-'.repeat(width + 1)}:` : '-'.repeat(width + 2))).join('|')}|`;
  let previous = '';
  const body = lines.map((line) => {
    // The workload is named on its first row only, so the table reads in blocks.
    const shown = line[0] === previous ? ['', ...line.slice(1)] : line;
    previous = line[0];
    return format(shown);
  });
  return [format(header), rule, ...body].join('\n');
}

export function writeJson(path: URL, content: unknown): void {
  mkdirSync(new URL('.', path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(content, null, 2)}\n`);
}
