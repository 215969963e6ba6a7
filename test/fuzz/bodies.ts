import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { type BodyChoice, streamKeyPlaceholder } from './drafts.js';
import type { Route, Schema } from './routes.js';

// Values and request bodies: hostile, malformed, and close enough to the DTOs to be written.

/** Percent-encodes everything but unreserved characters; lone surrogates go out as U+FFFD. */
export function pct(text: string): string {
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
export class Raw {
  constructor(readonly text: string) {}
}

/** An object as a list of members, so that duplicate and `__proto__` keys survive. */
export class Members {
  constructor(readonly entries: [string, unknown][]) {}
}

export function jsonText(value: unknown): string {
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
export const hostileUnit = fc.oneof(
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
export const hostileString = fc.string({ unit: hostileUnit, maxLength: 40 });

export const hugeString = fc
  .tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.constantFrom('x', 'é', '😀', '\u0000', '"'))
  .map(([length, char]) => char.repeat(Math.ceil(length / char.length)));

export const RAW_NUMBERS = [
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

export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
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

export const SECRET = fc
  .integer({ min: 24, max: 64 })
  .chain((length) => fc.uint8Array({ minLength: length, maxLength: length }))
  .map((bytes) => `whsec_${Buffer.from(bytes).toString('base64')}`);

/** Loopback ports nothing listens on: deliveries fail fast, and nothing leaves the machine. */
export const CALLBACK_URIS = [
  'http://127.0.0.1:9/hook',
  'http://127.0.0.1:1/hooks/live?x=1',
  'http://localhost:9/a',
  'http://[::1]:9/b',
];

export const EVENT_NAMES = ['all', 'channel_live', 'channel_stop', 'channel_ended'];

/** Values close to the DTOs in the README, so that validation passes now and then and writes happen. */
export function fieldValue(route: Route, field: string, schema: Schema): fc.Arbitrary<unknown> {
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
export function validMembers(route: Route): fc.Arbitrary<[string, unknown][]> {
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

export function fieldNames(route: Route): string[] {
  const names = Object.keys(route.body?.properties ?? {});
  return names.length > 0 ? names : ['uri', 'name', 'streamKey'];
}

export const PROTO_MEMBERS = [
  '"__proto__":{"polluted":"yes"}',
  '"constructor":{"prototype":{"polluted":"yes"}}',
  '"prototype":{"polluted":"yes"}',
  '"__proto__":[]',
  '"__proto__":null',
  '"constructor":{"polluted":"yes"}',
];

/** `{…members}` with one raw member spliced in: JSON.stringify cannot write a `__proto__` key. */
export function withRawMember(members: [string, unknown][], raw: string, first: boolean): string {
  const rest = jsonText(new Members(members)).slice(1, -1);
  if (rest === '') return `{${raw}}`;
  return first ? `{${raw},${rest}}` : `{${rest},${raw}}`;
}

export function jsonBody(route: Route): fc.Arbitrary<BodyChoice> {
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

export const MULTIPART =
  '--xyz\r\nContent-Disposition: form-data; name="uri"\r\n\r\nhttp://127.0.0.1:9/\r\n' +
  '--xyz\r\nContent-Disposition: form-data; name="file"; filename="../../a.json"\r\n' +
  'Content-Type: application/json\r\n\r\n{"event":"all"}\r\n--xyz--\r\n';

/** The same fields as a form, as nginx-rtmp sends its hooks. */
export function formBody(route: Route): fc.Arbitrary<BodyChoice> {
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
export function malformedBody(route: Route): fc.Arbitrary<BodyChoice> {
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

export const CONTENT_TYPES = [
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
export const EXTRA_HEADERS: Record<string, string>[] = [
  { 'content-encoding': 'gzip' },
  { 'content-encoding': 'identity, br' },
  { expect: '100-continue' },
  { 'x-request-id': 'a'.repeat(300) },
  { 'x-request-id': '../../x' },
  { accept: 'text/html' },
  { 'x-http-method-override': 'DELETE' },
  { 'x-forwarded-for': '127.0.0.1, 10.0.0.1' },
];
