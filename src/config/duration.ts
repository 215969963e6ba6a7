const UNITS_MS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
};

/** Parses `500ms`, `15s`, `5m`, `2h`, `5d` into milliseconds; `undefined` when it does not parse. */
export function parseDuration(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text);
  if (!match) return undefined;
  const ms = Number(match[1]) * UNITS_MS[match[2]];
  return Number.isFinite(ms) ? Math.round(ms) : undefined;
}
