// Steps of the admin console's agents section, as an administrator takes them.
import { expect, type Page } from '@playwright/test';
import { signIn } from './agent';

/** Signed in with the admin token, on the agents section. */
export async function openAgents(page: Page, base: string, adminToken: string): Promise<void> {
  await signIn(page, base, adminToken);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Agents' }).click();
  await expect(page.getByRole('heading', { name: 'Agents', level: 1 })).toBeVisible();
}

/** Open an agent's editor from the list. */
export async function editAgent(page: Page, name: string): Promise<void> {
  await page.getByRole('button', { name: `Edit ${name}` }).click();
  await expect(page.getByRole('heading', { name: `Agent ${name}` })).toBeVisible();
}

/** Add a skill row and fill it in (rows are numbered from 1). */
export async function addSkill(page: Page, row: number, skill: string, level: number): Promise<void> {
  await page.getByRole('button', { name: 'Add skill' }).click();
  await page.getByLabel(`Skill ${row}`, { exact: true }).fill(skill);
  await page.getByLabel(`Level ${row}`, { exact: true }).fill(String(level));
}
