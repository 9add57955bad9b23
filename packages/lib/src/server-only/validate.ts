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
