import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  BASE62,
  crc32,
  generateApiToken,
  isWellFormedApiToken,
  parseAuthorizationHeader,
  TOKEN_REGEX,
  tokenChecksum,
  tokenStart,
} from '../src/universal/index';

describe('token format', () => {
  it('generates 10,000 unique tokens that match the regex and pass the checksum', () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 10_000; i++) {
      const token = generateApiToken();
      expect(token).toMatch(TOKEN_REGEX);
      expect(token).toHaveLength(40);
      expect(isWellFormedApiToken(token)).toBe(true);
      tokens.add(token);
    }
    expect(tokens.size).toBe(10_000);
  });

  it('agrees with zlib.crc32 on test vectors', () => {
    const vectors = [
      '',
      'a',
      'abc',
      '123456789',
      'The quick brown fox jumps over the lazy dog',
      BASE62,
      'x'.repeat(1000),
    ];
    for (let i = 0; i < 200; i++) vectors.push(generateApiToken().slice(4, 34));
    for (const v of vectors) expect(crc32(v)).toBe(zlib.crc32(v));
    expect(crc32('123456789')).toBe(0xcbf43926);
  });

  it('writes the checksum as 6 base62 characters, left-padded with 0', () => {
    // crc32('') is 0 and CRC-32 of '123456789' is 0xCBF43926 = 3421780262.
    expect(tokenChecksum('')).toBe('000000');
    let n = 3421780262;
    let expected = '';
    while (n > 0) {
      expected = BASE62[n % 62] + expected;
      n = Math.floor(n / 62);
    }
    expect(tokenChecksum('123456789')).toBe(expected.padStart(6, '0'));
    expect(tokenChecksum('123456789')).toHaveLength(6);
  });

  it('rejects every single-character change of a valid token', () => {
    for (let round = 0; round < 20; round++) {
      const token = generateApiToken();
      for (let i = 0; i < token.length; i++) {
        for (const c of BASE62 + '_-') {
          if (c === token[i]) continue;
          const changed = token.slice(0, i) + c + token.slice(i + 1);
          expect(isWellFormedApiToken(changed), changed).toBe(false);
        }
      }
    }
  });

  it('rejects wrong lengths, prefixes and characters', () => {
    const token = generateApiToken();
    for (const bad of [
      '',
      'api_',
      token + 'a',
      token.slice(0, -1),
      'API_' + token.slice(4),
      'xyz_' + token.slice(4),
      token.replace(/.$/, ' '),
      `${token.slice(0, 20)}é${token.slice(21)}`,
    ]) {
      expect(isWellFormedApiToken(bad)).toBe(false);
    }
  });

  it('gives the same answer as the regex plus a recomputed checksum on 50,000 valid, mutated, random strings', () => {
    const reference = (s: string) => TOKEN_REGEX.test(s) && s.endsWith(tokenChecksum(s.slice(4, 34)));
    // Characters around the base62 ranges, and ones whose low byte is a base62 character.
    const odd = ['/', ':', '@', '[', '`', '{', '\u0130', '\u0141', '\u0661', '\ud83d', '\u00e9', ' '];
    const pick = (chars: string | string[]) => chars[Math.floor(Math.random() * chars.length)]!;
    let valid = 0;
    for (let i = 0; i < 50_000; i++) {
      const token = generateApiToken();
      let candidate: string;
      switch (i % 5) {
        case 0:
          candidate = token;
          break;
        case 1: {
          const at = Math.floor(Math.random() * token.length);
          candidate = token.slice(0, at) + pick(Math.random() < 0.8 ? BASE62 : odd) + token.slice(at + 1);
          break;
        }
        case 2: // a random part with the checksum of another one
          candidate = token.slice(0, 34) + tokenChecksum(generateApiToken().slice(4, 34));
          break;
        case 3: // a checksum in the right alphabet but of any value, including ones above 2^32
          candidate = token.slice(0, 34) + Array.from({ length: 6 }, () => pick(BASE62)).join('');
          break;
        default:
          candidate =
            token.slice(0, 34) + token.slice(34, 37) + tokenChecksum(generateApiToken().slice(4, 34)).slice(3);
      }
      expect(isWellFormedApiToken(candidate), candidate).toBe(reference(candidate));
      if (reference(candidate)) valid++;
    }
    // Every untouched token and a few lucky mutations are valid; the rest are not.
    expect(valid).toBeGreaterThanOrEqual(10_000);
    expect(valid).toBeLessThan(12_500);
  });

  it('keeps the prefix and four random characters as the display hint', () => {
    const token = generateApiToken();
    expect(tokenStart(token)).toBe(token.slice(0, 8));
    expect(tokenStart(token)).toMatch(/^api_[0-9A-Za-z]{4}$/);
  });
});

describe('parseAuthorizationHeader', () => {
  const token = generateApiToken();

  it('reads `Bearer <token>` with the scheme in any case, and a bare token', () => {
    for (const header of [
      `Bearer ${token}`,
      `bearer ${token}`,
      `BEARER ${token}`,
      `BeArEr ${token}`,
      token,
      `  Bearer   ${token}  `,
      `Bearer\t${token}`,
    ]) {
      expect(parseAuthorizationHeader(header)).toEqual({ ok: true, token });
    }
  });

  it('says the token is missing for no header, an empty or a whitespace-only one', () => {
    for (const header of [undefined, null, '', '   ', '\t', [], 'Bearer', 'bearer  ']) {
      expect(parseAuthorizationHeader(header as string | undefined)).toEqual({ ok: false, reason: 'missing' });
    }
  });

  it('refuses several tokens, other schemes, duplicated headers and over-long headers', () => {
    for (const header of [
      `Bearer ${token} ${token}`,
      `${token} ${token}`,
      `Basic ${token}`,
      `${token},${token}x y`,
      'Bearer ' + 'a'.repeat(2000),
      [token, token],
    ]) {
      expect(parseAuthorizationHeader(header as string).ok).toBe(false);
    }
  });
});
