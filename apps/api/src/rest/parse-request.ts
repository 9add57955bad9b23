// Turns the text of a request (path parameters, query string, JSON body) into what a route's
// schemas take, with one clear 400 for whatever does not fit.
import type { Request } from 'express';
import type { z } from 'zod';
import { AppError, AppErrorCode, parseInput } from '@latchkey/lib';

/** Whether a field's schema takes a number, through optional/default/nullable wrappers and unions. */
function takesNumber(schema: z.core.$ZodType): boolean {
  const def = schema._zod.def as {
    type: string;
    innerType?: z.core.$ZodType;
    options?: z.core.$ZodType[];
    in?: z.core.$ZodType;
  };
  switch (def.type) {
    case 'number':
      return true;
    case 'optional':
    case 'default':
    case 'nullable':
    case 'prefault':
      return takesNumber(def.innerType!);
    case 'pipe':
      return takesNumber(def.in!);
    case 'union':
      return def.options!.some(takesNumber);
    default:
      return false;
  }
}

const WHOLE_NUMBER = /^\d{1,20}$/;

const MAX_NAMED_PARAMETERS = 20;

/**
 * Path parameters or the query string through `schema`. Text in a field that takes a number is read
 * as one when it is digits only (so `?limit=10` is the integer the document promises, and `1e3` or
 * `0x10` are refused); a query field given twice is refused rather than guessed at.
 */
export function parseTextFields<S extends z.ZodObject>(schema: S, raw: Record<string, unknown>): z.output<S> {
  const values: Record<string, unknown> = {};
  for (const [key, field] of Object.entries<z.core.$ZodType>(schema.shape)) {
    const value = raw[key];
    if (Array.isArray(value)) {
      throw new AppError(AppErrorCode.INVALID_REQUEST, {
        message: `${key} must be given once`,
        issues: [{ path: key, message: `${key} must be given once` }],
      });
    }
    values[key] = typeof value === 'string' && WHOLE_NUMBER.test(value) && takesNumber(field) ? Number(value) : value;
  }
  return parseInput(schema, values, AppErrorCode.INVALID_REQUEST);
}

/**
 * The query string through `schema` (none: the route takes no parameters). A parameter the route
 * does not take is refused, naming it, as an unknown body field is: a typo such as `?staus=` must not
 * pass silently.
 */
export function parseQuery<S extends z.ZodObject>(
  schema: S | undefined,
  raw: Record<string, unknown>,
): z.output<S> | undefined {
  const unknown = Object.keys(raw).filter((key) => !schema || !Object.hasOwn(schema.shape, key));
  if (unknown.length > 0) {
    // Named as sent, within bounds: a query string may hold a thousand made-up names.
    const issues = unknown.slice(0, MAX_NAMED_PARAMETERS).map((key) => {
      const name = key.length > 100 ? `${key.slice(0, 100)}…` : key;
      return { path: name, message: `Unknown query parameter ${JSON.stringify(name)}` };
    });
    throw new AppError(AppErrorCode.INVALID_REQUEST, { message: issues[0]!.message, issues });
  }
  return schema ? parseTextFields(schema, raw) : undefined;
}

/**
 * The JSON object body; an absent (or empty) body is read as `{}`, so a missing field is named as
 * such. A body of another type never gets here (a 415, request-body.ts).
 */
export function parseJsonBody<S extends z.ZodType>(schema: S, req: Request): z.output<S> {
  const body: unknown = req.body;
  if (body === undefined) return parseInput(schema, {});
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new AppError(AppErrorCode.INVALID_BODY, { message: 'Request body must be a JSON object' });
  }
  return parseInput(schema, body);
}
