// Meta's Conversation Routing in the console: an administrator sets a
// page to hand closed conversations back to the shop's bot app, and the
// agent's close does it; a supervisor takes a thread the bot app has, the
// agent sees where it came from, and the supervisor passes it back when
// the bot app asks for it.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { acceptOffer, signInLive } from './agent';
import { openChannels, pageCard } from './channels-steps';
import { openConversations } from './conversations-steps';

const SHOP_BOT = '900000000000099';
const PAGE = '104857600000001';

test('closing hands the thread back to the app the page names', async ({ browser, page, stack }) => {
  await openChannels(page, stack.base, stack.adminToken);
  const card = pageCard(page, 'Acme Facebook', PAGE);
  const routing = card.getByRole('group', { name: 'Conversation Routing' });
  await routing.getByLabel('Who owns new conversations').selectOption('standby');
  await routing.getByLabel('Hand back to app (ID)').fill('not-an-app');
  await routing.getByRole('button', { name: 'Save Conversation Routing' }).click();
  await expect(routing.getByText('Hand back to app (ID) is digits only (1 to 32).')).toBeVisible();
  await routing.getByLabel('Hand back to app (ID)').fill(SHOP_BOT);
  await routing.getByRole('button', { name: 'Save Conversation Routing' }).click();
  await expect(routing.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
  await expectAccessible(page, 'channels-conversation-routing');
  const stored = await stack.admin<{ conversation_routing: { mode: string; hand_back_to?: string } }>('GET', `/admin/v1/accounts/acme/pages/${PAGE}`);
  expect(stored.conversation_routing).toEqual({ mode: 'standby', hand_back_to: SHOP_BOT });

  const agentPage = await browser.newPage();
  try {
    const PSID = '7700000000000181';
    await signInLive(agentPage, stack.base, await stack.agentToken('anna'));
    await stack.customerSays(PSID, 'Can I return these shoes?');
    await acceptOffer(agentPage, 'Can I return these shoes?');
    await agentPage.getByRole('button', { name: 'Close', exact: true }).click();
    await expect(agentPage.locator('.conversation[data-state="closed"]')).toBeVisible();
    // After the survey, the thread goes back to the shop's bot app.
    await expect.poll(() => stack.threadOwner(PSID)).toBe(SHOP_BOT);
    const paths = (await stack.graphRequests()).filter((r) => r.method === 'POST').map((r) => r.path);
    const lastSend = paths.map((p) => p.endsWith('/messages')).lastIndexOf(true);
    expect(lastSend).toBeLessThan(paths.findIndex((p) => p.endsWith('/pass_thread_control')));
  } finally {
    await agentPage.close();
  }
});

test('a supervisor takes a thread from the bot app, and passes it back when asked', async ({ browser, page, stack }) => {
  const PSID = '7700000000000182';
  const now = Date.now();
  await stack.setThreadOwner(PSID, SHOP_BOT);
  // The bot app has the customer: Switchboard sees it in standby only.
  await stack.deliver({ standby: [{ sender: { id: PSID }, recipient: { id: PAGE }, timestamp: now, message: { mid: `m_e2e_standby_${now}`, text: 'Your bot keeps sending me the menu' } }] });
  await openConversations(page, stack.base, stack.adminToken);
  await page.getByRole('button', { name: `Open the conversation with Customer ${PSID}` }).click();
  const detail = page.locator('.conv-detail');
  const control = detail.getByRole('region', { name: 'Conversation Routing' });
  await expect(control).toContainText('Another app has this customer');
  await expectAccessible(page, 'admin-thread-take');

  const agentPage = await browser.newPage();
  try {
    await signInLive(agentPage, stack.base, await stack.agentToken('anna'));
    await control.getByRole('button', { name: 'Take control from the other app' }).click();
    await expect(detail.locator('.conv-state')).not.toHaveText('Waiting');
    await expect.poll(() => stack.threadOwner(PSID)).toBe('900000000000001');
    // The agent gets it, and reads where it came from.
    await acceptOffer(agentPage, 'Your bot keeps sending me the menu');
    await expect(agentPage.locator('.conversation-head').getByRole('note')).toHaveText('A supervisor took this conversation from the app that had it.');

    // The bot app asks for it back; the supervisor passes it.
    await stack.deliver({ messaging: [{ sender: { id: PSID }, recipient: { id: PAGE }, timestamp: Date.now(), request_thread_control: { requested_owner_app_id: Number(SHOP_BOT), metadata: 'order tracking' } }] });
    await page.reload();
    await expect(control).toContainText(`app ${SHOP_BOT} asks for this conversation.`);
    await expect(control).toContainText('It says: “order tracking”');
    await expectAccessible(page, 'admin-thread-request');
    await control.getByRole('button', { name: `Pass it to app ${SHOP_BOT}` }).click();
    await expect(detail.locator('.conv-state')).toHaveText('Closed');
    await expect(control).toContainText(`app ${SHOP_BOT} has this conversation now.`);
    await expect.poll(() => stack.threadOwner(PSID)).toBe(SHOP_BOT);
    // The agent is told it went away, and why.
    await expect(agentPage.locator('.conversation-head').getByRole('note')).toHaveText(`app ${SHOP_BOT} has this conversation now: it can no longer be answered from Switchboard.`);
  } finally {
    await agentPage.close();
  }
});
