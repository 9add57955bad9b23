// tRPC over express, answered in one write. tRPC's own express adapter streams every answer: the
// body goes out through a WritableStream in chunks, with chunked encoding and a closing chunk. The
// web UI's link (httpBatchLink) reads whole answers only, so here the answer is read to the end and
// sent with its Content-Length in one `end`. A streamed call (`trpc-accept: application/jsonl`)
// still works: it is sent once it is complete. There are no subscriptions.
//
// The body is read here, not by tRPC: tRPC's adapter takes in all of any body, of any type (a
// FormData or a stream as procedure input, which no procedure here takes), with no limit. Only
// JSON is taken, 16 KB at most, read no further; anything else is refused before it is read. Those
// refusals and a too deeply nested input are answered in tRPC's error shape, like every other
// error of a procedure, before any procedure, context or limit is looked at.
import {
  getTRPCErrorShape,
  transformTRPCResponse,
  TRPCError,
  type AnyTRPCRouter,
  type TRPC_ERROR_CODE_KEY,
  type TRPCDefaultErrorShape,
  type TRPCRootConfig,
} from '@trpc/server';
import { incomingMessageToRequest, internal_exceptionHandler } from '@trpc/server/adapters/node-http';
import { resolveResponse } from '@trpc/server/http';
import type { Request, RequestHandler, Response } from 'express';
import { AppError, AppErrorCode, HTTP_STATUS_BY_CODE, isAppError, TRPC_CODE_BY_CODE } from '@latchkey/lib';
import { isJsonTextNestedDeeperThan, MAX_JSON_DEPTH } from '../http/json-depth';
import { JSON_BODY_LIMIT, readBodyText, refuseJsonBody } from '../http/request-body';

type Options<TContext> = {
  router: AnyTRPCRouter;
  createContext: (opts: { req: Request; res: Response }) => Promise<TContext>;
  onError: (opts: { error: Error & { code: string; cause?: unknown }; req: Request }) => void;
  maxBatchSize: number;
};

/** The root types of a router as far as its error shape goes (its context is not needed for one). */
type RootTypes = { ctx: object; meta: object; errorShape: TRPCDefaultErrorShape; transformer: true };

const OWN_HEADERS = new Set(['set-cookie', 'transfer-encoding', 'content-length']);

const TOO_DEEP = new AppError(AppErrorCode.INVALID_BODY, {
  message: `Request body is nested too deeply (${MAX_JSON_DEPTH} levels at most)`,
});
const INPUT_TOO_DEEP = new AppError(AppErrorCode.INVALID_REQUEST, {
  message: `The input is nested too deeply (${MAX_JSON_DEPTH} levels at most)`,
});

export function trpcExpressHandler<TContext>(options: Options<TContext>): RequestHandler {
  const { router, createContext, onError, maxBatchSize } = options;
  return (req, res) => {
    // Mounted at /api/trpc: the rest of the path names the procedure(s).
    const path = req.path.slice(req.path.lastIndexOf('/') + 1);
    answer(req, res, path).catch(
      internal_exceptionHandler({ router, req, res, path, onError: ({ error }) => onError({ error, req }) }),
    );
  };

  /** An AppError raised before tRPC, in the shape tRPC gives its own errors (through the router's formatter). */
  function sendRefusal(res: Response, error: AppError) {
    const config = router._def._config as TRPCRootConfig<RootTypes>;
    const code: TRPC_ERROR_CODE_KEY = TRPC_CODE_BY_CODE[error.code];
    const shape: TRPCDefaultErrorShape = getTRPCErrorShape({
      config,
      error: new TRPCError({ code, message: error.message, cause: error }),
      type: 'unknown',
      path: undefined,
      input: undefined,
      ctx: undefined,
    });
    res.status(HTTP_STATUS_BY_CODE[error.code]).json(transformTRPCResponse(config, { error: shape }));
  }

  /**
   * Reads the body into `req.body` as text (`{}` when there is none, as tRPC's link may send a
   * mutation without input), so tRPC's adapter takes it from there and never reads the request.
   * GET and HEAD carry their input in the URL: a (JSON) body sent with them is not read.
   */
  async function takeInput(req: Request): Promise<AppError | null> {
    const query = req.originalUrl.indexOf('?');
    if (query >= 0) {
      const input = new URLSearchParams(req.originalUrl.slice(query + 1)).get('input');
      if (input && isJsonTextNestedDeeperThan(input, MAX_JSON_DEPTH)) return INPUT_TOO_DEEP;
    }
    const refusal = refuseJsonBody(req, JSON_BODY_LIMIT, 'application/json');
    if (refusal) return refusal;
    if (req.method === 'GET' || req.method === 'HEAD') return null;
    let text: string;
    try {
      text = await readBodyText(req, JSON_BODY_LIMIT);
    } catch (error) {
      if (isAppError(error)) return error;
      throw error;
    }
    if (isJsonTextNestedDeeperThan(text, MAX_JSON_DEPTH)) return TOO_DEEP;
    req.body = text === '' ? '{}' : text;
    return null;
  }

  async function answer(req: Request, res: Response, path: string) {
    const refusal = await takeInput(req);
    if (refusal) return sendRefusal(res, refusal);
    const request = incomingMessageToRequest(req, res, { maxBodySize: JSON_BODY_LIMIT });
    const response = await resolveResponse({
      router,
      req: request,
      path,
      error: null,
      maxBatchSize,
      createContext: () => createContext({ req, res }),
      onError: ({ error }) => onError({ error, req }),
    });
    const body = response.body ? Buffer.from(await response.arrayBuffer()) : null;
    if (res.statusCode === 200) res.statusCode = response.status;
    // The body is whole here, so its framing is ours: a Content-Length, never chunked (a streamed
    // answer comes with Transfer-Encoding: chunked, which must not go with a length).
    for (const [key, value] of response.headers) if (!OWN_HEADERS.has(key)) res.setHeader(key, value);
    const cookies = response.headers.getSetCookie();
    if (cookies.length > 0) res.setHeader('set-cookie', cookies);
    if (body) res.setHeader('content-length', body.length);
    res.end(body);
  }
}
