// Every signed-in page, measured at 1280 and 375 px (and 1024 for the width check): axe-core finds
// no serious or critical violation, and nothing overflows the page or its container, with long
// names, ten scopes and IPv6 ranges in the token list. Screenshots of each go to test-artifacts/.
import AxeBuilder from '@axe-core/playwright';
import type { Page } from 'playwright-core';
import { expect, it } from 'vitest';
import { addTeamMember, createApiToken, createTeam, rotateApiToken, systemClock } from '@latchkey/lib';
import { describeInBrowser, uniqueEmail, type BrowserEnv } from './support/browser-env';
import { crowdedTokens } from './support/crowded-tokens';

type Seeded = { userId: number; pages: Array<{ name: string; path: string; ready: (page: Page) => Promise<unknown> }> };

async function seed(env: BrowserEnv): Promise<Seeded> {
  const db = env.db;
  const clock = systemClock;
  const user = await crowdedTokens(env);
  const colleague = await env.createUser({ name: 'Dorothy Vaughan', email: uniqueEmail('dv') });
  const team = await createTeam({ db, clock, userId: user.id, name: 'Flight Research', slug: `flight-${user.id}` });
  await addTeamMember({ db, clock, userId: user.id, teamId: team.id, email: colleague.email, role: 'MANAGER' });
  const teamToken = await createApiToken({ db, clock, userId: user.id, teamId: team.id, name: 'Team deploy' });
  const rotated = await rotateApiToken({
    db,
    clock,
    userId: user.id,
    teamId: team.id,
    id: teamToken.id,
    gracePeriodSeconds: 3600,
  });
  const heading = (name: string) => (page: Page) => page.getByRole('heading', { name, level: 1 }).waitFor();
  const t = `/t/${team.slug}/settings`;
  return {
    userId: user.id,
    pages: [
      {
        name: 'tokens',
        path: '/settings/tokens',
        ready: (page) => page.getByRole('row', { name: /All the scopes/ }).waitFor(),
      },
      {
        name: 'token',
        path: `${t}/tokens/${rotated.id}`,
        ready: (page) => page.locator('.usage-placeholder, .usage-chart canvas').first().waitFor(),
      },
      { name: 'activity', path: '/settings/activity', ready: (page) => page.locator('.audit-item').first().waitFor() },
      { name: 'account', path: '/settings/account', ready: (page) => page.getByText('This session').waitFor() },
      { name: 'create-team', path: '/settings/teams/new', ready: heading('Create a team') },
      {
        name: 'team-tokens',
        path: `${t}/tokens`,
        ready: (page) =>
          page
            .getByRole('row', { name: /Team deploy/ })
            .first()
            .waitFor(),
      },
      {
        name: 'members',
        path: `${t}/members`,
        ready: (page) => page.getByRole('row', { name: /Dorothy Vaughan/ }).waitFor(),
      },
      { name: 'policy', path: `${t}/policy`, ready: heading('Token policy') },
      { name: 'team-activity', path: `${t}/activity`, ready: (page) => page.locator('.audit-item').first().waitFor() },
      { name: 'team-settings', path: `${t}/team`, ready: heading('Team') },
    ],
  };
}

/** Serious and critical violations, one line each: rule, impact, and where. */
async function axeProblems(page: Page): Promise<string[]> {
  const results = await new AxeBuilder({ page }).analyze();
  return results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/** Elements whose box leaves the page, or their scrolling container's box, sideways. */
async function overflowProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const found: string[] = [];
    if (document.documentElement.scrollWidth > window.innerWidth)
      found.push(`the page scrolls sideways: ${document.documentElement.scrollWidth} > ${window.innerWidth}`);
    const main = document.querySelector('main');
    if (!main) return found;
    for (const element of main.querySelectorAll('*')) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) continue;
      // The nearest ancestor that clips or scrolls is the container it must fit in.
      let container = element.parentElement;
      while (container && container !== main && getComputedStyle(container).overflowX === 'visible')
        container = container.parentElement;
      const limit = (container ?? main).getBoundingClientRect();
      if (container && container !== main && getComputedStyle(container).overflowX !== 'visible') continue;
      if (box.right > limit.right + 1 || box.left < limit.left - 1)
        found.push(`${element.tagName.toLowerCase()}.${String(element.className).slice(0, 30)} leaves its container`);
    }
    return found.slice(0, 10);
  });
}

describeInBrowser('accessibility and layout of every page', (env) => {
  it('has no serious or critical axe violation and no horizontal overflow at 1280, 1024 and 375 px', async () => {
    const seeded = await seed(env());
    const problems: string[] = [];
    for (const viewport of [
      { width: 1280, height: 800 },
      { width: 1024, height: 768 },
      { width: 375, height: 812 },
    ]) {
      const phone = viewport.width < 600;
      const { context, page } = await env().newPage({ viewport, isMobile: phone, hasTouch: phone });
      await env().startSession(context, seeded.userId);
      for (const target of seeded.pages) {
        await page.goto(target.path);
        await target.ready(page);
        for (const problem of await overflowProblems(page))
          problems.push(`${target.name} at ${viewport.width}: ${problem}`);
        if (viewport.width !== 1024) {
          for (const problem of await axeProblems(page))
            problems.push(`${target.name} at ${viewport.width}: ${problem}`);
          await env().screenshot(page, `page-${target.name}-${viewport.width}`);
        }
      }
      if (phone) {
        // The open phone menu and the create dialog are pages of their own to a screen reader.
        await page.goto('/settings/tokens');
        await page.getByRole('button', { name: 'Menu' }).click();
        for (const problem of await axeProblems(page)) problems.push(`menu at 375: ${problem}`);
      }
      await page.goto('/settings/tokens');
      await page.locator('.toolbar').getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('dialog', { name: 'Create API token' }).waitFor();
      for (const problem of await axeProblems(page)) problems.push(`create dialog at ${viewport.width}: ${problem}`);
      await context.close();
    }
    expect(problems).toEqual([]);
  });
});
