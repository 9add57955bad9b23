// The environment, read once at start into a typed config; a bad value stops the server with a
// one-line message naming the variable.
import { z } from 'zod';
import {
  DEFAULT_MAX_TOKENS_PER_OWNER,
  DEFAULT_REDIS_KEY_PREFIX,
  DEFAULT_TOKEN_CACHE_SIZE,
  normaliseAllowedIp,
  parseDatabaseUrl,
} from '@latchkey/lib';

const positiveInt = (name: string, fallback: number) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      if (!/^\d+$/.test(value.trim())) {
        ctx.addIssue({ code: 'custom', message: `${name} must be a whole number, got "${value}"` });
        return z.NEVER;
      }
      const n = Number(value);
      if (n < 1 || n > 1_000_000_000) {
        ctx.addIssue({ code: 'custom', message: `${name} must be between 1 and 1000000000, got ${value}` });
        return z.NEVER;
      }
      return n;
    });

/** A retention in days: 1 to 3650 (ten years). */
const days = (name: string, fallback: number) =>
  positiveInt(name, fallback).refine((n) => n <= 3650, { message: `${name} must be a number of days from 1 to 3650` });

const bool = (name: string, fallback: boolean) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return fallback;
      const v = value.trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(v)) return true;
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      ctx.addIssue({ code: 'custom', message: `${name} must be true or false, got "${value}"` });
      return z.NEVER;
    });

const REDIS_URL_EXAMPLE = 'redis://127.0.0.1:6379 (or rediss://user:password@host:6380/0 for TLS)';

/**
 * A Redis URL, checked here so a typo stops the server at start; the value is never echoed (it may hold a
 * password).
 */
const redisUrl = z
  .string()
  .optional()
  .transform((value, ctx) => {
    if (value === undefined || value.trim() === '') return null;
    const problem = redisUrlProblem(value.trim());
    if (!problem) return value.trim();
    ctx.addIssue({ code: 'custom', message: `REDIS_URL ${problem}, such as ${REDIS_URL_EXAMPLE}` });
    return z.NEVER;
  });

function redisUrlProblem(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be a redis:// or rediss:// URL';
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:')
    return `must start with redis:// or rediss://, not ${url.protocol.slice(0, 20)}//`;
  if (url.hostname === '') return 'needs a host name';
  if (!/^\/?(\d{1,5})?$/.test(url.pathname)) return 'may name only a database number after the host (/0, /1, …)';
  if (url.search || url.hash) return 'must not have a query string or fragment';
  return null;
}

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
const trustProxy = z
  .string()
  .optional()
  .transform((value, ctx): false | number | string => {
    if (value === undefined || value.trim() === '') return false;
    const v = value.trim().toLowerCase();
    if (['false', '0', 'no', 'off'].includes(v)) return false;
    if (['true', 'yes', 'on'].includes(v)) {
      ctx.addIssue({
        code: 'custom',
        message:
          `TRUST_PROXY=${value.trim()} would believe the X-Forwarded-For address any client writes; ` +
          TRUST_PROXY_WAYS,
      });
      return z.NEVER;
    }
    if (/^\d+$/.test(v)) return Number(v);
    const entries = v.split(',').map((entry) => entry.trim());
    const bad = entries.find((entry) => !PROXY_NAMES.includes(entry) && !normaliseAllowedIp(entry).ok);
    if (bad === undefined) return entries.join(', ');
    ctx.addIssue({
      code: 'custom',
      message: `TRUST_PROXY must be false, a hop count, or proxy addresses, got "${value}": ${TRUST_PROXY_WAYS}`,
    });
    return z.NEVER;
  });

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const ZEnv = z.object({
  PORT: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return 3000;
      if (!/^\d+$/.test(value.trim()) || Number(value) > 65535) {
        ctx.addIssue({ code: 'custom', message: `PORT must be a port number from 0 to 65535, got "${value}"` });
        return z.NEVER;
      }
      return Number(value);
    }),
  HOST: z.string().optional(),
  DATABASE_URL: z.string().optional(),
  TRUST_PROXY: trustProxy,
  LOG_LEVEL: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return 'info' as const;
      const v = value.trim().toLowerCase();
      if ((LOG_LEVELS as readonly string[]).includes(v)) return v as (typeof LOG_LEVELS)[number];
      ctx.addIssue({ code: 'custom', message: `LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${value}"` });
      return z.NEVER;
    }),
  ALLOW_SIGNUP: bool('ALLOW_SIGNUP', true),
  PUBLIC_URL: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return null;
      try {
        const url = new URL(value.trim());
        if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error();
        return url.origin;
      } catch {
        ctx.addIssue({
          code: 'custom',
          message: `PUBLIC_URL must be an http(s) URL such as https://tokens.example.com, got "${value}"`,
        });
        return z.NEVER;
      }
    }),
  TOKEN_CACHE_SIZE: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return DEFAULT_TOKEN_CACHE_SIZE;
      const v = value.trim().replaceAll('_', '');
      // Each entry holds about 1 KB; ten million would need some 10 GB.
      if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > 10_000_000) {
        ctx.addIssue({
          code: 'custom',
          message: `TOKEN_CACHE_SIZE must be a whole number from 1 to 10000000, got "${value}"`,
        });
        return z.NEVER;
      }
      return Number(v);
    }),
  RATE_LIMIT_IP_PER_MINUTE: positiveInt('RATE_LIMIT_IP_PER_MINUTE', 1000),
  RATE_LIMIT_OWNER_PER_MINUTE: positiveInt('RATE_LIMIT_OWNER_PER_MINUTE', 1000),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: positiveInt('RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', 30),
  RATE_LIMIT_TRPC_PER_MINUTE: positiveInt('RATE_LIMIT_TRPC_PER_MINUTE', 100),
  RATE_LIMIT_SIGN_IN_FAILURES: positiveInt('RATE_LIMIT_SIGN_IN_FAILURES', 10),
  RATE_LIMIT_SIGN_IN_FAILURES_PER_ACCOUNT: positiveInt('RATE_LIMIT_SIGN_IN_FAILURES_PER_ACCOUNT', 50),
  RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR: positiveInt('RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR', 60),
  RATE_LIMIT_SERVICE_PER_MINUTE: positiveInt('RATE_LIMIT_SERVICE_PER_MINUTE', 60_000),
  TOKEN_MAX_LIFETIME_DAYS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return null;
      const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
      if (!(n >= 1 && n <= 36500)) {
        ctx.addIssue({
          code: 'custom',
          message: `TOKEN_MAX_LIFETIME_DAYS must be a whole number of days from 1 to 36500, got "${value}"`,
        });
        return z.NEVER;
      }
      return n;
    }),
  TOKEN_MAX_PER_OWNER: positiveInt('TOKEN_MAX_PER_OWNER', DEFAULT_MAX_TOKENS_PER_OWNER),
  REDIS_URL: redisUrl,
  REDIS_KEY_PREFIX: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return DEFAULT_REDIS_KEY_PREFIX;
      if (/^[\x21-\x7e]{1,100}$/.test(value)) return value;
      ctx.addIssue({
        code: 'custom',
        message:
          'REDIS_KEY_PREFIX must be 1 to 100 printable characters without spaces, ' +
          `got ${JSON.stringify(value.slice(0, 120))}`,
      });
      return z.NEVER;
    }),
  USAGE_RETENTION_DAYS: days('USAGE_RETENTION_DAYS', 90),
  USAGE_RECORDING: bool('USAGE_RECORDING', true),
  AUDIT_RETENTION_DAYS: days('AUDIT_RETENTION_DAYS', 365),
});

export type Config = {
  port: number;
  host: string | undefined;
  databaseUrl: string | undefined;
  /**
   * Which X-Forwarded-For entries to believe (express's `trust proxy`): false (none: the socket
   * address), a hop count, or the proxies' addresses, CIDR ranges and names. Never `true`.
   */
  trustProxy: false | number | string;
  logLevel: (typeof LOG_LEVELS)[number];
  allowSignup: boolean;
  publicUrl: string | null;
  /** TOKEN_MAX_LIFETIME_DAYS: the longest any new token may live; null for no limit. */
  tokenMaxLifetimeDays: number | null;
  /** TOKEN_MAX_PER_OWNER: the most tokens one user, or one team, may hold (creating more is a 400). */
  tokenMaxPerOwner: number;
  /** The most verified tokens each server keeps in memory. */
  tokenCacheSize: number;
  /** Days usage buckets, recent addresses and rotated-away hashes are kept. */
  usageRetentionDays: number;
  /**
   * USAGE_RECORDING: false stops the REST API recording uses of tokens (`lastUsedAt`, usage counts,
   * recent addresses). Meant for measuring what recording costs (`pnpm bench`), not for production.
   */
  usageRecording: boolean;
  /** Days audit events are kept. */
  auditRetentionDays: number;
  rateLimits: {
    ipPerMinute: number;
    ownerPerMinute: number;
    authFailuresPerMinute: number;
    trpcPerMinute: number;
    /** Failed sign-ins per address and e-mail per 15 minutes. */
    signInFailures: number;
    /** Failed sign-ins per account (e-mail), from any address, per 15 minutes. */
    signInFailuresPerAccount: number;
    credentialRevokePerHour: number;
    /** Introspection requests per service client per minute (never per address). */
    servicePerMinute: number;
  };
  /** Where every rate limit is counted, shared by all servers; null = in memory, per server. */
  redisUrl: string | null;
  /** Put before every Redis key, so that several installations can share one Redis. */
  redisKeyPrefix: string;
};

/** Reads the config from an environment; throws an Error whose message is one line per bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const result = ZEnv.safeParse(env);
  if (!result.success) {
    throw new Error(result.error.issues.map((issue) => issue.message).join('; '));
  }
  const e = result.data;
  // Surface a bad DATABASE_URL here, with the other configuration errors.
  parseDatabaseUrl(e.DATABASE_URL);
  return {
    port: e.PORT,
    host: e.HOST?.trim() || undefined,
    databaseUrl: e.DATABASE_URL,
    trustProxy: e.TRUST_PROXY,
    logLevel: e.LOG_LEVEL,
    allowSignup: e.ALLOW_SIGNUP,
    publicUrl: e.PUBLIC_URL,
    tokenMaxLifetimeDays: e.TOKEN_MAX_LIFETIME_DAYS,
    tokenMaxPerOwner: e.TOKEN_MAX_PER_OWNER,
    tokenCacheSize: e.TOKEN_CACHE_SIZE,
    usageRetentionDays: e.USAGE_RETENTION_DAYS,
    usageRecording: e.USAGE_RECORDING,
    auditRetentionDays: e.AUDIT_RETENTION_DAYS,
    rateLimits: {
      ipPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
      ownerPerMinute: e.RATE_LIMIT_OWNER_PER_MINUTE,
      authFailuresPerMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      trpcPerMinute: e.RATE_LIMIT_TRPC_PER_MINUTE,
      signInFailures: e.RATE_LIMIT_SIGN_IN_FAILURES,
      signInFailuresPerAccount: e.RATE_LIMIT_SIGN_IN_FAILURES_PER_ACCOUNT,
      credentialRevokePerHour: e.RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR,
      servicePerMinute: e.RATE_LIMIT_SERVICE_PER_MINUTE,
    },
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
  };
}

/** Defaults for tests and embedding: what an empty environment gives. */
export function defaultConfig(
  overrides: Partial<Omit<Config, 'rateLimits'>> & { rateLimits?: Partial<Config['rateLimits']> } = {},
): Config {
  const base = loadConfig({});
  return { ...base, ...overrides, rateLimits: { ...base.rateLimits, ...overrides.rateLimits } };
}
