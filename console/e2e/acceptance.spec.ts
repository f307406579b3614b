// Issue 15's acceptance, as a new administrator meets it, through the
// console only: connect a new account and page (Running), a queue with a
// member, a Danish workstream on the page, a ruleset that sends Danish
// invoices to the queue; "Try a message"; then a real customer's message
// goes where the preview said, as the Conversations section shows.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { signIn } from './agent';
import { customerWrites, goTo } from './acceptance-steps';

const APP_ID = '900000000000001'; // the fake Graph's app (`switchboard fake-graph` prints it)
const APP_SECRET = 'northwind-app-secret-4711';
const PAGE_ID = '104857600000123';
const PAGE_TOKEN = `EAAB-northwind-page-${PAGE_ID}`; // the fake Graph: `…-page-<id>` is that page's token
const PSID = '7700000000000321';
const TEXT = 'Hej, jeg har et spørgsmål om min faktura';

test('a new administrator connects a page, routes Danish invoices, tries a message, and a real one goes where the preview said', async ({ page, stack }) => {
  await signIn(page, stack.base, stack.adminToken);

  // 1. Channels: a new account and its page, running.
  await goTo(page, 'Channels');
  // The example's pages, from the configuration file, say why they are drafts and what to do.
  await expect(page.getByRole('region', { name: 'Acme Facebook', exact: true }).locator('article[data-page-id="104857600000001"] .page-reason-draft')).toContainText('Choose "Check now"');
  await page.getByRole('button', { name: 'Connect a Facebook account' }).click();
  const flow = page.getByRole('region', { name: 'Connect a Facebook account' });
  await flow.getByLabel('Name', { exact: true }).fill('Northwind');
  await flow.getByLabel('App ID', { exact: true }).fill(APP_ID);
  await flow.getByLabel('App secret', { exact: true }).fill(APP_SECRET);
  await flow.getByRole('button', { name: 'Save and continue' }).click();
  await expect(flow.getByRole('heading', { name: 'Step 2 of 3: Webhook in Meta' })).toBeVisible();
  const callback = (await flow.getByTestId('callback-url').textContent()) ?? '';
  const verifyToken = (await flow.getByTestId('verify-token').textContent()) ?? '';
  expect(callback).toBe(`${stack.base}/webhooks/facebook/northwind`);
  // Meta's handshake, as the webhook settings' "Verify and save" makes it.
  const hs = await fetch(`${callback}?hub.mode=subscribe&hub.verify_token=${encodeURIComponent(verifyToken)}&hub.challenge=42`);
  expect(await hs.text()).toBe('42');
  await expect(flow.locator('.verified-ok')).toHaveText(/^Webhook verified at/);
  await flow.getByRole('button', { name: 'I have copied them; continue to pages' }).click();
  await flow.getByLabel('Page name', { exact: true }).fill('Northwind Kundeservice');
  await flow.getByLabel('Page ID', { exact: true }).fill(PAGE_ID);
  await flow.getByLabel('Page access token', { exact: true }).fill(PAGE_TOKEN);
  await flow.getByRole('button', { name: 'Add page' }).click();
  await expect(flow.locator(`article[data-page-id="${PAGE_ID}"] [data-state="running"]`)).toHaveText('Running');
  await flow.getByRole('button', { name: 'Done' }).click();
  await expect(page.getByRole('region', { name: 'Northwind', exact: true }).locator(`article[data-page-id="${PAGE_ID}"] [data-state="running"]`)).toBeVisible();
  await expectAccessible(page, 'acceptance-channels');

  // 2. Queues: a Danish billing queue; Anna and Bo (the example's agents) take it.
  await goTo(page, 'Queues');
  await page.getByRole('button', { name: 'New queue' }).click();
  await page.getByLabel('Id', { exact: true }).fill('faktura');
  await page.getByLabel('Name', { exact: true }).fill('Fakturaer');
  await page.getByLabel(/Anna Jensen/).check();
  await page.getByLabel(/Bo Nielsen/).check();
  await page.getByRole('button', { name: 'Create queue' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Queue Fakturaer' })).toBeVisible();

  // 3. Workstreams: a Danish workstream on the new page.
  await goTo(page, 'Workstreams');
  await page.getByRole('button', { name: 'New workstream' }).click();
  await page.getByLabel('Name', { exact: true }).fill('Webshop dansk');
  await page.getByLabel('Id', { exact: true }).fill('webshop-da');
  await page.getByLabel(`Northwind Kundeservice (${PAGE_ID})`).check();
  await page.getByLabel('Language', { exact: true }).fill('da');
  await page.getByRole('button', { name: 'Create workstream' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Workstream Webshop dansk' })).toBeVisible();

  // 4. Routing rules, from the workstream (which it opens on): Danish invoices go to Fakturaer.
  await page.getByRole('link', { name: 'Open Routing rules' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Routing rules' })).toBeVisible();
  await expect(page.getByLabel('Workstream', { exact: true })).toHaveValue('webshop-da');
  await expect(page.getByText('This workstream has no rulesets')).toBeVisible();
  await page.getByRole('button', { name: 'New ruleset' }).click();
  const editor = page.getByRole('form', { name: 'New ruleset' });
  await editor.getByLabel('Id', { exact: true }).fill('fakturaer');
  await editor.getByLabel('Name', { exact: true }).fill('Fakturaer');
  await editor.getByLabel('Kind', { exact: true }).selectOption({ label: 'Route to queue' });
  const rule = editor.getByRole('group', { name: 'Rule 1' });
  await rule.getByLabel('Rule name').fill('faktura');
  const root = rule.locator('.cond').first();
  await root.getByRole('button', { name: 'Add a condition' }).last().click();
  await root.getByRole('button', { name: 'Add a condition' }).last().click();
  const conds = root.locator(':scope > .cond-children > .cond');
  await conds.nth(0).getByLabel('Condition').first().selectOption({ label: 'Language is' });
  await conds.nth(0).getByLabel('Value').first().fill('da');
  await conds.nth(1).getByLabel('Condition').first().selectOption({ label: 'Text contains' });
  await conds.nth(1).getByLabel('Value').first().fill('faktura');
  await rule.getByLabel('Queue', { exact: true }).selectOption({ label: 'Fakturaer (faktura)' });
  await editor.getByRole('button', { name: 'Save ruleset' }).click();
  await expect(page.getByRole('status')).toContainText('Ruleset Fakturaer saved.');
  await expect(page.getByRole('table', { name: 'Rulesets, in the order they run' }).locator('tbody th')).toHaveText([/Fakturaer/]);

  // 5. Try a message: the workstream's page is already chosen.
  const tryIt = page.getByRole('region', { name: 'Try a message' });
  await expect(tryIt.getByLabel('Page')).toHaveValue(PAGE_ID);
  await tryIt.getByLabel('Message').fill(TEXT);
  await tryIt.getByRole('button', { name: 'Try it' }).click();
  const result = tryIt.getByRole('region', { name: 'Result' });
  await expect(result.locator('.preview-rulesets > li').first()).toContainText('Fakturaer: matched: faktura');
  await expect(result.locator('.preview-queue')).toHaveText('faktura');
  await expect(result.locator('dt:text-is("Priority") + dd')).toHaveText('5');
  const offered = result.getByText(/^It would be offered to (\w+)\.$/);
  await expect(offered).toBeVisible();
  const agent = /offered to (\w+)\./.exec((await offered.textContent()) ?? '')?.[1] ?? '';
  expect(['anna', 'bo']).toContain(agent);
  await expect(result.getByRole('row', { name: new RegExp(agent) })).toContainText('Chosen');
  await expectAccessible(page, 'acceptance-try-a-message');

  // 6. A real customer writes to the new page, signed as Meta signs it.
  await customerWrites(callback, APP_SECRET, PAGE_ID, PSID, TEXT);

  // 7. Conversations: in Fakturaer, offered to the agent the preview named.
  await goTo(page, 'Conversations');
  const form = page.getByRole('form', { name: 'Search conversations' });
  await form.getByLabel('Queue', { exact: true }).selectOption({ label: 'Fakturaer' });
  const row = page.locator('.conv-table tbody tr').filter({ hasText: `Customer ${PSID}` });
  await expect(async () => {
    await form.getByRole('button', { name: 'Search' }).click();
    await expect(row).toContainText('Offered', { timeout: 1000 });
  }).toPass();
  await expect(row).toContainText('Fakturaer (faktura)');
  await expect(row).toContainText(`(${agent})`);
  await page.getByRole('button', { name: `Open the conversation with Customer ${PSID}` }).click();
  const detail = page.locator('.conv-detail');
  await expect(detail.locator('.conv-timeline')).toContainText(TEXT);
  await expect(detail.getByRole('heading', { name: 'Routing diagnostics' })).toBeVisible();
  const routing = detail.locator('section.routing');
  await expect(routing).toContainText(`Queue: faktura · Agent: ${agent} · Priority: 5`);
  await expect(routing.locator('.routing-steps')).toContainText('ruleset fakturaer [route_to_queue]: faktura ✓');
  await expect(routing.locator(`.verdict-chosen`)).toContainText(agent);
  await expectAccessible(page, 'acceptance-conversation');
});
