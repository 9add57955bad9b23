// The last middleware: turns every error into the JSON error body, and logs what was unexpected.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, AppErrorCode, HTTP_STATUS_BY_CODE, isAppError } from '@latchkey/lib';
import { sendError, toAppError } from './send-error';

type HttpError = Error & { status?: number; statusCode?: number; expose?: boolean };

/** The error code of each client-error status the table has (the first, where two share one). */
const CODE_BY_STATUS = new Map<number, AppErrorCode>();
for (const [code, status] of Object.entries(HTTP_STATUS_BY_CODE) as Array<[AppErrorCode, number]>)
  if (status < 500 && !CODE_BY_STATUS.has(status)) CODE_BY_STATUS.set(status, code);

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (res.headersSent) {
    req.log?.error({ err: error }, 'error after the response started');
    res.destroy();
    return;
  }
  // The router cannot decode a path parameter such as `/tokens/%E0%A4%A`: the client's mistake, not ours.
  if (error instanceof URIError) {
    sendError(res, new AppError(AppErrorCode.INVALID_REQUEST, { message: 'The URL is not validly percent-encoded' }));
    return;
  }
  // An error of express or of a file it sends with a client-error status (a file that is gone, say):
  // that status, with the message only when it is meant for the client (a file's names its path on disk).
  const status = isAppError(error) ? undefined : ((error as HttpError)?.status ?? (error as HttpError)?.statusCode);
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = CODE_BY_STATUS.get(status);
    const message = (error as HttpError).expose ? (error as HttpError).message : undefined;
    if (code) sendError(res, new AppError(code, { message: message || undefined }));
    else res.status(status).json({ code: AppErrorCode.INVALID_REQUEST, message: message || 'Bad request' });
    return;
  }
  if (!isAppError(error)) req.log?.error({ err: error }, 'unhandled error');
  sendError(res, toAppError(error));
};

/** JSON 404 for any /api path that no route answered. */
export const apiNotFound: RequestHandler = (req, res) => {
  // Mounted at /api, so `req.path` lacks the mount point; name the path the client asked for.
  sendError(
    res,
    new AppError(AppErrorCode.NOT_FOUND, { message: `No such endpoint: ${req.method} ${req.baseUrl}${req.path}` }),
  );
};
