// Team settings in headless Chromium: an admin creates a team, its tokens and members; a member
// sees that only admins manage tokens, as the server insists.
import { expect, it } from 'vitest';
import { describeInBrowser, uniqueEmail } from './support/browser-env';

describeInBrowser('team API tokens and members in the browser', (env) => {
  it(
    'an admin creates a team and a team token; ' +
      'a member added on the Members page sees the admin notice and no controls',
    async () => {
      const { context: adminContext, page: admin } = await env().newPage();
      await env().signInAs(adminContext, { name: 'Alice Admin' });
      const member = await env().createUser({ name: 'Mo Member', email: uniqueEmail('mo') });

      // Create the team; the slug follows the name.
      await admin.goto('/settings/tokens');
      await admin.getByRole('link', { name: '+ Create team' }).click();
      await admin.getByLabel('Team name').fill('Acme Platform');
      expect(await admin.getByLabel('Slug').inputValue()).toBe('acme-platform');
      await admin.getByRole('button', { name: 'Create team' }).click();
      await admin.waitForURL('**/t/acme-platform/settings/tokens');
      await admin.getByRole('heading', { level: 1, name: 'API Tokens' }).waitFor();
      await admin.getByRole('group', { name: 'Team Acme Platform' }).waitFor();
      await admin.getByRole('heading', { name: 'No API tokens yet' }).waitFor();

      // A team token, shown once; it acts for the team.
      await admin.getByRole('button', { name: 'Create your first token' }).click();
      const form = admin.getByRole('dialog', { name: 'Create team API token' });
      await form.getByLabel('Name').fill('Deploy bot');
      await form.getByLabel('Expiration').selectOption('ONE_YEAR');
      await form.getByRole('button', { name: 'Create token' }).click();
      const reveal = admin.getByRole('dialog', { name: 'API token created' });
      const token = (await reveal.getByTestId('new-token').textContent()) ?? '';
      const me = await env().callMe(token);
      expect(me.status).toBe(200);
      expect(me.body.team).toMatchObject({ name: 'Acme Platform', slug: 'acme-platform' });
      await reveal.getByRole('button', { name: 'Done' }).click();
      const row = admin.getByRole('row', { name: /Deploy bot/ });
      await row.waitFor();
      expect(await row.locator('td[data-label="Name"]').textContent()).toContain('by Alice Admin');

      // The personal list is a different list.
      await admin
        .getByRole('navigation', { name: 'Settings' })
        .getByRole('link', { name: 'API Tokens' })
        .first()
        .click();
      await admin.getByRole('heading', { name: 'No API tokens yet' }).waitFor();

      // Members: an unknown e-mail is explained; a known one is added as a member.
      await admin.getByRole('group', { name: 'Team Acme Platform' }).getByRole('link', { name: 'Members' }).click();
      await admin.getByRole('heading', { level: 1, name: 'Members' }).waitFor();
      await admin.getByRole('row', { name: /Alice Admin/ }).waitFor();
      await admin.getByLabel('E-mail').fill('nobody@example.com');
      await admin.getByRole('button', { name: 'Add member' }).click();
      await admin.getByText('No user with that e-mail; they need to sign up first').waitFor();
      await admin.getByLabel('E-mail').fill(member.email);
      expect(await admin.locator('#member-role').inputValue()).toBe('MEMBER');
      await admin.getByRole('button', { name: 'Add member' }).click();
      const memberRow = admin.getByRole('row', { name: /Mo Member/ });
      await memberRow.waitFor();
      expect(await memberRow.getByLabel('Role of Mo Member').inputValue()).toBe('MEMBER');

      // The member: the notice instead of the controls and list, and no request the server would refuse.
      const { context: memberContext, page: memberPage } = await env().newPage();
      await env().startSession(memberContext, member.id);
      const tokenListCalls: string[] = [];
      memberPage.on('request', (request) => {
        if (request.url().includes('apiToken.getMany')) tokenListCalls.push(request.url());
      });
      await memberPage.goto('/t/acme-platform/settings/tokens');
      await memberPage.getByText('You need to be a team admin to manage API tokens').waitFor();
      expect(await memberPage.getByRole('button', { name: /Create/ }).count()).toBe(0);
      expect(await memberPage.getByRole('table').count()).toBe(0);
      expect(await memberPage.getByText('Deploy bot').count()).toBe(0);
      expect(tokenListCalls).toEqual([]);

      // The member may see who is in the team, but not change it.
      await memberPage.getByRole('link', { name: 'Members', exact: true }).first().click();
      await memberPage.getByRole('row', { name: /Alice Admin/ }).waitFor();
      await memberPage.getByText('You need to be a team admin to manage members.').waitFor();
      expect(await memberPage.getByRole('combobox').count()).toBe(0);
      expect(await memberPage.getByRole('button', { name: /Remove|Add member/ }).count()).toBe(0);

      // A MANAGER is no admin either.
      await memberRow.getByLabel('Role of Mo Member').selectOption('MANAGER');
      await admin.waitForFunction(() => !document.querySelector('select[aria-label="Role of Mo Member"]:disabled'));
      await memberPage.goto('/t/acme-platform/settings/tokens');
      await memberPage.getByText('You need to be a team admin to manage API tokens').waitFor();
      expect(await memberPage.getByText('You are a manager of Acme Platform', { exact: false }).count()).toBe(1);

      // Made an admin, the same person gets the controls and the list.
      await memberRow.getByLabel('Role of Mo Member').selectOption('ADMIN');
      await admin.waitForFunction(() => !document.querySelector('select[aria-label="Role of Mo Member"]:disabled'));
      await memberPage.reload();
      await memberPage.getByRole('row', { name: /Deploy bot/ }).waitFor();
      await memberPage.locator('.toolbar').getByRole('button', { name: 'Create token' }).waitFor();

      // Removing asks first, then the row goes.
      await memberRow.getByRole('button', { name: 'Remove Mo Member' }).click();
      const confirm = admin.getByRole('alertdialog', { name: 'Remove member?' });
      await confirm.getByRole('button', { name: 'Remove member' }).click();
      await memberRow.waitFor({ state: 'detached' });
    },
  );

  it('explains why the last admin cannot step down', async () => {
    const { context, page } = await env().newPage();
    await env().signInAs(context, { name: 'Solo Admin' });
    await page.goto('/settings/teams/new');
    await page.getByLabel('Team name').fill('Solo Team');
    await page.getByLabel('Slug').fill('Bad Slug!');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByText('Slug must be 1 to 48 lowercase letters, digits or dashes').waitFor();
    await page.getByLabel('Slug').fill('solo-team');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.waitForURL('**/t/solo-team/settings/tokens');

    await page.goto('/t/solo-team/settings/members');
    await page.getByLabel('Role of Solo Admin').selectOption('MEMBER');
    await page.getByRole('alert').filter({ hasText: /admin/i }).waitFor();
    await page.reload();
    expect(await page.getByLabel('Role of Solo Admin').inputValue()).toBe('ADMIN');
  });
});
