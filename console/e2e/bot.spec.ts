// A workstream with a bot (switchboard sample-bot), set in the workstream
// editor: the bot answers the customer's question itself, hands an invoice
// question to people, and the agent who gets it sees what the bot said and
// why it came to her.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { acceptOffer, signInLive, transcript } from './agent';
import { openSection } from './workstreams-steps';

const SECRET = 'e2e-bot-secret-0123456789';
const PSID = '7700000000000171';

test('an administrator gives the workstream a bot in the editor', async ({ page, stack }) => {
  const url = await stack.sampleBot(SECRET);
  await openSection(page, stack, 'Workstreams');
  await page.getByRole('button', { name: 'Edit Support' }).click();
  const bot = page.getByRole('region', { name: '8. Bot' });
  await bot.getByLabel('A bot answers first').check();
  await bot.getByLabel('Bot URL').fill('ftp://bot.example/events');
  await bot.getByLabel('Signing secret').fill(SECRET);
  await page.getByRole('button', { name: 'Save workstream' }).click();
  // The API's reason, beside the URL; nothing typed is lost.
  await expect(bot.getByRole('alert')).toContainText('url');
  await expect(bot.getByLabel('Signing secret')).toHaveValue(SECRET);
  await bot.getByLabel('Bot URL').fill(url);
  await bot.getByLabel('Timeout per attempt (ms)').fill('2000');
  await page.getByRole('button', { name: 'Save workstream' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expectAccessible(page, 'workstream-bot');
  const stored = await stack.admin<{ bot?: { url: string; timeout_ms: number; secret_ref: string } }>('GET', '/admin/v1/workstreams/support');
  expect(stored.bot).toMatchObject({ url, timeout_ms: 2000 });
  expect(JSON.stringify(stored)).not.toContain(SECRET);
  // The secret is never shown again: the field is empty, and saving keeps it.
  await page.reload();
  await page.getByRole('button', { name: 'Edit Support' }).click();
  await expect(page.getByRole('region', { name: '8. Bot' }).getByLabel('Signing secret')).toHaveValue('');
  await page.getByRole('button', { name: 'Save workstream' }).click();
  await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await stack.customerSays(PSID, 'When are you open?');
  await expect
    .poll(async () => (await stack.sentMessages()).some((m) => m.recipient?.id === PSID && (m.message?.text ?? '').includes('We are open')))
    .toBe(true);
});

test('the bot answers first, and an escalated conversation reaches the agent with its part and its reason', async ({ page, stack }) => {
  const url = await stack.sampleBot(SECRET);
  await stack.admin('PATCH', '/admin/v1/workstreams/support', { bot: { url, secret: SECRET } });
  const anna = await stack.agentToken('anna');
  await signInLive(page, stack.base, anna);

  await stack.customerSays(PSID, 'When are you open?');
  // The bot answered; nobody was offered it.
  await expect
    .poll(async () => (await stack.admin<{ conversations: { state: string }[] }>('GET', `/admin/v1/conversations?psid=${PSID}`)).conversations[0]?.state)
    .toBe('bot');
  await expect(page.locator('.offer-card')).toHaveCount(0);

  await stack.customerSays(PSID, 'My invoice is wrong');
  // The offer names how the conversation began.
  await acceptOffer(page, 'When are you open?');
  await expect(transcript(page)).toContainText('My invoice is wrong');
  await expect(page.locator('.conversation-head').getByRole('note')).toHaveText(/^From the bot: invoice question/);
  await expect(transcript(page)).toContainText('We are open Monday to Friday, 9:00 to 17:00.');
  await expect(transcript(page)).toContainText('That needs a person from Billing');
  await expectAccessible(page, 'workspace-escalated-from-bot');
});
