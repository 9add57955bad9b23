// GET /api/docs: the API reference, rendered in the browser by Scalar from /api/v1/openapi.json.
// Everything comes from this server (Scalar's standalone bundle from node_modules, no CDN), so the
// page works under the same strict Content-Security-Policy as the rest of the site.
import { createRequire } from 'node:module';
import path from 'node:path';
import express, { Router } from 'express';
import { staticFileNotFound } from '../http/static-files';

const require = createRequire(import.meta.url);
// The package's entry is dist/index.js; its standalone browser bundle sits beside it.
const SCALAR_DIR = path.join(path.dirname(require.resolve('@scalar/api-reference')), 'browser');

const CONFIGURATION = {
  withDefaultFonts: false,
  hideClientButton: true,
  telemetry: false,
  // Everything a hosted service would add (an AI chat, an MCP generator, deploy menus) stays off.
  agent: { disabled: true },
  mcp: { disabled: true },
  showDeveloperTools: 'never',
  defaultOpenAllTags: true,
};

const escapeAttribute = (text: string) => text.replace(/&/g, '&amp;').replace(/'/g, '&#39;').replace(/</g, '&lt;');
const CONFIGURATION_ATTRIBUTE = escapeAttribute(JSON.stringify(CONFIGURATION));

// The configuration travels in data attributes, read by the bundle before its first render; an inline
// script would need the CSP loosened.
const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Latchkey API reference</title>
</head>
<body>
<script id="api-reference" data-url="/api/v1/openapi.json" data-configuration='${CONFIGURATION_ATTRIBUTE}'></script>
<script src="/api/docs/assets/standalone.js"></script>
</body>
</html>
`;

export function docsRouter(): Router {
  const router = Router();
  router.get('/', (_req, res) => {
    res.type('html').send(PAGE);
  });
  // A file that is not there falls through to a 404 (not express's error, whose 500 named the path on disk).
  router.use('/assets', express.static(SCALAR_DIR, { index: false, maxAge: '1d' }), staticFileNotFound);
  return router;
}
