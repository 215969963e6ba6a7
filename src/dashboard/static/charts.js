// Last-24-hours statistics of a webhook's deliveries and their SVG charts.

import { deliveryDetail } from './api.js';
import { ms } from './render.js';
import { state } from './state.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
// Latency needs one detail request per delivery; cap it so a busy webhook stays cheap to show.
const LATENCY_DELIVERIES = 50;
const SVG_NS = 'http://www.w3.org/2000/svg';

const timeFormat = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** 24 rolling one-hour buckets ending now; index 23 is the latest hour. */
function bucketOf(time, now) {
  const age = now - time;
  if (age < 0) return 23;
  if (age >= DAY) return -1;
  return 23 - Math.floor(age / HOUR);
}

function bucketLabel(index, now) {
  const start = now - (24 - index) * HOUR;
  return `${timeFormat.format(start)}–${timeFormat.format(start + HOUR)}`;
}

function successStats(page, now) {
  const buckets = Array.from({ length: 24 }, () => ({ succeeded: 0, failed: 0, pending: 0 }));
  const recent = page.data.filter((delivery) => bucketOf(Date.parse(delivery.createdAt), now) >= 0);
  for (const delivery of recent) {
    buckets[bucketOf(Date.parse(delivery.createdAt), now)][delivery.status] += 1;
  }
  const succeeded = recent.filter((delivery) => delivery.status === 'succeeded').length;
  const failed = recent.filter((delivery) => delivery.status === 'failed').length;
  // The list holds the newest LIST_LENGTH only; say so when older ones of the day were left out.
  const oldest = page.data.at(-1);
  const truncated =
    page.total > page.data.length &&
    oldest !== undefined &&
    now - Date.parse(oldest.createdAt) < DAY;
  return {
    buckets,
    recent,
    succeeded,
    failed,
    pending: recent.length - succeeded - failed,
    truncated,
  };
}

async function latencyStats(webhookId, recent, now) {
  const details = await Promise.all(
    recent.slice(0, LATENCY_DELIVERIES).map((delivery) => deliveryDetail(webhookId, delivery)),
  );
  const buckets = Array.from({ length: 24 }, () => []);
  const all = [];
  for (const detail of details) {
    for (const attempt of detail.attempts) {
      const index = bucketOf(Date.parse(attempt.at), now);
      if (index < 0 || typeof attempt.durationMs !== 'number') continue;
      buckets[index].push(attempt.durationMs);
      all.push(attempt.durationMs);
    }
  }
  return { buckets, all };
}

function percentile(sorted, fraction) {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))];
}

const CHART = { width: 240, height: 44, bar: 8, gap: 2 };

function chartFrame(label, testid) {
  const svg = svgEl('svg', {
    viewBox: `0 0 ${CHART.width} ${CHART.height}`,
    class: 'chart',
    // Stretch the 24 buckets across the card; the height is fixed, so only x scales.
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': label,
    'data-testid': testid,
  });
  svg.append(svgEl('title', {}, label));
  svg.append(
    svgEl('line', {
      x1: 0,
      x2: CHART.width,
      y1: CHART.height - 0.5,
      y2: CHART.height - 0.5,
      class: 'axis',
    }),
  );
  return svg;
}

/** One bucket's bar: stacked parts of [fraction, className], bottom first, under one tooltip. */
function bar(svg, index, parts, tooltip) {
  const group = svgEl('g');
  group.append(svgEl('title', {}, tooltip));
  const room = CHART.height - 4;
  let bottom = CHART.height;
  for (const [fraction, className] of parts) {
    const height = Math.max(2, Math.round(fraction * room));
    bottom -= height;
    group.append(
      svgEl('rect', {
        x: index * (CHART.bar + CHART.gap),
        y: bottom,
        width: CHART.bar,
        height,
        class: className,
      }),
    );
  }
  svg.append(group);
}

function successChart(stats, now) {
  const svg = chartFrame('Success rate per hour, last 24 hours', 'success-chart');
  svg.dataset.succeeded = String(stats.succeeded);
  svg.dataset.failed = String(stats.failed);
  stats.buckets.forEach((bucket, index) => {
    const finished = bucket.succeeded + bucket.failed;
    const label = bucketLabel(index, now);
    const pending = bucket.pending ? `, ${bucket.pending} pending` : '';
    if (finished === 0) {
      bar(svg, index, [[0, 'bar-empty']], `${label}: no finished deliveries${pending}`);
      return;
    }
    const rate = bucket.succeeded / finished;
    // Full height whenever something finished: green for the share that succeeded, red above it.
    const parts = [];
    if (bucket.succeeded) parts.push([rate, 'bar-ok']);
    if (bucket.failed) parts.push([1 - rate, 'bar-bad']);
    bar(
      svg,
      index,
      parts,
      `${label}: ${bucket.succeeded}/${finished} succeeded (${Math.round(rate * 100)}%)${pending}`,
    );
  });
  return svg;
}

function latencyChart(stats, now) {
  const svg = chartFrame('Attempt latency per hour, last 24 hours', 'latency-chart');
  svg.dataset.attempts = String(stats.all.length);
  const averages = stats.buckets.map((durations) =>
    durations.length ? durations.reduce((sum, value) => sum + value, 0) / durations.length : 0,
  );
  const top = Math.max(1, ...averages);
  stats.buckets.forEach((durations, index) => {
    const label = bucketLabel(index, now);
    if (durations.length === 0) {
      bar(svg, index, [[0, 'bar-empty']], `${label}: no attempts`);
      return;
    }
    const max = Math.max(...durations);
    bar(
      svg,
      index,
      [[averages[index] / top, 'bar-latency']],
      `${label}: average ${ms(averages[index])}, max ${ms(max)}, ${durations.length} attempts`,
    );
  });
  return svg;
}

/** Fills a webhook's row with its charts and figures, once its deliveries are loaded. */
export async function renderStats(webhookId, page, generation) {
  const slots = state.rows.get(webhookId);
  if (!slots) return;
  const now = Date.now();
  const success = successStats(page, now);
  const finished = success.succeeded + success.failed;
  slots.success.replaceChildren(successChart(success, now));
  const note = success.truncated ? ` (latest ${page.data.length})` : '';
  const pending = success.pending ? `, ${success.pending} pending` : '';
  slots.successText.textContent =
    finished === 0
      ? `no finished deliveries${pending}`
      : `${Math.round((success.succeeded / finished) * 100)}% (${success.succeeded}/${finished})${pending}${note}`;

  const latency = await latencyStats(webhookId, success.recent, now);
  if (generation !== state.generation || state.rows.get(webhookId) !== slots) return;
  slots.latency.replaceChildren(latencyChart(latency, now));
  const sorted = [...latency.all].sort((a, b) => a - b);
  slots.latencyText.textContent = sorted.length
    ? `p50 ${ms(percentile(sorted, 0.5))}, p95 ${ms(percentile(sorted, 0.95))}`
    : 'no attempts';
}
