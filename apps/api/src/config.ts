// The environment, read once at start into a typed config. Every variable is declared once, in
// ENV_VARIABLES below: how it is read, its default, and what docs/configuration.md says of it (a
// test keeps that page equal to this table). A bad value stops the server with one line naming it.
import fs from 'node:fs';
import path from 'node:path';
import {
  createScopeSet,
  DEFAULT_MAX_TOKENS_PER_OWNER,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_TOKEN_CACHE_SIZE,
  normaliseAllowedIp,
  parseDatabaseUrl,
  type ScopeSet,
} from '@latchkey/lib';
import { bool, custom, int, isFalseWord, list, oneOf, quoted, text, url, type EnvValue } from './env-variable';
import { PROJECT_ROOT } from './project-root';

/** What express's `trust proxy` knows by name. */
const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

const TRUST_PROXY_WAYS =
  'set it to the number of proxies in front of the server (1 for one), or to their addresses or CIDR ranges ' +
  '(loopback, linklocal, uniquelocal, 10.0.0.5, 10.0.0.0/8, comma-separated)';

/**
 * TRUST_PROXY: false, a hop count, or the proxies' addresses. `true` is refused: it would believe
 * the left-most X-Forwarded-For entry, which the client writes itself, so any client could pass as
 * any address (past its limits and a token's address list).
 */
function readTrustProxy(value: string, name: string): false | number | string {
  const v = value.trim().toLowerCase();
  if (isFalseWord(v)) return false;
  if (['true', 'yes', 'on'].includes(v)) {
    throw new Error(
      `${name}=${value.trim()} would believe the X-Forwarded-For address any client writes; ${TRUST_PROXY_WAYS}`,
    );
  }
  if (/^\d+$/.test(v)) return Number(v);
  const entries = v.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => PROXY_NAMES.includes(entry) || normaliseAllowedIp(entry).ok)) return entries.join(', ');
  throw new Error(`${name} must be false, a hop count, or proxy addresses, got ${quoted(value)}: ${TRUST_PROXY_WAYS}`);
}

/** A Redis URL may name a database number and nothing else after the host. */
function redisUrlProblem(parsed: URL): string | null {
  if (!/^\/?(\d{1,5})?$/.test(parsed.pathname)) return 'may name only a database number after the host (/0, /1, …)';
  if (parsed.search || parsed.hash) return 'must not have a query string or fragment';
  return null;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const rateLimit = (fallback: number, doc: string) => int({ default: fallback, min: 1, max: 1_000_000_000, doc });

/** Every environment variable the server and the command line read, in the order the docs list them. */
export const ENV_VARIABLES = {
  PORT: int({ default: 3000, min: 0, max: 65535, doc: 'port to listen on' }),
  HOST: text({ default: '0.0.0.0', doc: 'address to listen on' }),
  DATABASE_URL: custom<string | undefined>({
    default: undefined,
    defaultText: '`data/latchkey.db` in the project root',
    doc:
      '`postgres://…` / `postgresql://…` for PostgreSQL; `file:/path/x.db` or a path for a SQLite file (its ' +
      'folder is created; a relative path is taken from the project root)',
    read: (value) => {
      // Checked here with the other variables; the library opens it later.
      parseDatabaseUrl(value);
      return value;
    },
  }),
  REDIS_URL: url({
    default: null,
    protocols: ['redis:', 'rediss:'],
    example: 'redis://127.0.0.1:6379 (or rediss://user:password@host:6380/0 for TLS)',
    secret: true,
    check: redisUrlProblem,
    doc:
      '`redis://…` or `rediss://…`: every rate limit is counted in Redis and shared by all servers; unset, ' +
      "counters are kept in each server's memory. An error about it never repeats the value (it may hold a password)",
  }),
  REDIS_KEY_PREFIX: text({
    default: DEFAULT_REDIS_KEY_PREFIX,
    pattern: /^[\x21-\x7e]{1,100}$/,
    rule: '1 to 100 printable characters without spaces',
    trim: false,
    doc: 'prefix of the rate-limit keys in Redis',
  }),
  TRUST_PROXY: custom<false | number | string>({
    default: false,
    defaultText: '`false`',
    read: readTrustProxy,
    doc:
      'which `X-Forwarded-For` entries to believe: a hop count (the number of proxies in front of the ' +
      "server), or the proxies' addresses / CIDR ranges / `loopback`, `uniquelocal`, `linklocal`, " +
      "comma-separated. Unset, the client address is the connection's: behind a proxy every client then " +
      "shares the proxy's one address (and its limits). `true` is refused, since it would believe an address " +
      'the client writes itself. See [the client address](rate-limits.md#the-client-address)',
  }),
  LOG_LEVEL: oneOf(LOG_LEVELS, {
    default: 'info',
    doc:
      '`fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`; logs are readable lines at a terminal, ' +
      'JSON lines otherwise',
  }),
  ALLOW_SIGNUP: bool({ default: true, doc: 'whether the UI may create accounts' }),
  PUBLIC_URL: url({
    default: null,
    protocols: ['http:', 'https:'],
    example: 'https://tokens.example.com',
    value: (parsed) => parsed.origin,
    doc:
      'the origin users reach the server at (`https://tokens.example.com`); used for the same-origin check, ' +
      'the session cookie (under `https://` it is `__Host-latchkey_session`, `Secure`) and the OpenAPI ' +
      "document's server URL. **Unset, the UI's changes (sign-up, sign-in, everything else it does) are " +
      'accepted only at `localhost` or an IP address**: see ' +
      '[below](#the-public-address-and-the-session-cookie)',
  }),
  TOKEN_SCOPES: list({
    default: [],
    defaultText: 'none',
    doc:
      "the product's own scopes, comma-separated (`invoices:read,documents:write`): tokens may hold them " +
      'besides the built-in ones, and every way in knows them. See [product scopes](#product-scopes)',
  }),
  TOKEN_SCOPES_FILE: text({
    default: null,
    doc:
      'a JSON file describing the scopes of `TOKEN_SCOPES`: `{"invoices:read": "Read invoices"}`; a relative ' +
      'path is taken from the project root. See [product scopes](#product-scopes)',
  }),
  // Each entry holds about 1 KB; ten million would need some 10 GB.
  TOKEN_CACHE_SIZE: int({
    default: DEFAULT_TOKEN_CACHE_SIZE,
    min: 1,
    max: 10_000_000,
    doc: 'verified tokens each server keeps in memory (least recently used out; about 0.8 KB each)',
  }),
  TOKEN_MAX_LIFETIME_DAYS: int({
    default: null,
    min: 1,
    max: 36_500,
    doc: 'the longest lifetime any new token may have, in days, on top of team policies',
  }),
  TOKEN_MAX_PER_OWNER: int({
    default: DEFAULT_MAX_TOKENS_PER_OWNER,
    min: 1,
    max: 1_000_000_000,
    doc:
      'the most tokens one user, or one team, may hold (active, retiring and expired ones count; rotated-away ' +
      'ones do not). Creating one more is a 400 saying so; a rotation, which replaces a token, is never ' +
      'refused by it. The command line reads it too',
  }),
  USAGE_RETENTION_DAYS: int({
    default: 90,
    min: 1,
    max: 3650,
    doc: 'days usage counts, recent addresses and the hashes of rotated-away tokens are kept',
  }),
  USAGE_RECORDING: bool({
    default: true,
    doc:
      '`false` stops recording uses of tokens: `lastUsedAt`, usage counts and recent addresses stay as they ' +
      'are. For measuring what recording costs (`pnpm bench` does); not meant for production',
  }),
  AUDIT_RETENTION_DAYS: int({ default: 365, min: 1, max: 3650, doc: 'days audit events are kept' }),
  RATE_LIMIT_IP_PER_MINUTE: rateLimit(
    1000,
    '`/api/v1` requests per client address per minute (an IPv6 client is counted by its /64)',
  ),
  RATE_LIMIT_OWNER_PER_MINUTE: rateLimit(1000, '`/api/v1` requests per token owner (user or team) per minute'),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: rateLimit(
    30,
    'failed token checks per address per minute; past it every request from that address gets 429 until the ' +
      'minute ends',
  ),
  RATE_LIMIT_TRPC_PER_MINUTE: rateLimit(100, 'UI (tRPC) calls per address per minute'),
  RATE_LIMIT_SIGN_IN_FAILURES: rateLimit(10, 'failed sign-ins per address and e-mail per 15 minutes'),
  RATE_LIMIT_SIGN_IN_FAILURES_PER_ACCOUNT: rateLimit(
    50,
    'failed sign-ins per account (e-mail), from any address, per 15 minutes; past it even the right ' +
      "password waits for the window's end",
  ),
  RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR: rateLimit(60, 'leak reports per address per hour'),
  RATE_LIMIT_SERVICE_PER_MINUTE: rateLimit(
    60_000,
    'token checks per service client ([introspection](introspection.md)) per minute; counted per client, ' +
      'never per address',
  ),
};

type Env = { -readonly [K in keyof typeof ENV_VARIABLES]: EnvValue<(typeof ENV_VARIABLES)[K]> };

/** Reads every variable; the messages of all the bad ones, one line each. */
function readEnv(env: Record<string, string | undefined>): { values: Env; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, variable] of Object.entries(ENV_VARIABLES)) {
    const value = env[name];
    try {
      values[name] = value === undefined || value.trim() === '' ? variable.default : variable.read(value, name);
    } catch (error) {
      problems.push((error as Error).message.replace(/\s*\n\s*/g, ' '));
    }
  }
  return { values: values as Env, problems };
}

/**
 * The product's scopes: TOKEN_SCOPES declares them (the only place that does), TOKEN_SCOPES_FILE
 * describes them. A file key that TOKEN_SCOPES does not declare is refused rather than added, so a
 * typo in either cannot leave a scope undescribed or a description unused without anyone noticing.
 */
function readScopes(declared: readonly string[], file: string | null): ScopeSet {
  const scopes = naming('TOKEN_SCOPES: ', () => createScopeSet(declared));
  if (file === null) return scopes;
  const where = `TOKEN_SCOPES_FILE (${file})`;
  const content = naming(`${where} cannot be read: `, () => fs.readFileSync(path.resolve(PROJECT_ROOT, file), 'utf8'));
  const descriptions = naming(`${where} is not JSON: `, () => JSON.parse(content) as unknown);
  if (descriptions === null || typeof descriptions !== 'object' || Array.isArray(descriptions)) {
    throw new Error(`${where} must hold a JSON object of descriptions, such as {"invoices:read": "Read invoices"}`);
  }
  return naming(`${where}: `, () => createScopeSet(declared, descriptions as Record<string, unknown>));
}

/** What `read` gives; an error it throws comes back as one line with `prefix` before its message. */
function naming<T>(prefix: string, read: () => T): T {
  try {
    return read();
  } catch (error) {
    throw new Error(prefix + (error as Error).message.replace(/\s*\n\s*/g, ' '), { cause: error });
  }
}

/** The config from the variables read: what the rest of the server uses, its type inferred from here. */
function configOf(e: Env) {
  return {
    port: e.PORT,
    host: e.HOST,
    databaseUrl: e.DATABASE_URL,
    /**
     * Which X-Forwarded-For entries to believe (express's `trust proxy`): false (none: the socket
     * address), a hop count, or the proxies' addresses, CIDR ranges and names. Never `true`.
     */
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    allowSignup: e.ALLOW_SIGNUP,
    publicUrl: e.PUBLIC_URL,
    /** Every scope tokens may hold (built-in and TOKEN_SCOPES), with descriptions (TOKEN_SCOPES_FILE). */
    scopes: readScopes(e.TOKEN_SCOPES, e.TOKEN_SCOPES_FILE),
    /** TOKEN_MAX_LIFETIME_DAYS: the longest any new token may live; null for no limit. */
    tokenMaxLifetimeDays: e.TOKEN_MAX_LIFETIME_DAYS,
    /** TOKEN_MAX_PER_OWNER: the most tokens one user, or one team, may hold (creating more is a 400). */
    tokenMaxPerOwner: e.TOKEN_MAX_PER_OWNER,
    tokenCacheSize: e.TOKEN_CACHE_SIZE,
    usageRetentionDays: e.USAGE_RETENTION_DAYS,
    /** USAGE_RECORDING: false stops the REST API recording uses of tokens; for `pnpm bench`, not production. */
    usageRecording: e.USAGE_RECORDING,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    rateLimits: {
      ipPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
      ownerPerMinute: e.RATE_LIMIT_OWNER_PER_MINUTE,
      authFailuresPerMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      trpcPerMinute: e.RATE_LIMIT_TRPC_PER_MINUTE,
      /** Failed sign-ins per address and e-mail per 15 minutes. */
      signInFailures: e.RATE_LIMIT_SIGN_IN_FAILURES,
      /** Failed sign-ins per account (e-mail), from any address, per 15 minutes. */
      signInFailuresPerAccount: e.RATE_LIMIT_SIGN_IN_FAILURES_PER_ACCOUNT,
      credentialRevokePerHour: e.RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR,
      servicePerMinute: e.RATE_LIMIT_SERVICE_PER_MINUTE,
    },
    /** Where every rate limit is counted, shared by all servers; null = in memory, per server. */
    redisUrl: e.REDIS_URL,
    /** Put before every Redis key, so that several installations can share one Redis. */
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
  };
}

export type Config = ReturnType<typeof configOf>;

/** Reads the config from an environment; throws an Error whose message is one line per bad variable, joined by "; ". */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const { values, problems } = readEnv(env);
  if (problems.length > 0) throw new Error(problems.join('; '));
  return configOf(values);
}

/** Defaults for tests and embedding: what an empty environment gives. */
export function defaultConfig(
  overrides: Partial<Omit<Config, 'rateLimits'>> & { rateLimits?: Partial<Config['rateLimits']> } = {},
): Config {
  const base = loadConfig({});
  return { ...base, ...overrides, rateLimits: { ...base.rateLimits, ...overrides.rateLimits } };
}
