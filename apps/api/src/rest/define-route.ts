// A REST route, declared once: method, path, who may call it, the schemas of what it takes and
// answers, and its handler. The express routing (mount-routes.ts), the response encoding and the
// OpenAPI document (openapi.ts) are all derived from these declarations, so they cannot drift apart.
import type { Request, Response } from 'express';
import type { z } from 'zod';
import type { AuditContext, Clock, Db, RateLimiter, VerifiedApiToken } from '@latchkey/lib';

export type RestDeps = {
  db: Db;
  clock: Clock;
  allowedScopes: readonly string[];
  /** TOKEN_MAX_LIFETIME_DAYS, or null. */
  instanceMaxLifetimeDays: number | null;
  /** TOKEN_MAX_PER_OWNER. */
  maxTokensPerOwner: number;
  limiter: RateLimiter;
  credentialRevokePerHour: number;
  /** The OpenAPI document of these routes, served by one of them. */
  openApi: Record<string, unknown>;
};

export type RouteMethod = 'get' | 'post' | 'delete';

/** A status a route answers on success, with the schema its body is encoded through (none for 204). */
export type RouteResponses = Record<number, { description: string; schema?: z.ZodType }>;

/** Who may call: any valid token (`scope: null`), a token holding `scope`, or anyone (`public`). */
export type RouteAccess = { scope: string | null } | { public: true };

/** Error statuses a route may answer beyond those the document adds for it (400, 401, 403, 413, 429, 500). */
export type RouteErrorStatus = 403 | 404;

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteInput<A extends RouteAccess, P, Q, B> = {
  params: Parsed<P>;
  query: Parsed<Q>;
  body: Parsed<B>;
  deps: RestDeps;
  req: Request;
  res: Response;
} & (A extends { public: true }
  ? { token?: undefined }
  : {
      token: VerifiedApiToken;
      /** The calling token as the actor of an audit event, with the client's address and user agent. */
      audit: () => AuditContext;
    });

/** What a handler returns: one of the route's statuses with a body of its schema's input type. */
export type RouteReply<R extends RouteResponses> = {
  [S in keyof R & number]: R[S]['schema'] extends z.ZodType
    ? { status: S; body: z.input<R[S]['schema']> }
    : { status: S };
}[keyof R & number];

export type RestRoute<
  A extends RouteAccess = RouteAccess,
  P extends z.ZodObject | undefined = z.ZodObject | undefined,
  Q extends z.ZodObject | undefined = z.ZodObject | undefined,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  R extends RouteResponses = RouteResponses,
> = {
  method: RouteMethod;
  /** Express syntax, relative to /api/v1: `/tokens/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'Tokens' | 'Account' | 'Leaked tokens' | 'Audit' | 'Meta';
  access: A;
  params?: P;
  query?: Q;
  /** A JSON object body; `bodyRequired: false` lets an empty body count as `{}`. */
  body?: B;
  bodyRequired?: boolean;
  /** Largest body accepted, in bytes (16 KB by default). */
  bodyLimit?: number;
  responses: R;
  errors?: readonly RouteErrorStatus[];
  handle(input: RouteInput<A, P, Q, B>): Promise<RouteReply<NoInfer<R>>> | RouteReply<NoInfer<R>>;
};

/** Declares a route; the generics let the handler see its inputs and reply as the schemas type them. */
export function defineRoute<
  const A extends RouteAccess,
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  const R extends RouteResponses = RouteResponses,
>(route: RestRoute<A, P, Q, B, R>): RestRoute {
  return route as unknown as RestRoute;
}
