import { Module } from '@nestjs/common';
import { DestinationPolicy } from './destination-policy.js';

/** The SSRF guard, shared by the webhook API (create/update) and the delivery sender. */
@Module({ providers: [DestinationPolicy], exports: [DestinationPolicy] })
export class DestinationModule {}
