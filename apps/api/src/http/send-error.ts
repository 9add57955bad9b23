// The one JSON error body of the REST side: `{code, message}` plus `issues` for validation.
import type { Response } from 'express';
import { AppError, AppErrorCode, HTTP_STATUS_BY_CODE, isAppError } from '@latchkey/lib';

export type ErrorBody = { code: string; message: string; issues?: Array<{ path: string; message: string }> };

export function errorBody(error: AppError): ErrorBody {
  return error.issues
    ? { code: error.code, message: error.message, issues: error.issues }
    : { code: error.code, message: error.message };
}

export function sendError(res: Response, error: AppError): void {
  res.status(HTTP_STATUS_BY_CODE[error.code]).json(errorBody(error));
}

/** Known errors keep their code; anything else is a 500 with no detail (the detail goes to the log). */
export function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return new AppError(AppErrorCode.INTERNAL_ERROR, { message: 'Internal server error' });
}
