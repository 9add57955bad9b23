// The address of a Latchkey server, as every client of this package takes it.

/** The server's origin and any path prefix, without a trailing slash; a clear error for anything else. */
export function parseBaseUrl(baseUrl: string, caller: string): string {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new TypeError(`${caller}: \`baseUrl\` must be an http(s) URL, e.g. https://latchkey.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new TypeError(`${caller}: \`baseUrl\` must start with http:// or https://, not ${url.protocol}//`);
  }
  if (url.search || url.hash) throw new TypeError(`${caller}: \`baseUrl\` must have no query or fragment`);
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}
