// Steps of the configuration section's e2e: open it, download the file,
// upload a file (as the administrator's file chooser would give it).
import { expect, type Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { signIn } from './agent';

export async function openConfiguration(page: Page, base: string, token: string): Promise<void> {
  await signIn(page, base, token);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Configuration' }).click();
  await expect(page.getByRole('heading', { name: 'Configuration', level: 1 })).toBeVisible();
}

/** Press "Download configuration": the saved file's name and text. */
export async function download(page: Page): Promise<{ name: string; text: string }> {
  const saved = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download configuration' }).click();
  const d = await saved;
  const path = await d.path();
  return { name: d.suggestedFilename(), text: readFileSync(path, 'utf8') };
}

/** Choose `text` as the configuration file named `name`. */
export async function upload(page: Page, name: string, text: string): Promise<void> {
  await page.getByLabel('Configuration file').setInputFiles({ name, mimeType: 'application/yaml', buffer: Buffer.from(text) });
}

/** The dry run's section for the file `name`. */
export function diff(page: Page, name: string) {
  return page.getByRole('region', { name: `What applying ${name} would change` });
}
