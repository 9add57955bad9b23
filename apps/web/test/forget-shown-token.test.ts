// A token shown once (after create or rotate) leaves the page's memory when its dialog closes: after
// a garbage collection, a V8 heap snapshot of the page holds no copy of it. React Query keeps a
// mutation's answer for 5 minutes by default, so without care the plain token would stay.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { describeInBrowser } from './support/browser-env';

/** The page's JavaScript heap after a full garbage collection, as V8's snapshot (every string in it included). */
async function heapSnapshot(page: Page): Promise<string> {
  // Timers that drop cached answers (React Query's, at gcTime 0) run first.
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 100)));
  const cdp = await page.context().newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    const chunks: string[] = [];
    cdp.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
    await cdp.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
    const snapshot = chunks.join('');
    // A snapshot too small to hold the page's own code would prove nothing.
    expect(snapshot.length).toBeGreaterThan(1_000_000);
    return snapshot;
  } finally {
    await cdp.detach();
  }
}

describeInBrowser("a shown token and the page's memory", (env) => {
  it('a created token is in the heap while its dialog is open, and gone once it is closed', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context);
    await page.goto('/settings/tokens');
    await page.getByRole('button', { name: 'Create your first token' }).click();
    const form = page.getByRole('dialog', { name: 'Create API token' });
    await form.getByLabel('Name').fill('Forgotten');
    await form.getByRole('button', { name: 'Create token' }).click();
    const reveal = page.getByRole('dialog', { name: 'API token created' });
    const token = (await reveal.getByTestId('new-token').textContent()) ?? '';
    expect(token).toMatch(/^api_[0-9A-Za-z]{36}$/);
    // The check can see the token: it is there while shown.
    expect((await heapSnapshot(page)).includes(token)).toBe(true);

    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });
    await page.getByRole('row', { name: /Forgotten/ }).waitFor();
    expect((await heapSnapshot(page)).includes(token)).toBe(false);
    // Still a working token: only the page forgot it.
    expect((await env().callMe(token)).status).toBe(200);
  });

  it('a rotated token is gone from the heap once its dialog is closed, by Done or by Escape', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context);
    await page.goto('/settings/tokens');
    await page.getByRole('button', { name: 'Create your first token' }).click();
    const form = page.getByRole('dialog', { name: 'Create API token' });
    await form.getByLabel('Name').fill('Rotated twice');
    await form.getByRole('button', { name: 'Create token' }).click();
    const created = page.getByRole('dialog', { name: 'API token created' });
    const first = (await created.getByTestId('new-token').textContent()) ?? '';
    await created.getByRole('button', { name: 'Done' }).click();
    await created.waitFor({ state: 'detached' });

    const seen = [first];
    for (const close of ['Done', 'Escape'] as const) {
      await page.getByRole('button', { name: 'Rotate Rotated twice' }).click();
      await page
        .getByRole('dialog', { name: 'Rotate API token' })
        .getByRole('button', { name: 'Rotate token' })
        .click();
      const reveal = page.getByRole('dialog', { name: 'API token rotated' });
      const token = (await reveal.getByTestId('new-token').textContent()) ?? '';
      expect(token).toMatch(/^api_[0-9A-Za-z]{36}$/);
      expect(seen).not.toContain(token);
      seen.push(token);
      // Seen while shown (once: a heap snapshot takes a few seconds).
      if (close === 'Done') expect((await heapSnapshot(page)).includes(token)).toBe(true);
      if (close === 'Done') {
        await reveal.getByRole('button', { name: 'Done' }).click();
      } else {
        // Not copied: Escape asks first, then "Close without copying" closes.
        await page.keyboard.press('Escape');
        await reveal.getByRole('button', { name: 'Close without copying' }).click();
      }
      await reveal.waitFor({ state: 'detached' });
      await page.getByRole('row', { name: new RegExp(token.slice(0, 8)) }).waitFor();
    }
    const heap = await heapSnapshot(page);
    for (const token of seen) expect(heap.includes(token), token.slice(0, 8)).toBe(false);
  });
});
