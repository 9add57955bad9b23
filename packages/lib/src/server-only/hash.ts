// Hashes for secrets that are stored: API tokens and session ids (both high-entropy, so a fast
// hash is safe), and passwords (low-entropy, so a slow, salted one).
import { hash, randomBytes, scrypt as scryptCallback, timingSafeEqual } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import pLimit from 'p-limit';

export const TOKEN_HASH_ALGORITHM = 'sha256';

export function hashSecret(secret: string): string {
  // The one-shot `crypto.hash` gives the same digest as createHash().update().digest() at about half
  // the cost (no Hash object per call); it runs on every API request.
  return hash('sha256', secret, 'hex');
}

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

type ScryptParameters = { N: number; r: number; p: number };

/**
 * OWASP's current minimum for scrypt (Password Storage Cheat Sheet): N=2^17, r=8, p=1. Each hash
 * takes 128 MiB for its time (128·N·r bytes). Hashes made before (N=2^14) still verify, and are
 * replaced at their user's next sign-in (`passwordHashNeedsUpgrade`).
 */
export const PASSWORD_HASH_PARAMETERS: Readonly<ScryptParameters> = { N: 2 ** 17, r: 8, p: 1 };
const KEY_LENGTH = 64;

/**
 * How many password hashes run at once in this process; the others wait their turn. Each one holds
 * a thread of libuv's pool (4 by default, shared with file and DNS work) and a core for a few
 * hundred milliseconds: unbounded, 20 parallel sign-ins would take every pool thread and every core,
 * and the server would stop answering anything else until they were done. One core, and two pool
 * threads, are always left over.
 */
export const PASSWORD_HASH_CONCURRENCY = Math.max(
  1,
  Math.min(availableParallelism() - 1, (Number(process.env.UV_THREADPOOL_SIZE) || 4) - 2),
);
const hashing = pLimit(PASSWORD_HASH_CONCURRENCY);

/** Stored parameters out of these bounds are refused unverified: a damaged row must not ask for gigabytes. */
function saneParameters({ N, r, p }: ScryptParameters): boolean {
  const powerOfTwo = Number.isInteger(N) && N >= 2 ** 10 && N <= 2 ** 20 && (N & (N - 1)) === 0;
  return powerOfTwo && Number.isInteger(r) && r >= 1 && r <= 32 && Number.isInteger(p) && p >= 1 && p <= 16;
}

function derive(password: string, salt: Buffer, keylen: number, { N, r, p }: ScryptParameters): Promise<Buffer> {
  // scrypt uses a little over 128·N·r bytes; node refuses anything above 32 MiB unless told more.
  const maxmem = 256 * N * r;
  return hashing(() => scrypt(password.normalize('NFKC'), salt, keylen, { N, r, p, maxmem }));
}

/** `scrypt$N$r$p$salt$hash`, salt and hash in base64; the parameters travel with the hash. */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const { N, r, p } = PASSWORD_HASH_PARAMETERS;
  const hash = await derive(password, salt, KEY_LENGTH, PASSWORD_HASH_PARAMETERS);
  return ['scrypt', N, r, p, salt.toString('base64'), hash.toString('base64')].join('$');
}

function parse(stored: string): (ScryptParameters & { salt: Buffer; hash: Buffer }) | null {
  const [kind, n, r, p, salt, hash, ...rest] = stored.split('$');
  if (kind !== 'scrypt' || !n || !r || !p || !salt || !hash || rest.length > 0) return null;
  const parameters = { N: Number(n), r: Number(r), p: Number(p) };
  if (!saneParameters(parameters)) return null;
  return { ...parameters, salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

/** Whether the password matches a stored hash, made with today's parameters or earlier ones. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed || parsed.hash.length < 16) return false;
  const actual = await derive(password, parsed.salt, parsed.hash.length, parsed);
  return timingSafeEqual(actual, parsed.hash);
}

/** True for a hash made with other parameters than today's: it is replaced once its password is known again. */
export function passwordHashNeedsUpgrade(stored: string): boolean {
  const parsed = parse(stored);
  const { N, r, p } = PASSWORD_HASH_PARAMETERS;
  return !parsed || parsed.N !== N || parsed.r !== r || parsed.p !== p || parsed.hash.length !== KEY_LENGTH;
}

/** A hash of a random password, compared against when the e-mail is unknown so timing says nothing. */
let dummyHash: Promise<string> | undefined;
export function dummyPasswordHash(): Promise<string> {
  dummyHash ??= hashPassword(randomBytes(16).toString('hex'));
  return dummyHash;
}
