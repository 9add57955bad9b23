// The environment, read once at start into a typed config; a bad value stops the server with a
// one-line message naming the variable.
import { z } from 'zod';
import { parseDatabaseUrl } from '@latchkey/lib';

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
  TRUST_PROXY: z
    .string()
    .optional()
    .transform((value, ctx): boolean | number | string => {
      if (value === undefined || value.trim() === '') return false;
      const v = value.trim().toLowerCase();
      if (['false', '0', 'no', 'off'].includes(v)) return false;
      if (['true', 'yes', 'on'].includes(v)) return true;
      if (/^\d+$/.test(v)) return Number(v);
      // express accepts `loopback`, `uniquelocal`, addresses and CIDR ranges, comma-separated.
      if (/^[0-9a-f.:/, ]+$|^(loopback|linklocal|uniquelocal)(, *(loopback|linklocal|uniquelocal|[0-9a-f.:/]+))*$/.test(v)) return value.trim();
      ctx.addIssue({ code: 'custom', message: `TRUST_PROXY must be true, false, a hop count, or addresses/CIDR ranges, got "${value}"` });
      return z.NEVER;
    }),
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
        ctx.addIssue({ code: 'custom', message: `PUBLIC_URL must be an http(s) URL such as https://tokens.example.com, got "${value}"` });
        return z.NEVER;
      }
    }),
  RATE_LIMIT_IP_PER_MINUTE: positiveInt('RATE_LIMIT_IP_PER_MINUTE', 1000),
  RATE_LIMIT_OWNER_PER_MINUTE: positiveInt('RATE_LIMIT_OWNER_PER_MINUTE', 1000),
  RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: positiveInt('RATE_LIMIT_AUTH_FAILURES_PER_MINUTE', 30),
  RATE_LIMIT_TRPC_PER_MINUTE: positiveInt('RATE_LIMIT_TRPC_PER_MINUTE', 100),
  RATE_LIMIT_SIGN_IN_FAILURES: positiveInt('RATE_LIMIT_SIGN_IN_FAILURES', 10),
  RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR: positiveInt('RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR', 60),
  TOKEN_MAX_LIFETIME_DAYS: z
    .string()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value.trim() === '') return null;
      const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
      if (!(n >= 1 && n <= 36500)) {
        ctx.addIssue({ code: 'custom', message: `TOKEN_MAX_LIFETIME_DAYS must be a whole number of days from 1 to 36500, got "${value}"` });
        return z.NEVER;
      }
      return n;
    }),
});

export type Config = {
  port: number;
  host: string | undefined;
  databaseUrl: string | undefined;
  trustProxy: boolean | number | string;
  logLevel: (typeof LOG_LEVELS)[number];
  allowSignup: boolean;
  publicUrl: string | null;
  /** TOKEN_MAX_LIFETIME_DAYS: the longest any new token may live; null for no limit. */
  tokenMaxLifetimeDays: number | null;
  rateLimits: {
    ipPerMinute: number;
    ownerPerMinute: number;
    authFailuresPerMinute: number;
    trpcPerMinute: number;
    signInFailures: number;
    credentialRevokePerHour: number;
  };
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
    rateLimits: {
      ipPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
      ownerPerMinute: e.RATE_LIMIT_OWNER_PER_MINUTE,
      authFailuresPerMinute: e.RATE_LIMIT_AUTH_FAILURES_PER_MINUTE,
      trpcPerMinute: e.RATE_LIMIT_TRPC_PER_MINUTE,
      signInFailures: e.RATE_LIMIT_SIGN_IN_FAILURES,
      credentialRevokePerHour: e.RATE_LIMIT_CREDENTIAL_REVOKE_PER_HOUR,
    },
  };
}

/** Defaults for tests and embedding: what an empty environment gives. */
export function defaultConfig(overrides: Partial<Omit<Config, 'rateLimits'>> & { rateLimits?: Partial<Config['rateLimits']> } = {}): Config {
  const base = loadConfig({});
  return { ...base, ...overrides, rateLimits: { ...base.rateLimits, ...overrides.rateLimits } };
}
