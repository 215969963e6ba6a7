import { Module } from '@nestjs/common';
import { EventCatalog } from './event-catalog.js';
import { EventTypesController } from './event-types.controller.js';

/** GET /v1/event-types: the catalog of every event a receiver can get. */
@Module({
  controllers: [EventTypesController],
  providers: [EventCatalog],
  exports: [EventCatalog],
})
export class EventTypesModule {}
