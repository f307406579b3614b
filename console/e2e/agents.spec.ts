// The admin console's agents section: an agent created with skills and a
// queue, a sign-in link that signs them in, and a token revoked in the UI.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { addSkill, editAgent, openAgents } from './agents-steps';

test('an administrator creates an agent with two skills and a queue, and signs them in with a link', async ({ page, stack, browser }) => {
  await openAgents(page, stack.base, stack.adminToken);
  await expect(page.getByRole('button', { name: 'Edit Anna Jensen' })).toBeVisible();
  await expectAccessible(page, 'admin-agents-list');

  await page.getByRole('button', { name: 'New agent' }).click();
  await page.getByLabel('Agent ID').fill('dora');
  await page.getByLabel('Name').fill('Dora Holm');
  await page.getByLabel('Email').fill('not-an-email');
  await page.getByLabel('Capacity', { exact: true }).fill('2');
  await addSkill(page, 1, 'billing', 6);
  await addSkill(page, 2, 'danish', 8);
  await page.getByRole('checkbox', { name: /Billing/ }).check();
  await page.getByRole('button', { name: 'Create agent' }).click();
  // The API refuses the email: its detail beside the field, nothing typed lost.
  const email = page.getByLabel('Email');
  await expect(email).toHaveAttribute('aria-invalid', 'true');
  await expect(page.locator('.field-invalid .field-error')).toContainText('email');
  await expect(page.getByLabel('Name')).toHaveValue('Dora Holm');
  await expect(page.getByLabel('Skill 2', { exact: true })).toHaveValue('danish');
  await email.fill('dora@example.com');
  // A level out of range: the API's detail beside the skills.
  await page.getByLabel('Level 2', { exact: true }).fill('11');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await expect(page.getByRole('group', { name: 'Skills' }).locator('.field-error')).toContainText('proficiency 11');
  await page.getByLabel('Level 2', { exact: true }).fill('8');
  await page.getByRole('button', { name: 'Create agent' }).click();
  await expect(page.getByRole('heading', { name: 'Agent Dora Holm' })).toBeVisible();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expectAccessible(page, 'admin-agent-editor');
  const stored = await stack.admin<{ skills: Record<string, number>; queues: string[]; capacity: number }>('GET', '/admin/v1/agents/dora');
  expect(stored).toMatchObject({ skills: { billing: 6, danish: 8 }, queues: ['billing'], capacity: 2 });

  await page.getByRole('button', { name: 'Back to the list' }).click();
  const row = page.getByRole('row').filter({ has: page.getByRole('button', { name: 'Edit Dora Holm' }) });
  await expect(row).toContainText('billing 6, danish 8');
  await expect(row).toContainText('Offline');

  // Presence set by the administrator.
  await editAgent(page, 'Dora Holm');
  await page.getByLabel('New presence').selectOption('away');
  await page.getByRole('button', { name: 'Set presence' }).click();
  await expect(page.getByText(/^Now Away/)).toBeVisible();

  // A one-time sign-in link, opened in another browser, signs Dora in.
  await page.getByRole('button', { name: 'Create sign-in link' }).click();
  const url = (await page.locator('.one-time-url').textContent()) ?? '';
  expect(url).toContain('/sign-in?code=');
  await expect(page.getByRole('button', { name: 'Copy sign-in link' })).toBeVisible();
  const other = await browser.newContext();
  try {
    const agentPage = await other.newPage();
    await agentPage.goto(url);
    await expect(agentPage.getByText('Dora Holm')).toBeVisible();
    await expect(agentPage.getByRole('button', { name: 'Sign out' })).toBeVisible();
  } finally {
    await other.close();
  }
  // The exchange issued a token, listed now.
  await page.getByRole('button', { name: 'Back to the list' }).click();
  await editAgent(page, 'Dora Holm');
  await expect(page.getByRole('button', { name: /^Revoke token tk_/ })).toHaveCount(1);
});

test('a token revoked in the console is refused by the agent API', async ({ page, stack }) => {
  const { token, token_id } = await stack.issueToken('bo');
  const me = () => fetch(`${stack.base}/agent/v1/me`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.status);
  expect(await me()).toBe(200);
  await openAgents(page, stack.base, stack.adminToken);
  await editAgent(page, 'Bo Nielsen');
  await page.getByRole('button', { name: `Revoke token ${token_id}` }).click();
  const dialog = page.getByRole('dialog', { name: `Revoke token ${token_id}?` });
  await expect(dialog).toContainText('stops working at once');
  await dialog.getByRole('button', { name: 'Revoke' }).click();
  await expect(page.getByRole('button', { name: `Revoke token ${token_id}` })).toHaveCount(0);
  await expect(page.getByText('No tokens in use.')).toBeVisible();
  expect(await me()).toBe(401);
});
