import {
  applyDecorators,
  Controller,
  UseFilters,
  UseGuards,
  UseInterceptors,
  UsePipes,
} from '@nestjs/common';
import { TracingInterceptor } from './tracing.interceptor.js';
import { AuthGuard } from './auth/auth.guard.js';
import { HttpExceptionFilter } from './http-exception.filter.js';
import { ApiThrottlerGuard } from './rate-limit/api-throttler.guard.js';
import { AppValidationPipe } from './validation.pipe.js';

/**
 * A controller of the service, at `path`: its credentials checked, its API calls rate-limited, its
 * input validated, its calls traced (with tracing on) and its errors answered in the API's shape,
 * by the controller itself (never by
 * app-wide guards or filters, which in a host app would judge the host's own routes too).
 */
export const ServiceController = (path: string): ClassDecorator =>
  applyDecorators(
    Controller(path),
    UseGuards(AuthGuard, ApiThrottlerGuard),
    UseFilters(HttpExceptionFilter),
    UsePipes(AppValidationPipe),
    UseInterceptors(TracingInterceptor),
  );
