// Account settings in the browser: the signed-in sessions with "sign out everywhere else", changing
// the password (the current one required; other sessions end), and a team renamed and deleted by
// its admin after a confirmation naming how many tokens stop working.
import { expect, it } from 'vitest';
import { createApiToken, createTeam, systemClock } from '@latchkey/lib';
import { describeInBrowser, PASSWORD } from './support/browser-env';

describeInBrowser('account and team settings', (env) => {
  it('lists the sessions, signs out everywhere else, and changes the password with the current one', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context, { name: 'Katherine Johnson' });
    const { context: otherContext, page: other } = await env().newPage();
    await env().startSession(otherContext, user.id);

    await page.goto('/settings/tokens');
    await page.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: 'Account' }).click();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
    const sessions = page.getByRole('list', { name: 'Signed-in sessions' });
    await sessions.getByText('This session').waitFor();
    expect(await sessions.getByRole('listitem').count()).toBe(2);
    await env().screenshot(page, 'account-1280');

    await page.getByRole('button', { name: 'Sign out everywhere else' }).click();
    await page.getByText('One other session was signed out.').waitFor();
    expect(await sessions.getByRole('listitem').count()).toBe(1);
    expect(await page.getByRole('button', { name: 'Sign out everywhere else' }).isDisabled()).toBe(true);
    await other.goto('/settings/tokens');
    await other.getByRole('heading', { name: /Sign in/ }).waitFor();

    // A wrong current password is refused at its field; nothing changes.
    const form = page.getByRole('form', { name: 'Change password' });
    await form.getByLabel('Current password').fill('not my password');
    await form.getByLabel('New password').fill('a brand new passphrase');
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('The current password is not right').waitFor();
    expect(await form.getByLabel('Current password').getAttribute('aria-invalid')).toBe('true');

    // With the current one: changed, and another session signed in meanwhile ends.
    const { context: thirdContext, page: third } = await env().newPage();
    await env().startSession(thirdContext, user.id);
    await form.getByLabel('Current password').fill(PASSWORD);
    await form.getByRole('button', { name: 'Change password' }).click();
    await form.getByText('Password changed. One other session was signed out.').waitFor();
    await third.goto('/settings/tokens');
    await third.getByRole('heading', { name: /Sign in/ }).waitFor();
    // This session goes on.
    await page.reload();
    await page.getByRole('heading', { name: 'Account', level: 1 }).waitFor();
  });

  it('renames a team, and deletes it after saying how many tokens stop working', async () => {
    const { context, page } = await env().newPage();
    const user = await env().signInAs(context);
    const db = env().db;
    const team = await createTeam({
      db,
      clock: systemClock,
      userId: user.id,
      name: 'Mercury',
      slug: `mercury-${user.id}`,
    });
    const tokens = [
      await createApiToken({ db, clock: systemClock, userId: user.id, teamId: team.id, name: 'Capsule telemetry' }),
      await createApiToken({ db, clock: systemClock, userId: user.id, teamId: team.id, name: 'Ground control' }),
    ];
    await page.goto(`/t/${team.slug}/settings/tokens`);
    const nav = page.getByRole('navigation', { name: 'Settings' });
    await nav.getByRole('group', { name: 'Team Mercury' }).getByRole('link', { name: 'Team settings' }).click();
    await page.getByRole('heading', { name: 'Team', level: 1 }).waitFor();
    await page.getByLabel('Team name').fill('Project Mercury');
    await page.getByRole('button', { name: 'Rename team' }).click();
    await page.getByText('Renamed to Project Mercury.').waitFor();
    await nav.getByRole('group', { name: 'Team Project Mercury' }).waitFor();
    await env().screenshot(page, 'team-settings-1280');

    await page.getByRole('button', { name: 'Delete team…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete Project Mercury?' });
    await dialog.getByText(/This revokes all 2 of its API tokens/).waitFor();
    await env().screenshot(page, 'delete-team-dialog-1280', { fullPage: false });
    await dialog.getByRole('button', { name: 'Delete team and 2 tokens' }).click();
    await page.waitForURL('**/settings/tokens');
    await page.getByRole('heading', { name: 'API Tokens', level: 1 }).waitFor();
    expect(await nav.getByRole('group', { name: 'Team Project Mercury' }).count()).toBe(0);
    for (const token of tokens) expect((await env().callMe(token.token)).status).toBe(401);
  });
});
