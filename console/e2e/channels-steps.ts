// What an administrator does on the Channels screen, step by step.
import { expect, type Page } from '@playwright/test';
import { signIn } from './agent';

export async function openChannels(page: Page, base: string, token: string): Promise<void> {
  await signIn(page, base, token);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Channels' }).click();
}

/** The page's card inside the account's section. */
export function pageCard(page: Page, account: string, pageId: string) {
  return page.getByRole('region', { name: account, exact: true }).locator(`article[data-page-id="${pageId}"]`);
}

export async function replaceToken(page: Page, account: string, pageId: string, token: string): Promise<void> {
  const card = pageCard(page, account, pageId);
  await card.getByLabel('New page access token', { exact: true }).fill(token);
  await card.getByRole('button', { name: 'Replace token' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expect(card.getByLabel('New page access token', { exact: true })).toHaveValue('');
}

/** Everything the browser keeps in local and session storage, as one string. */
export async function storage(page: Page): Promise<string> {
  return page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
}
