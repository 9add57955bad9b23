// The API token format from API.md: `api_` + 30 random base62 characters + a 6-character
// base62 CRC-32 checksum of the random part. Browser-safe: no Node APIs.
import { customAlphabet } from 'nanoid';
import { crc32 } from './crc32.js';

export const TOKEN_PREFIX = 'api_';
export const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const TOKEN_RANDOM_LENGTH = 30;
export const TOKEN_CHECKSUM_LENGTH = 6;
export const TOKEN_LENGTH = TOKEN_PREFIX.length + TOKEN_RANDOM_LENGTH + TOKEN_CHECKSUM_LENGTH;
export const TOKEN_REGEX = /^api_[0-9A-Za-z]{36}$/;
/** Characters of the token shown as a hint: the prefix and the first 4 random characters. */
export const TOKEN_START_LENGTH = TOKEN_PREFIX.length + 4;

const randomPart = customAlphabet(BASE62, TOKEN_RANDOM_LENGTH);

/** The checksum of a random part: CRC-32 in base62, left-padded with `0` to 6 characters. */
export function tokenChecksum(random: string): string {
  let value = crc32(random);
  let out = '';
  do {
    out = BASE62[value % 62]! + out;
    value = Math.floor(value / 62);
  } while (value > 0);
  return out.padStart(TOKEN_CHECKSUM_LENGTH, '0');
}

/** A new token; about 178 bits from a cryptographically secure generator. */
export function generateApiToken(): string {
  const random = randomPart();
  return TOKEN_PREFIX + random + tokenChecksum(random);
}

/** The value of each ASCII base62 character (`0-9A-Za-z` → 0…61); -1 for every other character. */
const BASE62_VALUE = (() => {
  const values = new Int8Array(128).fill(-1);
  for (let i = 0; i < BASE62.length; i++) values[BASE62.charCodeAt(i)] = i;
  return values;
})();

function base62Value(code: number): number {
  return code < 128 ? BASE62_VALUE[code]! : -1;
}

const RANDOM_END = TOKEN_PREFIX.length + TOKEN_RANDOM_LENGTH;
const PREFIX_CODES = [...TOKEN_PREFIX].map((c) => c.charCodeAt(0));
/** 62^3: the checksum is read as two 3-digit halves, so every step stays a small integer. */
const HALF = 62 ** 3;

/** The first, cheapest test: the length and prefix of a token. `isWellFormedApiToken` is the whole one. */
export function hasApiTokenShape(token: string): boolean {
  return token.length === TOKEN_LENGTH && token.startsWith(TOKEN_PREFIX);
}

/**
 * True when the token has the right shape and its checksum matches. Costs no I/O. It runs on every
 * API request, so it is one pass over the characters with no strings built: the same answer as
 * `TOKEN_REGEX.test(token) && token.endsWith(tokenChecksum(random part))`, because a CRC-32 is
 * below 62^6 and so has exactly one 6-character base62 spelling.
 */
export function isWellFormedApiToken(token: string): boolean {
  if (token.length !== TOKEN_LENGTH) return false;
  for (let i = 0; i < PREFIX_CODES.length; i++) if (token.charCodeAt(i) !== PREFIX_CODES[i]) return false;
  for (let i = TOKEN_PREFIX.length; i < RANDOM_END; i++) if (base62Value(token.charCodeAt(i)) < 0) return false;
  let high = 0;
  let low = 0;
  for (let i = RANDOM_END; i < TOKEN_LENGTH; i++) {
    const digit = base62Value(token.charCodeAt(i));
    if (digit < 0) return false;
    if (i < RANDOM_END + 3) high = high * 62 + digit;
    else low = low * 62 + digit;
  }
  const crc = crc32(token, TOKEN_PREFIX.length, RANDOM_END);
  const crcHigh = Math.floor(crc / HALF);
  return high === crcHigh && low === crc - crcHigh * HALF;
}

/** The display hint stored beside the hash, e.g. `api_Ab3x`. */
export function tokenStart(token: string): string {
  return token.slice(0, TOKEN_START_LENGTH);
}
