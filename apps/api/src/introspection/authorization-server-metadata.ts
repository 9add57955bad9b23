// RFC 8414 discovery: what an OAuth client library reads to find the introspection endpoint and
// the ways to authenticate there. The issuer is PUBLIC_URL, or else the origin the request came to
// (its Host, and its scheme as express's trust-proxy rules see it), and is the exact prefix of
// the endpoint, as RFC 8414 requires.
import type { Request, RequestHandler } from 'express';
import { AppError, AppErrorCode } from '@latchkey/lib';
import { sendError } from '../http/send-error';

export const DISCOVERY_PATH = '/.well-known/oauth-authorization-server';
export const INTROSPECTION_PATH = '/api/v1/introspect';
export const CLIENT_AUTH_METHODS = ['client_secret_basic', 'client_secret_post'] as const;

/** The issuer for this request; null when there is no PUBLIC_URL and the Host header is not a host. */
export function issuerOf(req: Request, publicUrl: string | null): string | null {
  if (publicUrl) return publicUrl;
  const host = req.headers.host;
  if (!host) return null;
  // A Host with a path, credentials, a query or spaces is not a host: it names no origin.
  if (/[\s/\\@?#]/.test(host)) return null;
  try {
    return new URL(`${req.protocol}://${host}`).origin;
  } catch {
    return null;
  }
}

export function authorizationServerMetadata(publicUrl: string | null): RequestHandler {
  return (req, res) => {
    const issuer = issuerOf(req, publicUrl);
    res.setHeader('Cache-Control', 'no-store');
    if (issuer === null) {
      const message = 'The request has no usable Host header; set PUBLIC_URL to name this server';
      return sendError(res, new AppError(AppErrorCode.INVALID_REQUEST, { message }));
    }
    res.json({
      issuer,
      introspection_endpoint: `${issuer}${INTROSPECTION_PATH}`,
      introspection_endpoint_auth_methods_supported: CLIENT_AUTH_METHODS,
    });
  };
}
