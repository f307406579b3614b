// What an administrator does in the routing section, step by step, and what the API then says.
import { expect, type Locator, type Page } from '@playwright/test';
import type { AdminSchemas } from '../src/api/types';
import { signIn } from './agent';
import type { Stack } from './stack';

export async function openRouting(page: Page, stack: Stack): Promise<void> {
  await signIn(page, stack.base, stack.adminToken);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Routing rules' }).click();
  await expect(page.getByRole('heading', { name: 'Routing', level: 1 })).toBeVisible();
}

/** The rulesets table's row names, in order. */
export function rulesetRows(page: Page): Locator {
  return page.getByRole('table', { name: 'Rulesets, in the order they run' }).locator('tbody th');
}

/** The n-th condition inside a group (1-based), by the builder's nesting. */
export function childCondition(group: Locator, n: number): Locator {
  return group.locator(':scope > .cond-children > .cond').nth(n - 1);
}

/** Set a condition's kind and its one value. */
export async function setCondition(cond: Locator, kind: string, value: string): Promise<void> {
  await cond.getByLabel('Condition').first().selectOption({ label: kind });
  await cond.getByLabel('Value').first().fill(value);
}

/** The conversation the customer's message opened, once routing has placed it. */
export async function routedConversation(stack: Stack, psid: string): Promise<AdminSchemas['Conversation']> {
  let found: AdminSchemas['Conversation'] | undefined;
  await expect
    .poll(async () => {
      const r = await stack.admin<{ conversations: AdminSchemas['Conversation'][] }>('GET', '/admin/v1/conversations');
      found = r.conversations.find((c) => c.psid === psid && c.routing?.queue);
      return found?.state ?? 'not yet';
    })
    .toMatch(/offered|waiting|assigned/);
  if (!found) throw new Error(`no routed conversation for ${psid}`);
  return found;
}
