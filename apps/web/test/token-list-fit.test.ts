// The defects of the token pages seen at 1280×800, 1024 and 375×812, each measured: the table fits
// its frame with long names, ten scopes and IPv6 ranges (Rotate and Delete inside it, no address
// broken in two), the phone menu folds behind a button, every policy breach is named, scopes are
// described truly, the usage chart draws a visible bar with a legend and follows a rotation, and the
// Activity page names each token's start, records team creation and offers only possible types.
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { createApiToken, createTeam, rotateApiToken, systemClock, updateTeamPolicy } from '@latchkey/lib';
import { describeInBrowser } from './support/browser-env';
import { crowdedTokens } from './support/crowded-tokens';
import { expectFitsWidth } from './support/layout-checks';

const HOUR = 60 * 60 * 1000;
/** Rotate and Delete of every row are on screen and inside the table's frame; no cell spills. */
async function expectTableFits(page: Page, width: number) {
  await expectFitsWidth(page, width);
  const problems = await page.evaluate(() => {
    const found: string[] = [];
    const frame = document.querySelector('.table-frame')!.getBoundingClientRect();
    for (const row of document.querySelectorAll('.token-table tbody tr')) {
      const name = row.querySelector('.token-name')?.textContent?.slice(0, 20);
      for (const button of row.querySelectorAll('.cell-actions button')) {
        const box = button.getBoundingClientRect();
        if (box.width === 0) found.push(`${name}: ${button.textContent} is hidden`);
        if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5 || box.right > window.innerWidth)
          found.push(`${name}: ${button.textContent} at ${box.left}–${box.right}, frame ${frame.left}–${frame.right}`);
      }
      for (const cell of row.querySelectorAll('td')) {
        const box = cell.getBoundingClientRect();
        for (const child of cell.querySelectorAll('*')) {
          const inner = child.getBoundingClientRect();
          if (inner.width > 0 && (inner.right > box.right + 0.5 || inner.left < box.left - 0.5))
            found.push(`${name}: ${child.tagName}.${child.className} spills out of ${cell.dataset.label ?? 'actions'}`);
        }
      }
      // Nothing is cut off unless it says so with an ellipsis (and its whole text is on hover).
      for (const element of row.querySelectorAll('td *')) {
        const style = getComputedStyle(element);
        if (
          element.scrollWidth > element.clientWidth + 1 &&
          element.clientWidth > 0 &&
          style.textOverflow !== 'ellipsis'
        )
          found.push(
            `${name}: ${element.tagName}.${element.className} "${element.textContent?.slice(0, 20)}" is cut off`,
          );
      }
      // An address is one line: never "203.0.113.0/ | 24".
      for (const code of row.querySelectorAll('code.address, .last-used-ip')) {
        const style = getComputedStyle(code);
        if (code.getBoundingClientRect().height > parseFloat(style.lineHeight || '20') * 1.5 + 4)
          found.push(`${name}: ${code.textContent} wraps`);
      }
    }
    return found;
  });
  expect(problems).toEqual([]);
}

describeInBrowser('the token list fits, the phone menu folds, and the defects of the token pages stay fixed', (env) => {
  it('fits the table at 1280 and 1024 px with long names, ten scopes and IPv6 ranges, and on a phone', async () => {
    const user = await crowdedTokens(env());
    for (const width of [1280, 1024]) {
      const { context, page } = await env().newPage({ viewport: { width, height: 800 } });
      await env().startSession(context, user.id);
      await page.goto('/settings/tokens');
      await page.getByRole('row', { name: /All the scopes/ }).waitFor();
      await expectTableFits(page, width);
      // Ten scopes: two shown and a count, the rest on the token's page.
      const scopes = page.getByRole('list', { name: 'Scopes of All the scopes' });
      expect(await scopes.locator('code').count()).toBe(2);
      expect(await scopes.textContent()).toContain('+8 more');
      // The last-used address is in the row, not only in a tooltip.
      expect(await page.getByTestId('last-used-ip').textContent()).toBe('2001:db8:ffff:1234:5678:9abc:def0:1234');
      // Each name leads to the token's page.
      expect(await page.getByRole('link', { name: 'Billing sync' }).getAttribute('href')).toMatch(
        /^\/settings\/tokens\/\d+$/,
      );
      await env().screenshot(page, `token-list-crowded-${width}`);
    }
    const { context, page } = await env().newPage({ viewport: { width: 375, height: 812 }, isMobile: true });
    await env().startSession(context, user.id);
    await page.goto('/settings/tokens');
    await page.getByRole('row', { name: /All the scopes/ }).waitFor();
    await expectTableFits(page, 375);
    await env().screenshot(page, 'token-list-crowded-375');
  });

  it('folds the settings menu behind a Menu button on a phone, however many teams there are', async () => {
    const { context, page } = await env().newPage({ viewport: { width: 375, height: 812 }, isMobile: true });
    const user = await env().signInAs(context);
    for (const n of [1, 2, 3])
      await createTeam({
        db: env().db,
        clock: systemClock,
        userId: user.id,
        name: `Team ${n}`,
        slug: `menu-team-${n}-${user.id}`,
      });
    await page.goto('/settings/tokens');
    await page.getByRole('heading', { name: 'API Tokens', level: 1 }).waitFor();
    const nav = page.getByRole('navigation', { name: 'Settings' });
    expect(await nav.isVisible()).toBe(false);
    // The page starts right under the header, not under a run of links.
    const heading = await page.getByRole('heading', { name: 'API Tokens', level: 1 }).boundingBox();
    expect(heading!.y).toBeLessThan(140);
    const menu = page.getByRole('button', { name: 'Menu' });
    expect(await menu.getAttribute('aria-expanded')).toBe('false');
    await menu.click();
    expect(await menu.getAttribute('aria-expanded')).toBe('true');
    expect(await nav.isVisible()).toBe(true);
    await expectFitsWidth(page, 375);
    await env().screenshot(page, 'menu-open-375', { fullPage: false });
    await nav.getByRole('group', { name: 'Team Team 2' }).getByRole('link', { name: 'Members' }).click();
    await page.waitForURL(/menu-team-2-\d+\/settings\/members$/);
    expect(await nav.isVisible()).toBe(false);
    // On a desktop the menu is always there and the button is not.
    await page.setViewportSize({ width: 1280, height: 800 });
    expect(await nav.isVisible()).toBe(true);
    expect(await menu.isVisible()).toBe(false);
  });

  it('names every rule a token breaks, and describes audit:read and tokens:read truly', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const db = env().db;
    const team = await createTeam({
      db,
      clock: systemClock,
      userId: user.id,
      name: 'Strict',
      slug: `strict-${user.id}`,
    });
    await createApiToken({ db, clock: systemClock, userId: user.id, teamId: team.id, name: 'Old wide token' });
    await updateTeamPolicy({
      db,
      clock: systemClock,
      userId: user.id,
      teamId: team.id,
      maxLifetimeDays: 30,
      allowedScopes: ['tokens:read'],
    });
    await page.goto(`/t/strict-${user.id}/settings/tokens`);
    const badge = page.getByRole('row', { name: /Old wide token/ }).locator('.badge-policy');
    expect(await badge.textContent()).toBe('Longer than the team allows and has scopes the team does not allow');

    await page.goto('/settings/tokens');
    await page.getByRole('button', { name: 'Create your first token' }).click();
    const form = page.getByRole('dialog', { name: 'Create API token' });
    expect(
      await form
        .getByRole('checkbox', { name: /audit:read/ })
        .locator('..')
        .textContent(),
    ).toContain('Read the audit log');
    expect(
      await form
        .getByRole('checkbox', { name: /audit:read/ })
        .locator('..')
        .textContent(),
    ).not.toMatch(/usage/);
    expect(
      await form
        .getByRole('checkbox', { name: /tokens:read/ })
        .locator('..')
        .textContent(),
    ).toMatch(/usage/);
  });

  it('draws 20 requests in one hour as a visible bar with a legend, and keeps them after a rotation', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const db = env().db;
    const token = await createApiToken({ db, clock: systemClock, userId: user.id, name: 'Hourly job' });
    const hour = Date.now() - (Date.now() % HOUR);
    await db
      .insertInto('api_token_usage')
      .values({ token_id: token.id, hour_start: hour, requests: 20, failed: 0 })
      .execute();
    const rotated = await rotateApiToken({ db, clock: systemClock, userId: user.id, id: token.id });

    // The successor (the predecessor is gone: rotated without grace) shows the 20 requests.
    await page.goto('/settings/tokens');
    await page.getByRole('button', { name: 'Usage of Hourly job' }).click();
    const dialog = page.getByRole('dialog', { name: 'Usage of Hourly job' });
    await dialog.getByRole('img', { name: '20 requests, 0 failed, per hour over 7 days' }).waitFor();
    await dialog.locator('.usage-chart canvas').waitFor();
    const bar = await dialog.locator('.usage-chart canvas').evaluate((canvas: HTMLCanvasElement) => {
      const accent = getComputedStyle(canvas).getPropertyValue('--accent').trim();
      const rgb = [1, 3, 5].map((i) => parseInt(accent.slice(i, i + 2), 16));
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      const columns = new Set<number>();
      let pixels = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (
          Math.abs(data[i]! - rgb[0]!) < 8 &&
          Math.abs(data[i + 1]! - rgb[1]!) < 8 &&
          Math.abs(data[i + 2]! - rgb[2]!) < 8
        ) {
          pixels += 1;
          columns.add((i / 4) % canvas.width);
        }
      }
      const ratio = canvas.width / canvas.getBoundingClientRect().width;
      return { widthCss: columns.size / ratio, pixels, right: Math.max(...columns), canvasWidth: canvas.width };
    });
    // At least 3 CSS pixels wide, tall (the one busy hour is the y-axis maximum), and whole, not cut at the edge.
    expect(bar.widthCss).toBeGreaterThanOrEqual(3);
    expect(bar.pixels).toBeGreaterThan(300);
    expect(bar.right).toBeLessThan(bar.canvasWidth - 2);
    const legend = dialog.locator('.usage-legend');
    expect(await legend.textContent()).toMatch(/Requests.*Failed/);
    await env().screenshot(page, 'usage-one-hour-1280', { fullPage: false });
    expect(rotated.id).not.toBe(token.id);
  });

  it('shows token events with the token’s start, records team creation, offers only the log’s types', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const db = env().db;
    const first = await createApiToken({ db, clock: systemClock, userId: user.id, name: 'Laptop curl' });
    const second = await rotateApiToken({
      db,
      clock: systemClock,
      userId: user.id,
      id: first.id,
      gracePeriodSeconds: 3600,
    });
    await page.goto('/settings/activity');
    const rotatedItem = page.locator('[data-event-type="token.rotated"]');
    expect(await rotatedItem.locator('.audit-start').textContent()).toBe(`${first.start}… → ${second.start}…`);
    expect(await page.locator('[data-event-type="token.created"] .audit-start').textContent()).toBe(`${first.start}…`);
    const select = page.getByRole('combobox', { name: 'Event type' });
    const personalTypes = await select.locator('option').allTextContents();
    expect(personalTypes).toContain('Signed in');
    expect(personalTypes).not.toContain('Member added');
    expect(personalTypes).not.toContain('Team created');
    // Drawn like the other inputs, not the browser's default control.
    expect(await select.evaluate((el) => getComputedStyle(el).appearance)).toBe('none');
    expect(await select.evaluate((el) => getComputedStyle(el).borderRadius)).toBe('8px');

    // A team made through the UI is an event of the team.
    await page.goto('/settings/teams/new');
    await page.getByLabel('Team name').fill('Apollo Guidance');
    await page.getByLabel('Slug').fill(`apollo-${user.id}`);
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.waitForURL(/\/t\/apollo-\d+\/settings/);
    await page.goto(`/t/apollo-${user.id}/settings/activity`);
    await page.locator('[data-event-type="team.created"]').getByText('Apollo Guidance').waitFor();
    const teamTypes = await page.getByRole('combobox', { name: 'Event type' }).locator('option').allTextContents();
    expect(teamTypes).toContain('Team created');
    expect(teamTypes).not.toContain('Signed in');
  });
});
