// tRPC over express, answered in one write. tRPC's own express adapter streams every answer: the
// body goes out through a WritableStream in chunks, with chunked encoding and a closing chunk. The
// web UI's link (httpBatchLink) reads whole answers only, so here the answer is read to the end and
// sent with its Content-Length in one `end`. A streamed call (`trpc-accept: application/jsonl`)
// still works: it is sent once it is complete. There are no subscriptions.
import type { AnyTRPCRouter } from '@trpc/server';
import { incomingMessageToRequest, internal_exceptionHandler } from '@trpc/server/adapters/node-http';
import { resolveResponse } from '@trpc/server/http';
import type { Request, RequestHandler, Response } from 'express';

type Options<TContext> = {
  router: AnyTRPCRouter;
  createContext: (opts: { req: Request; res: Response }) => Promise<TContext>;
  onError: (opts: { error: Error & { code: string; cause?: unknown }; req: Request }) => void;
  maxBatchSize: number;
};

const OWN_HEADERS = new Set(['set-cookie', 'transfer-encoding', 'content-length']);

export function trpcExpressHandler<TContext>(options: Options<TContext>): RequestHandler {
  const { router, createContext, onError, maxBatchSize } = options;
  return (req, res) => {
    // Mounted at /api/trpc: the rest of the path names the procedure(s).
    const path = req.path.slice(req.path.lastIndexOf('/') + 1);
    answer(req, res, path).catch(
      internal_exceptionHandler({ router, req, res, path, onError: ({ error }) => onError({ error, req }) }),
    );
  };

  async function answer(req: Request, res: Response, path: string) {
    const request = incomingMessageToRequest(req, res, { maxBodySize: null });
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
