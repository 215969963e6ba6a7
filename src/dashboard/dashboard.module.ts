import { Module } from '@nestjs/common';
import { DashboardController } from './dashboard.controller.js';

/** Serves the delivery dashboard at /dashboard. */
@Module({ controllers: [DashboardController] })
export class DashboardModule {}
