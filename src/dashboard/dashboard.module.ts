import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DashboardController } from './dashboard.controller.js';

const PAGE = '/dashboard';

/** Serves the delivery dashboard at /dashboard. */
@Module({ controllers: [DashboardController] })
export class DashboardModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /**
   * `/dashboard/` (typed, or kept by a bookmark) answers a permanent redirect to the page's one
   * address, query kept; the fragment, where the page keeps its view, stays with the browser.
   * Nest drops a route's trailing slash, so this one is registered with the router itself.
   */
  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter?.getInstance<FastifyInstance>();
    fastify?.get(`${PAGE}/`, (request, reply) => {
      const query = request.url.indexOf('?');
      return reply.redirect(query < 0 ? PAGE : PAGE + request.url.slice(query), 301);
    });
  }
}
