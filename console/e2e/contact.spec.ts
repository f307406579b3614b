// The contact panel: edit, search by email, link the customer of another page,
// and the history across pages.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { acceptOffer, signInLive } from './agent';

test('edit the contact, find it from another page’s conversation, link it and see the history', async ({ page, stack }) => {
  const anna = await stack.agentToken('anna');
  await signInLive(page, stack.base, anna);
  await stack.customerSays('7700000000000042', 'Hej, min faktura er forkert');
  await acceptOffer(page, 'Hej, min faktura er forkert');
  const panel = page.locator('.contact-panel');
  await panel.getByLabel('Email').fill('ada@example.com');
  await panel.getByLabel('Phone').fill('+45 12 34 56 78');
  await panel.getByRole('button', { name: 'Save contact' }).click();
  await expect(panel.getByRole('status')).toHaveText('Saved.');

  // The same person writes to the shop page (another PSID there).
  await stack.customerSays('7700000000000099', 'Hej, endnu en faktura er forkert', Date.now(), '104857600000002');
  await acceptOffer(page, 'Hej, endnu en faktura er forkert');
  await expect(page.locator('.conversation-head h2')).toHaveText('Ada Lovelace');
  await expect(panel.getByRole('heading', { name: 'History (0)' })).toBeVisible();
  await panel.getByLabel('Search contacts').fill('ada@example.com');
  await panel.getByRole('button', { name: 'Search', exact: true }).click();
  await panel.getByRole('button', { name: 'Link to Ada Lovelace' }).click();
  await expect(panel.getByLabel('Email')).toHaveValue('ada@example.com');
  await expect(panel.getByRole('heading', { name: 'History (1)' })).toBeVisible();

  // The first conversation's customer writes while another is open: unread.
  await stack.customerSays('7700000000000042', 'Hallo?');
  await expect(page.locator('.inbox-item').filter({ hasText: '1 unread' })).toBeVisible();
  await expectAccessible(page, 'contact-panel');
});
