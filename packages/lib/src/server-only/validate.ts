// Parses outside input with a shared zod schema; failures become one AppError with every issue.
import type { z } from 'zod';
import { AppError, AppErrorCode, type AppErrorIssue } from '../errors/app-error.js';

export function parseInput<S extends z.ZodType>(
  schema: S,
  input: unknown,
  code: AppErrorCode = AppErrorCode.INVALID_BODY,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const seen = new Set<string>();
  // One message per field: a union or a chain of checks can report the same sentence twice.
  const issues = result.error.issues
    .flatMap(toIssues)
    .filter((i) => !seen.has(i.path + i.message) && seen.add(i.path + i.message));
  const first = issues[0];
  throw new AppError(code, { message: first ? messageOf(first) : 'Invalid input', issues });
}

/** One issue per field; an unknown field is named as the path, so a client can point at it. */
function toIssues(issue: z.core.$ZodIssue): AppErrorIssue[] {
  const path = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: `Unknown field "${key}"` }));
  }
  return [{ path, message: issue.message }];
}

/** The issue as one sentence: its message, with the field in front unless the message names it already. */
function messageOf({ path, message }: AppErrorIssue): string {
  if (!path) return message;
  const field = path.split('.').at(-1)!;
  return message.toLowerCase().includes(field.toLowerCase()) ? message : `${path}: ${message}`;
}
