import { CreateWebhooks1764000000000 } from './1764000000000-CreateWebhooks.js';

/** Every migration, oldest first. */
export const MIGRATIONS = [CreateWebhooks1764000000000];
