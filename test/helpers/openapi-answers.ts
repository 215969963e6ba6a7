import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** The parts of an OpenAPI document this checker reads. */
interface Document {
  paths: Record<string, Record<string, Operation>>;
  webhooks?: Record<
    string,
    { post?: { requestBody?: { content?: Record<string, { schema?: unknown }> } } }
  >;
  components?: { schemas?: Record<string, unknown> };
}

interface Operation {
  operationId?: string;
  responses?: Record<string, { content?: Record<string, { schema?: unknown }> }>;
}

interface Route {
  template: string;
  pattern: RegExp;
  /** Static segments count: a literal path wins over a parameterised one. */
  literals: number;
  operations: Record<string, Operation>;
}

const METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/**
 * Holds every answer to what the OpenAPI document promises: the route documents the status, and a
 * JSON body validates against the documented schema. Answers of paths the document does not list
 * (unknown routes, the dashboard, Swagger UI) are not its business.
 */
export class OpenApiAnswers {
  private readonly routes: Route[];
  private readonly webhooks: NonNullable<Document['webhooks']>;
  private readonly validators = new Map<unknown, ValidateFunction>();
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true });

  constructor(document: Document) {
    addFormats.default(this.ajv);
    this.ajv.addSchema({ $id: 'openapi', components: document.components ?? {} });
    this.webhooks = document.webhooks ?? {};
    this.routes = Object.entries(document.paths)
      .map(([template, item]) => ({
        template,
        pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
        literals: template.split('/').filter((part) => part && !part.startsWith('{')).length,
        operations: Object.fromEntries(
          Object.entries(item).filter(([method]) => METHODS.has(method)),
        ),
      }))
      .sort((a, b) => b.literals - a.literals);
  }

  /** What is wrong with this answer, by the document; undefined when nothing is. */
  problem(
    method: string,
    url: string,
    status: number,
    contentType: string | null,
    body: unknown,
  ): string | undefined {
    const path = url.split('?')[0];
    const route = this.routes.find((candidate) => candidate.pattern.test(path));
    const operation = route?.operations[method.toLowerCase()];
    if (!route || !operation) return undefined;
    const where = `${method} ${route.template} answered ${status}`;
    const response = operation.responses?.[String(status)] ?? operation.responses?.default;
    if (!response) {
      const documented = Object.keys(operation.responses ?? {}).join(', ');
      return `${where}, which the document does not list (it lists ${documented})`;
    }
    if (!contentType?.startsWith('application/json')) return undefined;
    const schema = response.content?.['application/json']?.schema;
    if (schema === undefined) return undefined;
    const validate = this.validator(schema);
    if (validate(body)) return undefined;
    return `${where} with a body the document's schema refuses: ${this.ajv.errorsText(validate.errors)}\n${JSON.stringify(body)}`;
  }

  /** What is wrong with a callback's body, by the document's `webhooks` entry for its event. */
  callbackProblem(body: Record<string, unknown>): string | undefined {
    const event = String(body.event);
    const schema = this.webhooks[event]?.post?.requestBody?.content?.['application/json']?.schema;
    if (schema === undefined) return `the document has no webhook "${event}"`;
    const validate = this.validator(schema);
    if (validate(body)) return undefined;
    return `callback ${event} with a body the document's schema refuses: ${this.ajv.errorsText(validate.errors)}`;
  }

  private validator(schema: unknown): ValidateFunction {
    let validate = this.validators.get(schema);
    if (!validate) {
      validate = this.ajv.compile(this.rebase(schema) as object);
      this.validators.set(schema, validate);
    }
    return validate;
  }

  /** A response schema's `#/components/...` references, pointed at the registered document. */
  private rebase(schema: unknown): unknown {
    return JSON.parse(JSON.stringify(schema), (key, value: unknown) =>
      key === '$ref' && typeof value === 'string' && value.startsWith('#/')
        ? `openapi${value}`
        : value,
    );
  }
}
