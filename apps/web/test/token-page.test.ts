// A token's own page: reached from its name in the list, with its facts, scopes described, allowed
// addresses, usage (its predecessor's included), its events, and its rotation lineage linked both
// ways; Rotate follows to the new token's page and Delete goes back to the list. Also the "how to
// use this token" hint shown with a new token. Screenshots at 1280 and 375 px.
import { expect, it } from 'vitest';
import { createApiToken, createTeam, rotateApiToken, systemClock } from '@latchkey/lib';
import { describeInBrowser } from './support/browser-env';
import { createFirstTokenInUi } from './support/ui-steps';

const HOUR = 60 * 60 * 1000;

describeInBrowser('the token page', (env) => {
  it('shows a rotated token with its lineage both ways, its usage history and its events', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context, { name: 'Ada Lovelace' });
    const db = env().db;
    const first = await createApiToken({
      db,
      clock: systemClock,
      userId: user.id,
      name: 'Analytical engine',
      scopes: ['tokens:read', 'audit:read'],
      allowedIps: ['203.0.113.0/24', '2001:db8:1234:5678::/64'],
      expiresIn: 'THREE_MONTHS',
    });
    const hour = Date.now() - (Date.now() % HOUR);
    await db
      .insertInto('api_token_usage')
      .values({ token_id: first.id, hour_start: hour, requests: 20, failed: 2 })
      .execute();
    const second = await rotateApiToken({
      db,
      clock: systemClock,
      userId: user.id,
      id: first.id,
      gracePeriodSeconds: 3600,
    });

    await page.goto('/settings/tokens');
    await page
      .getByRole('row', { name: /Analytical engine/ })
      .first()
      .waitFor();
    await page.locator(`tr[data-token-id="${second.id}"]`).getByRole('link', { name: 'Analytical engine' }).click();
    await page.waitForURL(`**/settings/tokens/${second.id}`);
    await page.getByRole('heading', { name: 'Analytical engine', level: 1 }).waitFor();
    // The list's menu entry marks its section.
    expect(await page.getByRole('link', { name: 'API Tokens', exact: true }).first().getAttribute('aria-current')).toBe(
      'location',
    );

    const facts = page.locator('.token-facts');
    expect(await facts.textContent()).toContain(`${second.start}…`);
    expect(await facts.textContent()).toContain('Active');
    const scopes = page.getByRole('region', { name: 'Scopes' });
    expect(await scopes.textContent()).toContain('tokens:readList tokens and read their details and usage');
    expect(await scopes.textContent()).toContain('audit:readRead the audit log');
    expect(await page.getByRole('list', { name: 'Allowed addresses' }).locator('li').allTextContents()).toEqual([
      '203.0.113.0/24',
      '2001:db8:1234:5678::/64',
    ]);
    // The history follows the rotation: the predecessor's 20 requests.
    const usage = page.getByRole('region', { name: 'Usage' });
    expect(await usage.getByTestId('usage-total').textContent()).toBe('20');
    expect(await usage.getByTestId('usage-failed').textContent()).toBe('2');
    await usage.locator('.usage-chart canvas').waitFor();
    // Its events, with the predecessor's rotation that made it.
    const events = page.getByRole('list', { name: 'Events of this token' });
    await events.locator('[data-event-type="token.rotated"]').waitFor();
    expect(await events.locator('[data-event-type="token.created"]').count()).toBe(1);
    await env().screenshot(page, 'token-page-1280');

    // Lineage both ways.
    const replaces = page.getByTestId('replaces');
    expect(await replaces.textContent()).toContain(`Replaces ${first.start}…`);
    await replaces.getByRole('link').click();
    await page.waitForURL(`**/settings/tokens/${first.id}`);
    await page.getByTestId('replaced-by').waitFor();
    expect(await page.locator('.token-facts').textContent()).toContain('Retiring');
    // A retiring token has its successor: no Rotate.
    expect(await page.getByRole('button', { name: 'Rotate' }).count()).toBe(0);
    await page.getByTestId('replaced-by').getByRole('link').click();
    await page.waitForURL(`**/settings/tokens/${second.id}`);

    // Rotate here: the page follows to the new token, which replaces this one.
    await page.getByRole('button', { name: 'Rotate' }).click();
    const rotate = page.getByRole('dialog', { name: 'Rotate API token' });
    await rotate.getByRole('button', { name: 'Rotate token' }).click();
    const reveal = page.getByRole('dialog', { name: 'API token rotated' });
    await reveal.getByRole('button', { name: 'Copy token' }).click();
    await reveal.getByRole('button', { name: 'Done' }).click();
    await page.waitForURL(
      (url) => /\/settings\/tokens\/\d+$/.test(url.pathname) && !url.pathname.endsWith(`/${second.id}`),
    );
    await page.getByTestId('replaces').waitFor();
    expect(await page.getByTestId('replaces').textContent()).toContain(`${second.start}… (no longer exists)`);
    // The third token still shows the first one's 20 requests.
    expect(await page.getByRole('region', { name: 'Usage' }).getByTestId('usage-total').textContent()).toBe('20');

    // Delete here: back to the list, without it.
    await page.getByRole('button', { name: 'Delete' }).click();
    await page
      .getByRole('alertdialog', { name: 'Delete API token?' })
      .getByRole('button', { name: 'Delete token' })
      .click();
    await page.waitForURL('**/settings/tokens');
    await page.getByRole('heading', { name: 'API Tokens', level: 1 }).waitFor();

    // On a phone.
    const { context: phoneContext, page: phone } = await env().newPage({
      viewport: { width: 375, height: 812 },
      isMobile: true,
      deviceScaleFactor: 2,
    });
    await env().startSession(phoneContext, user.id);
    await phone.goto(`/settings/tokens/${first.id}`);
    await phone.getByRole('heading', { name: 'Analytical engine', level: 1 }).waitFor();
    await phone.locator('.usage-chart canvas').waitFor();
    const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await env().screenshot(phone, 'token-page-375');
  });

  it('opens a team token’s page for an admin, and says so for an unknown id', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const team = await createTeam({
      db: env().db,
      clock: systemClock,
      userId: user.id,
      name: 'Babbage',
      slug: `babbage-${user.id}`,
    });
    const token = await createApiToken({
      db: env().db,
      clock: systemClock,
      userId: user.id,
      teamId: team.id,
      name: 'Difference engine',
    });
    await page.goto(`/t/${team.slug}/settings/tokens`);
    await page.getByRole('link', { name: 'Difference engine' }).click();
    await page.waitForURL(`**/t/${team.slug}/settings/tokens/${token.id}`);
    await page.getByRole('heading', { name: 'Difference engine', level: 1 }).waitFor();
    expect(await page.locator('.token-facts').textContent()).toContain(`by ${user.name}`);
    await page.getByRole('region', { name: 'Usage' }).getByText('No requests yet').waitFor();

    await page.goto('/settings/tokens/999999');
    await page.getByRole('heading', { name: 'Token not found', level: 1 }).waitFor();
  });

  it('tells how to use a new token: the Authorization header and a curl line for this server', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context);
    const { reveal } = await createFirstTokenInUi(page, 'Curl from the laptop');
    await reveal.getByText('How to use this token').click();
    expect(await reveal.getByText(/Authorization: Bearer api_…/).count()).toBe(1);
    expect(await reveal.getByTestId('usage-hint-curl').textContent()).toBe(
      `curl -H "Authorization: Bearer $LATCHKEY_TOKEN" \\\n  ${env().baseUrl}/api/v1/me`,
    );
  });
});
