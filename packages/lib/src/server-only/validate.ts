// Parses outside input with a shared zod schema; failures become one AppError with every issue.
import type { z } from 'zod';
import { AppError, AppErrorCode } from '../errors/app-error';

export function parseInput<S extends z.ZodType>(schema: S, input: unknown, code: AppErrorCode = AppErrorCode.INVALID_BODY): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  const first = issues[0];
  const message = first ? (first.path ? `${first.path}: ${first.message}` : first.message) : 'Invalid input';
  throw new AppError(code, { message, issues });
}

/** True for a unique-constraint violation on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: unknown } | null;
  return e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || e?.code === '23505';
}
