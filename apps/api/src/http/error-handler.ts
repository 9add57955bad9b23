// The last middleware: turns every error into the JSON error body, and logs what was unexpected.
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, AppErrorCode, isAppError } from '@latchkey/lib';
import { sendError, toAppError } from './send-error';

type BodyParserError = Error & { type?: string; status?: number; expose?: boolean; limit?: number };

export const errorHandler: ErrorRequestHandler = (error: unknown, req, res, _next) => {
  if (res.headersSent) {
    req.log?.error({ err: error }, 'error after the response started');
    res.destroy();
    return;
  }
  const parserError = error as BodyParserError;
  if (parserError?.type === 'entity.too.large') {
    const kb = Math.round((parserError.limit ?? 16 * 1024) / 1024);
    sendError(
      res,
      new AppError(AppErrorCode.PAYLOAD_TOO_LARGE, { message: `Request body is too large (${kb} KB at most)` }),
    );
    return;
  }
  if (parserError?.type === 'entity.parse.failed') {
    sendError(res, new AppError(AppErrorCode.INVALID_BODY, { message: 'Request body is not valid JSON' }));
    return;
  }
  if (parserError?.type === 'encoding.unsupported' || parserError?.type === 'charset.unsupported') {
    sendError(res, new AppError(AppErrorCode.INVALID_BODY, { message: 'Request body must be UTF-8 JSON' }));
    return;
  }
  // The router cannot decode a path parameter such as `/tokens/%E0%A4%A`: the client's mistake, not ours.
  if (error instanceof URIError) {
    sendError(res, new AppError(AppErrorCode.INVALID_REQUEST, { message: 'The URL is not validly percent-encoded' }));
    return;
  }
  if (
    parserError?.expose &&
    typeof parserError.status === 'number' &&
    parserError.status >= 400 &&
    parserError.status < 500
  ) {
    res
      .status(parserError.status)
      .json({ code: AppErrorCode.INVALID_REQUEST, message: parserError.message || 'Bad request' });
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
