import fc from 'fast-check';
import {
  CONTENT_TYPES,
  EVENT_NAMES,
  EXTRA_HEADERS,
  formBody,
  hostileString,
  jsonBody,
  jsonText,
  malformedBody,
  Members,
  pct,
  validMembers,
} from './bodies.js';
import type { AuthChoice, BodyChoice, Draft, IdChoice, Resource, TokenChoice } from './drafts.js';

// Path ids, query strings, credentials, and the four properties' request generators.
import type { Route, Schema } from './routes.js';

/** Path ids that are not ids: each must be a 404 (or 400), never a database error. */
export const ODD_IDS = [
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

export function idChoice(param: string, odds: number): fc.Arbitrary<IdChoice> {
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

export function validQueryValue(name: string, schema: Schema): fc.Arbitrary<string> {
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

export const HOSTILE_QUERY_VALUES = [
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

export const UNKNOWN_QUERY_KEYS = [
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
export function queryPieces(route: Route, hostile: boolean): fc.Arbitrary<string[]> {
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

export const authChoice = (strangeOdds: number): fc.Arbitrary<AuthChoice> =>
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

export const tokenChoice: fc.Arbitrary<TokenChoice> = fc.oneof(
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

export function bodyDraft(routes: Route[]): fc.Arbitrary<Draft> {
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

export function framingDraft(routes: Route[]): fc.Arbitrary<Draft> {
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

export function queryDraft(routes: Route[]): fc.Arbitrary<Draft> {
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

export function ingestDraft(routes: Route[]): fc.Arbitrary<Draft> {
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
