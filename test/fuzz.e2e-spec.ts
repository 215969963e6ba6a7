import { Buffer } from 'node:buffer';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { DataSource } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseKinds } from './helpers/databases.js';
import { createTestApp, TEST_API_KEY, type TestApp } from './helpers/test-app.js';

/*
 * Property-based fuzzing of every route the OpenAPI document lists, against the running app:
 * hostile bodies, content types, query strings, path ids and ingest tokens. Whatever is sent,
 * the app must never answer 5xx, must answer errors as {statusCode, message, error} without
 * internals, and must not have written anything when it answered 4xx.
 */

const INGEST_TOKEN = 'fuzz-token';
const RUNS = { bodies: 1200, framing: 600, queries: 700, ingest: 600 };
const PROPERTY_TIMEOUT = 150_000;

// ---------------------------------------------------------------------------------------------
// The routes, read from the OpenAPI document so that routes added later are fuzzed too

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

interface Schema {
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

interface OpenApiDocument {
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

interface Route {
  key: string;
  method: Method;
  template: string;
  params: string[];
  query: Record<string, Schema>;
  body: { properties: Record<string, Schema>; required: string[] } | undefined;
  ingest: boolean;
  [fc.toStringMethod]: () => string;
}

function readRoutes(doc: OpenApiDocument): Route[] {
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

// ---------------------------------------------------------------------------------------------
// What a generated request looks like before it meets the database's current ids and keys.
// Plain data, so that fast-check can print and shrink it.

type Resource = 'webhook' | 'channel' | 'delivery';

/** A raw (already percent-encoded) path segment, or an id that exists when the request is sent. */
type IdChoice = string | { existing: Resource; pick: number } | { ownerOfDelivery: number };

type TokenChoice =
  | 'right'
  | 'missing'
  | 'wrong'
  | 'empty'
  | 'twice'
  | 'right-and-wrong'
  | 'upper-case'
  | 'padded'
  | 'bracketed';

type AuthChoice = 'key' | 'none' | 'wrong' | 'lower-case-scheme' | 'basic' | 'key-and-junk';

interface BodyChoice {
  kind: string;
  text?: string;
  bytes?: Uint8Array;
}

interface Draft {
  route: Route;
  ids: IdChoice[];
  /** Raw `key=value` pieces, already encoded as they go on the wire. */
  query: string[];
  token: TokenChoice | undefined;
  auth: AuthChoice;
  contentType: string | undefined;
  body: BodyChoice | undefined;
  chunked: boolean;
  extraHeaders?: Record<string, string>;
}

/** Stands for a real stream key in generated bodies; replaced when the request is sent. */
const streamKeyPlaceholder = (pick: number) => `@@streamKey:${pick}@@`;

// ---------------------------------------------------------------------------------------------
// Values

/** Percent-encodes everything but unreserved characters; lone surrogates go out as U+FFFD. */
function pct(text: string): string {
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    const char = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(char)
      ? char
      : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** A JSON fragment written as it is, for numbers JSON.stringify cannot produce (-0, 1e309…). */
class Raw {
  constructor(readonly text: string) {}
}

/** An object as a list of members, so that duplicate and `__proto__` keys survive. */
class Members {
  constructor(readonly entries: [string, unknown][]) {}
}

function jsonText(value: unknown): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Members) {
    return `{${value.entries.map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`).join(',')}}`;
  }
  if (Array.isArray(value)) return `[${value.map(jsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return jsonText(new Members(Object.entries(value)));
  }
  return JSON.stringify(value) ?? 'null';
}

/** Printable ASCII mostly, with any code point, lone surrogates and characters that break parsers. */
const hostileUnit = fc.oneof(
  { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code)),
  },
  {
    weight: 1,
    arbitrary: fc.constantFrom('\u0000', '\u2028', '\ufeff', '"', '\\', '%', '\u202e', '\r\n'),
  },
);
const hostileString = fc.string({ unit: hostileUnit, maxLength: 40 });

const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.constantFrom('x', 'é', '😀', '\u0000', '"'))
  .map(([length, char]) => char.repeat(Math.ceil(length / char.length)));

const RAW_NUMBERS = [
  '1e308',
  '-1e308',
  '1e309',
  '-0',
  '-0.0',
  '0.1',
  '1E2',
  '1e-400',
  '12345678901234567890',
  '9007199254740993',
  '2147483648',
  '-2147483649',
];

const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom<unknown>(
      null,
      true,
      false,
      0,
      -1,
      1.5,
      '',
      ' ',
      'null',
      'NaN',
      'Infinity',
      '-0',
      '1e308',
      [],
      {},
      [null],
      ['all', 7],
      { $gt: '' },
      "' OR 1=1 --",
      '../../etc/passwd',
      'ＡＬＬ',
      'all\u0000',
    ),
  },
  { weight: 2, arbitrary: fc.constantFrom(...RAW_NUMBERS).map((text) => new Raw(text)) },
  { weight: 2, arbitrary: hostileString },
  { weight: 1, arbitrary: hugeString },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3, stringUnit: hostileUnit }) },
);

const SECRET = fc
  .integer({ min: 24, max: 64 })
  .chain((length) => fc.uint8Array({ minLength: length, maxLength: length }))
  .map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`);

/** Loopback ports nothing listens on: deliveries fail fast, and nothing leaves the machine. */
const CALLBACK_URIS = [
  'http://127.0.0.1:9/hook',
  'http://127.0.0.1:1/hooks/live?x=1',
  'http://localhost:9/a',
  'http://[::1]:9/b',
];

const EVENT_NAMES = ['all', 'channel_live', 'channel_stop', 'channel_ended'];

/** Values close to the DTOs in the README, so that validation passes now and then and writes happen. */
function fieldValue(route: Route, field: string, schema: Schema): fc.Arbitrary<unknown> {
  if (route.ingest && ['name', 'stream', 'streamKey'].includes(field)) {
    return fc.oneof(
      { weight: 6, arbitrary: fc.nat().map(streamKeyPlaceholder) },
      { weight: 1, arbitrary: fc.constantFrom('no-such-key', 'x'.repeat(256)) },
    );
  }
  switch (field) {
    case 'uri':
      return fc.constantFrom(...CALLBACK_URIS);
    case 'event':
      return fc.oneof(
        fc.constantFrom(
          ...EVENT_NAMES,
          'channel_live,channel_ended',
          ' channel_stop , channel_live ',
        ),
        fc.subarray(EVENT_NAMES, { minLength: 1 }),
      );
    case 'secret':
      return SECRET;
    case 'name':
      return fc.oneof(
        fc.constant('Morning show'),
        fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
      );
    case 'description':
      return fc.oneof(fc.constant(null), fc.string({ unit: 'grapheme', maxLength: 80 }));
    case 'reconnectWindow':
      return fc.oneof(fc.constantFrom(0, 1, 2, 60, 1800), fc.integer({ min: 0, max: 1800 }));
    case 'call':
      return fc.constantFrom('publish', 'publish_done');
    default:
      break;
  }
  if (schema.enum?.length) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'integer':
      return fc.integer({ min: schema.minimum ?? 0, max: schema.maximum ?? 1000 });
    case 'number':
      return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(fc.string({ maxLength: 20 }), { maxLength: 3 });
    case 'string':
      return fc.string({ unit: 'grapheme-ascii', maxLength: Math.min(schema.maxLength ?? 40, 40) });
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

/** A body object the route's DTO could accept: required fields mostly there, optional ones half the time. */
function validMembers(route: Route): fc.Arbitrary<[string, unknown][]> {
  const body = route.body;
  if (!body || Object.keys(body.properties).length === 0) return fc.constant([]);
  const fields = Object.entries(body.properties).map(([field, schema]) =>
    fc.option(
      fieldValue(route, field, schema).map((value): [string, unknown] => [field, value]),
      { nil: undefined, freq: body.required.includes(field) ? 12 : 2 },
    ),
  );
  return fc
    .tuple(...fields)
    .map((members) => members.filter((member): member is [string, unknown] => !!member));
}

function fieldNames(route: Route): string[] {
  const names = Object.keys(route.body?.properties ?? {});
  return names.length > 0 ? names : ['uri', 'name', 'streamKey'];
}

const PROTO_MEMBERS = [
  '"__proto__":{"polluted":"yes"}',
  '"constructor":{"prototype":{"polluted":"yes"}}',
  '"prototype":{"polluted":"yes"}',
  '"__proto__":[]',
  '"__proto__":null',
  '"constructor":{"polluted":"yes"}',
];

/** `{…members}` with one raw member spliced in: JSON.stringify cannot write a `__proto__` key. */
function withRawMember(members: [string, unknown][], raw: string, first: boolean): string {
  const rest = jsonText(new Members(members)).slice(1, -1);
  if (rest === '') return `{${raw}}`;
  return first ? `{${raw},${rest}}` : `{${rest},${raw}}`;
}

function jsonBody(route: Route): fc.Arbitrary<BodyChoice> {
  const valid = validMembers(route);
  const field = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...fieldNames(route)) },
    { weight: 1, arbitrary: hostileString },
  );
  const text =
    (kind: string) =>
    (value: string): BodyChoice => ({ kind, text: value });
  return fc.oneof(
    {
      weight: 6,
      arbitrary: valid.map((members) => jsonText(new Members(members))).map(text('valid-ish')),
    },
    {
      weight: 4,
      arbitrary: fc
        .tuple(valid, field, hostileValue)
        .map(([members, name, value]) =>
          jsonText(new Members([...members.filter(([key]) => key !== name), [name, value]])),
        )
        .map(text('hostile field')),
    },
    {
      // null is not "left out": an optional field set to null must still be refused or handled
      weight: 2,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...fieldNames(route)))
        .map(([members, name]) =>
          jsonText(new Members([...members.filter(([key]) => key !== name), [name, null]])),
        )
        .map(text('null field')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom(...fieldNames(route)), fc.jsonValue({ maxDepth: 1 }))
        .map(([members, name, value]) => jsonText(new Members([...members, [name, value]])))
        .map(text('duplicate key')),
    },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          valid,
          fc.constantFrom(...PROTO_MEMBERS),
          fc.constantFrom('top first', 'top last', 'in a field', 'in an array', 'deep'),
          fc.constantFrom(...fieldNames(route)),
        )
        .map(([members, raw, where, name]) => {
          if (where === 'top first') return withRawMember(members, raw, true);
          if (where === 'top last') return withRawMember(members, raw, false);
          const nested =
            where === 'in a field'
              ? `{${raw}}`
              : where === 'in an array'
                ? `["all",{${raw}}]`
                : `{"a":[{"b":{${raw}}}]}`;
          return withRawMember(members, `${JSON.stringify(name)}:${nested}`, false);
        })
        .map(text('prototype key')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(valid, fc.constantFrom('[x]', '[x,x]', '[]', '[[x]]'))
        .map(([members, shape]) => shape.replaceAll('x', () => jsonText(new Members(members))))
        .map(text('array instead of object')),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom('null', 'true', '0', '-0', '1e308', '"all"', '""', '"NaN"', '[null]')
        .map(text('top-level primitive')),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          valid,
          fc.integer({ min: 10, max: 20_000 }),
          fc.constantFrom('[', '{"a":'),
          fc.constantFrom(...fieldNames(route), ''),
        )
        .map(([members, depth, open, name]) => {
          const close = open === '[' ? ']' : '}';
          const nested = `${open.repeat(depth)}1${close.repeat(depth)}`;
          return name === ''
            ? nested
            : withRawMember(members, `${JSON.stringify(name)}:${nested}`, false);
        })
        .map(text('deep nesting')),
    },
    {
      weight: 1,
      arbitrary: fc.json({ maxDepth: 4, stringUnit: hostileUnit }).map(text('random JSON')),
    },
    {
      weight: 1,
      arbitrary: fc
        .anything({ maxDepth: 3, withNullPrototype: true, withSparseArray: true })
        .map((value) => JSON.stringify(value) ?? '')
        .map(text('anything as JSON')),
    },
  );
}

const MULTIPART =
  '--xyz\r\nContent-Disposition: form-data; name="uri"\r\n\r\nhttp://127.0.0.1:9/\r\n' +
  '--xyz\r\nContent-Disposition: form-data; name="file"; filename="../../a.json"\r\n' +
  'Content-Type: application/json\r\n\r\n{"event":"all"}\r\n--xyz--\r\n';

/** The same fields as a form, as nginx-rtmp sends its hooks. */
function formBody(route: Route): fc.Arbitrary<BodyChoice> {
  return validMembers(route).map((members) => ({
    kind: 'form-encoded',
    text: members
      .map(
        ([key, value]) => `${pct(key)}=${pct(typeof value === 'string' ? value : jsonText(value))}`,
      )
      .join('&'),
  }));
}

/** Bytes that are not the JSON they claim to be, or are JSON under another name. */
function malformedBody(route: Route): fc.Arbitrary<BodyChoice> {
  const valid = validMembers(route).map((members) => jsonText(new Members(members)));
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc.tuple(valid, fc.nat()).map(([text, cut]): BodyChoice => ({
        kind: 'truncated JSON',
        text: text.slice(0, cut % Math.max(text.length, 1)),
      })),
    },
    {
      weight: 3,
      arbitrary: fc
        .constantFrom(
          '{"a":}',
          "{'uri':'x'}",
          '{"event":"all",}',
          '[1,2',
          '{"reconnectWindow":NaN}',
          '{"name":undefined}',
          '// comment\n{}',
          '{"name":"a"}{"name":"b"}',
          '{"name":"\\ud800"}',
          '{"name":"\\x41"}',
          '',
          '   ',
          '\u0000',
        )
        .map((text): BodyChoice => ({ kind: 'malformed JSON', text })),
    },
    {
      weight: 2,
      arbitrary: valid.map((text): BodyChoice => ({ kind: 'BOM + JSON', text: `\ufeff${text}` })),
    },
    {
      weight: 2,
      arbitrary: valid.map((text): BodyChoice => ({
        kind: 'UTF-16 JSON',
        bytes: new Uint8Array(Buffer.from(text, 'utf16le')),
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          [0xff, 0xfe],
          [0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d],
          [0xc0, 0x80],
        )
        .map((bytes): BodyChoice => ({ kind: 'invalid UTF-8', bytes: new Uint8Array(bytes) })),
    },
    {
      weight: 2,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((bytes): BodyChoice => ({ kind: 'random bytes', bytes })),
    },
    { weight: 2, arbitrary: formBody(route) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(
          '__proto__[polluted]=yes',
          'constructor[prototype][polluted]=yes',
          'a=%ZZ&b',
          '&&&=',
        )
        .map((text): BodyChoice => ({ kind: 'hostile form', text })),
    },
    { weight: 1, arbitrary: fc.constant<BodyChoice>({ kind: 'multipart', text: MULTIPART }) },
    { weight: 3, arbitrary: jsonBody(route) },
    {
      // rare: each one is over a megabyte
      weight: 1,
      arbitrary: fc.constantFrom(1024 * 1024 + 1, 1_200_000).map((length): BodyChoice => ({
        kind: 'over 1 MiB',
        text: `{"name":"${'x'.repeat(length)}"}`,
      })),
    },
  );
}

const CONTENT_TYPES = [
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=utf-16',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'application/jsonx',
  'application/json;;;',
  'text/json',
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'multipart/form-data',
  'application/octet-stream',
  'application/xml',
  '*/*',
  '',
];

/** Headers that change how a body is read, or that the app reads itself. */
const EXTRA_HEADERS: Record<string, string>[] = [
  { 'content-encoding': 'gzip' },
  { 'content-encoding': 'identity, br' },
  { expect: '100-continue' },
  { 'x-request-id': 'a'.repeat(300) },
  { 'x-request-id': '../../x' },
  { accept: 'text/html' },
  { 'x-http-method-override': 'DELETE' },
  { 'x-forwarded-for': '127.0.0.1, 10.0.0.1' },
];

/** Path ids that are not ids: each must be a 404 (or 400), never a database error. */
const ODD_IDS = [
  '0',
  '-1',
  '1.5',
  'abc',
  '%2e%2e',
  '%2E%2E',
  '.',
  '123456789012345678901234567890',
  '9223372036854775807',
  '9223372036854775808',
  '9999999999999999999',
  'null',
  'undefined',
  'true',
  '1e3',
  '0x1',
  '01',
  '+1',
  '%201',
  '1%00',
  '%00',
  '%',
  '%zz',
  '%FF',
  '%ED%A0%80',
  pct('١٢٣'),
  pct('😀'),
  pct('€'),
  '%7B%7D',
  '1;DROP%20TABLE%20webhook',
  'a'.repeat(2000),
];

function idChoice(param: string, odds: number): fc.Arbitrary<IdChoice> {
  const resources: Resource[] = ['webhook', 'channel', 'delivery'];
  const own = resources.find((resource) => `${resource}Id` === param) ?? 'webhook';
  const existing = fc.oneof(
    {
      weight: 4,
      arbitrary: fc.nat().map((pick): IdChoice => ({
        existing: own,
        pick,
      })),
    },
    // an existing id of the other resource types
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...resources), fc.nat())
        .map(([existing, pick]): IdChoice => ({ existing, pick })),
    },
    ...(param === 'webhookId'
      ? [{ weight: 3, arbitrary: fc.nat().map((pick): IdChoice => ({ ownerOfDelivery: pick })) }]
      : []),
  );
  const odd = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...ODD_IDS) },
    { weight: 1, arbitrary: hostileString.map(pct) },
  );
  return fc.oneof({ weight: 10 - odds, arbitrary: existing }, { weight: odds, arbitrary: odd });
}

function validQueryValue(name: string, schema: Schema): fc.Arbitrary<string> {
  switch (name) {
    case 'page':
      return fc.constantFrom('0', '1', '2', '100', '2147483647');
    case 'length':
      return fc.constantFrom('1', '10', '100');
    case 'event':
      return fc.constantFrom(...EVENT_NAMES, 'channel_live,channel_stop');
    default:
      break;
  }
  if (schema.enum?.length) return fc.constantFrom(...schema.enum.map(String));
  return fc.string({ unit: 'grapheme-ascii', maxLength: 10 }).map(pct);
}

const HOSTILE_QUERY_VALUES = [
  '',
  '1e3',
  '-0',
  '-1',
  '1.5',
  '101',
  '0x10',
  '%00',
  '%20',
  'all%00',
  'channel_live,',
  ',',
  'channel_start',
  '%E2%82%AC',
  '%ED%A0%80',
  '%',
  '[]',
  'null',
  '2147483648',
  '99999999999999999999',
];

const UNKNOWN_QUERY_KEYS = [
  'unknown',
  'token',
  '__proto__',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'prototype',
  'page[]',
  'page[a]',
  'PAGE',
  '',
  '%00',
  'a'.repeat(300),
];

/** `key=value` pieces: documented names mostly, repeated keys, hostile values, unknown keys. */
function queryPieces(route: Route, hostile: boolean): fc.Arbitrary<string[]> {
  const names = Object.entries(route.query).filter(([name]) => name !== 'token');
  const valid = names.map(([name, schema]) =>
    validQueryValue(name, schema).map((value) => `${name}=${value}`),
  );
  const value = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_QUERY_VALUES) },
    { weight: 2, arbitrary: hostileString.map(pct) },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 1_000, max: 20_000 }).map((length) => 'x'.repeat(length)),
    },
  );
  const key = fc.oneof(
    {
      weight: 3,
      arbitrary: fc.constantFrom(...(names.length ? names.map(([name]) => name) : ['page'])),
    },
    { weight: 1, arbitrary: fc.constantFrom(...UNKNOWN_QUERY_KEYS) },
  );
  const oddPiece = fc.oneof(
    { weight: 6, arbitrary: fc.tuple(key, value).map(([k, v]) => `${k}=${v}`) },
    { weight: 1, arbitrary: key },
    { weight: 1, arbitrary: fc.constantFrom('&', '=', '==', '&&page=0&&', '?') },
  );
  const piece = hostile
    ? fc.oneof(
        { weight: 1, arbitrary: fc.oneof(...(valid.length ? valid : [oddPiece])) },
        { weight: 3, arbitrary: oddPiece },
      )
    : fc.oneof(...(valid.length ? valid : [fc.constant('')]));
  return fc
    .array(piece, { maxLength: hostile ? 5 : 2 })
    .map((pieces) => pieces.filter((p) => p !== ''));
}

const authChoice = (strangeOdds: number): fc.Arbitrary<AuthChoice> =>
  fc.oneof(
    { weight: 40 - strangeOdds, arbitrary: fc.constant<AuthChoice>('key') },
    {
      weight: strangeOdds,
      arbitrary: fc.constantFrom<AuthChoice>(
        'none',
        'wrong',
        'lower-case-scheme',
        'basic',
        'key-and-junk',
      ),
    },
  );

const tokenChoice: fc.Arbitrary<TokenChoice> = fc.oneof(
  { weight: 12, arbitrary: fc.constant<TokenChoice>('right') },
  {
    weight: 8,
    arbitrary: fc.constantFrom<TokenChoice>(
      'missing',
      'wrong',
      'empty',
      'twice',
      'right-and-wrong',
      'upper-case',
      'padded',
      'bracketed',
    ),
  },
);

// ---------------------------------------------------------------------------------------------
// The four properties' request generators

function bodyDraft(routes: Route[]): fc.Arbitrary<Draft> {
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      ids: fc.tuple(...route.params.map((param) => idChoice(param, 1))),
      query: queryPieces(route, false),
      token: route.ingest ? tokenChoice : fc.constant(undefined),
      auth: authChoice(2),
      contentType: fc.constantFrom('application/json', 'application/json; charset=utf-8'),
      body:
        route.method === 'GET'
          ? fc.option(jsonBody(route), { nil: undefined, freq: 2 })
          : route.body || route.method !== 'DELETE'
            ? jsonBody(route)
            : fc.option(jsonBody(route), { nil: undefined, freq: 2 }),
      chunked: fc.boolean(),
    }),
  );
}

function framingDraft(routes: Route[]): fc.Arbitrary<Draft> {
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      ids: fc.tuple(...route.params.map((param) => idChoice(param, 1))),
      query: queryPieces(route, false),
      token: route.ingest ? tokenChoice : fc.constant(undefined),
      auth: authChoice(2),
      contentType: fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined, freq: 6 }),
      body: fc.option(malformedBody(route), { nil: undefined, freq: 10 }),
      chunked: fc.boolean(),
      extraHeaders: fc.option(fc.constantFrom(...EXTRA_HEADERS), { nil: undefined, freq: 4 }),
    }),
  );
}

function queryDraft(routes: Route[]): fc.Arbitrary<Draft> {
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      ids: fc.tuple(...route.params.map((param) => idChoice(param, 6))),
      query: queryPieces(route, true),
      token: route.ingest ? tokenChoice : fc.constant(undefined),
      auth: authChoice(4),
      contentType: fc.constant('application/json'),
      body:
        route.method === 'POST' || route.method === 'PUT'
          ? validMembers(route).map((members): BodyChoice => ({
              kind: 'valid-ish',
              text: jsonText(new Members(members)),
            }))
          : fc.constant(undefined),
      chunked: fc.constant(false),
    }),
  );
}

function ingestDraft(routes: Route[]): fc.Arbitrary<Draft> {
  return fc.constantFrom(...routes).chain((route) =>
    fc
      .record({
        route: fc.constant(route),
        ids: fc.constant<IdChoice[]>([]),
        query: fc.oneof(
          { weight: 4, arbitrary: fc.constant<string[]>([]) },
          { weight: 1, arbitrary: queryPieces(route, true) },
        ),
        token: tokenChoice,
        // an API key is no substitute for the token, and no obstacle either
        auth: fc.constantFrom<AuthChoice>('none', 'none', 'none', 'key', 'wrong'),
        typed: fc.oneof(
          {
            weight: 3,
            arbitrary: jsonBody(route).map((body) => ({ contentType: 'application/json', body })),
          },
          {
            weight: 1,
            arbitrary: formBody(route).map((body) => ({
              contentType: 'application/x-www-form-urlencoded',
              body,
            })),
          },
          {
            weight: 1,
            arbitrary: fc
              .tuple(
                fc.option(fc.constantFrom(...CONTENT_TYPES), { nil: undefined }),
                malformedBody(route),
              )
              .map(([contentType, body]) => ({ contentType, body })),
          },
        ),
        chunked: fc.boolean(),
      })
      .map(({ typed, ...rest }): Draft => ({ ...rest, ...typed })),
  );
}

// ---------------------------------------------------------------------------------------------
// The database: a fingerprint before each request, and what changed after a 4xx

type Row = Record<string, string | null>;

interface Snapshot {
  /** Rows per table, as they stand: the fingerprint a 4xx answer must leave unchanged. */
  counts: Record<string, number>;
  webhooks: string;
  webhookEvents: string;
  channels: Map<string, Row>;
  /** channel_event id → its row; `undispatched` is '1' until fan-out has made its deliveries. */
  events: Map<string, Row>;
  deliveries: Map<string, Row>;
  streamKeys: string[];
  recentDeliveries: { id: string; webhookId: string }[];
}

/** Row values as strings: MySQL gives bigints as strings and booleans as 0/1, SQLite numbers. */
function normalize(rows: Record<string, unknown>[]): Row[] {
  return rows.map((row) =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [
        key,
        value === null || value === undefined
          ? null
          : value instanceof Date
            ? value.toISOString()
            : typeof value === 'object'
              ? JSON.stringify(value)
              : String(value as string | number | boolean | bigint),
      ]),
    ),
  );
}

async function takeSnapshot(db: DataSource): Promise<Snapshot> {
  const q = async (sql: string) => normalize(await db.query<Record<string, unknown>[]>(sql));
  // Read in this order so that background work committing in between is always explained: a
  // channel seen stopped may have ended since (its channel_ended row is then new or already
  // read), and an event seen undispatched may have its deliveries already (read after it).
  const channels = await q(
    'SELECT id, name, description, reconnect_window, stream_key, status, session_id FROM `channel` ORDER BY id',
  );
  const events = await q(
    'SELECT id, channel_id, name, CASE WHEN dispatched_at IS NULL THEN 1 ELSE 0 END AS undispatched FROM `channel_event`',
  );
  const deliveries = await q('SELECT id, webhook_id, event_id, event FROM `delivery` ORDER BY id');
  // Only the columns requests write: the delivery worker keeps failing_since, updated_at and the
  // like up to date on its own.
  const webhooks = await q(
    'SELECT id, uri, secret, previous_secret, active FROM `webhook` ORDER BY id',
  );
  const webhookEvents = await q(
    'SELECT webhook_id, event, position FROM `webhook_event` ORDER BY webhook_id, event',
  );
  return {
    counts: {
      webhook: webhooks.length,
      webhook_event: webhookEvents.length,
      channel: channels.length,
      channel_event: events.length,
      delivery: deliveries.length,
    },
    webhooks: JSON.stringify(webhooks),
    webhookEvents: JSON.stringify(webhookEvents),
    channels: new Map(channels.map((row) => [row.id!, row])),
    events: new Map(events.map((row) => [row.id!, row])),
    deliveries: new Map(deliveries.map((row) => [row.id!, row])),
    streamKeys: channels.map((row) => row.stream_key!),
    recentDeliveries: deliveries
      .slice(-50)
      .map((row) => ({ id: row.id!, webhookId: row.webhook_id! })),
  };
}

/**
 * What was written since `before`, leaving out what the app does on its own: the expiry scan ends
 * stopped channels whose reconnect window ran out (a channel_ended row and the channel's status),
 * and fan-out turns undispatched events into delivery rows.
 */
async function writesSince(db: DataSource, before: Snapshot): Promise<string[]> {
  const after = await takeSnapshot(db);
  const problems: string[] = [];
  for (const table of ['webhook', 'webhook_event', 'channel']) {
    if (after.counts[table] !== before.counts[table]) {
      problems.push(`${table}: ${before.counts[table]} rows before, ${after.counts[table]} after`);
    }
  }
  if (after.webhooks !== before.webhooks) problems.push('webhook rows changed');
  if (after.webhookEvents !== before.webhookEvents) problems.push('webhook_event rows changed');
  for (const [id, row] of before.channels) {
    const now = after.channels.get(id);
    if (!now) continue;
    const expired = row.status === 'stopped' && now.status === 'ended';
    const fields = expired
      ? ['name', 'description', 'reconnect_window', 'stream_key']
      : Object.keys(row);
    const changed = fields.filter((field) => row[field] !== now[field]);
    if (changed.length) problems.push(`channel ${id} changed: ${changed.join(', ')}`);
  }

  const backgroundEvents = new Set<string>();
  for (const [id, event] of after.events) {
    if (before.events.has(id)) continue;
    const channel = before.channels.get(event.channel_id!);
    if (event.name === 'channel_ended' && channel?.status === 'stopped') backgroundEvents.add(id);
    else
      problems.push(
        `channel_event ${id} (${event.name} of channel ${event.channel_id}) was written`,
      );
  }
  for (const [id, delivery] of after.deliveries) {
    if (before.deliveries.has(id)) continue;
    const eventId = delivery.event_id;
    const fannedOut =
      eventId !== null &&
      (before.events.get(eventId)?.undispatched === '1' || backgroundEvents.has(eventId));
    if (!fannedOut) problems.push(`delivery ${id} (${delivery.event}) was written`);
  }
  for (const table of ['events', 'deliveries'] as const) {
    const gone = [...before[table].keys()].filter((id) => !after[table].has(id));
    if (gone.length) problems.push(`${table} ${gone.slice(0, 5).join(', ')} were deleted`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Sending

interface Outgoing {
  method: Method;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

interface Sent extends Outgoing {
  route: Route;
  bodyKind: string | undefined;
}

interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
  error?: string;
}

function resolveDraft(draft: Draft, snapshot: Snapshot): Sent {
  const pools: Record<Resource, string[]> = {
    webhook: (JSON.parse(snapshot.webhooks) as Row[]).map((row) => row.id!),
    channel: [...snapshot.channels.keys()],
    delivery: snapshot.recentDeliveries.map((row) => row.id),
  };
  const pickFrom = (pool: string[], pick: number) => (pool.length ? pool[pick % pool.length] : '1');
  const ids = draft.ids.map((choice) => {
    if (typeof choice === 'string') return choice;
    if ('existing' in choice) return pickFrom(pools[choice.existing], choice.pick);
    const deliveries = snapshot.recentDeliveries;
    return deliveries.length
      ? deliveries[choice.ownerOfDelivery % deliveries.length].webhookId
      : '1';
  });
  // a delivery id goes with the webhook it belongs to, when the webhook was picked that way
  const owner = draft.ids.findIndex(
    (choice) => typeof choice === 'object' && 'ownerOfDelivery' in choice,
  );
  const deliveryParam = draft.route.params.indexOf('deliveryId');
  if (owner >= 0 && deliveryParam >= 0 && typeof draft.ids[deliveryParam] === 'object') {
    const choice = draft.ids[owner] as { ownerOfDelivery: number };
    const deliveries = snapshot.recentDeliveries;
    if (deliveries.length)
      ids[deliveryParam] = deliveries[choice.ownerOfDelivery % deliveries.length].id;
  }
  let index = 0;
  let path = draft.route.template.replace(/\{\w+\}/g, () => ids[index++]);

  const query = [...draft.query];
  switch (draft.token) {
    case 'right':
      query.push(`token=${INGEST_TOKEN}`);
      break;
    case 'wrong':
      query.push('token=not-the-token');
      break;
    case 'empty':
      query.push('token=');
      break;
    case 'twice':
      query.push(`token=${INGEST_TOKEN}`, `token=${INGEST_TOKEN}`);
      break;
    case 'right-and-wrong':
      query.push(`token=${INGEST_TOKEN}`, 'token=x');
      break;
    case 'upper-case':
      query.push(`token=${INGEST_TOKEN.toUpperCase()}`);
      break;
    case 'padded':
      query.push(`token=%20${INGEST_TOKEN}%20`);
      break;
    case 'bracketed':
      query.push(`token[]=${INGEST_TOKEN}`);
      break;
    default:
      break;
  }
  if (query.length) path += `?${query.join('&')}`;

  const headers: Record<string, string> = {};
  const auth: Record<AuthChoice, string | undefined> = {
    key: `Bearer ${TEST_API_KEY}`,
    none: undefined,
    wrong: 'Bearer not-a-key',
    'lower-case-scheme': `bearer ${TEST_API_KEY}`,
    basic: `Basic ${Buffer.from(`${TEST_API_KEY}:`).toString('base64')}`,
    'key-and-junk': `Bearer ${TEST_API_KEY} junk`,
  };
  if (auth[draft.auth]) headers.authorization = auth[draft.auth]!;
  if (draft.contentType !== undefined) headers['content-type'] = draft.contentType;
  Object.assign(headers, draft.extraHeaders);

  let body: Buffer | undefined;
  if (draft.body?.bytes) body = Buffer.from(draft.body.bytes);
  else if (draft.body?.text !== undefined) {
    const keys = snapshot.streamKeys;
    const text = draft.body.text.replace(/@@streamKey:(\d+)@@/g, (_, pick: string) =>
      keys.length ? keys[Number(pick) % keys.length] : 'no-such-key',
    );
    body = Buffer.from(text, 'utf8');
  }
  if (body && draft.chunked) headers['transfer-encoding'] = 'chunked';
  else if (body) headers['content-length'] = String(body.length);
  return {
    route: draft.route,
    method: draft.route.method,
    path,
    headers,
    body,
    bodyKind: draft.body?.kind,
  };
}

/**
 * node:http rather than fetch: fetch resolves `%2e%2e` segments and refuses GET bodies, and these
 * requests must reach the app exactly as written.
 */
function send(baseUrl: URL, sent: Outgoing): Promise<Answer> {
  return new Promise((resolve) => {
    let answered = false;
    const request = httpRequest(
      {
        host: baseUrl.hostname,
        port: baseUrl.port,
        method: sent.method,
        path: sent.path,
        headers: sent.headers,
        agent: false,
      },
      (response) => {
        answered = true;
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', (error) =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            text: '',
            error: error.message,
          }),
        );
      },
    );
    // an answer that comes before the whole body was written is still the answer (413)
    request.on('error', (error) => {
      if (!answered) resolve({ status: 0, headers: {}, text: '', error: error.message });
    });
    request.setTimeout(20_000, () => request.destroy(new Error('no answer within 20 s')));
    request.end(sent.body);
  });
}

// ---------------------------------------------------------------------------------------------
// Checks

/** Stack frames and source paths; an echo of what the request itself carried does not count. */
const LEAKS = [
  /\n\s*at\s+\S/,
  /\bat\s+[\w.<>$[\]]+\s+\(.*:\d+:\d+\)/,
  /(?:file:\/\/)?(?:\/[\w.@-]+){2,}\.[cm]?[jt]s\b/,
  /node_modules/,
  /\b(?:QueryFailedError|SQLITE_\w+|ER_\w+|TypeError|RangeError|ReferenceError)\b/,
];

function errorBodyProblems(sent: Sent, answer: Answer): string[] {
  const problems: string[] = [];
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    return [`error answer is not JSON: ${JSON.stringify(answer.text.slice(0, 200))}`];
  }
  if (!String(answer.headers['content-type'] ?? '').startsWith('application/json')) {
    problems.push(`error answer's content-type is ${answer.headers['content-type']}`);
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return [...problems, 'error answer is not an object'];
  const record = body as Record<string, unknown>;
  // SRS wants a non-zero `code` in its denials
  const allowed =
    sent.route.template === '/v1/ingest/srs'
      ? ['code', 'error', 'message', 'statusCode']
      : ['error', 'message', 'statusCode'];
  const keys = Object.keys(record).sort();
  if (
    !['error', 'message', 'statusCode'].every((key) => keys.includes(key)) ||
    keys.some((key) => !allowed.includes(key))
  ) {
    problems.push(`error answer has the keys ${keys.join(', ')}`);
  }
  if (record.statusCode !== answer.status)
    problems.push(`statusCode ${String(record.statusCode)} in a ${answer.status} answer`);
  if (typeof record.error !== 'string') problems.push('error is not a string');
  const message = record.message;
  if (!(
    typeof message === 'string' ||
    (Array.isArray(message) && message.every((item) => typeof item === 'string'))
  )) {
    problems.push('message is neither a string nor a list of strings');
  }
  const asked = `${sent.path}\n${sent.body?.toString('utf8') ?? ''}`;
  for (const pattern of LEAKS) {
    const match = pattern.exec(answer.text);
    if (match && !asked.includes(match[0]))
      problems.push(`error answer leaks internals: ${JSON.stringify(match[0])}`);
  }
  if (answer.text.includes(process.cwd())) problems.push('error answer names a path on the server');
  return problems;
}

function describeExchange(sent: Sent, answer: Answer): string {
  const body = sent.body;
  const shown =
    body === undefined
      ? '(none)'
      : body.length > 400
        ? `${JSON.stringify(body.subarray(0, 400).toString('utf8'))}… (${body.length} bytes)`
        : JSON.stringify(body.toString('utf8'));
  return [
    `${sent.method} ${sent.path.length > 300 ? `${sent.path.slice(0, 300)}… (${sent.path.length} chars)` : sent.path}`,
    `headers: ${JSON.stringify(sent.headers)}`,
    `body (${sent.bodyKind ?? 'none'}): ${shown}`,
    `answer: ${answer.status} ${answer.error ?? ''}${answer.text.slice(0, 600)}`,
  ].join('\n  ');
}

// ---------------------------------------------------------------------------------------------

describe.each(databaseKinds())('fuzzing every documented route on %s', (kind) => {
  let t: TestApp;
  let db: DataSource;
  let baseUrl: URL;
  let routes: Route[];
  const tried = new Map<string, Map<number, number>>();

  /** One request, with every property checked; throws with the exchange when one does not hold. */
  const exchange = async (draft: Draft): Promise<void> => {
    const before = await takeSnapshot(db);
    const sent = resolveDraft(draft, before);
    const answer = await send(baseUrl, sent);
    const statuses = tried.get(sent.route.key) ?? new Map<number, number>();
    statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
    tried.set(sent.route.key, statuses);

    const problems: string[] = [];
    if (answer.status === 0) problems.push(`no answer: ${answer.error}`);
    if (answer.status >= 500) problems.push(`answered ${answer.status}`);
    if (answer.status >= 400) problems.push(...errorBodyProblems(sent, answer));
    if (answer.status >= 400 && answer.status < 500)
      problems.push(...(await writesSince(db, before)));
    if (Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')) {
      problems.push('Object.prototype was polluted');
    }
    if (problems.length) {
      throw new Error(`${problems.join('; ')}\n  ${describeExchange(sent, answer)}`);
    }
  };

  const call = async (method: Method, path: string, body?: unknown) => {
    const answer = await send(baseUrl, {
      method,
      path,
      headers: {
        authorization: `Bearer ${TEST_API_KEY}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    });
    return { status: answer.status, text: answer.text, body: JSON.parse(answer.text || 'null') };
  };
  const setUp = async (method: Method, path: string, body?: unknown) => {
    const answer = await call(method, path, body);
    if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
    return answer.body;
  };

  beforeAll(async () => {
    // The helper lifts the rate limits: under the defaults most of these requests, refused ones
    // from one address in seconds, would be answered 429 before their inputs were looked at.
    t = await createTestApp(kind, { INGEST_TOKEN, DELIVERY_ALLOWED_CIDRS: '127.0.0.0/8' });
    db = t.app.get(DataSource);
    baseUrl = new URL(t.baseUrl);
    const response = await fetch(`${t.baseUrl}/docs-json`);
    routes = readRoutes((await response.json()) as OpenApiDocument);

    // Something to point existing ids at: webhooks, channels (one live, one stopped), deliveries.
    const webhooks: { id: string }[] = [];
    for (const event of ['all', 'channel_live', 'channel_stop,channel_ended']) {
      webhooks.push(await setUp('POST', '/v1/webhook', { uri: CALLBACK_URIS[0], event }));
    }
    const keys: string[] = [];
    for (const reconnectWindow of [0, 60, 1800]) {
      keys.push((await setUp('POST', '/v1/channel', { name: 'Fuzz', reconnectWindow })).streamKey);
    }
    const ingest = (streamKey: string, action: string) =>
      setUp('POST', `/v1/ingest/events?token=${INGEST_TOKEN}`, { streamKey, action });
    await ingest(keys[1], 'publish');
    await ingest(keys[2], 'publish');
    await ingest(keys[2], 'unpublish');
    await setUp('POST', `/v1/webhook/${webhooks[0].id}/test`);
  });

  afterAll(async () => {
    const lines = [...tried]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([route, statuses]) => {
        const total = [...statuses.values()].reduce((sum, count) => sum + count, 0);
        const seen = [...statuses]
          .sort(([a], [b]) => a - b)
          .map(([status, count]) => `${status}×${count}`)
          .join(' ');
        return `  ${route.padEnd(58)} ${String(total).padStart(5)}  ${seen}`;
      });
    const total = [...tried.values()]
      .flatMap((statuses) => [...statuses.values()])
      .reduce((sum, count) => sum + count, 0);
    console.log(
      `fuzz on ${kind}: ${total} requests over ${tried.size} routes\n${lines.join('\n')}`,
    );
    await t?.close();
  });

  it('reads the routes from the OpenAPI document', () => {
    expect(routes.length).toBeGreaterThan(0);
    expect(routes.map((route) => route.key)).toContain('POST /v1/webhook');
    expect(routes.filter((route) => route.ingest).length).toBeGreaterThan(0);
  });

  it(
    'survives valid-ish and hostile JSON bodies on every route',
    { timeout: PROPERTY_TIMEOUT },
    async () => {
      await fc.assert(fc.asyncProperty(bodyDraft(routes), exchange), { numRuns: RUNS.bodies });
    },
  );

  it(
    'survives wrong content types, malformed bytes and chunked bodies',
    { timeout: PROPERTY_TIMEOUT },
    async () => {
      await fc.assert(fc.asyncProperty(framingDraft(routes), exchange), { numRuns: RUNS.framing });
    },
  );

  it('survives odd query strings and path ids', { timeout: PROPERTY_TIMEOUT }, async () => {
    await fc.assert(fc.asyncProperty(queryDraft(routes), exchange), { numRuns: RUNS.queries });
  });

  it(
    'survives ingest hooks with and without the right token',
    { timeout: PROPERTY_TIMEOUT },
    async () => {
      const ingestRoutes = routes.filter((route) => route.ingest);
      await fc.assert(fc.asyncProperty(ingestDraft(ingestRoutes), exchange), {
        numRuns: RUNS.ingest,
      });
    },
  );

  it('still answers afterwards', async () => {
    const answer = await call('GET', '/v1/webhook');
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body).toMatchObject({ page: 0, data: expect.any(Array) });
  });
});
