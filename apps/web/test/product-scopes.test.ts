// The product's own scopes (TOKEN_SCOPES, described in TOKEN_SCOPES_FILE) in Chromium: the create
// dialog and the team policy page offer them with their descriptions, as the server sends them, and
// the tokens made carry them. Screenshots go to apps/web/test-artifacts/.
import { expect, it } from 'vitest';
import { BUILTIN_SCOPE_DESCRIPTIONS, createScopeSet, createTeam, getTeamPolicy, systemClock } from '@latchkey/lib';
import { describeInBrowser, uniqueEmail } from './support/browser-env';

const INVOICES_READ = 'Read invoices and their lines';

describeInBrowser(
  'product scopes in the browser',
  (env) => {
    it('the create dialog offers a product scope with its description, and the token made carries it', async () => {
      const { context, page } = await env().newPage();
      await env().signInAs(context, { name: 'Ivy Invoices', email: uniqueEmail('ivy') });
      await page.goto('/settings/tokens');
      await page.getByRole('button', { name: 'Create your first token' }).click();
      const form = page.getByRole('dialog', { name: 'Create API token' });

      // Every known scope, built-in first, each with what it is for (documents:write has no description).
      const boxes = form.getByRole('group', { name: 'Scopes' }).locator('label.checkbox');
      await boxes.first().waitFor();
      expect(await boxes.locator('code').allTextContents()).toEqual([
        'tokens:read',
        'tokens:write',
        'audit:read',
        'invoices:read',
        'documents:write',
      ]);
      const invoices = form.getByRole('checkbox', { name: /invoices:read/ });
      expect(await invoices.isChecked()).toBe(true);
      expect(await boxes.filter({ hasText: 'invoices:read' }).locator('.checkbox-hint').textContent()).toBe(
        INVOICES_READ,
      );
      expect(await boxes.filter({ hasText: 'audit:read' }).locator('.checkbox-hint').textContent()).toBe(
        BUILTIN_SCOPE_DESCRIPTIONS['audit:read'],
      );
      expect(await boxes.filter({ hasText: 'documents:write' }).locator('.checkbox-hint').textContent()).toBe('');
      await env().screenshot(page, 'product-scopes-create-dialog', { fullPage: false });

      // Only the product scope.
      for (const scope of ['tokens:read', 'tokens:write', 'audit:read', 'documents:write'])
        await form.getByRole('checkbox', { name: new RegExp(scope) }).uncheck();
      await form.getByLabel('Name').fill('Invoice reader');
      await form.getByRole('button', { name: 'Create token' }).click();

      const reveal = page.getByRole('dialog', { name: 'API token created' });
      await reveal.getByText('invoices:read').waitFor();
      const token = (await reveal.getByTestId('new-token').textContent()) ?? '';
      const me = await env().callMe(token);
      expect(me.status).toBe(200);
      expect(me.body.token).toMatchObject({ name: 'Invoice reader', scopes: ['invoices:read'] });
    });

    it('the team policy page offers the product scopes with descriptions, and the dialog follows it', async () => {
      const admin = await env().createUser({ name: 'Ada Admin', email: uniqueEmail('ada') });
      const team = await createTeam({
        db: env().db,
        clock: systemClock,
        userId: admin.id,
        name: 'Billing',
        slug: `billing-${Date.now().toString(36)}`,
      });
      const { context, page } = await env().newPage();
      await env().startSession(context, admin.id);
      await page.goto(`/t/${team.slug}/settings/policy`);
      await page.getByRole('radio', { name: /Only these scopes/ }).check();
      const group = page.getByRole('group', { name: 'Scopes new tokens may have' });
      expect(await group.locator('code').allTextContents()).toEqual([
        'tokens:read',
        'tokens:write',
        'audit:read',
        'invoices:read',
        'documents:write',
      ]);
      await group.getByText(INVOICES_READ).waitFor();
      for (const scope of ['tokens:read', 'tokens:write', 'audit:read', 'documents:write'])
        await group.getByRole('checkbox', { name: new RegExp(scope) }).uncheck();
      await page.getByRole('button', { name: 'Save policy' }).click();
      await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
      expect(await getTeamPolicy({ db: env().db, userId: admin.id, teamId: team.id })).toMatchObject({
        allowedScopes: ['invoices:read'],
      });

      await page.goto(`/t/${team.slug}/settings/tokens`);
      await page
        .getByRole('button', { name: /Create/ })
        .first()
        .click();
      const form = page.getByRole('dialog', { name: 'Create team API token' });
      const boxes = form.getByRole('group', { name: 'Scopes' }).locator('label.checkbox');
      await boxes.first().waitFor();
      expect(await boxes.locator('code').allTextContents()).toEqual(['invoices:read']);
      await form.getByText(INVOICES_READ).waitFor();
      await form.getByLabel('Name').fill('Team invoice reader');
      await form.getByRole('button', { name: 'Create token' }).click();
      await page.getByRole('dialog', { name: 'API token created' }).waitFor();
      const token = (await page.getByTestId('new-token').textContent()) ?? '';
      expect((await env().callMe(token)).body.token.scopes).toEqual(['invoices:read']);
    });
  },
  {
    config: {
      scopes: createScopeSet(['invoices:read', 'documents:write'], { 'invoices:read': INVOICES_READ }),
    },
  },
);
