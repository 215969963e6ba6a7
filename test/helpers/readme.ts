import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from './spawn-app.js';

export interface Block {
  lang: string;
  code: string;
  skipped: boolean;
  /** The `### ` or `## ` heading it is under. */
  section: string;
}

/** Every fenced block of the README, in order. */
export function readmeBlocks(
  markdown = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8'),
): Block[] {
  const found: Block[] = [];
  let section = '';
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (/^#{2,3} /.test(lines[i])) section = lines[i].replace(/^#+ /, '');
    const fence = /^```(\S*)/.exec(lines[i]);
    if (!fence) continue;
    const end = lines.indexOf('```', i + 1);
    found.push({
      lang: fence[1],
      code: lines.slice(i + 1, end).join('\n'),
      skipped: /<!-- readme-test: skip/.test(lines[i - 1] ?? ''),
      section,
    });
    i = end;
  }
  return found;
}
