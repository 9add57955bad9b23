// What the static side of the site (the built UI, the API reference's files) answers besides its
// files: a 404 for a file that is not there, and for every source map, which would hand out the
// sources of the UI (and of the reference's bundle) to anyone who asks.
import type { Request, Response } from 'express';
import { AppError, AppErrorCode } from '@latchkey/lib';
import { sendError } from './send-error';

/** Whether `path` names a source map, however it is spelled (`%2Emap`, `.MAP`, a trailing slash). */
export function isSourceMapPath(path: string): boolean {
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // Not validly encoded: the static files refuse it themselves.
  }
  return /\.map\/*$/i.test(decoded);
}

/** Whether `path` asks for a file (under /assets/, or with an extension) rather than a page of the UI. */
export function looksLikeFile(path: string): boolean {
  return path.startsWith('/assets/') || /\.[A-Za-z0-9]+$/.test(path.slice(path.lastIndexOf('/') + 1));
}

export function staticFileNotFound(_req: Request, res: Response): void {
  sendError(res, new AppError(AppErrorCode.NOT_FOUND, { message: 'No such file' }));
}
