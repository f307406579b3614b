// Steps of the admin console's conversations section, as an administrator takes them.
import { expect, type Page } from '@playwright/test';
import { signIn } from './agent';

export async function openConversations(page: Page, base: string, adminToken: string): Promise<void> {
  await signIn(page, base, adminToken);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Conversations' }).click();
  await expect(page.getByRole('heading', { name: 'Conversations', level: 1 })).toBeVisible();
}

/** The search form. */
export function filters(page: Page) {
  return page.getByRole('form', { name: 'Search conversations' });
}

/** The rows of the results (one per conversation). */
export function resultRows(page: Page) {
  return page.locator('.conv-table tbody tr');
}

/** Choose one filter and search. */
export async function searchBy(page: Page, label: string, option: string): Promise<void> {
  const form = filters(page);
  await form.getByRole('button', { name: 'Clear filters' }).click();
  await form.getByLabel(label, { exact: true }).selectOption({ label: option });
  await form.getByRole('button', { name: 'Search' }).click();
}
