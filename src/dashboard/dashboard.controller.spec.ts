import { NotFoundException } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { DASHBOARD_FILES, DashboardController } from './dashboard.controller.js';

const STATIC_FOLDER = new URL('./static/', import.meta.url);
const onDisk = readdirSync(STATIC_FOLDER).filter((name) => name !== 'index.html');

const fakeReply = () => {
  const header = vi.fn();
  const reply: Pick<FastifyReply, 'header'> = { header };
  return { reply: reply as FastifyReply, header };
};

describe('DashboardController', () => {
  // A module the page imports but the controller does not serve breaks the page only in a browser.
  it('serves exactly the files beside the page', () => {
    expect([...DASHBOARD_FILES.keys()].sort()).toEqual([...onDisk].sort());
  });

  it('is asked by the scripts only for files it serves', () => {
    for (const name of onDisk.filter((file) => file.endsWith('.js'))) {
      const source = readFileSync(new URL(name, STATIC_FOLDER), 'utf8');
      const imports = [...source.matchAll(/\bfrom\s+'([^']+)'/g)].map((match) => match[1]);
      for (const target of imports) {
        expect(target, `${name} imports ${target}`).toMatch(/^\.\/[\w-]+\.js$/);
        expect(DASHBOARD_FILES.has(target.slice(2)), `${name} imports ${target}`).toBe(true);
      }
    }
  });

  it('answers a served file with its content type', async () => {
    const { reply, header } = fakeReply();
    const body = await new DashboardController().file('app.js', reply);
    expect(header).toHaveBeenCalledWith('Content-Type', 'text/javascript; charset=utf-8');
    expect(body.toString('utf8')).toContain("from './api.js'");
  });

  it.each([
    'nope.js',
    'index.html',
    'APP.JS',
    '../dashboard.controller.ts',
    '../../package.json',
    'static/app.js',
    '/etc/passwd',
    '..',
    '',
    '__proto__',
    'constructor',
    'toString',
  ])('answers 404 for %j without reading anything', async (name) => {
    const { reply, header } = fakeReply();
    await expect(async () => new DashboardController().file(name, reply)).rejects.toBeInstanceOf(
      NotFoundException,
    );
    expect(header).not.toHaveBeenCalled();
  });
});
