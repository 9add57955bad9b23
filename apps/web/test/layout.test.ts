// Layout at desktop and phone widths; screenshots go to apps/web/test-artifacts/ for a person to look at.
import { expect, it } from 'vitest';
import { addTeamMember, createApiToken, createTeam, rotateApiToken, systemClock } from '@latchkey/lib';
import { describeInBrowser, uniqueEmail } from './support/browser-env';
import { expectFitsWidth } from './support/layout-checks';

const DAY = 24 * 60 * 60 * 1000;

describeInBrowser('layout at 1280 and 375 px', (env) => {
  it('lays out the tokens page, its dialogs and the members page at desktop and phone widths', async () => {
    const db = env().db;
    const now = Date.now();
    const owner = await env().createUser({ name: 'Katherine Johnson', email: uniqueEmail('kj') });
    const colleague = await env().createUser({ name: 'Dorothy Vaughan', email: uniqueEmail('dv') });
    const team = await createTeam({
      db,
      clock: systemClock,
      userId: owner.id,
      name: 'Flight Research',
      slug: 'flight-research',
    });
    await addTeamMember({
      db,
      clock: systemClock,
      userId: owner.id,
      teamId: team.id,
      email: colleague.email,
      role: 'MANAGER',
    });
    const make = (name: string, expiresIn: 'NEVER' | 'ONE_MONTH' | 'THREE_MONTHS' | 'ONE_YEAR') =>
      createApiToken({ db, clock: systemClock, userId: owner.id, name, expiresIn });
    const expired = await make('Legacy telemetry uploader', 'ONE_MONTH');
    const soon = await make('Nightly export', 'ONE_MONTH');
    const used = await make('Grafana', 'NEVER');
    await make('GitHub Actions: deploy production', 'ONE_YEAR');
    // Rotated with a day's grace: the old one shows as Retiring beside its successor.
    const relay = await make('Webhook relay', 'THREE_MONTHS');
    await rotateApiToken({ db, clock: systemClock, userId: owner.id, id: relay.id, gracePeriodSeconds: 86_400 });
    await db
      .updateTable('api_tokens')
      .set({ expires_at: now - 2 * DAY, created_at: now - 32 * DAY })
      .where('id', '=', expired.id)
      .execute();
    await db
      .updateTable('api_tokens')
      .set({ expires_at: now + 2 * DAY + 60_000 })
      .where('id', '=', soon.id)
      .execute();
    await db
      .updateTable('api_tokens')
      .set({ last_used_at: now - 5 * 60_000 - 5_000 })
      .where('id', '=', used.id)
      .execute();

    // Desktop.
    const { context, page } = await env().newPage({ viewport: { width: 1280, height: 800 } });
    await env().startSession(context, owner.id);
    await page.goto('/settings/tokens');
    await page.getByRole('row', { name: /Grafana/ }).waitFor();
    await expectFitsWidth(page, 1280);
    // A real table on desktop: the header row is visible.
    expect(await page.getByRole('columnheader', { name: 'Expires' }).isVisible()).toBe(true);
    expect(await page.getByRole('columnheader', { name: 'Scopes' }).isVisible()).toBe(true);
    expect(await page.locator(`tr[data-token-id="${relay.id}"] .badge`).textContent()).toBe('Retiring');
    await env().screenshot(page, 'tokens-desktop-1280');
    await page.locator('.toolbar').getByRole('button', { name: 'Create token' }).click();
    await env().screenshot(page, 'create-dialog-desktop-1280', { fullPage: false });
    await page.keyboard.press('Escape');
    await page.goto('/t/flight-research/settings/members');
    await page.getByRole('row', { name: /Dorothy Vaughan/ }).waitFor();
    await expectFitsWidth(page, 1280);
    await env().screenshot(page, 'members-desktop-1280');

    // Phone.
    const { context: phoneContext, page: phone } = await env().newPage({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
      deviceScaleFactor: 2,
    });
    await env().startSession(phoneContext, owner.id);
    await phone.goto('/settings/tokens');
    await phone.getByRole('row', { name: /Grafana/ }).waitFor();
    await expectFitsWidth(phone, 375);
    // Cells say what they are when the header row is hidden.
    expect(
      await phone
        .getByRole('row', { name: /Nightly export/ })
        .locator('td[data-label="Expires"]')
        .evaluate((td) => getComputedStyle(td, '::before').content),
    ).toBe('"Expires"');
    const scopesLabel = await phone
      .locator(`tr[data-token-id="${relay.id}"] td[data-label="Scopes"]`)
      .evaluate((td) => getComputedStyle(td, '::before').content);
    expect(scopesLabel).toBe('"Scopes"');
    await env().screenshot(phone, 'tokens-mobile-375');

    await phone.locator('.toolbar').getByRole('button', { name: 'Create token' }).click();
    const form = phone.getByRole('dialog', { name: 'Create API token' });
    await form.getByLabel('Name').fill('ab');
    await form.getByRole('button', { name: 'Create token' }).click();
    await form.getByText('Name must be at least 3 characters').waitFor();
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'create-dialog-mobile-375', { fullPage: false });
    await form.getByLabel('Name').fill('Phone-made token');
    await form.getByRole('button', { name: 'Create token' }).click();
    const reveal = phone.getByRole('dialog', { name: 'API token created' });
    await reveal.getByTestId('new-token').waitFor();
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'token-created-mobile-375', { fullPage: false });
    // Escape before copying asks first.
    await phone.keyboard.press('Escape');
    const question = reveal.getByRole('alert').filter({ hasText: 'You have not copied this token' });
    await question.waitFor();
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'token-close-check-mobile-375', { fullPage: false });
    await question.getByRole('button', { name: 'Close without copying' }).click();
    await reveal.waitFor({ state: 'detached' });

    await phone.getByRole('button', { name: 'Rotate Grafana' }).click();
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'rotate-dialog-mobile-375', { fullPage: false });
    await phone.keyboard.press('Escape');

    await phone.goto('/t/flight-research/settings/members');
    await phone.getByRole('row', { name: /Dorothy Vaughan/ }).waitFor();
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'members-mobile-375');

    await phone.goto('/t/flight-research/settings/tokens');
    await phone.getByRole('heading', { name: 'No API tokens yet' }).waitFor();
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'team-tokens-empty-mobile-375');

    // What a team manager sees.
    const { context: managerContext, page: manager } = await env().newPage({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });
    await env().startSession(managerContext, colleague.id);
    await manager.goto('/t/flight-research/settings/tokens');
    await manager.getByText('You need to be a team admin to manage API tokens').waitFor();
    await expectFitsWidth(manager, 375);
    await env().screenshot(manager, 'team-tokens-manager-mobile-375');

    // Sign-in page on a phone.
    const { page: visitor } = await env().newPage({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      hasTouch: true,
    });
    await visitor.goto('/sign-up');
    await visitor.getByRole('button', { name: 'Create account' }).click();
    await visitor.getByText('Password must be at least 10 characters').waitFor();
    await expectFitsWidth(visitor, 375);
    await env().screenshot(visitor, 'sign-up-mobile-375');
  });
});
