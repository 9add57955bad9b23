// The personal API Tokens page in headless Chromium, against a real server and database.
import { expect, it } from 'vitest';
import { COMMON_PASSWORD_MESSAGE, createApiToken, systemClock } from '@latchkey/lib';
import { describeInBrowser, PASSWORD, uniqueEmail } from './support/browser-env';

const DAY = 24 * 60 * 60 * 1000;

describeInBrowser('personal API tokens in the browser', (env) => {
  it('signs up, creates a token that works once shown and copied, then deletes it after a confirmation', async () => {
    const { page } = await env().newPage();
    const email = uniqueEmail('ada');

    await page.goto('/');
    await page.waitForURL('**/sign-in');
    await page.getByRole('link', { name: 'Create one' }).click();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('E-mail').fill(email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.getByRole('heading', { level: 1, name: 'API Tokens' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/settings/tokens');
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();

    await page.getByRole('button', { name: 'Create your first token' }).click();
    const form = page.getByRole('dialog', { name: 'Create API token' });
    expect(await form.getByLabel('Expiration').inputValue()).toBe('THREE_MONTHS');
    const optionLabels = await form.getByLabel('Expiration').locator('option').allTextContents();
    expect(optionLabels).toEqual(['Never', '7 days', '1 month', '3 months', '6 months', '1 year']);
    expect(await form.getByRole('checkbox', { name: /tokens:read/ }).isChecked()).toBe(true);
    expect(await form.getByRole('checkbox', { name: /tokens:write/ }).isChecked()).toBe(true);
    await form.getByLabel('Name').fill('CI deploys');
    await form.getByRole('button', { name: 'Create token' }).click();

    const reveal = page.getByRole('dialog', { name: 'API token created' });
    await reveal.getByText('It will not be shown again').waitFor();
    // Keyboard users land on the next thing to do.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Copy token');
    const token = (await reveal.getByTestId('new-token').textContent()) ?? '';
    expect(token).toMatch(/^api_[0-9A-Za-z]{36}$/);
    await reveal.getByRole('button', { name: 'Copy token' }).click();
    await reveal.getByText('Copied to the clipboard.').waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(token);

    const me = await env().callMe(token);
    expect(me.status).toBe(200);
    expect(me.body.user.email).toBe(email);
    expect(me.body.token).toMatchObject({ name: 'CI deploys', scopes: ['tokens:read', 'tokens:write', 'audit:read'] });
    expect(new Date(me.body.token.expiresAt).getTime() - new Date(me.body.token.createdAt).getTime()).toBe(90 * DAY);

    // Closing the dialog forgets the token: it is nowhere on the page any more.
    await reveal.getByRole('button', { name: 'Done' }).click();
    await reveal.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(token);

    const row = page.getByRole('row', { name: /CI deploys/ });
    await row.waitFor();
    expect(await row.locator('td[data-label="Name"]').textContent()).toContain(`${token.slice(0, 8)}…`);
    expect(await row.locator('td[data-label="Last used"]').textContent()).toBe('Not used yet');

    // The use above is written within a minute; flush it instead of waiting.
    await env().app.latchkey.usage?.flush();
    await page.reload();
    await row.waitFor();
    const lastUsed = row.locator('td[data-label="Last used"]');
    expect(await lastUsed.locator('.last-used-time').textContent()).toBe('Less than a minute ago');
    // The address it was used from, in the row.
    expect(await lastUsed.getByTestId('last-used-ip').textContent()).toBe('127.0.0.1');

    // Deleting updates the list in place: the marker survives, so the page did not reload.
    await page.evaluate(() => ((window as unknown as { marker: number }).marker = 1));
    await row.getByRole('button', { name: 'Delete CI deploys' }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete API token?' });
    expect(await confirm.textContent()).toContain('CI deploys');
    await confirm.getByRole('button', { name: 'Delete token' }).click();
    await row.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
    expect(await page.evaluate(() => (window as unknown as { marker?: number }).marker)).toBe(1);

    const after = await env().callMe(token);
    expect(after.status).toBe(401);
    expect(after.body).toEqual({ code: 'UNAUTHORIZED', message: 'Invalid token' });
  });

  it('shows the shared schema message for a 2-character name and creates nothing', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const createCalls: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('apiToken.create')) createCalls.push(request.url());
    });

    await page.goto('/settings/tokens');
    await page.locator('.toolbar').getByRole('button', { name: 'Create token' }).click();
    const form = page.getByRole('dialog', { name: 'Create API token' });
    await form.getByLabel('Name').fill('  ab ');
    await form.getByRole('button', { name: 'Create token' }).click();

    await form.getByText('Name must be at least 3 characters').waitFor();
    expect(await form.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token-name');
    const names = await env().db.selectFrom('api_tokens').select('name').where('user_id', '=', user.id).execute();
    expect(names).toEqual([]);
    expect(createCalls).toEqual([]);

    // The message follows the input, and a valid name goes through.
    await form.getByLabel('Name').fill('abc');
    await form.getByText('Name must be at least 3 characters').waitFor({ state: 'detached' });
    await form.getByRole('button', { name: 'Create token' }).click();
    await page.getByRole('dialog', { name: 'API token created' }).waitFor();
    expect(createCalls).toHaveLength(1);
  });

  it('shows Expired and "in N days" badges, Never expires, a date, and when each token was last used', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context, { name: 'Grace Hopper' });
    const db = env().db;
    const now = Date.now();
    const make = async (name: string, expiresIn: 'NEVER' | 'ONE_MONTH' | 'THREE_MONTHS') =>
      createApiToken({ db, clock: systemClock, userId: user.id, name, expiresIn });
    const expired = await make('Old deploy key', 'ONE_MONTH');
    const soon = await make('Nightly export', 'ONE_MONTH');
    const forever = await make('Metrics scraper', 'NEVER');
    const quarterly = await make('Billing sync', 'THREE_MONTHS');
    await db
      .updateTable('api_tokens')
      .set({ expires_at: now - DAY, created_at: now - 31 * DAY })
      .where('id', '=', expired.id)
      .execute();
    await db
      .updateTable('api_tokens')
      .set({ expires_at: now + 3 * DAY + 60_000 })
      .where('id', '=', soon.id)
      .execute();
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: now - 5 * 60_000 - 5_000 })
      .where('id', '=', forever.id)
      .execute();
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: now - 3 * 60 * 60_000 })
      .where('id', '=', quarterly.id)
      .execute();

    await page.goto('/settings/tokens');
    const cell = (name: string, column: string) =>
      page.getByRole('row', { name: new RegExp(name) }).locator(`td[data-label="${column}"]`);
    await page.getByRole('row', { name: /Old deploy key/ }).waitFor();

    expect(await cell('Old deploy key', 'Expires').locator('.badge').textContent()).toBe('Expired');
    expect(await cell('Nightly export', 'Expires').locator('.badge').textContent()).toBe('in 3 days');
    expect(await cell('Metrics scraper', 'Expires').textContent()).toBe('Never expires');
    const quarterlyDate = new Date(quarterly.expiresAt!).toLocaleDateString('en-US', {
      year: 'numeric',
      month: 'short',
      day: 'numeric',
      timeZone: 'UTC',
    });
    expect(await cell('Billing sync', 'Expires').textContent()).toBe(quarterlyDate);
    expect(await cell('Billing sync', 'Expires').locator('.badge').count()).toBe(0);

    expect(await cell('Metrics scraper', 'Last used').textContent()).toBe('5 minutes ago');
    expect(await cell('Billing sync', 'Last used').textContent()).toBe('3 hours ago');
    expect(await cell('Old deploy key', 'Last used').textContent()).toBe('Not used yet');
    expect(await page.locator('.toolbar-count').textContent()).toBe('4 tokens');
  });

  it('rotates a token: the new one is shown once and works; with "Now" the old one stops at once', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const old = await createApiToken({
      db: env().db,
      clock: systemClock,
      userId: user.id,
      name: 'Release bot',
      expiresIn: 'ONE_MONTH',
    });
    const graced = await createApiToken({
      db: env().db,
      clock: systemClock,
      userId: user.id,
      name: 'Backup job',
      expiresIn: 'NEVER',
    });
    expect((await env().callMe(old.token)).status).toBe(200);

    await page.goto('/settings/tokens');
    await page.getByRole('button', { name: 'Rotate Release bot' }).click();
    const form = page.getByRole('dialog', { name: 'Rotate API token' });
    const choices = await form
      .getByRole('radio')
      .evaluateAll((radios) => radios.map((r) => (r as HTMLInputElement).value));
    expect(choices).toEqual(['0', '3600', '86400', '604800']);
    await form.getByRole('radio', { name: /^Now/ }).check();
    await form.getByRole('button', { name: 'Rotate token' }).click();

    const reveal = page.getByRole('dialog', { name: 'API token rotated' });
    await reveal.getByText('has stopped working').waitFor();
    const fresh = (await reveal.getByTestId('new-token').textContent()) ?? '';
    expect(fresh).toMatch(/^api_[0-9A-Za-z]{36}$/);
    expect(fresh).not.toBe(old.token);
    expect((await env().callMe(old.token)).status).toBe(401);
    const me = await env().callMe(fresh);
    expect(me.status).toBe(200);
    expect(me.body.token.name).toBe('Release bot');
    await reveal.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('row', { name: new RegExp(fresh.slice(0, 8)) }).waitFor();
    expect(await page.getByRole('row', { name: /Release bot/ }).count()).toBe(1);

    // With a grace period the old token keeps working for now.
    await page.getByRole('button', { name: 'Rotate Backup job' }).click();
    const second = page.getByRole('dialog', { name: 'Rotate API token' });
    await second.getByRole('radio', { name: /^In 1 hour/ }).check();
    await second.getByRole('button', { name: 'Rotate token' }).click();
    const secondReveal = page.getByRole('dialog', { name: 'API token rotated' });
    await secondReveal.getByText('keeps working until').waitFor();
    const secondToken = (await secondReveal.getByTestId('new-token').textContent()) ?? '';
    expect((await env().callMe(graced.token)).status).toBe(200);
    expect((await env().callMe(secondToken)).status).toBe(200);
    const row = await env()
      .db.selectFrom('api_tokens')
      .select(['revoke_at'])
      .where('id', '=', graced.id)
      .executeTakeFirstOrThrow();
    expect(row.revoke_at! - Date.now()).toBeGreaterThan(59 * 60_000);
    expect(row.revoke_at! - Date.now()).toBeLessThanOrEqual(60 * 60_000);
  });

  it('works from the keyboard: focus moves into a dialog, Escape closes it and focus returns', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    await createApiToken({ db: env().db, clock: systemClock, userId: user.id, name: 'Keyboard token' });
    await page.goto('/settings/tokens');
    await page.getByRole('row', { name: /Keyboard token/ }).waitFor();

    const createButton = page.locator('.toolbar').getByRole('button', { name: 'Create token' });
    await createButton.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('dialog', { name: 'Create API token' }).waitFor();
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token-name');
    await page.keyboard.type('Typed name');
    // The page reads the token policy when it opens; until it has (a moment on a busy machine), the
    // form says it is busy and the expiry is disabled, so Tab would pass it by.
    await page.getByRole('dialog', { name: 'Create API token' }).locator('form:not([aria-busy])').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token-expires-in');
    await page.keyboard.press('Escape');
    await page.getByRole('dialog').waitFor({ state: 'detached' });
    expect(await createButton.evaluate((button) => button === document.activeElement)).toBe(true);

    // Reopening starts empty: nothing typed before is kept.
    await page.keyboard.press('Enter');
    expect(await page.getByRole('dialog', { name: 'Create API token' }).getByLabel('Name').inputValue()).toBe('');
    await page.keyboard.press('Escape');

    const deleteButton = page.getByRole('button', { name: 'Delete Keyboard token' });
    await deleteButton.focus();
    await page.keyboard.press('Enter');
    await page.getByRole('alertdialog', { name: 'Delete API token?' }).waitFor();
    // The safe choice has focus.
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Cancel');
    await page.keyboard.press('Escape');
    await page.getByRole('alertdialog').waitFor({ state: 'detached' });
    expect(await deleteButton.evaluate((button) => button === document.activeElement)).toBe(true);
  });

  it('reserves the table with skeleton rows while loading, so nothing shifts when the data arrives', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    await createApiToken({ db: env().db, clock: systemClock, userId: user.id, name: 'Slow list token' });
    await page.addInitScript(() => {
      const w = window as unknown as { cls: number };
      w.cls = 0;
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries() as Array<PerformanceEntry & { value: number; hadRecentInput: boolean }>) {
          if (!entry.hadRecentInput) w.cls += entry.value;
        }
      }).observe({ type: 'layout-shift', buffered: true });
    });
    await page.route(/apiToken\.getMany/, async (route) => {
      await new Promise((resolve) => setTimeout(resolve, 1200));
      await route.continue();
    });

    await page.goto('/settings/tokens');
    await page.locator('tr.skeleton-row').first().waitFor();
    expect(await page.locator('tr.skeleton-row').count()).toBe(3);
    expect(await page.locator('table[aria-busy="true"]').count()).toBe(1);
    await page.getByRole('row', { name: /Slow list token/ }).waitFor();
    expect(await page.locator('tr.skeleton-row').count()).toBe(0);
    const cls = await page.evaluate(() => (window as unknown as { cls: number }).cls);
    expect(cls).toBeLessThan(0.01);
  });

  it('says what to do when the list cannot be loaded, and recovers on Try again', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context);
    await page.route(/apiToken\.getMany/, (route) => route.abort('connectionrefused'));
    await page.goto('/settings/tokens');
    const problem = page.getByRole('alert').filter({ hasText: 'Could not load your API tokens' });
    await problem.waitFor({ timeout: 15_000 });
    expect(await problem.textContent()).toContain('Check your connection and try again');

    await page.unroute(/apiToken\.getMany/);
    await problem.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
  });

  it('sign-up asks for 10+ characters and refuses a common password, each said at the password field', async () => {
    const { page } = await env().newPage();
    const email = uniqueEmail('grace');
    await page.goto('/sign-up');
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('E-mail').fill(email);
    const password = page.getByLabel('Password');
    const hint = page.locator('#sign-up-password-hint');
    expect(await hint.textContent()).toBe('At least 10 characters, and not one of the 10,000 most common passwords.');

    // Too short: refused in the page, before any request.
    await password.fill('12345678');
    await page.getByRole('button', { name: 'Create account' }).click();
    const fieldError = page.locator('#sign-up-password-error');
    expect(await fieldError.textContent()).toBe('Password must be at least 10 characters');

    // Long enough but among the most common: the server says so, and it shows at the field.
    await password.fill('Qwertyuiop');
    await page.getByRole('button', { name: 'Create account' }).click();
    await fieldError.getByText(COMMON_PASSWORD_MESSAGE).waitFor();
    expect(await password.getAttribute('aria-describedby')).toBe('sign-up-password-error');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sign-up-password');
    expect(new URL(page.url()).pathname).toBe('/sign-up');
    expect(await env().db.selectFrom('users').select('id').where('email', '=', email).execute()).toEqual([]);

    // A new password clears the refusal; a good one signs up.
    await password.fill(PASSWORD);
    await fieldError.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('heading', { level: 1, name: 'API Tokens' }).waitFor();
  });

  it('signs out, refuses a wrong password, and signs back in', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context, { name: 'Linus' });
    await page.goto('/settings/tokens');
    await page.getByRole('heading', { level: 1, name: 'API Tokens' }).waitFor();
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();

    // The session is gone on the server too: the tokens page sends us back.
    await page.goto('/settings/tokens');
    await page.waitForURL('**/sign-in');

    await page.getByLabel('E-mail').fill(user.email);
    await page.getByLabel('Password').fill('not the password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').waitFor();
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1, name: 'API Tokens' }).waitFor();
    expect(new URL(page.url()).pathname).toBe('/settings/tokens');
  });
});
