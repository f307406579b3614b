// The admin console's conversations section: filters by state, queue and
// agent (kept in the address), the timeline, routing diagnostics and closing.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { filters, openConversations, resultRows, searchBy } from './conversations-steps';

const INVOICE = '7700000000000151';
const PARCEL = '7700000000000152';

test('an administrator finds conversations by state, queue and agent, reads one and closes it', async ({ page, stack }) => {
  // Only Carl takes work: the invoice waits in Billing, Carl holds the parcel.
  await stack.presence('anna', 'offline');
  await stack.presence('bo', 'offline');
  const carl = await stack.agentToken('carl');
  await stack.customerSays(INVOICE, 'Hej, min faktura er forkert');
  await stack.customerSays(PARCEL, 'Where is my parcel?');
  let parcel = '';
  await expect
    .poll(async () => {
      const r = await stack.admin<{ conversations: { id: string; psid: string; state: string }[] }>('GET', '/admin/v1/conversations?state=offered');
      parcel = r.conversations.find((c) => c.psid === PARCEL)?.id ?? '';
      return parcel;
    })
    .not.toBe('');
  await stack.asAgent(carl, 'POST', `/agent/v1/conversations/${parcel}/accept`);

  await openConversations(page, stack.base, stack.adminToken);
  await expect(resultRows(page)).toHaveCount(2);
  await expectAccessible(page, 'admin-conversations-list');

  await searchBy(page, 'State', 'Waiting');
  await expect(page).toHaveURL(/\/manage\/conversations\?state=waiting$/);
  await expect(resultRows(page)).toHaveCount(1);
  await expect(resultRows(page)).toContainText(`Customer ${INVOICE}`);
  await expect(resultRows(page)).toContainText('billing');

  await searchBy(page, 'Queue', 'General');
  await expect(resultRows(page)).toHaveCount(1);
  await expect(resultRows(page)).toContainText(`Customer ${PARCEL}`);

  await searchBy(page, 'Agent', 'Carl Smith');
  await expect(resultRows(page)).toHaveCount(1);
  await expect(resultRows(page)).toContainText(`Customer ${PARCEL}`);
  await expect(resultRows(page)).toContainText('Assigned');
  // A reload keeps the search.
  await page.reload();
  await expect(filters(page).getByLabel('Agent', { exact: true })).toHaveValue('carl');
  await expect(resultRows(page)).toHaveCount(1);
  await expect(resultRows(page)).toContainText(`Customer ${PARCEL}`);

  // A window that ended before both: nothing.
  await filters(page).getByLabel('Created before').fill('2020-01-01T00:00');
  await filters(page).getByRole('button', { name: 'Search' }).click();
  await expect(page.getByText('No conversations match.')).toBeVisible();
  await filters(page).getByLabel('Created before').fill('');
  await filters(page).getByRole('button', { name: 'Search' }).click();
  await expect(resultRows(page)).toHaveCount(1);

  await page.getByRole('button', { name: `Open the conversation with Customer ${PARCEL}` }).click();
  const detail = page.locator('.conv-detail');
  // Both sides: the customer, and what went out with its status.
  const both = detail.locator('.transcript');
  await expect(both.locator('[data-from="customer"]')).toContainText('Where is my parcel?');
  await expect(both.locator('[data-from="automated"][data-status]').first()).toBeVisible();
  await detail.getByText("Meta's events, as received").click();
  await expect(detail.locator('.conv-timeline')).toBeVisible();
  await expect(detail.locator('.conv-timeline')).toContainText('Where is my parcel?');
  await expect(detail.getByRole('heading', { name: 'Routing diagnostics' })).toBeVisible();
  await expect(detail.locator('.conv-state')).toHaveText('Assigned');
  await expectAccessible(page, 'admin-conversation-detail');
  await detail.getByRole('button', { name: 'Close conversation' }).click();
  const dialog = page.getByRole('dialog', { name: 'Close this conversation?' });
  await expect(dialog).toContainText('gets the capacity back');
  await dialog.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(detail.locator('.conv-state')).toHaveText('Closed');
  await expect(detail.getByRole('button', { name: 'Close conversation' })).toHaveCount(0);
  const stored = await stack.admin<{ state: string }>('GET', `/admin/v1/conversations/${parcel}`);
  expect(stored.state).toBe('closed');

  // Back to the results: the search is still there.
  await page.getByRole('button', { name: 'Back to the results' }).click();
  await expect(page).toHaveURL(/agent_id=carl/);
  await expect(resultRows(page)).toContainText('Closed');

  // In Danish.
  await page.evaluate(() => localStorage.setItem('switchboard.lang', 'da'));
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Samtaler', level: 1 })).toBeVisible();
  await expect(page.getByRole('form', { name: 'Søg i samtaler' }).getByRole('button', { name: 'Søg', exact: true })).toBeVisible();
  await expect(resultRows(page)).toContainText('Lukket');
});
