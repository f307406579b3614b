// A workstream with a bot (switchboard sample-bot): the bot answers the
// customer's question itself, hands an invoice question to people, and the
// agent who gets it sees what the bot said and why it came to her.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { acceptOffer, signInLive, transcript } from './agent';

const SECRET = 'e2e-bot-secret-0123456789';
const PSID = '7700000000000171';

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
