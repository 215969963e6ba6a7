import fc from 'fast-check';

// The routes, read from the OpenAPI document so that routes added later are fuzzed too.

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface Schema {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  maxLength?: number;
}

export interface OpenApiDocument {
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string; schema?: Schema }[];
        requestBody?: { content?: Record<string, { schema?: Schema }> };
      }
    >
  >;
  components?: { schemas?: Record<string, Schema> };
}

export interface Route {
  key: string;
  method: Method;
  template: string;
  params: string[];
  query: Record<string, Schema>;
  body: { properties: Record<string, Schema>; required: string[] } | undefined;
  ingest: boolean;
  [fc.toStringMethod]: () => string;
}

export function readRoutes(doc: OpenApiDocument): Route[] {
  const resolve = (schema: Schema | undefined): Schema => {
    const name = schema?.$ref?.split('/').pop();
    return (name ? doc.components?.schemas?.[name] : schema) ?? {};
  };
  const routes: Route[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      if (!['get', 'post', 'put', 'delete'].includes(method)) continue;
      const parameters = operation.parameters ?? [];
      const content = Object.values(operation.requestBody?.content ?? {})[0];
      const body = content ? resolve(content.schema) : undefined;
      routes.push({
        key: `${method.toUpperCase()} ${template}`,
        method: method.toUpperCase() as Method,
        template,
        params: [...template.matchAll(/\{(\w+)\}/g)].map((match) => match[1]),
        query: Object.fromEntries(
          parameters
            .filter((parameter) => parameter.in === 'query')
            .map((parameter) => [parameter.name, resolve(parameter.schema)]),
        ),
        body: body && {
          properties: Object.fromEntries(
            Object.entries(body.properties ?? {}).map(([name, schema]) => [name, resolve(schema)]),
          ),
          required: body.required ?? [],
        },
        ingest: template.startsWith('/v1/ingest/'),
        // counterexamples name the route instead of printing its schema
        [fc.toStringMethod]: () => `${method.toUpperCase()} ${template}`,
      });
    }
  }
  return routes.sort((a, b) => a.key.localeCompare(b.key));
}
