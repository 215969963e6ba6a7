// @ts-check
// A webhook's attempts over the chosen window as an SVG bar chart: one bar per bucket, its height
// the attempts, the failed share in red on top of the succeeded share in green.

import { localTime } from './dom.js';

/** @typedef {import('../api-types.js').SummaryBucket} SummaryBucket */

const SVG_NS = 'http://www.w3.org/2000/svg';
const CHART = { width: 240, height: 40, gap: 2 };

/**
 * An SVG element with attributes and, when given, text.
 * @param {string} tag
 * @param {Record<string, string | number>} [attributes]
 * @param {string} [text]
 */
function svgEl(tag, attributes = {}, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * `buckets`: [{start, attempts, failed}] oldest first; `windowLabel`: the window in words.
 * @param {SummaryBucket[]} buckets
 * @param {string} windowLabel
 */
export function attemptChart(buckets, windowLabel) {
  const label = `Attempts over the last ${windowLabel}: succeeded in green, failed in red`;
  const svg = svgEl('svg', {
    viewBox: `0 0 ${CHART.width} ${CHART.height}`,
    class: 'chart',
    preserveAspectRatio: 'none',
    role: 'img',
    'aria-label': label,
    'data-testid': 'attempt-chart',
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
  const count = Math.max(1, buckets.length);
  const slot = CHART.width / count;
  const width = Math.max(1, slot - CHART.gap);
  const top = Math.max(1, ...buckets.map((bucket) => bucket.attempts));
  const room = CHART.height - 2;
  buckets.forEach((bucket, index) => {
    const group = svgEl('g');
    const end = buckets[index + 1]?.start;
    const span = end
      ? `${localTime(bucket.start)} – ${localTime(end)}`
      : `from ${localTime(bucket.start)}`;
    group.append(
      svgEl(
        'title',
        {},
        bucket.attempts === 0
          ? `${span}: no attempts`
          : `${span}: ${bucket.attempts} attempts, ${bucket.failed} failed`,
      ),
    );
    const x = index * slot;
    if (bucket.attempts === 0) {
      group.append(svgEl('rect', { x, y: CHART.height - 2, width, height: 2, class: 'bar-empty' }));
    } else {
      const total = Math.max(2, Math.round((bucket.attempts / top) * room));
      const failed = Math.round((bucket.failed / bucket.attempts) * total);
      const succeeded = total - failed;
      if (succeeded > 0)
        group.append(
          svgEl('rect', {
            x,
            y: CHART.height - succeeded,
            width,
            height: succeeded,
            class: 'bar-ok',
          }),
        );
      if (failed > 0)
        group.append(
          svgEl('rect', { x, y: CHART.height - total, width, height: failed, class: 'bar-bad' }),
        );
    }
    svg.append(group);
  });
  svg.dataset.attempts = String(buckets.reduce((sum, bucket) => sum + bucket.attempts, 0));
  svg.dataset.failed = String(buckets.reduce((sum, bucket) => sum + bucket.failed, 0));
  return svg;
}
