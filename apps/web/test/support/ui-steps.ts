// Steps several browser tests take the same way.
import type { Locator, Page } from 'playwright-core';

/**
 * On the token page of a signed-in user with no tokens: creates the first one through the create
 * dialog. Gives the "API token created" dialog, still open, and the token it shows.
 */
export async function createFirstTokenInUi(page: Page, name: string): Promise<{ reveal: Locator; token: string }> {
  await page.goto('/settings/tokens');
  await page.getByRole('button', { name: 'Create your first token' }).click();
  const form = page.getByRole('dialog', { name: 'Create API token' });
  await form.getByLabel('Name').fill(name);
  await form.getByRole('button', { name: 'Create token' }).click();
  const reveal = page.getByRole('dialog', { name: 'API token created' });
  const token = (await reveal.getByTestId('new-token').textContent()) ?? '';
  return { reveal, token };
}
