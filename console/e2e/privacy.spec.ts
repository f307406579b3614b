// A person's data, as README's steps go: a customer writes, Meta sends the
// data-deletion request signed with the app secret, the status page says
// done (in English and Danish), and the console shows the conversation
// with its counts and without the words; the privacy screen lists the
// request and the erasure. An administrator erases another customer from
// the privacy screen.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { openConversations } from './conversations-steps';
import { signIn } from './agent';

async function stored(stack: { admin: <T>(m: string, p: string) => Promise<T> }, psid: string): Promise<void> {
  await expect
    .poll(async () => (await stack.admin<{ conversations: unknown[] }>('GET', `/admin/v1/conversations?psid=${psid}`)).conversations.length)
    .toBe(1);
}

test("Meta's data-deletion request erases the person and the status page says done", async ({ page, stack }) => {
  const PSID = '7700000000000191';
  const OTHER = '7700000000000192';
  await stack.customerSays(PSID, 'My card number is 4111 1111');
  await stack.customerSays(OTHER, 'Someone else, keep me');
  await stored(stack, PSID);
  await stored(stack, OTHER);

  // Meta knows the person by an app-scoped id, and maps it to the PSID.
  await stack.mapUser('5550191', [{ page_id: '104857600000001', psid: PSID }]);
  const receipt = await stack.dataDeletion('5550191');
  expect(receipt.url).toBe(`${stack.base}/privacy/deletion/${receipt.confirmation_code}`);
  await expect.poll(async () => (await fetch(receipt.url)).text()).toContain('data-state="done"');
  await page.goto(`${receipt.url}?lang=da`);
  await expect(page.getByRole('heading', { name: 'Anmodning om sletning af data' })).toBeVisible();
  await expect(page.locator('#state')).toHaveText('Udført');
  await expectAccessible(page, 'deletion-status');

  await openConversations(page, stack.base, stack.adminToken);
  await page.getByRole('button', { name: `Open the conversation with Customer ${PSID}` }).click();
  const detail = page.locator('.conv-detail');
  await expect(detail.locator('.conv-state')).toHaveText('Closed');
  await expect(detail.locator('.transcript')).toContainText('[erased]');
  await expect(detail.locator('.transcript')).not.toContainText('4111');
  // Another customer is untouched.
  const other = await stack.admin<object>('GET', `/admin/v1/customers/104857600000001/${OTHER}/export`);
  expect(JSON.stringify(other)).toContain('Someone else, keep me');

  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Privacy' }).click();
  await expect(page.getByRole('heading', { name: 'Privacy', level: 1 })).toBeVisible();
  const requests = page.getByRole('region', { name: "Meta's data-deletion requests" });
  await expect(requests.getByRole('row', { name: new RegExp(receipt.confirmation_code) })).toContainText('done');
  const log = page.getByRole('region', { name: 'Erasure log' });
  await expect(log.getByRole('row').nth(1)).toContainText("Meta's data-deletion request");
  await expectAccessible(page, 'admin-privacy');
});

test('an administrator erases a customer from the privacy screen', async ({ page, stack }) => {
  const PSID = '7700000000000193';
  await stack.customerSays(PSID, 'Please forget me, Ada');
  await stored(stack, PSID);
  await signIn(page, stack.base, stack.adminToken);
  await page.getByRole('navigation', { name: 'Administration' }).getByRole('link', { name: 'Privacy' }).click();
  const form = page.getByRole('region', { name: 'Erase a customer' });
  await form.getByLabel('Page id').fill('104857600000001');
  await form.getByLabel("Customer's page-scoped id (PSID)").fill(PSID);
  await form.getByLabel('Reason').fill('asked by email');
  const erase = form.getByRole('button', { name: 'Erase customer' });
  await expect(erase).toBeDisabled();
  await form.getByLabel('I understand that this cannot be undone').check();
  await erase.click();
  await expect(form.getByRole('status')).toHaveText(/^Erased: 1 conversations, \d+ events, \d+ messages sent to them\.$/);
  await expect(page.getByRole('region', { name: 'Erasure log' }).getByRole('row').nth(1)).toContainText('asked by email');
  const events = await stack.admin<{ events: { text?: string }[] }>('GET', `/admin/v1/conversations?psid=${PSID}`);
  expect(JSON.stringify(events)).not.toContain('Ada');
  await expectAccessible(page, 'admin-privacy-erase');
});
