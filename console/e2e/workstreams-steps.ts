// What an administrator does in the workstreams and queues sections, step by step.
import { expect, type Page } from '@playwright/test';
import { signIn } from './agent';
import type { Stack } from './stack';

/** Signed in as the administrator, in one section of the admin console. */
export async function openSection(page: Page, stack: Stack, link: 'Workstreams' | 'Queues'): Promise<void> {
  await signIn(page, stack.base, stack.adminToken);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: link }).click();
  await expect(page.getByRole('heading', { level: 1, name: link })).toBeVisible();
}

/** The form control labelled `label`, and the API's detail beside it. */
export function field(page: Page, label: string | RegExp) {
  return page.getByLabel(label, { exact: typeof label === 'string' });
}
