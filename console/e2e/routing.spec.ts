// Routing rules in the console: rulesets in order, a rule built in the
// condition builder (a bad regular expression refused beside it, nothing
// typed lost), "Try a message", and a real customer message that goes
// exactly where the preview said.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { childCondition, openRouting, routedConversation, rulesetRows, setCondition } from './routing-steps';
import type { AdminSchemas } from '../src/api/types';

test('a rule made in the console routes a real message where "Try a message" said', async ({ page, stack }) => {
  await openRouting(page, stack);
  await expect(rulesetRows(page)).toHaveText([/Classify/, /Route to a queue/]);
  await expectAccessible(page, 'routing-rulesets');

  // The example's Danish-invoice rule goes; ours replaces it.
  await page.getByRole('button', { name: 'Delete Classify' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete the ruleset Classify?' });
  await expect(dialog).toContainText('Conversations already routed keep their queue');
  await dialog.getByRole('button', { name: 'Delete' }).click();
  await expect(rulesetRows(page)).toHaveText([/Route to a queue/]);

  await page.getByRole('button', { name: 'New ruleset' }).click();
  const editor = page.getByRole('form', { name: 'New ruleset' });
  await editor.getByLabel('Id', { exact: true }).fill('invoices');
  await editor.getByLabel('Name', { exact: true }).fill('Invoices');
  const rule = editor.getByRole('group', { name: 'Rule 1' });
  await rule.getByLabel('Rule name').fill('faktura');
  const root = rule.locator('.cond').first();
  await expect(root.getByLabel('Condition').first()).toHaveValue('all');
  await root.getByRole('button', { name: 'Add a condition' }).last().click();
  await root.getByRole('button', { name: 'Add a condition' }).last().click();
  await setCondition(childCondition(root, 1), 'Language is', 'da');
  // A regular expression that does not compile.
  await setCondition(childCondition(root, 2), 'Text matches (regular expression)', 'faktura(');
  await rule.getByRole('button', { name: 'Add a skill' }).click();
  await rule.getByLabel('Skill', { exact: true }).fill('billing');
  await rule.getByLabel('Minimum level (1–10)').fill('1');
  await rule.getByLabel('Priority', { exact: true }).fill('2');
  await rule.getByRole('button', { name: 'Add an attribute' }).click();
  await rule.getByLabel('Attribute', { exact: true }).fill('topic');
  await rule.getByLabel('Attribute value').fill('billing');
  await editor.getByRole('button', { name: 'Save ruleset' }).click();

  const regex = childCondition(root, 2);
  await expect(regex.getByRole('alert')).toContainText('does not compile');
  await expect(regex.getByLabel('Value')).toHaveAttribute('aria-invalid', 'true');
  await expect(regex.getByLabel('Value')).toHaveValue('faktura(');
  await expect(editor.getByLabel('Name', { exact: true })).toHaveValue('Invoices');
  await expect(rule.getByLabel('Skill', { exact: true })).toHaveValue('billing');
  await expectAccessible(page, 'routing-rule-editor');

  // Fixed: "text contains" keeps the typed text.
  await regex.getByLabel('Condition').first().selectOption({ label: 'Text contains' });
  await expect(regex.getByLabel('Value')).toHaveValue('faktura(');
  await regex.getByLabel('Value').fill('faktura');
  await editor.getByRole('button', { name: 'Save ruleset' }).click();
  await expect(page.getByRole('status')).toContainText('Ruleset Invoices saved.');
  await expect(rulesetRows(page)).toHaveText([/Route to a queue/, /Invoices/]);

  // Classification must run before routing: move it up, from the keyboard.
  await page.getByRole('button', { name: 'Move Invoices up' }).focus();
  await page.keyboard.press('Enter');
  await expect(rulesetRows(page)).toHaveText([/Invoices/, /Route to a queue/]);
  // The list moves at once; the saved order once the status says so.
  await expect(page.getByRole('status')).toContainText('Invoices moved to place 1.');
  const saved = await stack.admin<{ rulesets: AdminSchemas['Ruleset'][] }>('GET', '/admin/v1/rulesets?workstream=support');
  expect(saved.rulesets.map((r) => r.id)).toEqual(['invoices', 'route']);
  const invoices = saved.rulesets[0];
  expect(invoices?.kind === 'classification' && invoices.rules[0]).toEqual({
    name: 'faktura',
    when: { all: [{ locale: 'da' }, { text_contains: 'faktura' }] },
    set: { skills: { billing: 1 }, priority: 2, attributes: { topic: 'billing' } },
  });

  // Try a message.
  const tryIt = page.getByRole('region', { name: 'Try a message' });
  await expect(tryIt.getByLabel('Page')).toHaveValue('104857600000001');
  await tryIt.getByLabel('Message').fill('Min faktura er forkert');
  await tryIt.getByLabel('The customer’s language').fill('da');
  await tryIt.getByRole('button', { name: 'Try it' }).click();
  const result = tryIt.getByRole('region', { name: 'Result' });
  await expect(result.locator('.preview-rulesets > li').first()).toContainText('Invoices: matched: faktura');
  await expect(result).toContainText('billing ≥ 1');
  await expect(result.locator('.preview-queue')).toHaveText('billing');
  await expect(result).toContainText('It would be offered to anna.');
  await expect(result.getByRole('row', { name: /anna/ })).toContainText('Chosen');
  await expect(result.getByRole('row', { name: /bo/ })).toContainText('Qualifies, ranked 1');
  await expectAccessible(page, 'routing-preview');

  // The same message from a real customer goes where the preview said.
  const preview = await stack.admin<AdminSchemas['Preview']>('POST', '/admin/v1/routing/preview', {
    page_id: '104857600000001',
    text: 'Min faktura er forkert',
  });
  expect(preview.locale).toBe('da');
  await stack.customerSays('7700000000000042', 'Min faktura er forkert');
  const conv = await routedConversation(stack, '7700000000000042');
  const diag = await stack.admin<{ routing: AdminSchemas['Routing'] }>('GET', `/admin/v1/conversations/${conv.id}/routing`);
  expect(diag.routing.queue).toBe('billing');
  expect(diag.routing.queue).toBe(preview.queue);
  expect(diag.routing.skills).toEqual(preview.skills);
  expect(diag.routing.priority).toBe(preview.priority);
  expect(diag.routing.offer?.agent).toBe('anna');
  expect(diag.routing.offer?.agent).toBe(preview.offered_to);
  const classified = diag.routing.decisions?.find((d) => d.step === 'classified');
  expect(classified?.rulesets).toEqual(preview.rulesets);

  // The same customer again, by PSID: returning.
  await tryIt.getByLabel('Existing customer’s PSID (optional)').fill('7700000000000042');
  await tryIt.getByRole('button', { name: 'Try it' }).click();
  await expect(result.locator('dd').nth(2)).toHaveText('yes');

  // A sample the API refuses: its detail beside the field, the message kept.
  await tryIt.getByLabel('The customer’s language').fill('not a locale');
  await tryIt.getByRole('button', { name: 'Try it' }).click();
  await expect(tryIt.getByLabel('The customer’s language')).toHaveAttribute('aria-invalid', 'true');
  await expect(tryIt.getByRole('alert')).toContainText('is not a language tag');
  await expect(tryIt.getByLabel('Message')).toHaveValue('Min faktura er forkert');

  // Editing shows the saved rule as built, and saves a change.
  await page.getByRole('button', { name: 'Edit Invoices' }).click();
  const edit = page.getByRole('form', { name: 'Edit ruleset Invoices' });
  const saved1 = edit.getByRole('group', { name: 'Rule 1' });
  await expect(saved1.getByLabel('Rule name')).toHaveValue('faktura');
  await expect(childCondition(saved1.locator('.cond').first(), 2).getByLabel('Value')).toHaveValue('faktura');
  await saved1.getByLabel('Priority', { exact: true }).fill('3');
  await edit.getByRole('button', { name: 'Save ruleset' }).click();
  await expect(page.getByRole('status')).toContainText('Ruleset Invoices saved.');
  const after = await stack.admin<AdminSchemas['Ruleset']>('GET', '/admin/v1/rulesets/invoices');
  expect(after.kind === 'classification' && after.rules[0]?.set?.priority).toBe(3);

  // In Danish.
  await page.getByRole('combobox', { name: 'Language', exact: true }).selectOption('da');
  await expect(page.getByRole('heading', { name: 'Routingregler', level: 1 })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Prøv en besked' })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Flyt Invoices ned' })).toBeVisible();
});
