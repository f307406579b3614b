// The workstreams section: create a Danish workstream on the example's page
// (HUMAN_AGENT on, customer attachments off), a refused value shown beside
// its field with everything typed kept, edit distribution, preview an
// automated message and add a canned response.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { field, openSection } from './workstreams-steps';

const PAGE_ID = '104857600000001';

interface Ws {
  id: string;
  pages: string[];
  locale: string;
  features: { customer_attachments: boolean; agent_attachments: boolean; human_agent_tag: boolean };
  distribution: { offer_timeout_seconds: number; fallback_queue?: string; capacity: { units: number } };
  automated_messages?: { trigger: string; locale?: string; text: string }[];
}

test('create a Danish workstream, edit it, preview a message and add a canned response', async ({ page, stack }) => {
  // The example's support workstream has both pages; free the first one.
  await stack.admin('PATCH', '/admin/v1/workstreams/support', { pages: ['104857600000002'] });
  await openSection(page, stack, 'Workstreams');
  await expect(page.getByRole('row', { name: /Support/ })).toBeVisible();
  await expectAccessible(page, 'workstreams-list');

  // The example's workstream: its rulesets in run order, beside its routing fields.
  await page.getByRole('button', { name: 'Edit Support' }).click();
  await expect(page.getByRole('list', { name: 'Rulesets, in run order' }).getByRole('listitem')).toHaveText([/^Classify/, /^Route to a queue/]);
  await expect(field(page, 'Fallback queue')).toHaveValue('general');
  await page.getByRole('button', { name: 'Back to the workstreams' }).click();

  await page.getByRole('button', { name: 'New workstream' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'New workstream' })).toBeVisible();
  await field(page, 'Name').fill('Dansk support');
  await field(page, 'Id').fill('dansk');
  await page.getByLabel(new RegExp(`Acme Support \\(${PAGE_ID}\\)`)).check();
  await field(page, 'Language').fill('da');
  await page.getByLabel('Customers may send attachments').uncheck();
  const tag = page.getByLabel('Use the HUMAN_AGENT message tag');
  await tag.check();
  await expect(tag).toHaveAccessibleDescription(/up to 7 days after/);
  await expect(tag).toHaveAccessibleDescription(/Human Agent permission/);

  // A capacity of -1: the API's detail beside the field, nothing typed lost.
  const units = field(page, 'Capacity units per conversation');
  await units.fill('-1');
  await page.getByRole('button', { name: 'Create workstream' }).click();
  await expect(units).toHaveAttribute('aria-invalid', 'true');
  await expect(units).toHaveAccessibleDescription(/capacity\.units: invalid value: integer `-1`/);
  await expect(field(page, 'Name')).toHaveValue('Dansk support');
  await expect(page.getByLabel(new RegExp(`Acme Support \\(${PAGE_ID}\\)`))).toBeChecked();
  await expect(page.getByLabel('Customers may send attachments')).not.toBeChecked();
  await expect(tag).toBeChecked();

  await units.fill('1');
  await page.getByRole('button', { name: 'Create workstream' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Workstream Dansk support' })).toBeVisible();
  let ws = await stack.admin<Ws>('GET', '/admin/v1/workstreams/dansk');
  expect(ws.pages).toEqual([PAGE_ID]);
  expect(ws.locale).toBe('da');
  expect(ws.features).toEqual({ customer_attachments: false, agent_attachments: true, human_agent_tag: true });

  // Listed.
  await page.getByRole('button', { name: 'Back to the workstreams' }).click();
  const row = page.getByRole('row', { name: /Dansk support/ });
  await expect(row).toContainText(PAGE_ID);
  await expect(row).toContainText('da');

  // Edit distribution and routing; add an automated message with a live preview.
  await row.getByRole('button', { name: 'Edit Dansk support' }).click();
  await field(page, 'Offer timeout (seconds)').fill('60');
  await field(page, 'Fallback queue').selectOption({ label: 'General' });
  await page.getByRole('button', { name: 'Add an automated message' }).click();
  const message = page.getByRole('group', { name: 'Message 1' });
  await message.getByLabel('When').selectOption('assigned');
  await expect(message.getByLabel('Language (empty: every language)')).toHaveValue('da');
  await message.getByLabel('Text').fill('{AgentName} hjælper dig nu i køen {QueueName}.');
  await expect(page.getByTestId('ws-preview-1')).toHaveText('Anna Jensen hjælper dig nu i køen General.');
  await page.getByRole('button', { name: 'Save workstream' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  ws = await stack.admin<Ws>('GET', '/admin/v1/workstreams/dansk');
  expect(ws.distribution.offer_timeout_seconds).toBe(60);
  expect(ws.distribution.fallback_queue).toBe('general');
  expect(ws.automated_messages).toEqual([{ trigger: 'assigned', locale: 'da', text: '{AgentName} hjælper dig nu i køen {QueueName}.' }]);

  // A canned response, previewed with a sample customer and agent.
  await page.getByRole('button', { name: 'Add canned response' }).click();
  const canned = page.getByRole('form', { name: 'New canned response' });
  await canned.getByLabel('Id').fill('hej-dansk');
  await canned.getByLabel('Shortcut').fill('hej');
  await canned.getByLabel('Title').fill('Hilsen');
  await canned.getByLabel('Text').fill('Hej {CustomerName}, det er {AgentName}.');
  await expect(page.getByTestId('ws-canned-preview')).toHaveText('Hej Ada, det er Anna Jensen.');
  await canned.getByRole('button', { name: 'Save canned response' }).click();
  await expect(page.getByRole('button', { name: 'Edit Hilsen' })).toBeVisible();
  const list = await stack.admin<{ canned_responses: { id: string; locale: string; shortcut: string }[] }>('GET', '/admin/v1/canned-responses?workstream=dansk');
  expect(list.canned_responses.map((c) => [c.id, c.locale, c.shortcut])).toEqual([['hej-dansk', 'da', 'hej']]);
  await expectAccessible(page, 'workstream-editor');

  // Delete the canned response, then the workstream, each after saying what happens.
  await page.getByRole('button', { name: 'Delete Hilsen' }).click();
  await page.getByRole('dialog', { name: 'Delete canned response Hilsen?' }).getByRole('button', { name: 'Delete Hilsen' }).click();
  await expect(page.getByText('No canned responses yet.')).toBeVisible();
  await page.getByRole('button', { name: 'Delete workstream' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete workstream Dansk support?' });
  await expect(dialog).toContainText('Conversations and contacts are kept.');
  await dialog.getByRole('button', { name: 'Delete workstream' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Workstreams' })).toBeVisible();
  await expect(page.getByRole('row', { name: /Dansk support/ })).toHaveCount(0);
});

test('an empty name is refused beside the field, in Danish too, and the draft is kept', async ({ page, stack }) => {
  await openSection(page, stack, 'Workstreams');
  await page.getByRole('combobox', { name: 'Language' }).selectOption('da');
  await expect(page.getByRole('heading', { level: 1, name: 'Arbejdsstrømme' })).toBeVisible();
  await page.getByRole('button', { name: 'Ny arbejdsstrøm' }).click();
  await field(page, 'Sprog').fill('da');
  await field(page, 'Tidsfrist for tilbud (sekunder)').fill('45');
  await page.getByRole('button', { name: 'Opret arbejdsstrøm' }).click();
  const name = field(page, 'Navn');
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(name).toHaveAccessibleDescription(/name must be 1 to 200 characters/);
  await expect(field(page, 'Tidsfrist for tilbud (sekunder)')).toHaveValue('45');
  await expect(page.getByLabel('Brug beskedmærket HUMAN_AGENT')).toHaveAccessibleDescription(/op til 7 dage/);
  await expectAccessible(page, 'workstream-editor-da');
});
