// Removing a team member in Chromium against a real server: the dialog says, before the admin
// confirms, how many team tokens the member made and the removal revokes; after it those tokens no
// longer work, and the tokens others made do.
import { expect, it } from 'vitest';
import { addTeamMember, createApiToken, createTeam, systemClock } from '@latchkey/lib';
import { describeInBrowser, uniqueEmail, type BrowserEnv } from './support/browser-env';

async function teamWithFrank(env: BrowserEnv, slug: string) {
  const alice = await env.createUser({ name: 'Alice Admin', email: uniqueEmail('alice') });
  const frank = await env.createUser({ name: 'Frank', email: uniqueEmail('frank') });
  const mo = await env.createUser({ name: 'Mo Member', email: uniqueEmail('mo') });
  const db = env.db;
  const clock = systemClock;
  const team = await createTeam({ db, clock, userId: alice.id, name: 'Departures', slug });
  await addTeamMember({ db, clock, userId: alice.id, teamId: team.id, email: frank.email, role: 'ADMIN' });
  await addTeamMember({ db, clock, userId: alice.id, teamId: team.id, email: mo.email, role: 'MEMBER' });
  const make = (userId: number, name: string) => createApiToken({ db, clock, userId, teamId: team.id, name });
  const franks = [await make(frank.id, 'Frank deploy'), await make(frank.id, 'Frank CI')];
  franks.push(await make(frank.id, 'Frank nightly'));
  const alices = await make(alice.id, 'Alice deploy');
  return { alice, frank, mo, team, franks, alices };
}

describeInBrowser('removing a team member', (env) => {
  it('names the team tokens the removal revokes before the admin confirms, then they stop working', async () => {
    const { alice, franks, alices } = await teamWithFrank(env(), 'departures');
    const { context, page } = await env().newPage();
    await env().startSession(context, alice.id);
    await page.goto('/t/departures/settings/members');
    const frankRow = page.getByRole('row', { name: /Frank/ });
    await frankRow.waitFor();

    // A member who made none: the dialog says no token stops; cancelling changes nothing.
    await page.getByRole('button', { name: 'Remove Mo Member' }).click();
    const moDialog = page.getByRole('alertdialog', { name: 'Remove member?' });
    await moDialog.getByText('Mo Member made no team tokens, so no token stops working.').waitFor();
    await moDialog.getByRole('button', { name: 'Cancel' }).click();
    await moDialog.waitFor({ state: 'detached' });

    await frankRow.getByRole('button', { name: 'Remove Frank' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Remove member?' });
    await dialog.getByText('This also revokes 3 team tokens Frank made.').waitFor();
    await env().screenshot(page, 'remove-member-with-team-tokens', { fullPage: false });
    // Nothing has happened before the confirmation.
    for (const token of franks) expect((await env().callMe(token.token)).status).toBe(200);

    await dialog.getByRole('button', { name: 'Remove member' }).click();
    await frankRow.waitFor({ state: 'detached' });
    for (const token of franks) expect((await env().callMe(token.token)).status).toBe(401);
    expect((await env().callMe(alices.token)).status).toBe(200);

    // The team's token list no longer shows them.
    await page.goto('/t/departures/settings/tokens');
    await page.getByRole('row', { name: /Alice deploy/ }).waitFor();
    expect(await page.getByRole('row', { name: /Frank/ }).count()).toBe(0);

    // The team's activity says why each one was revoked.
    await page.goto('/t/departures/settings/activity');
    const revoked = page.getByRole('list', { name: 'Audit events' }).locator('li[data-event-type="token.revoked"]');
    await revoked.first().waitFor();
    expect(await revoked.allTextContents()).toEqual(
      ['Frank nightly', 'Frank CI', 'Frank deploy'].map((name) =>
        expect.stringMatching(new RegExp(`^Token revoked: its maker left the team\\s*${name}.*by Alice Admin`)),
      ),
    );
  });

  it('an admin leaving is told how many of the team tokens they made will stop', async () => {
    const { frank, franks } = await teamWithFrank(env(), 'departures-leave');
    const { context, page } = await env().newPage();
    await env().startSession(context, frank.id);
    await page.goto('/t/departures-leave/settings/members');
    // The button on one's own row says what it does: leave the team.
    await page.getByRole('button', { name: 'Leave Departures' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Leave Departures?' });
    await dialog.getByText('This also revokes the 3 team tokens you made.').waitFor();
    await dialog.getByRole('button', { name: 'Leave team' }).click();
    await page.waitForURL('**/settings/tokens');
    for (const token of franks) expect((await env().callMe(token.token)).status).toBe(401);
  });
});
