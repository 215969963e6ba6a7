import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ChannelEventsModule } from '../channel-events/channel-events.module.js';
import { HealthController } from './health.controller.js';

@Module({
  imports: [TerminusModule.forRoot({ logger: false }), ChannelEventsModule],
  controllers: [HealthController],
})
export class HealthModule {}
