// GET /api/docs: the API reference, rendered in the browser by Scalar from /api/v1/openapi.json.
// Everything comes from this server (Scalar's standalone bundle from node_modules, no CDN), so the
// page works under the same strict Content-Security-Policy as the rest of the site.
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';

const require = createRequire(import.meta.url);
// The package's entry is dist/index.js; its standalone browser bundle sits beside it.
const SCALAR_DIR = path.join(path.dirname(require.resolve('@scalar/api-reference')), 'browser');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Latchkey API reference</title>
</head>
<body>
<div id="api-reference"></div>
<script src="/api/docs/assets/standalone.js"></script>
<script src="/api/docs/assets/start.js"></script>
</body>
</html>
`;

// A file, not an inline script: the CSP allows scripts from this origin only.
const START = `Scalar.createApiReference('#api-reference', {
  url: '/api/v1/openapi.json',
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
});
`;

export function docsRouter(): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').send(PAGE);
  });
  router.get('/assets/start.js', (_req, res) => {
    res.type('js').send(START);
  });
  router.use('/assets', express.static(SCALAR_DIR, { index: false, maxAge: '1d', fallthrough: false }));
  return router;
}
