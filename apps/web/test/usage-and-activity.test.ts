// Usage and activity in headless Chromium: the chart shows requests made with a token (flushed in
// process), the list filters, delete-expired with its count, and the Activity page lists the create
// and delete, and a revocation by a leak report. Screenshots at 375 px and 1280 px go to apps/web/test-artifacts/.
import { expect, it } from 'vitest';
import { createApiToken, systemClock } from '@latchkey/lib';
import { describeInBrowser } from './support/browser-env';
import { createFirstTokenInUi } from './support/ui-steps';

const DAY = 24 * 60 * 60 * 1000;

describeInBrowser('token usage and activity in the browser', (env) => {
  it('after N requests with a token, its row and its chart show them; spikes are marked', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context, { name: 'Grace Hopper' });
    const created = await createApiToken({ db: env().db, clock: systemClock, userId: user.id, name: 'Nightly export' });
    await createApiToken({ db: env().db, clock: systemClock, userId: user.id, name: 'Quiet token' });
    const N = 7;
    for (let i = 0; i < N; i++) expect((await env().callMe(created.token)).status).toBe(200);
    await env().app.latchkey.usage?.flush();

    await page.goto('/settings/tokens');
    const row = page.getByRole('row', { name: /Nightly export/ });
    await row.getByRole('img', { name: `${N} requests in the last 7 days` }).waitFor();
    expect(await row.locator('td[data-label="Last used"]').getAttribute('title')).toMatch(/from .*127\.0\.0\.1/);

    await row.getByRole('button', { name: 'Usage of Nightly export' }).click();
    const dialog = page.getByRole('dialog', { name: 'Usage of Nightly export' });
    await dialog.getByRole('img', { name: `${N} requests, 0 failed, per hour over 7 days` }).waitFor();
    expect(await dialog.getByTestId('usage-total').textContent()).toBe(String(N));
    expect(await dialog.locator('.usage-chart canvas').count()).toBe(1);
    // All N requests fell in one hour of 169: far above 5× the hourly average.
    expect(await dialog.getByTestId('usage-spikes').textContent()).toMatch(/One hour above 5× the hourly average/);
    await dialog
      .getByRole('table', { name: 'Recent addresses' })
      .getByText(/127\.0\.0\.1/)
      .waitFor();
    await dialog.getByRole('list', { name: 'Events of this token' }).getByText('Token created').waitFor();
    await env().screenshot(page, 'usage-chart-1280', { fullPage: false });
    await page.setViewportSize({ width: 375, height: 800 });
    await page.waitForTimeout(200);
    await env().screenshot(page, 'usage-chart-375', { fullPage: false });
    await page.setViewportSize({ width: 1280, height: 800 });

    await dialog.getByRole('button', { name: '90 days, daily' }).click();
    await dialog.getByRole('img', { name: `${N} requests, 0 failed, per day over 90 days` }).waitFor();
    await dialog.getByRole('button', { name: 'Close' }).click();

    await page
      .getByRole('row', { name: /Quiet token/ })
      .getByRole('button', { name: 'Usage of Quiet token' })
      .click();
    await page.getByRole('dialog', { name: 'Usage of Quiet token' }).getByText('No requests yet').waitFor();
  });

  it('filters the list by status and use, and deletes the expired tokens after saying how many', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const db = env().db;
    const longAgo = { now: () => Date.now() - 40 * DAY };
    await createApiToken({ db, clock: longAgo, userId: user.id, name: 'Old expired one', expiresIn: 'SEVEN_DAYS' });
    await createApiToken({ db, clock: longAgo, userId: user.id, name: 'Old expired two', expiresIn: 'ONE_MONTH' });
    await createApiToken({ db, clock: longAgo, userId: user.id, name: 'Old unused' });
    await createApiToken({ db, clock: systemClock, userId: user.id, name: 'Fresh token' });

    await page.goto('/settings/tokens');
    const names = async () => (await page.locator('tbody .token-name').allTextContents()).sort();
    await page.getByRole('row', { name: /Fresh token/ }).waitFor();
    expect(await names()).toEqual(['Fresh token', 'Old expired one', 'Old expired two', 'Old unused']);
    await page.getByRole('button', { name: 'Expired', exact: true }).click();
    await expect.poll(names).toEqual(['Old expired one', 'Old expired two']);
    await page.getByRole('button', { name: 'Active', exact: true }).click();
    await expect.poll(names).toEqual(['Fresh token', 'Old unused']);
    await page.getByRole('button', { name: 'Unused 30+ days' }).click();
    await expect.poll(names).toEqual(['Old expired one', 'Old expired two', 'Old unused']);
    await page.getByRole('button', { name: 'All', exact: true }).click();

    await page.getByRole('button', { name: 'Delete expired tokens' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete expired tokens?' });
    await confirm.getByText('Delete all 2 expired tokens?').waitFor();
    await confirm.getByRole('button', { name: 'Delete 2 tokens' }).click();
    await confirm.waitFor({ state: 'detached' });
    await expect.poll(names).toEqual(['Fresh token', 'Old unused']);
    expect(await page.getByRole('button', { name: 'Delete expired tokens' }).count()).toBe(0);
  });

  it('a token reported as leaked leaves the list, and Activity says it was revoked after the report', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context, { name: 'Leak Person' });
    const { reveal, token } = await createFirstTokenInUi(page, 'Pasted in a gist');
    expect(token).toMatch(/^api_[0-9A-Za-z]{36}$/);
    await reveal.getByRole('button', { name: 'Copy token' }).click();
    await reveal.getByRole('button', { name: 'Done' }).click();

    // A secret scanner reports it: no token needed, 202 whatever matched.
    const report = await fetch(`${env().baseUrl}/api/v1/credentials/revoke`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ credentials: [token] }),
    });
    expect(report.status).toBe(202);
    expect((await env().callMe(token)).status).toBe(401);

    await page.reload();
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
    await page.getByRole('link', { name: 'Activity' }).click();
    const list = page.getByRole('list', { name: 'Audit events' });
    await list.waitFor();
    const first = list.locator('li').first();
    expect(await first.getAttribute('data-event-type')).toBe('token.revoked');
    expect(await first.textContent()).toMatch(
      /Token revoked after it was reported as leaked\s*Pasted in a gist.*by a leak report/,
    );
    expect(await first.locator('.badge-danger').count()).toBe(1);
  });

  it('the Activity page lists the create and the delete made in the UI', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context, { name: 'Activity Person' });
    const { reveal } = await createFirstTokenInUi(page, 'Short lived');
    await reveal.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('button', { name: 'Delete Short lived' }).click();
    await page
      .getByRole('alertdialog', { name: 'Delete API token?' })
      .getByRole('button', { name: 'Delete token' })
      .click();
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();

    await page.getByRole('link', { name: 'Activity' }).click();
    await page.getByRole('heading', { level: 1, name: 'Activity' }).waitFor();
    const list = page.getByRole('list', { name: 'Audit events' });
    await list.waitFor();
    const types = await list
      .locator('li')
      .evaluateAll((items) => items.map((item) => item.getAttribute('data-event-type')));
    expect(types).toEqual(['token.deleted', 'token.created', 'user.signed_in']);
    expect(await list.locator('li').first().textContent()).toMatch(/Token deleted\s*Short lived.*by Activity Person/);
    await page.getByLabel('Event type').selectOption('token.created');
    await expect.poll(() => list.locator('li').count()).toBe(1);
    await page.getByLabel('Event type').selectOption('');
    await expect.poll(() => list.locator('li').count()).toBe(3);
    await env().screenshot(page, 'activity-1280');
    await page.setViewportSize({ width: 375, height: 800 });
    await page.waitForTimeout(200);
    await env().screenshot(page, 'activity-375');
  });
});
