// The first word on every request that comes with a body. Only the REST API and tRPC take bodies
// (each route checks and reads its own, request-body.ts); anywhere else a body is refused with
// 415 before any of it is read.
//
// And whatever answers, an answer sent before the body is all in ends the connection without
// reading the rest. Node would otherwise read all of it, however long, to keep the connection for
// another request; and closing at once would make the client's still-arriving body turn the close
// into a reset that can destroy the answer before the client reads it. So, as HTTP advises, the
// server says `Connection: close`, sends its answer and its half of the close, then reads nothing
// more: a client still sending is held back by TCP, reads the answer, and the connection is
// dropped a moment later.
import type { Request, RequestHandler } from 'express';
import { AppError, AppErrorCode } from '@latchkey/lib';
import { hasBody } from './request-body';
import { sendError } from './send-error';
import { isUnder, REST_PREFIX, TRPC_PREFIX } from './under-path';

/** How long a connection whose body was left unread stays open after the answer, reading nothing. */
export const UNREAD_BODY_LINGER_MS = 2000;

export const guardRequestBodies: RequestHandler = (req, res, next) => {
  if (!hasBody(req)) return next();
  const writeHead = res.writeHead.bind(res);
  let unread = false;
  // Every answer's head goes through writeHead (express's and node's implicit one too).
  res.writeHead = ((...args: Parameters<typeof writeHead>) => {
    if (!req.complete) {
      unread = true;
      res.setHeader('Connection', 'close');
    }
    return writeHead(...args);
  }) as typeof writeHead;
  // Runs after node's own `finish` listener, which has ended the connection's sending side.
  res.once('finish', () => {
    if (unread && !req.complete) lingerWithoutReading(req);
  });
  if (isUnder(req.path, REST_PREFIX) || isUnder(req.path, TRPC_PREFIX)) return next();
  sendError(res, new AppError(AppErrorCode.UNSUPPORTED_MEDIA_TYPE, { message: 'Nothing here takes a request body' }));
};

/**
 * Node, having sent a `Connection: close` answer, reads on through the body (discarding it) until
 * its half of the close is out, then destroys the socket. Instead the socket stops reading and is
 * destroyed a moment later. The pause waits for the turn after this one: node's own resumption of
 * the request it gives up on (and so of its socket) is still to run in this one.
 */
function lingerWithoutReading(req: Request) {
  const socket = req.socket;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- the very function node gave, to take it back
  socket.removeListener('finish', socket.destroy);
  req.pause();
  setImmediate(() => socket.pause());
  setTimeout(() => socket.destroy(), UNREAD_BODY_LINGER_MS).unref();
}
