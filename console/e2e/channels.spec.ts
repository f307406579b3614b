// The Channels section: connect a Facebook account and a page, watch the
// page's state move live, break and fix its token, remove it; secrets never
// come back to the page or the browser's storage.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { openChannels, pageCard, replaceToken, storage } from './channels-steps';

const APP_ID = '900000000000001'; // the fake Graph's app
const APP_SECRET = 'globex-app-secret-e2e-4711';
const PAGE_ID = '104857600000077';
const GOOD = `EAAB-globex-good-page-${PAGE_ID}`;
const GOOD_AGAIN = `EAAB-globex-fresh-page-${PAGE_ID}`;
const REVOKED = `EAAB-revoked-page-${PAGE_ID}`;

test('connect an account and a page; a revoked token errors with the reason, a good one runs again; remove the page', async ({ page, stack }) => {
  await openChannels(page, stack.base, stack.adminToken);
  await expect(page.getByRole('heading', { level: 1, name: 'Channels' })).toBeVisible();
  const acme = page.getByRole('region', { name: 'Acme Facebook', exact: true });
  await expect(acme.locator('.glance [data-state]').first()).toBeVisible();
  await expectAccessible(page, 'channels-list');

  // Step 1: the account. The form checks as the API does and keeps what was typed.
  await page.getByRole('button', { name: 'Connect a Facebook account' }).click();
  const flow = page.getByRole('region', { name: 'Connect a Facebook account' });
  await flow.getByLabel('Name', { exact: true }).fill('Globex');
  await flow.getByLabel('App ID', { exact: true }).fill('12ab');
  await flow.getByLabel('App secret', { exact: true }).fill(APP_SECRET);
  await flow.getByRole('button', { name: 'Save and continue' }).click();
  await expect(flow.getByLabel('App ID', { exact: true })).toHaveAttribute('aria-invalid', 'true');
  await expect(flow.getByText('App ID is digits only (1 to 32).')).toBeVisible();
  await expect(flow.getByLabel('Name', { exact: true })).toHaveValue('Globex');
  await expect(flow.getByLabel('App secret', { exact: true })).toHaveValue(APP_SECRET);
  await expectAccessible(page, 'channels-connect-account');
  await flow.getByLabel('App ID', { exact: true }).fill(APP_ID);
  await flow.getByRole('button', { name: 'Save and continue' }).click();

  // Step 2: the callback URL and the verify token, once; Meta's handshake turns the line green.
  await expect(flow.getByRole('heading', { name: 'Step 2 of 3: Webhook in Meta' })).toBeVisible();
  const callback = (await flow.getByTestId('callback-url').textContent()) ?? '';
  const verifyToken = (await flow.getByTestId('verify-token').textContent()) ?? '';
  expect(callback).toBe(`${stack.base}/webhooks/facebook/globex`);
  expect(verifyToken.length).toBeGreaterThanOrEqual(16);
  await expect(flow.getByRole('button', { name: 'Copy Verify token' })).toBeVisible();
  await expect(flow.getByText("Waiting for Meta's verification…")).toBeVisible();
  await expect(flow.getByText(/messages, message_echoes/)).toBeVisible();
  await expect(flow.getByText(/pages_messaging, pages_manage_metadata/)).toBeVisible();
  await expectAccessible(page, 'channels-connect-webhook');
  const hs = await fetch(`${callback}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(verifyToken)}&hub.challenge=123`);
  expect(hs.status).toBe(200);
  expect(await hs.text()).toBe('123');
  await expect(flow.locator('.verified-ok')).toHaveText(/^Webhook verified at \d\d:\d\d$/);

  // Leaving the step forgets the verify token.
  await flow.getByRole('button', { name: 'I have copied them; continue to pages' }).click();
  await expect(flow.getByRole('heading', { name: 'Step 3 of 3: Pages' })).toBeVisible();
  expect(await page.content()).not.toContain(verifyToken);

  // Step 3: a page, which becomes running.
  await flow.getByLabel('Page name', { exact: true }).fill('Globex Help');
  await flow.getByLabel('Page ID', { exact: true }).fill(PAGE_ID);
  await flow.getByLabel('Page access token', { exact: true }).fill(GOOD);
  await flow.getByRole('button', { name: 'Add page' }).click();
  await expect(flow.locator(`article[data-page-id="${PAGE_ID}"] [data-state="running"]`)).toHaveText('Running');
  await expect(flow.getByLabel('Page access token', { exact: true })).toHaveValue('');
  await flow.getByRole('button', { name: 'Done' }).click();

  const card = pageCard(page, 'Globex', PAGE_ID);
  await expect(card.locator('[data-state="running"]')).toBeVisible();
  await expect(card.getByTestId('token-expires')).toHaveText('Never');
  await expect(card.getByText('Last check')).toBeVisible();
  await expectAccessible(page, 'channels-page');

  // A revoked token: error, with Meta's reason and what to do.
  await replaceToken(page, 'Globex', PAGE_ID, REVOKED);
  await expect(card.locator('[data-state="error"]')).toHaveText('Error');
  await expect(card.locator('.page-reason-error')).toContainText('not valid');
  await expect(card.locator('.page-reason-error')).toContainText('the user changed their password');
  await expect(card.locator('.page-reason-error')).toContainText("Meta's code 190, subcode 460");
  await expect(card.locator('.page-reason-error')).toContainText('What to do');
  const globex = page.getByRole('region', { name: 'Globex', exact: true });
  await expect(globex.getByRole('list', { name: 'Alerts for Globex' }).locator('[data-kind="page_error"]')).toContainText('Globex Help');
  await expectAccessible(page, 'channels-page-error');

  // Checking again with the stored (revoked) token changes nothing.
  await card.getByRole('button', { name: 'Check now' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Checked.' })).toBeVisible();
  await expect(card.locator('[data-state="error"]')).toHaveText('Error');

  // A good token: running again, and "Check now" keeps it so.
  await replaceToken(page, 'Globex', PAGE_ID, GOOD_AGAIN);
  await expect(card.locator('[data-state="running"]')).toHaveText('Running');
  await card.getByRole('button', { name: 'Check now' }).click();
  await expect(card.getByRole('status').filter({ hasText: 'Checked.' })).toBeVisible();
  await expect(card.locator('[data-state="running"]')).toHaveText('Running');
  await expect(globex.getByRole('list', { name: 'Alerts for Globex' })).toHaveCount(0);

  // The app secret can be replaced, never shown.
  await globex.getByRole('button', { name: 'Replace app secret' }).click();
  await globex.getByLabel('New app secret', { exact: true }).fill(`${APP_SECRET}-2`);
  await globex.getByRole('button', { name: 'Replace app secret' }).last().click();
  await expect(globex.getByText('App secret replaced.')).toBeVisible();

  // No secret in the page or the browser's storage.
  const html = await page.content();
  const kept = await storage(page);
  for (const secret of [APP_SECRET, `${APP_SECRET}-2`, GOOD, GOOD_AGAIN, REVOKED, verifyToken]) {
    expect(html).not.toContain(secret);
    expect(kept).not.toContain(secret);
  }

  // Remove the page: the dialog says what happens first.
  await card.getByRole('button', { name: 'Remove page' }).click();
  const dialog = page.getByRole('dialog', { name: 'Remove the page Globex Help?' });
  await expect(dialog).toContainText('unsubscribe the app from the page');
  await expect(dialog).toContainText('Contacts and transcripts are kept.');
  await expectAccessible(page, 'channels-remove-page');
  await dialog.getByRole('button', { name: 'Remove page' }).click();
  await expect(card).toHaveCount(0);
  await expect(globex.getByText('No page yet.')).toBeVisible();
  const unsubscribed = (await stack.graphRequests()).some((r) => r.method === 'DELETE' && r.path === `${PAGE_ID}/subscribed_apps`);
  expect(unsubscribed).toBe(true);
});

test('the API says what is wrong beside the field, and nothing typed is lost', async ({ page, stack }) => {
  await openChannels(page, stack.base, stack.adminToken);
  const acme = page.getByRole('region', { name: 'Acme Facebook', exact: true });
  await acme.getByRole('button', { name: 'Add page' }).click();
  // The example's page is already connected: the API's conflict shows, the form keeps its values.
  await acme.getByLabel('Page name', { exact: true }).fill('Again');
  await acme.getByLabel('Page ID', { exact: true }).fill('104857600000001');
  await acme.getByLabel('Page access token', { exact: true }).fill('EAAB-again-page-104857600000001');
  await acme.getByRole('button', { name: 'Add page' }).last().click();
  await expect(acme.getByRole('alert').filter({ hasText: 'already connected' })).toBeVisible();
  await expect(acme.getByLabel('Page ID', { exact: true })).toHaveValue('104857600000001');
  await expect(acme.getByLabel('Page access token', { exact: true })).toHaveValue('EAAB-again-page-104857600000001');
});

test('in Danish', async ({ page, stack }) => {
  await openChannels(page, stack.base, stack.adminToken);
  await page.getByRole('combobox', { name: 'Language' }).selectOption('da');
  await expect(page.getByRole('heading', { level: 1, name: 'Kanaler' })).toBeVisible();
  await page.getByRole('button', { name: 'Forbind en Facebook-konto' }).click();
  await expect(page.getByRole('heading', { name: 'Trin 1 af 3: Konto' })).toBeVisible();
  await expect(page.getByLabel('App-hemmelighed', { exact: true })).toHaveAttribute('type', 'password');
  await expectAccessible(page, 'channels-da');
});
