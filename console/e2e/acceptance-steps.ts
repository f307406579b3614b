// The acceptance walk's own steps: move between the admin console's
// sections, and play a customer of a NEW account's page, signed with that
// account's app secret and sent to its callback URL, as Meta sends it.
import { createHmac } from 'node:crypto';
import { expect, type Page } from '@playwright/test';

export type Section = 'Channels' | 'Workstreams' | 'Queues' | 'Agents' | 'Routing rules' | 'Conversations' | 'Configuration';

/** Follow the administration navigation to a section; `heading` is its h1. */
export async function goTo(page: Page, section: Section, heading: string = section): Promise<void> {
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: section }).click();
  await expect(page.getByRole('heading', { level: 1, name: heading })).toBeVisible();
}

/** A customer's text message to `pageId`, posted to `callbackUrl` signed with `appSecret`. */
export async function customerWrites(callbackUrl: string, appSecret: string, pageId: string, psid: string, text: string): Promise<void> {
  const at = Date.now();
  const body = JSON.stringify({
    object: 'page',
    entry: [{ id: pageId, time: at, messaging: [{ sender: { id: psid }, recipient: { id: pageId }, timestamp: at, message: { mid: `m_accept_${at}_${psid}`, text } }] }],
  });
  const sig = createHmac('sha256', appSecret).update(body).digest('hex');
  const r = await fetch(callbackUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${sig}` }, body });
  if (!r.ok) throw new Error(`webhook ${callbackUrl}: ${r.status} ${await r.text()}`);
}
