// Refuses JSON bodies nested deeper than any real request. JSON.parse copes with deep nesting, but
// code that walks the parsed body recursively (tRPC's adapter re-serialises it) overflows the stack
// at a few thousand levels, which would be a 500 for what is only a bad request.
import type { RequestHandler } from 'express';
import { AppError, AppErrorCode } from '@latchkey/lib';
import { sendError } from './send-error';

export const MAX_JSON_DEPTH = 64;

/** True when `value` has objects or arrays nested more than `max` levels deep. Iterative: no recursion. */
export function isNestedDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [item, depth] = stack.pop()!;
    if (item === null || typeof item !== 'object') continue;
    if (depth > max) return true;
    for (const child of Object.values(item)) stack.push([child, depth + 1]);
  }
  return false;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The same question asked of JSON text before it is parsed (tRPC's input, which tRPC parses itself):
 * brackets outside strings are counted, in one pass. Exact for valid JSON; text that is not JSON
 * is refused by the parser whatever this says.
 */
export function isJsonTextNestedDeeperThan(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === BACKSLASH) i += 1;
      else if (char === QUOTE) inString = false;
    } else if (char === QUOTE) inString = true;
    else if (char === OPEN_BRACE || char === OPEN_BRACKET) {
      depth += 1;
      if (depth > max) return true;
    } else if (char === CLOSE_BRACE || char === CLOSE_BRACKET) depth -= 1;
  }
  return false;
}

export const rejectDeepJson: RequestHandler = (req, res, next) => {
  if (isNestedDeeperThan(req.body, MAX_JSON_DEPTH)) {
    return sendError(
      res,
      new AppError(AppErrorCode.INVALID_BODY, {
        message: `Request body is nested too deeply (${MAX_JSON_DEPTH} levels at most)`,
      }),
    );
  }
  next();
};
