import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PROJECT_ROOT } from './spawn-app.js';

export interface Block {
  lang: string;
  code: string;
  skipped: boolean;
  /** The `### ` or `## ` heading it is under. */
  section: string;
}

/**
 * The project's pages, in the order a reader meets them: the README, then the pages of docs/ it
 * links to by reader, then the contributors' pages. Their `sh` blocks are run in this order.
 */
export const DOCS = [
  'README.md',
  'docs/api.md',
  'docs/receiving.md',
  'docs/media-servers.md',
  'docs/operations.md',
  'docs/security.md',
  'docs/scaling.md',
  'CONTRIBUTING.md',
  'bench/README.md',
] as const;

/** Every Markdown page of the project, whether listed in DOCS or not. */
export function markdownFiles(): string[] {
  const docs = readdirSync(join(PROJECT_ROOT, 'docs')).filter((name) => name.endsWith('.md'));
  return [
    ...['README.md', 'CONTRIBUTING.md', 'bench/README.md'].filter((path) =>
      existsSync(join(PROJECT_ROOT, path)),
    ),
    ...docs.map((name) => `docs/${name}`),
  ];
}

/** Every fenced block of a Markdown text, in order. */
function fencedBlocks(markdown: string): Block[] {
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

/** The fenced blocks of one page, by its path from the project's root. */
export function docBlocks(path: string): Block[] {
  return fencedBlocks(readFileSync(join(PROJECT_ROOT, path), 'utf8'));
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/**
 * The page's relative links (`[text](path#anchor)`, code left out) that lead nowhere: to a file
 * that is not there, or to a heading the page linked to does not have.
 */
export function brokenLinks(path: string): string[] {
  const text = readFileSync(join(PROJECT_ROOT, path), 'utf8').replace(/```[\s\S]*?```/g, '');
  const broken: string[] = [];
  for (const [, target] of text.replace(/`[^`\n]*`/g, '').matchAll(/\]\(([^)\s]+)\)/g)) {
    if (/^[a-z]+:/i.test(target)) continue;
    const [file, fragment] = target.split('#');
    const resolved = file === '' ? path : join(dirname(path), file);
    const full = join(PROJECT_ROOT, resolved);
    if (!existsSync(full)) {
      broken.push(`${target} (no ${resolved})`);
      continue;
    }
    if (fragment === undefined) continue;
    const headings = readFileSync(full, 'utf8')
      .replace(/```[\s\S]*?```/g, '')
      .split('\n')
      .filter((line) => /^#{1,6} /.test(line))
      .map((line) => anchor(line.replace(/^#+ /, '')));
    if (!headings.includes(fragment)) broken.push(`${target} (no heading #${fragment})`);
  }
  return broken;
}
