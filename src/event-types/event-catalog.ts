import { Injectable } from '@nestjs/common';
import {
  EVENT_DESCRIPTIONS,
  EVENT_TYPE_NAMES,
  type EventTypeName,
  eventExample,
} from '../common/event-types.js';

/** The parts of the OpenAPI document the catalog reads. */
export interface CallbackDocument {
  webhooks?: Record<
    string,
    { post?: { requestBody?: { content?: Record<string, { schema?: unknown }> } } } | undefined
  >;
  components?: { schemas?: Record<string, unknown> };
}

export interface EventType {
  name: EventTypeName;
  description: string;
  /** A JSON Schema (2020-12) of the body, self-contained. */
  schema: Record<string, unknown>;
  example: Record<string, unknown>;
}

const JSON_SCHEMA = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Every event a receiver can get, with its body's JSON Schema taken from the OpenAPI document's
 * `webhooks` section (the one definition of each body: the DTOs the document is built from),
 * its `#/components/schemas/…` references written in place.
 */
@Injectable()
export class EventCatalog {
  private types: EventType[] | undefined;

  /** Reads the bodies' schemas from the served document (app.setup.ts hands it over). */
  useDocument(document: CallbackDocument): void {
    this.types = EVENT_TYPE_NAMES.map((name) => {
      const schema =
        document.webhooks?.[name]?.post?.requestBody?.content?.['application/json']?.schema;
      if (schema === undefined) throw new Error(`the OpenAPI document has no webhook "${name}"`);
      return {
        name,
        description: EVENT_DESCRIPTIONS[name],
        schema: { $schema: JSON_SCHEMA, ...inlined(schema, document.components?.schemas ?? {}) },
        example: eventExample(name),
      };
    });
  }

  all(): EventType[] {
    if (!this.types) throw new Error('the event catalog has not read the API document');
    return this.types;
  }
}

/** `schema` with every `#/components/schemas/X` reference replaced by X itself. */
function inlined(schema: unknown, components: Record<string, unknown>): Record<string, unknown> {
  const walk = (node: unknown, seen: string[]): unknown => {
    if (Array.isArray(node)) return node.map((item) => walk(item, seen));
    if (typeof node !== 'object' || node === null) return node;
    const record = node as Record<string, unknown>;
    const ref = record.$ref;
    if (typeof ref === 'string' && ref.startsWith('#/components/schemas/')) {
      const name = ref.slice('#/components/schemas/'.length);
      if (seen.includes(name)) throw new Error(`schema ${name} refers to itself`);
      return walk(components[name], [...seen, name]);
    }
    return Object.fromEntries(
      Object.entries(record).map(([key, value]) => [key, walk(value, seen)]),
    );
  };
  return walk(schema, []) as Record<string, unknown>;
}
