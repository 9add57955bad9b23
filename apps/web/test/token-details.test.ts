// What a new user tripped over in the tokens and members pages (issue 14), each in Chromium against
// a real server: a retiring token that looked like a second active one, Rotate on tokens that cannot
// be rotated, "Never" meaning two things, no scopes column, the one-time token lost to Escape, and
// stale errors on the Members page.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { BUILTIN_SCOPES, createApiToken, rotateApiToken, systemClock } from '@latchkey/lib';
import { describeInBrowser } from './support/browser-env';
import { createFirstTokenInUi } from './support/ui-steps';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

const cell = (page: Page, name: string, column: string) =>
  page.getByRole('row', { name: new RegExp(name) }).locator(`td[data-label="${column}"]`);

describeInBrowser('token details and the first hour in the browser', (env) => {
  it('shows a token in grace period as Retiring with when it stops; no Rotate for it or an expired one', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const db = env().db;
    const old = await createApiToken({
      db,
      clock: systemClock,
      userId: user.id,
      name: 'Deploy hook',
      expiresIn: 'NEVER',
    });
    const successor = await rotateApiToken({
      db,
      clock: systemClock,
      userId: user.id,
      id: old.id,
      gracePeriodSeconds: 3600,
    });
    const expired = await createApiToken({
      db,
      clock: systemClock,
      userId: user.id,
      name: 'Lapsed key',
      expiresIn: 'SEVEN_DAYS',
    });
    await db
      .updateTable('api_tokens')
      .set({ expires_at: Date.now() - DAY })
      .where('id', '=', expired.id)
      .execute();

    await page.goto('/settings/tokens');
    const rows = page.locator('tbody tr');
    await page.locator(`tr[data-token-id="${old.id}"]`).waitFor();
    const oldRow = page.locator(`tr[data-token-id="${old.id}"]`);
    const newRow = page.locator(`tr[data-token-id="${successor.id}"]`);
    expect(await rows.count()).toBe(3);

    // The two rows of the same name no longer look alike.
    expect(await oldRow.locator('td[data-label="Expires"] .badge').textContent()).toBe('Retiring');
    expect(await oldRow.locator('td[data-label="Expires"]').textContent()).toMatch(
      /^Retiringstops in (59|60) minutes$/,
    );
    expect(await oldRow.locator('td[data-label="Expires"] [title]').getAttribute('title')).toMatch(
      /^Rotated; stops working /,
    );
    expect(await newRow.locator('td[data-label="Expires"]').textContent()).toBe('Never expires');

    // Rotate only where it can work; Delete everywhere.
    expect(await newRow.getByRole('button', { name: 'Rotate Deploy hook' }).count()).toBe(1);
    expect(await oldRow.getByRole('button', { name: /Rotate/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Rotate Lapsed key' }).count()).toBe(0);
    expect(await oldRow.getByRole('button', { name: 'Delete Deploy hook' }).count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Delete Lapsed key' }).count()).toBe(1);
    await env().screenshot(page, 'tokens-retiring-desktop-1280');
  });

  it(
    'says when the old token stops as the server does: ' +
      'at its own expiry when that comes before the grace period ends',
    async () => {
      const { context, page } = await env().newPage();
      const user = await env().signInAs(context);
      const db = env().db;
      const token = await createApiToken({
        db,
        clock: systemClock,
        userId: user.id,
        name: 'Short fuse',
        expiresIn: 'SEVEN_DAYS',
      });
      const expiresAt = Date.now() + 30 * MINUTE;
      await db.updateTable('api_tokens').set({ expires_at: expiresAt }).where('id', '=', token.id).execute();

      await page.goto('/settings/tokens');
      await page.getByRole('button', { name: 'Rotate Short fuse' }).click();
      const form = page.getByRole('dialog', { name: 'Rotate API token' });
      await form.getByRole('radio', { name: /^In 24 hours/ }).check();
      await form.getByRole('button', { name: 'Rotate token' }).click();
      const reveal = page.getByRole('dialog', { name: 'API token rotated' });
      const note = reveal.getByText('keeps working until');
      await note.waitFor();
      // The old token's life ends in 30 minutes, not 24 hours after the rotation.
      const until = new Date(expiresAt).toLocaleString('en-US', {
        year: 'numeric',
        month: 'short',
        day: 'numeric',
        hour: 'numeric',
        minute: '2-digit',
        timeZone: 'UTC',
      });
      expect(await note.textContent()).toContain(`until ${until}.`);
      const stored = await db
        .selectFrom('api_tokens')
        .select(['expires_at', 'revoke_at'])
        .where('id', '=', token.id)
        .executeTakeFirstOrThrow();
      expect(stored.expires_at).toBe(expiresAt);
      expect(stored.revoke_at! - Date.now()).toBeGreaterThan(23 * 60 * MINUTE);
    },
  );

  it('words "Never expires" and "Not used yet" differently, styled apart; lists each token’s scopes', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const db = env().db;
    await createApiToken({
      db,
      clock: systemClock,
      userId: user.id,
      name: 'Reader',
      expiresIn: 'NEVER',
      scopes: ['tokens:read'],
    });
    await createApiToken({ db, clock: systemClock, userId: user.id, name: 'Everything', expiresIn: 'NEVER' });

    await page.goto('/settings/tokens');
    await page.getByRole('row', { name: /Reader/ }).waitFor();
    expect(await page.getByRole('columnheader', { name: 'Scopes' }).isVisible()).toBe(true);
    expect(await cell(page, 'Reader', 'Scopes').getByRole('listitem').allTextContents()).toEqual(['tokens:read']);
    // Made without scopes: every scope the server knows.
    expect(await cell(page, 'Everything', 'Scopes').getByRole('listitem').allTextContents()).toEqual([
      ...BUILTIN_SCOPES,
    ]);
    expect(BUILTIN_SCOPES.length).toBeGreaterThan(1);

    const expires = cell(page, 'Reader', 'Expires').locator('span').first();
    const lastUsed = cell(page, 'Reader', 'Last used').locator('span').first();
    expect(await expires.textContent()).toBe('Never expires');
    expect(await lastUsed.textContent()).toBe('Not used yet');
    const look = (element: Element) => {
      const style = getComputedStyle(element);
      return { fontStyle: style.fontStyle, color: style.color, mark: getComputedStyle(element, '::before').content };
    };
    const expiresLook = await expires.evaluate(look);
    const lastUsedLook = await lastUsed.evaluate(look);
    expect(lastUsedLook.fontStyle).toBe('italic');
    expect(expiresLook.fontStyle).toBe('normal');
    expect(expiresLook.mark).toContain('∞');
    expect(lastUsedLook.mark).toBe('none');
  });

  it('asks before Escape or × closes a token that was not copied; once copied, Escape closes at once', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context);
    const { reveal, token } = await createFirstTokenInUi(page, 'Escape artist');
    const form = page.getByRole('dialog', { name: 'Create API token' });
    expect(token).toMatch(/^api_[0-9A-Za-z]{36}$/);
    const question = reveal.getByRole('alert').filter({ hasText: 'You have not copied this token' });

    // Escape asks, and the token stays on screen; a second Escape means "keep it open".
    await page.keyboard.press('Escape');
    await question.waitFor();
    expect(await reveal.getByTestId('new-token').textContent()).toBe(token);
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Keep it open');
    await env().screenshot(page, 'token-close-check-desktop-1280', { fullPage: false });
    await page.keyboard.press('Escape');
    await question.waitFor({ state: 'detached' });
    expect(await reveal.isVisible()).toBe(true);

    // × asks too; "Keep it open" goes back to the token.
    await reveal.getByRole('button', { name: 'Close' }).click();
    await question.waitFor();
    await question.getByRole('button', { name: 'Keep it open' }).click();
    await question.waitFor({ state: 'detached' });

    // "Close without copying" does what it says, and the token is gone from the page.
    await reveal.getByRole('button', { name: 'Close' }).click();
    await question.getByRole('button', { name: 'Close without copying' }).click();
    await reveal.waitFor({ state: 'detached' });
    expect(await page.content()).not.toContain(token);
    await page.getByRole('row', { name: /Escape artist/ }).waitFor();

    // Copied first (here with the keyboard, as a person who selects it would): Escape closes at once.
    await page.locator('.toolbar').getByRole('button', { name: 'Create token' }).click();
    await form.getByLabel('Name').fill('Copied one');
    await form.getByRole('button', { name: 'Create token' }).click();
    await reveal.getByTestId('new-token').dblclick();
    await page.keyboard.press('Control+C');
    await page.keyboard.press('Escape');
    await reveal.waitFor({ state: 'detached' });
    expect(await question.count()).toBe(0);

    // And with the Copy button.
    await page.locator('.toolbar').getByRole('button', { name: 'Create token' }).click();
    await form.getByLabel('Name').fill('Button copied');
    await form.getByRole('button', { name: 'Create token' }).click();
    await reveal.getByRole('button', { name: 'Copy token' }).click();
    await reveal.getByText('Copied to the clipboard.').waitFor();
    await reveal.getByRole('button', { name: 'Close' }).click();
    await reveal.waitFor({ state: 'detached' });
  });

  it('keeps one error at a time on the Members page: a new attempt clears the last one’s message', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context, { name: 'Only Admin' });
    await page.goto('/settings/teams/new');
    await page.getByLabel('Team name').fill('Stale Errors');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.waitForURL('**/t/stale-errors/settings/tokens');
    await page.goto('/t/stale-errors/settings/members');
    await page.getByRole('row', { name: /Only Admin/ }).waitFor();
    const alerts = page.getByRole('alert');

    // A server refusal of the add form…
    await page.getByLabel('E-mail').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('No user with that e-mail').waitFor();
    expect(await alerts.count()).toBe(1);

    // …is gone when the role change fails: only the newest error shows.
    await page.getByLabel('Role of Only Admin').selectOption('MEMBER');
    await alerts.filter({ hasText: /admin/i }).waitFor();
    await page.getByText('No user with that e-mail').waitFor({ state: 'detached' });
    expect(await alerts.count()).toBe(1);

    // A new add attempt, refused before it is sent, replaces the role error.
    await page.getByLabel('E-mail').fill('not an e-mail');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('Enter a valid e-mail address').waitFor();
    expect(await alerts.allTextContents()).toEqual(['Enter a valid e-mail address']);

    // A server error, then a field error: the server's stale answer does not stay beside it.
    await page.getByLabel('E-mail').fill('nobody@example.com');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('No user with that e-mail').waitFor();
    await page.getByLabel('E-mail').fill('still not one');
    await page.getByRole('button', { name: 'Add member' }).click();
    await page.getByText('Enter a valid e-mail address').waitFor();
    expect(await alerts.allTextContents()).toEqual(['Enter a valid e-mail address']);
  });
});
