// Token policies and address limits in Chromium against a real server: an admin sets the team's
// policy and a member sees it read-only; the create dialog offers only what the policy allows and
// says why; allowed addresses are checked in the browser, shown in the list and kept on rotation;
// tokens made before a stricter policy are marked. Screenshots go to apps/web/test-artifacts/.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import {
  addTeamMember,
  createApiToken,
  createTeam,
  getApiTokens,
  getAuditEvents,
  getTeamPolicy,
  systemClock,
  TEAM_POLICY_ADMIN_REQUIRED,
  updateTeamMemberRole,
} from '@latchkey/lib';
import { describeInBrowser, uniqueEmail, type BrowserEnv } from './support/browser-env';
import { expectFitsWidth } from './support/layout-checks';

const DAY = 24 * 60 * 60 * 1000;
const PHONE = { viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** The values and labels a <select> offers, in order. */
const optionsOf = (page: Page, selector: string) =>
  page
    .locator(`${selector} option`)
    .evaluateAll((options) => options.map((o) => [(o as HTMLOptionElement).value, o.textContent]));

/** Counts the calls of one tRPC procedure a page makes. */
function countCalls(page: Page, procedure: string): () => number {
  let calls = 0;
  page.on('request', (request) => {
    if (new URL(request.url()).pathname.includes(procedure)) calls += 1;
  });
  return () => calls;
}

async function teamWithMember(env: BrowserEnv, slug: string) {
  const admin = await env.createUser({ name: 'Ada Admin', email: uniqueEmail('ada') });
  const member = await env.createUser({ name: 'Max Member', email: uniqueEmail('max') });
  const team = await createTeam({ db: env.db, clock: systemClock, userId: admin.id, name: 'Payments', slug });
  await addTeamMember({
    db: env.db,
    clock: systemClock,
    userId: admin.id,
    teamId: team.id,
    email: member.email,
    role: 'MEMBER',
  });
  return { admin, member, team };
}

describeInBrowser('team token policies and allowed addresses in the browser', (env) => {
  it('an admin sets the policy with inline checks; a member sees it read-only; older tokens are marked', async () => {
    const { admin, member, team } = await teamWithMember(env(), 'payments');
    const yearLong = await createApiToken({
      db: env().db,
      clock: systemClock,
      userId: admin.id,
      teamId: team.id,
      name: 'Legacy year-long key',
      expiresIn: 'ONE_YEAR',
    });

    const { context, page } = await env().newPage();
    await env().startSession(context, admin.id);
    const updates = countCalls(page, 'team.policy.update');
    await page.goto('/t/payments/settings/tokens');
    await page.getByRole('row', { name: /Legacy year-long key/ }).waitFor();
    expect(await page.locator('.badge-policy').count()).toBe(0);

    await page.getByRole('group', { name: 'Team Payments' }).getByRole('link', { name: 'Token policy' }).click();
    await page.waitForURL('**/t/payments/settings/policy');
    await page.getByRole('heading', { level: 1, name: 'Token policy' }).waitFor();
    expect(await page.getByTestId('policy-max-lifetime').textContent()).toContain('No limit');
    expect(await page.getByTestId('policy-allowed-scopes').textContent()).toBe('All scopes');
    expect(await page.getByTestId('policy-instance-limit').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true);

    // Days out of range are refused in the page, before any request.
    await page.getByRole('radio', { name: /Limit the lifetime/ }).check();
    const days = page.getByLabel('Longest lifetime in days');
    for (const bad of ['0', '366', '']) {
      await days.fill(bad);
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.getByText('Enter a whole number of days from 1 to 365').waitFor();
      expect(await days.getAttribute('aria-invalid')).toBe('true');
    }
    await days.fill('90');
    await page.getByText('Enter a whole number of days from 1 to 365').waitFor({ state: 'detached' });

    // A list of no scopes is refused too; then two of the three.
    await page.getByRole('radio', { name: /Only these scopes/ }).check();
    const scopeBoxes = page.getByRole('group', { name: 'Scopes new tokens may have' });
    for (const scope of ['tokens:read', 'tokens:write', 'audit:read'])
      await scopeBoxes.getByRole('checkbox', { name: new RegExp(scope) }).uncheck();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByText('Choose at least one scope').waitFor();
    expect(updates()).toBe(0);
    await scopeBoxes.getByRole('checkbox', { name: /tokens:read/ }).check();
    await scopeBoxes.getByRole('checkbox', { name: /tokens:write/ }).check();
    await env().screenshot(page, 'policy-admin-desktop-1280');
    await expectFitsWidth(page, 1280);

    await page.getByRole('button', { name: 'Save policy' }).click();
    await page
      .getByRole('status')
      .filter({ hasText: 'Saved. The policy applies to tokens made from now on.' })
      .waitFor();
    expect(updates()).toBe(1);
    await page.getByTestId('policy-max-lifetime').filter({ hasText: '90 days' }).waitFor();
    expect(await page.getByRole('list', { name: 'Allowed scopes' }).getByRole('listitem').allTextContents()).toEqual([
      'tokens:read',
      'tokens:write',
    ]);
    expect(await page.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true);
    expect(await getTeamPolicy({ db: env().db, userId: admin.id, teamId: team.id })).toEqual({
      maxLifetimeDays: 90,
      allowedScopes: ['tokens:read', 'tokens:write'],
    });
    const audit = await getAuditEvents({
      db: env().db,
      userId: admin.id,
      teamId: team.id,
      type: 'team.policy_updated',
    });
    expect(audit.events).toHaveLength(1);

    // The change is in the team's activity, with the new policy.
    await page.getByRole('group', { name: 'Team Payments' }).getByRole('link', { name: 'Activity' }).click();
    await page
      .locator('[data-event-type="team.policy_updated"]')
      .filter({ hasText: 'Token policy changed' })
      .filter({ hasText: 'at most 90 days · tokens:read, tokens:write' })
      .waitFor();

    // The member: the same policy, no controls, and why.
    const { context: memberContext, page: memberPage } = await env().newPage();
    await env().startSession(memberContext, member.id);
    await memberPage.goto('/t/payments/settings/policy');
    await memberPage.getByTestId('policy-max-lifetime').filter({ hasText: '90 days' }).waitFor();
    expect(
      await memberPage.getByRole('list', { name: 'Allowed scopes' }).getByRole('listitem').allTextContents(),
    ).toEqual(['tokens:read', 'tokens:write']);
    await memberPage.getByText(TEAM_POLICY_ADMIN_REQUIRED).waitFor();
    expect(await memberPage.locator('main input, main select, main textarea').count()).toBe(0);
    expect(await memberPage.getByRole('button', { name: /Save/ }).count()).toBe(0);
    await env().screenshot(memberPage, 'policy-member-desktop-1280');

    // Back in the list: the year-long token breaks the new policy, and cannot be rotated as it is.
    await page.getByRole('group', { name: 'Team Payments' }).getByRole('link', { name: 'API Tokens' }).click();
    const row = page.locator(`tr[data-token-id="${yearLong.id}"]`);
    await row.locator('.badge-policy').filter({ hasText: 'Longer than the team allows' }).waitFor();
    await expectFitsWidth(page, 1280);
    await env().screenshot(page, 'tokens-breaks-policy-desktop-1280');
    await row.getByRole('button', { name: 'Rotate Legacy year-long key' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate API token' });
    // It holds audit:read too, which the policy no longer allows: both rules are named.
    await rotate
      .getByText(
        'This token breaks the current token policy ' +
          '(longer than the team allows and has scopes the team does not allow)',
      )
      .waitFor();
    expect(await rotate.getByRole('button', { name: 'Rotate token' }).isDisabled()).toBe(true);
    await rotate.getByRole('button', { name: 'Cancel' }).click();

    // The policy page on a phone.
    const { context: phoneContext, page: phone } = await env().newPage(PHONE);
    await env().startSession(phoneContext, admin.id);
    await phone.goto('/t/payments/settings/policy');
    await phone.getByLabel('Longest lifetime in days').waitFor();
    expect(await phone.getByLabel('Longest lifetime in days').inputValue()).toBe('90');
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'policy-admin-mobile-375');
  });

  it('the create dialog offers only what the policy allows, checks allowed IPs; the list keeps them', async () => {
    const { admin, team } = await teamWithMember(env(), 'payments-two');
    const { context, page } = await env().newPage();
    await env().startSession(context, admin.id);
    await page.goto('/t/payments-two/settings/policy');
    await page.getByRole('radio', { name: /Limit the lifetime/ }).check();
    await page.getByLabel('Longest lifetime in days').fill('90');
    await page.getByRole('radio', { name: /Only these scopes/ }).check();
    await page
      .getByRole('group', { name: 'Scopes new tokens may have' })
      .getByRole('checkbox', { name: /audit:read/ })
      .uncheck();
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();

    await page.getByRole('group', { name: 'Team Payments' }).getByRole('link', { name: 'API Tokens' }).click();
    await page.getByRole('button', { name: 'Create your first token' }).click();
    const form = page.getByRole('dialog', { name: 'Create team API token' });
    await form.getByRole('checkbox').first().waitFor();
    expect(await optionsOf(page, '#token-expires-in')).toEqual([
      ['SEVEN_DAYS', '7 days'],
      ['ONE_MONTH', '1 month'],
      ['THREE_MONTHS', '3 months'],
    ]);
    expect(await form.getByLabel('Expiration').inputValue()).toBe('THREE_MONTHS');
    await form.getByText('Longer expiries are not allowed: the team allows at most 90 days.').waitFor();
    expect(
      await form.getByRole('checkbox').evaluateAll((boxes) => boxes.map((b) => b.parentElement?.textContent)),
    ).toEqual([expect.stringContaining('tokens:read'), expect.stringContaining('tokens:write')]);
    await form.getByText("Not offered: audit:read. The team's token policy does not allow it.").waitFor();

    // An invalid entry is named, in the browser, and nothing is sent.
    const creates = countCalls(page, 'apiToken.create');
    await form.getByLabel('Name').fill('Checkout worker');
    await form.getByLabel(/Allowed IP addresses/).fill('10.0.0.0/8\n10.0.0.0/33');
    await form.getByRole('button', { name: 'Create token' }).click();
    await form.getByText('"10.0.0.0/33" is not an IP address or CIDR range').waitFor();
    expect(await form.getByLabel(/Allowed IP addresses/).getAttribute('aria-invalid')).toBe('true');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('token-allowed-ips');
    expect(creates()).toBe(0);
    await env().screenshot(page, 'create-dialog-policy-desktop-1280', { fullPage: false });
    await expectFitsWidth(page, 1280);

    const fiftyOne = Array.from({ length: 51 }, (_, i) => `192.0.2.${i}`).join(', ');
    await form.getByLabel(/Allowed IP addresses/).fill(fiftyOne);
    await form.getByRole('button', { name: 'Create token' }).click();
    await form.getByText('A token may have at most 50 allowed addresses').waitFor();
    expect(creates()).toBe(0);
    await form.getByLabel(/Allowed IP addresses/).fill('10.0.0.0/8, 203.0.113.7\n2001:db8::/32');
    await form.getByText('"10.0.0.0/33" is not an IP address or CIDR range').waitFor({ state: 'detached' });
    await form.getByRole('button', { name: 'Create token' }).click();
    const reveal = page.getByRole('dialog', { name: 'API token created' });
    await reveal.getByText('only from 10.0.0.0/8, 203.0.113.7, 2001:db8::/32').waitFor();
    await reveal.getByRole('button', { name: 'Copy token' }).click();
    await reveal.getByRole('button', { name: 'Done' }).click();
    expect(creates()).toBe(1);

    const [stored] = (await getApiTokens({ db: env().db, clock: systemClock, userId: admin.id, teamId: team.id }))
      .tokens;
    expect(stored).toMatchObject({ name: 'Checkout worker', scopes: ['tokens:read', 'tokens:write'] });
    expect(stored!.allowedIps).toEqual(['10.0.0.0/8', '203.0.113.7', '2001:db8::/32']);
    expect(stored!.expiresAt!.getTime() - stored!.createdAt.getTime()).toBe(90 * DAY);

    // In the list: short, with the whole list on hover and when opened.
    const shown = async (id: number) => {
      const summary = page.locator(`tr[data-token-id="${id}"] .allowed-ips summary`);
      await summary.waitFor();
      expect(await summary.textContent()).toBe('Only from 3 addresses/ranges');
      expect(await summary.getAttribute('title')).toBe('10.0.0.0/8, 203.0.113.7, 2001:db8::/32');
      await summary.click();
      expect(
        await page
          .getByRole('list', { name: 'Addresses Checkout worker may be used from' })
          .getByRole('listitem')
          .allTextContents(),
      ).toEqual(['10.0.0.0/8', '203.0.113.7', '2001:db8::/32']);
    };
    await shown(stored!.id);

    // Rotation keeps them.
    await page.getByRole('button', { name: 'Rotate Checkout worker' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate API token' });
    await rotate.getByText('and the same allowed addresses').waitFor();
    await rotate.getByRole('button', { name: 'Rotate token' }).click();
    const rotated = page.getByRole('dialog', { name: 'API token rotated' });
    await rotated.getByRole('button', { name: 'Copy token' }).click();
    await rotated.getByRole('button', { name: 'Done' }).click();
    const [successor] = (await getApiTokens({ db: env().db, clock: systemClock, userId: admin.id, teamId: team.id }))
      .tokens;
    expect(successor!.id).not.toBe(stored!.id);
    await page.locator(`tr[data-token-id="${stored!.id}"]`).waitFor({ state: 'detached' });
    await shown(successor!.id);
    await expectFitsWidth(page, 1280);
    await env().screenshot(page, 'tokens-allowed-ips-desktop-1280');

    // The dialog on a phone.
    const { context: phoneContext, page: phone } = await env().newPage(PHONE);
    await env().startSession(phoneContext, admin.id);
    await phone.goto('/t/payments-two/settings/tokens');
    await phone.locator('.toolbar').getByRole('button', { name: 'Create token' }).click();
    const phoneForm = phone.getByRole('dialog', { name: 'Create team API token' });
    await phoneForm.getByText('Longer expiries are not allowed').waitFor();
    await phoneForm.getByLabel(/Allowed IP addresses/).fill('300.1.1.1');
    await phoneForm.getByLabel('Name').focus();
    await phoneForm.getByText('"300.1.1.1" is not an IP address or CIDR range').waitFor();
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'create-dialog-policy-mobile-375', { fullPage: false });
    await phone.goto('/t/payments-two/settings/tokens');
    await phone.locator(`tr[data-token-id="${successor!.id}"] .allowed-ips`).waitFor();
    await expectFitsWidth(phone, 375);
    await env().screenshot(phone, 'tokens-allowed-ips-mobile-375');
  });

  it("shows the server's refusal when the admin lost the role since the page loaded", async () => {
    const { admin, member, team } = await teamWithMember(env(), 'payments-three');
    await updateTeamMemberRole({
      db: env().db,
      clock: systemClock,
      userId: admin.id,
      teamId: team.id,
      memberUserId: member.id,
      role: 'ADMIN',
    });
    const { context, page } = await env().newPage();
    await env().startSession(context, admin.id);
    await page.goto('/t/payments-three/settings/policy');
    await page.getByRole('radio', { name: /Limit the lifetime/ }).check();
    await page.getByLabel('Longest lifetime in days').fill('30');
    await updateTeamMemberRole({
      db: env().db,
      clock: systemClock,
      userId: member.id,
      teamId: team.id,
      memberUserId: admin.id,
      role: 'MEMBER',
    });
    await page.getByRole('button', { name: 'Save policy' }).click();
    await page.getByRole('alert').filter({ hasText: TEAM_POLICY_ADMIN_REQUIRED }).waitFor();
    expect(await getTeamPolicy({ db: env().db, userId: admin.id, teamId: team.id })).toEqual({
      maxLifetimeDays: null,
      allowedScopes: null,
    });
  });
});

describeInBrowser(
  "the instance's TOKEN_MAX_LIFETIME_DAYS in the browser",
  (env) => {
    it(
      'limits personal tokens, offering the longest lifetime when no preset is exactly it, ' + 'and marks older tokens',
      async () => {
        const { context, page } = await env().newPage();
        const user = await env().signInAs(context, { name: 'Pat Personal' });
        const forever = await createApiToken({
          db: env().db,
          clock: systemClock,
          userId: user.id,
          name: 'Forever key',
          expiresIn: 'NEVER',
        });
        await page.goto('/settings/tokens');
        const row = page.locator(`tr[data-token-id="${forever.id}"]`);
        await row.locator('.badge-policy').filter({ hasText: 'Longer than this server allows' }).waitFor();

        await page.locator('.toolbar').getByRole('button', { name: 'Create token' }).click();
        const form = page.getByRole('dialog', { name: 'Create API token' });
        await form.getByRole('checkbox').first().waitFor();
        expect(await optionsOf(page, '#token-expires-in')).toEqual([
          ['SEVEN_DAYS', '7 days'],
          ['ONE_MONTH', '1 month'],
          ['LONGEST', '45 days (the longest allowed)'],
        ]);
        // The preselected 3 months is not allowed: the longest allowed stands in for it.
        expect(await form.getByLabel('Expiration').inputValue()).toBe('LONGEST');
        await form.getByText('Longer expiries are not allowed: this server allows at most 45 days.').waitFor();
        expect(await form.getByRole('checkbox').count()).toBe(3);
        expect(await form.getByText('Not offered').count()).toBe(0);
        await form.getByLabel('Name').fill('Forty-five days');
        await form.getByRole('button', { name: 'Create token' }).click();
        const reveal = page.getByRole('dialog', { name: 'API token created' });
        await reveal.getByRole('button', { name: 'Copy token' }).click();
        await reveal.getByRole('button', { name: 'Done' }).click();
        const made = (await getApiTokens({ db: env().db, clock: systemClock, userId: user.id })).tokens.find(
          (token) => token.name === 'Forty-five days',
        );
        expect(made!.expiresAt!.getTime() - made!.createdAt.getTime()).toBe(45 * DAY);
        expect(made!.breaksPolicy).toBeNull();
        expect(await page.locator(`tr[data-token-id="${made!.id}"] .badge-policy`).count()).toBe(0);
      },
    );

    it("shows the server's limit on a team's policy page", async () => {
      const { member } = await teamWithMember(env(), 'limited');
      const { context, page } = await env().newPage();
      await env().startSession(context, member.id);
      await page.goto('/t/limited/settings/policy');
      await page.getByTestId('policy-instance-limit').filter({ hasText: '45 days' }).waitFor();
    });
  },
  { config: { tokenMaxLifetimeDays: 45 } },
);
