// The API reference at /api/docs: Scalar renders the OpenAPI document in the browser, from this
// server's own files, under the site's strict Content-Security-Policy.
import { expect, it } from 'vitest';
import { describeInBrowser } from './support/browser-env';

describeInBrowser('API reference page', (env) => {
  it('renders every operation with its examples, loading nothing from elsewhere and breaking no CSP rule', async () => {
    const { page } = await env().newPage();
    const foreign: string[] = [];
    const problems: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(env().baseUrl) && !request.url().startsWith('data:')) foreign.push(request.url());
    });
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(error.message));

    await page.goto('/api/docs');
    await page.getByText('Latchkey API').first().waitFor();
    for (const summary of [
      'Tokens of the same owner, newest first',
      'Delete a token; it stops working at once',
      'Replace a token with a new one of the same name, scopes and lifetime length',
    ]) {
      await page.getByText(summary).first().waitFor({ state: 'attached' });
    }
    // Opened from the sidebar, an operation shows an example from the document, not only the raw schema.
    await page
      .getByText('Create a token; it can neither outlive nor out-scope the token that makes it')
      .first()
      .click();
    await page.getByText('"Nightly export"').first().waitFor();
    await expect(page.getByText(/Ask AI|Generate MCP/).count()).resolves.toBe(0);
    await env().screenshot(page, 'api-docs-1280', { fullPage: false });

    expect(foreign).toEqual([]);
    expect(problems.filter((text) => /Content Security Policy|Refused to/i.test(text))).toEqual([]);
  });
});
