// What an agent does in the browser, step by step.
import { expect, type Page } from '@playwright/test';

export async function signIn(page: Page, base: string, token: string): Promise<void> {
  await page.goto(base);
  await page.getByLabel('Token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/** Signed in with the live feed connected. */
export async function signInLive(page: Page, base: string, token: string): Promise<void> {
  await signIn(page, base, token);
  await expect(page.locator('[data-feed="live"]')).toBeAttached();
}

export function offerCard(page: Page, text: string) {
  return page.locator('.offer-card').filter({ hasText: text });
}

export function transcript(page: Page) {
  return page.locator('.conversation .transcript');
}

export async function acceptOffer(page: Page, text: string): Promise<void> {
  const card = offerCard(page, text);
  await expect(card).toBeVisible();
  await card.getByRole('button', { name: 'Accept' }).click();
  await expect(page.locator('.conversation[data-state="assigned"] .transcript')).toContainText(text);
}
