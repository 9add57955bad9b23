// Request bodies, on every path: which may be read, and how far. A body is JSON where a route takes
// one (16 KB; 64 KB for leak reports), a form at introspection (16 KB), and nothing elsewhere. A
// body of another type, coding or charset is refused with 415 and one declared over its limit with
// 413, both before a byte of it is read; a body sent without a length is read no further than its
// limit. Nothing is held past it.
import type { Request } from 'express';
import getRawBody from 'raw-body';
import { AppError, AppErrorCode } from '@latchkey/lib';

export const JSON_BODY_LIMIT = 16 * 1024;

/** Which JSON a path takes: tRPC reads `application/json` only; the REST API also `application/*+json`. */
export type JsonTypes = 'application/json' | 'application/json and +json';

const SUFFIXED_JSON = /^application\/[a-z0-9!#$&^_.+-]+\+json$/;

/** Whether the request comes with a body: a Content-Length over 0, or chunked. */
export function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && Number(length) > 0);
}

function unsupported(message: string): AppError {
  return new AppError(AppErrorCode.UNSUPPORTED_MEDIA_TYPE, { message });
}

export function tooLarge(limit: number): AppError {
  return new AppError(AppErrorCode.PAYLOAD_TOO_LARGE, {
    message: `Request body is too large (${Math.round(limit / 1024)} KB at most)`,
  });
}

/**
 * Why the body of `req` may not be read as JSON of at most `limit` bytes, judged from its headers
 * alone; null when it may be (or when there is none).
 */
export function refuseJsonBody(req: Request, limit: number, types: JsonTypes): AppError | null {
  return refuseBody(req, limit, {
    accepts: (mediaType) =>
      mediaType === 'application/json' || (types !== 'application/json' && SUFFIXED_JSON.test(mediaType)),
    typeMessage: 'Send the body as JSON, with Content-Type: application/json',
    charsetMessage: 'Send the body as UTF-8 JSON',
  });
}

export const FORM_TYPE = 'application/x-www-form-urlencoded';

/** As `refuseJsonBody`, for a form body (`application/x-www-form-urlencoded`, as OAuth clients send). */
export function refuseFormBody(req: Request, limit: number): AppError | null {
  return refuseBody(req, limit, {
    accepts: (mediaType) => mediaType === FORM_TYPE,
    typeMessage: `Send the body as a form, with Content-Type: ${FORM_TYPE}`,
    charsetMessage: 'Send the form as UTF-8',
  });
}

function refuseBody(
  req: Request,
  limit: number,
  type: { accepts: (mediaType: string) => boolean; typeMessage: string; charsetMessage: string },
): AppError | null {
  if (!hasBody(req)) return null;
  const [mediaType = '', ...parameters] = (req.headers['content-type'] ?? '').split(';');
  if (!type.accepts(mediaType.trim().toLowerCase())) return unsupported(type.typeMessage);
  for (const parameter of parameters) {
    const [name = '', value = ''] = parameter.split('=');
    const charset = value
      .trim()
      .replace(/^"(.*)"$/, '$1')
      .toLowerCase();
    if (name.trim().toLowerCase() === 'charset' && charset !== 'utf-8' && charset !== 'utf8')
      return unsupported(type.charsetMessage);
  }
  const coding = req.headers['content-encoding'];
  if (coding !== undefined && coding.trim().toLowerCase() !== 'identity')
    return unsupported('Send the body uncompressed, without Content-Encoding');
  if (Number(req.headers['content-length'] ?? 0) > limit) return tooLarge(limit);
  return null;
}

/**
 * The text of the body, read up to `limit` bytes (after refuseJsonBody let it through); '' when
 * there is none. Past the limit, reading stops and the request stays unread: the answer then
 * closes the connection (see closeUnreadBodies), so the rest is never taken in.
 */
export async function readBodyText(req: Request, limit: number): Promise<string> {
  if (!hasBody(req)) return '';
  try {
    return await getRawBody(req, { limit, length: req.headers['content-length'], encoding: 'utf8' });
  } catch (error) {
    const type = (error as { type?: string }).type;
    if (type === 'entity.too.large') throw tooLarge(limit);
    if (type === 'request.size.invalid')
      throw new AppError(AppErrorCode.INVALID_BODY, { message: 'The body is not as long as its Content-Length' });
    if (type === 'request.aborted')
      throw new AppError(AppErrorCode.INVALID_BODY, { message: 'The body was cut short' });
    throw error;
  }
}

/** The body read as JSON (see readBodyText); undefined when there is none. */
export async function readJsonBody(req: Request, limit: number): Promise<unknown> {
  const text = await readBodyText(req, limit);
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    throw new AppError(AppErrorCode.INVALID_BODY, { message: 'Request body is not valid JSON' });
  }
}
