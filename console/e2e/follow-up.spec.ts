// A customer message Meta delivers 30 hours late, to a workstream without the
// HUMAN_AGENT tag: the agent is offered it marked as follow-up work, it costs
// her no capacity, and the administrator's and the supervisor's conversation
// lists mark it too.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { acceptOffer, offerCard, signInLive } from './agent';
import { openConversations, resultRows } from './conversations-steps';

const LATE = '7700000000000161';
const HOUR = 3_600_000;
const TEXT = 'Hej, min faktura er forkert';

test('a message whose window closed before it arrived is follow-up work at no capacity', async ({ page, stack }) => {
  const anna = await stack.agentToken('anna');
  await signInLive(page, stack.base, anna);
  await stack.customerSays(LATE, TEXT, Date.now() - 30 * HOUR);

  const card = offerCard(page, TEXT);
  await expect(card.getByText('Follow-up: window closed')).toBeVisible();
  await expectAccessible(page, 'workspace-follow-up-offer');
  await acceptOffer(page, TEXT);
  await expect(page.locator('.inbox').getByText('Follow-up: window closed')).toBeVisible();
  await expect(page.locator('.conversation-head').getByText('Follow-up: window closed')).toBeVisible();
  const presence = await stack.asAgent<{ used_capacity: number }>(anna, 'GET', '/agent/v1/presence');
  expect(presence.used_capacity).toBe(0);

  // A new tab has its own session: the administrator's.
  const admin = await page.context().newPage();
  await openConversations(admin, stack.base, stack.adminToken);
  await expect(resultRows(admin)).toHaveCount(1);
  await expect(resultRows(admin).first().getByText('Follow-up: window closed')).toBeVisible();
  await expectAccessible(admin, 'admin-conversations-follow-up');

  // The supervisor view marks it among the open conversations.
  const supervisor = await page.context().newPage();
  await signInLive(supervisor, stack.base, await stack.agentToken('carl', true));
  await supervisor.getByRole('button', { name: 'Supervisor', exact: true }).click();
  await expect(supervisor.locator('.all-conversations tr[data-conversation]').getByText('Follow-up: window closed')).toBeVisible();
});
