// How long and how big each scenario is, in the quick and the full run, and the targets the
// issues set. bench/method.md describes the same numbers for readers.

export type Mode = 'quick' | 'full';

export const MEMORY_LIMIT = 250 * 1024 * 1024;
export const FULL_CACHE_MEMORY_LIMIT = 300 * 1024 * 1024;

export type ServerKind = 'sqlite' | 'postgres' | 'postgres+redis';

export const SERVER_NAMES: Record<ServerKind, string> = {
  sqlite: 'SQLite',
  postgres: 'PostgreSQL',
  'postgres+redis': 'PostgreSQL with Redis limits',
};
/** Issue 11: /api/v1/me against /api/health on each kind of server. */
export const HTTP_TARGETS: Record<ServerKind, number> = { sqlite: 0.95, postgres: 0.93, 'postgres+redis': 0.88 };
/** Issue 11: our cached check against better-auth's verifyApiKey, 1,000 hot tokens, one thread. */
export const PEER_TARGET = 300;

/** Issue 12: what recording usage may cost on the hot path, over HTTP and in-process. */
export const RECORDING_HTTP_TARGET = 0.98;
export const RECORDING_CHECK_TARGET = 1.05;
/** Issue 12: `apiToken.usage`, 31 days hourly, p50. */
export const USAGE_QUERY_TARGET_MS = 5;
/** Issue 13: the check of a token limited to 50 ranges against one without limits. */
export const ALLOWED_IPS_TARGET = 1.1;
/** Issue 22: a request through nginx with forward auth to a trivial upstream, against /api/v1/me directly. */
export const FORWARD_AUTH_TARGET = 0.85;

/** Issue 22: introspection (RFC 7662) by a service client, against /api/v1/me, requests per second. */
export const INTROSPECTION_TARGET = 0.9;

/** Issue 22: the installed `latchkey --help` starts in well under a second. */
export const CLI_HELP_TARGET_MS = 500;

export function planFor(mode: Mode) {
  const quick = mode === 'quick';
  return {
    http: quick
      ? { pairs: 5, seconds: 1, warmupSeconds: 0.75, connections: 10 }
      : { pairs: 15, seconds: 3, warmupSeconds: 3, connections: 10 },
    /** Through nginx with forward auth to a trivial upstream, against /api/v1/me on the same server. */
    forwardAuth: quick
      ? { pairs: 5, seconds: 1, warmupSeconds: 0.75, connections: 10 }
      : { pairs: 9, seconds: 3, warmupSeconds: 3, connections: 10 },
    /** POST /api/v1/introspect by a service client, against /api/v1/me on the same server. */
    introspection: quick
      ? { pairs: 5, seconds: 1, warmupSeconds: 0.75, connections: 10 }
      : { pairs: 9, seconds: 3, warmupSeconds: 3, connections: 10 },
    /** /me on a server recording usage against one that does not (same database). */
    httpRecording: quick
      ? { pairs: 7, seconds: 1, warmupSeconds: 0.75, connections: 10 }
      : { pairs: 15, seconds: 3, warmupSeconds: 3, connections: 10 },
    check: {
      smallTokens: 1000,
      largeTokens: quick ? 100_000 : 1_000_000,
      active: quick ? [1000] : [1000, 10_000],
      rounds: quick ? 3 : 7,
      secondsPerRun: quick ? 0.5 : 2,
      warmupSeconds: quick ? 0.3 : 1,
      malformedSeconds: quick ? 0.8 : 4,
      fullCacheEntries: 100_000,
      /**
       * The paired in-process comparisons (usage recording, address limits): more, shorter rounds,
       * in several processes (each compiles the check its own way).
       */
      pairedProcesses: quick ? 3 : 5,
      pairedRounds: quick ? 4 : 6,
      pairedSecondsPerRun: quick ? 0.3 : 1,
    },
    create: quick ? { pairs: 2, secondsPerRun: 0.4 } : { pairs: 5, secondsPerRun: 2 },
    list: quick ? { requests: 40, warmup: 5 } : { requests: 300, warmup: 20 },
    /** 1,000 tokens × 90 days of hourly buckets in the table; the query asks for 31 days hourly. */
    usage: { tokens: 1000, days: 90, queryDays: 31, requests: quick ? 60 : 300, warmup: quick ? 10 : 30 },
    /** One flush of this many tokens' counters, after `requestsPerToken` uses of each. */
    flush: { tokens: 10_000, requestsPerToken: [1, 10] },
    /** better-auth's verifyApiKey over 1,000 hot keys (bench/peer-better-auth). */
    peer: quick
      ? { keys: 1000, warmupSeconds: 0.5, secondsPerRound: 0.5, rounds: 3 }
      : { keys: 1000, warmupSeconds: 1, secondsPerRound: 2, rounds: 3 },
    /** Pairs of `latchkey --help` and `node -e 0` starts. */
    cliStart: { runs: quick ? 5 : 15 },
    httpLarge: quick ? null : { pairs: 8, seconds: 3, warmupSeconds: 3, connections: 10, active: 1000 },
  };
}

export type Plan = ReturnType<typeof planFor>;
