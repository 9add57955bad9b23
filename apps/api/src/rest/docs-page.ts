// A readable API reference rendered on the server from the OpenAPI document: plain HTML and CSS,
// nothing loaded from elsewhere.
type Doc = ReturnType<typeof import('./openapi').buildOpenApiDocument>;

const escape = (text: unknown) =>
  String(text ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const code = (text: string) => escape(text).replace(/`([^`]+)`/g, '<code>$1</code>');
const pretty = (value: unknown) => `<pre>${escape(JSON.stringify(value, null, 2))}</pre>`;

export function renderDocsPage(doc: Doc): string {
  const sections: string[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(operations as Record<string, any>)) {
      const scope = op.security?.[0]?.bearerToken?.[0];
      const params = (op.parameters ?? []) as Array<{ name: string; in: string; description?: string; schema: unknown }>;
      const responses = Object.entries(op.responses as Record<string, { description: string; content?: any }>);
      sections.push(`<section id="${escape(op.operationId)}">
<h2><span class="method ${escape(method)}">${escape(method.toUpperCase())}</span> <code>/api/v1${escape(path)}</code></h2>
<p>${code(op.summary)}</p>
<p>Scope: ${scope ? `<code>${escape(scope)}</code>` : 'any valid token'}</p>
${params.length ? `<h3>Parameters</h3><ul>${params.map((p) => `<li><code>${escape(p.name)}</code> (${escape(p.in)}) ${code(p.description ?? '')}</li>`).join('')}</ul>` : ''}
${op.requestBody ? `<h3>Body</h3>${pretty(op.requestBody.content['application/json'].schema)}` : ''}
<h3>Responses</h3><ul>${responses.map(([status, r]) => `<li><strong>${escape(status)}</strong> ${code(r.description)}</li>`).join('')}</ul>
</section>`);
    }
  }
  const schemas = Object.entries(doc.components.schemas).map(([name, s]) => `<h3 id="schema-${escape(name)}">${escape(name)}</h3>${pretty(s)}`);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(doc.info.title)} reference</title>
<style>
body{font:16px/1.5 system-ui,sans-serif;max-width:52rem;margin:0 auto;padding:1rem;color:#1a1a1a}
code,pre{font-family:ui-monospace,monospace;font-size:.9em}pre{background:#f4f4f5;padding:.75rem;overflow:auto;border-radius:6px}
section{border-top:1px solid #ddd;padding-top:.5rem;margin-top:1.5rem}.method{display:inline-block;min-width:4.5rem;font-size:.8em;padding:.1rem .4rem;border-radius:4px;background:#e0e7ff}
.delete{background:#fee2e2}.post{background:#dcfce7}
</style></head><body>
<h1>${escape(doc.info.title)} <small>${escape(doc.info.version)}</small></h1>
<p>${code(doc.info.description)}</p>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>
<p>Errors are JSON: <code>{"code": "...", "message": "..."}</code>; 401 for a missing, invalid or expired token, 403 for a missing scope, 404 for a token of another owner, 429 past a rate limit.</p>
${sections.join('\n')}
<h2>Schemas</h2>
${schemas.join('\n')}
</body></html>`;
}
