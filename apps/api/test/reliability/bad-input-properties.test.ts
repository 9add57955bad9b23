// Bad input, part 1: property tests of the library's input checks against references written from
// API.md: the Authorization header parser, the token checksum, token names and expiry values.
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EXPIRES_IN_VALUES,
  generateApiToken,
  isWellFormedApiToken,
  MAX_AUTHORIZATION_HEADER_LENGTH,
  parseAuthorizationHeader,
  ZExpiresIn,
  ZTokenName,
} from '@latchkey/lib';

const RUNS = { numRuns: 3000 };
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

// ---- references, from API.md and nothing else

/** CRC-32 (zlib's) of the random part, in base62, left-padded with 0 to 6 characters. */
function referenceChecksum(random: string): string {
  let value = BigInt(zlib.crc32(Buffer.from(random, 'latin1')));
  let digits = '';
  while (value > 0n) {
    digits = BASE62[Number(value % 62n)] + digits;
    value /= 62n;
  }
  return digits.padStart(6, '0');
}

function referenceIsWellFormed(token: string): boolean {
  if (!/^api_[0-9A-Za-z]{36}$/.test(token)) return false;
  return referenceChecksum(token.slice(4, 34)) === token.slice(34);
}

/** "trimmed, 3 to 100 characters, no control or invisible characters (Unicode categories C, Zl, Zp)". */
function referenceTokenName(input: unknown): { ok: true; name: string } | { ok: false } {
  if (typeof input !== 'string') return { ok: false };
  // Invisible format characters and line/paragraph separators are refused even where trim() would
  // silently drop them; plain whitespace (spaces, tabs, newlines) at the edges is trimmed.
  if (/[\p{Cf}\p{Zl}\p{Zp}]/u.test(input)) return { ok: false };
  const name = input.trim();
  // Characters are code points: an emoji counts once, as a person counts it.
  const characters = [...name].length;
  if (characters < 3 || characters > 100) return { ok: false };
  if (/[\p{C}\p{Zl}\p{Zp}]/u.test(name)) return { ok: false };
  return { ok: true, name };
}

// ---- arbitraries

const base62Char = fc.constantFrom(...BASE62.split(''));
const randomPart = fc.string({ unit: base62Char, minLength: 30, maxLength: 30 });
const wellFormedToken = randomPart.map((random) => `api_${random}${referenceChecksum(random)}`);
/** Characters that make names interesting: invisible, separators, controls, lone surrogates, marks. */
const trickyChar = fc.constantFrom(
  '\u200b',
  '\u200d',
  '\ufeff',
  '\u2028',
  '\u2029',
  '\u00ad',
  '\u180e',
  '\u2060',
  '\u202e',
  '\u0000',
  '\u0007',
  '\u0085',
  '\u009f',
  '\t',
  '\n',
  '\r',
  '\u000b',
  '\u000c',
  ' ',
  '\u00a0',
  '\u3000',
  '\u1680',
  '\ud800',
  '\udfff',
  '\ue000',
  '\u0378',
  '\u0301',
  '\u{1f600}',
  'é',
  'a',
  'Z',
  '-',
);
const nameLike = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 120 }),
  fc.string({ unit: 'grapheme', maxLength: 110 }),
  fc.string({
    unit: fc.oneof(trickyChar, fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })),
    maxLength: 110,
  }),
  fc
    .tuple(
      fc.string({ unit: trickyChar, maxLength: 3 }),
      fc.string({ unit: 'grapheme-ascii', minLength: 0, maxLength: 104 }),
      fc.string({ unit: trickyChar, maxLength: 3 }),
    )
    .map((parts) => parts.join('')),
);
/** Header values without the bytes HTTP forbids, but with everything else a client may send. */
const headerish = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ maxLength: 1200 }),
);
const bearerCasing = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'bEaReR', 'BeArEr');
const separator = fc.string({ unit: fc.constantFrom(' ', '\t'), minLength: 1, maxLength: 4 });
const edgeSpace = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 3 });
const noSpaceWord = fc
  .string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 60 })
  .filter((s) => !/[ \t]/.test(s) && s.toLowerCase() !== 'bearer');

describe('parseAuthorizationHeader', () => {
  it('never throws, whatever the header holds', () => {
    fc.assert(
      fc.property(
        fc.oneof(headerish, fc.constant(undefined), fc.constant(null), fc.array(headerish, { maxLength: 3 })),
        (header) => {
          const parsed = parseAuthorizationHeader(header);
          expect(parsed.ok === true || parsed.reason === 'missing' || parsed.reason === 'malformed').toBe(true);
        },
      ),
      RUNS,
    );
  });

  it('reads `Bearer <token>` with the scheme in any case and any spacing, and the bare token', () => {
    fc.assert(
      fc.property(
        edgeSpace,
        bearerCasing,
        separator,
        wellFormedToken,
        edgeSpace,
        (before, scheme, gap, token, after) => {
          expect(parseAuthorizationHeader(`${before}${scheme}${gap}${token}${after}`)).toEqual({ ok: true, token });
          expect(parseAuthorizationHeader(`${before}${token}${after}`)).toEqual({ ok: true, token });
        },
      ),
      RUNS,
    );
  });

  it('returns a token only when the header holds it, never longer than the header limit', () => {
    fc.assert(
      fc.property(headerish, (header) => {
        const parsed = parseAuthorizationHeader(header);
        if (parsed.ok) {
          expect(parsed.token.length).toBeGreaterThan(0);
          expect(header.includes(parsed.token)).toBe(true);
          expect(/[ \t]/.test(parsed.token)).toBe(false);
          expect(header.length).toBeLessThanOrEqual(MAX_AUTHORIZATION_HEADER_LENGTH);
        }
      }),
      RUNS,
    );
  });

  it('says "missing" for no header, an empty one, or the scheme alone', () => {
    fc.assert(
      fc.property(edgeSpace, bearerCasing, edgeSpace, (before, scheme, after) => {
        expect(parseAuthorizationHeader(`${before}${after}`)).toEqual({ ok: false, reason: 'missing' });
        expect(parseAuthorizationHeader(`${before}${scheme}${after}`)).toEqual({ ok: false, reason: 'missing' });
      }),
      RUNS,
    );
    expect(parseAuthorizationHeader(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(parseAuthorizationHeader(null)).toEqual({ ok: false, reason: 'missing' });
    expect(parseAuthorizationHeader([])).toEqual({ ok: false, reason: 'missing' });
  });

  it('refuses other schemes, several words, repeated headers and over-long headers as malformed', () => {
    fc.assert(
      fc.property(noSpaceWord, separator, noSpaceWord, separator, wellFormedToken, (scheme, gap, word, gap2, token) => {
        expect(parseAuthorizationHeader(`${scheme}${gap}${token}`)).toEqual({ ok: false, reason: 'malformed' });
        expect(parseAuthorizationHeader(`Bearer ${token}${gap2}${word}`)).toEqual({ ok: false, reason: 'malformed' });
        expect(parseAuthorizationHeader([`Bearer ${token}`, `Bearer ${token}`])).toEqual({
          ok: false,
          reason: 'malformed',
        });
        expect(
          parseAuthorizationHeader(`Bearer ${token}`.padEnd(MAX_AUTHORIZATION_HEADER_LENGTH + 1, ' ') + word),
        ).toEqual({ ok: false, reason: 'malformed' });
      }),
      RUNS,
    );
  });
});

describe('the token checksum (isWellFormedApiToken) against a zlib CRC-32 reference', () => {
  it('agrees with the reference on arbitrary strings', () => {
    const tokenish = fc.oneof(
      fc.string({ maxLength: 50 }),
      fc.string({ unit: 'binary', maxLength: 45 }),
      fc.string({ unit: base62Char, minLength: 36, maxLength: 36 }).map((s) => `api_${s}`),
      fc.string({ unit: base62Char, minLength: 35, maxLength: 37 }).map((s) => `api_${s}`),
      fc.string({ unit: 'binary', minLength: 36, maxLength: 36 }).map((s) => `api_${s}`),
    );
    fc.assert(
      fc.property(tokenish, (token) => {
        expect(isWellFormedApiToken(token)).toBe(referenceIsWellFormed(token));
      }),
      RUNS,
    );
  });

  it('accepts every token with a correct checksum, and every generated token', () => {
    fc.assert(
      fc.property(wellFormedToken, (token) => {
        expect(referenceIsWellFormed(token)).toBe(true);
        expect(isWellFormedApiToken(token)).toBe(true);
      }),
      RUNS,
    );
    for (let i = 0; i < 2000; i++) expect(referenceIsWellFormed(generateApiToken())).toBe(true);
  });

  it('rejects a token with any one character changed, in the random part or in the checksum', () => {
    fc.assert(
      fc.property(wellFormedToken, fc.integer({ min: 4, max: 39 }), base62Char, (token, position, replacement) => {
        fc.pre(token[position] !== replacement);
        const changed = token.slice(0, position) + replacement + token.slice(position + 1);
        expect(referenceIsWellFormed(changed)).toBe(false);
        expect(isWellFormedApiToken(changed)).toBe(false);
      }),
      RUNS,
    );
  });

  it('rejects look-alikes: wrong prefix case, padding, Unicode digits, a valid token with text around it', () => {
    fc.assert(
      fc.property(
        wellFormedToken,
        fc.constantFrom('API_', 'Api_', 'api-', ' api_', 'api_ ', '\u0430pi_'),
        (token, prefix) => {
          expect(isWellFormedApiToken(prefix + token.slice(4))).toBe(false);
          expect(isWellFormedApiToken(`${token} `)).toBe(false);
          expect(isWellFormedApiToken(`x${token}`)).toBe(false);
          expect(isWellFormedApiToken(token.replace(/[0-9]/, '\uff11'))).toBe(
            referenceIsWellFormed(token.replace(/[0-9]/, '\uff11')),
          );
        },
      ),
      RUNS,
    );
  });
});

describe('ZTokenName against the rule of API.md', () => {
  it('accepts exactly the names the rule allows, trimmed', () => {
    fc.assert(
      fc.property(nameLike, (input) => {
        const expected = referenceTokenName(input);
        const actual = ZTokenName.safeParse(input);
        expect({ input, ok: actual.success }).toEqual({ input, ok: expected.ok });
        if (actual.success && expected.ok) expect(actual.data).toBe(expected.name);
      }),
      { numRuns: 5000 },
    );
  });

  it('never throws on values of any type', () => {
    fc.assert(
      fc.property(fc.anything(), (value) => {
        const result = ZTokenName.safeParse(value);
        if (typeof value !== 'string') expect(result.success).toBe(false);
      }),
      RUNS,
    );
  });
});

describe('ZExpiresIn', () => {
  it('accepts exactly the six documented values', () => {
    for (const value of ['NEVER', 'SEVEN_DAYS', 'ONE_MONTH', 'THREE_MONTHS', 'SIX_MONTHS', 'ONE_YEAR']) {
      expect(ZExpiresIn.safeParse(value)).toEqual({ success: true, data: value });
    }
    expect([...EXPIRES_IN_VALUES].sort()).toEqual([
      'NEVER',
      'ONE_MONTH',
      'ONE_YEAR',
      'SEVEN_DAYS',
      'SIX_MONTHS',
      'THREE_MONTHS',
    ]);
  });

  it('refuses everything else, never throwing: other strings, other cases, padding, other types', () => {
    const near = fc
      .tuple(
        fc.constantFrom(...EXPIRES_IN_VALUES),
        fc.constantFrom(
          (s: string) => s.toLowerCase(),
          (s: string) => ` ${s}`,
          (s: string) => `${s}\u0000`,
          (s: string) => s.replace('_', '-'),
          (s: string) => `${s}S`,
        ),
      )
      .map(([value, change]) => change(value));
    fc.assert(
      fc.property(fc.oneof(fc.anything(), fc.string(), near), (value) => {
        const result = ZExpiresIn.safeParse(value);
        expect(result.success).toBe(
          typeof value === 'string' && (EXPIRES_IN_VALUES as readonly string[]).includes(value),
        );
      }),
      RUNS,
    );
  });
});
