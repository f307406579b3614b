// Nobody left waiting: anna accepts a conversation and walks away without
// answering; the supervisor sees the first-response alert, then the
// conversation is taken back and offered to bo, and anna's console says so.
// And anna signs out holding a customer's question: bo gets it.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { acceptOffer, signInLive } from './agent';

const CUSTOMER = '7700000000000451';

interface Workstream {
  distribution: Record<string, unknown>;
}

test('an accepted conversation left unanswered goes to the next agent', async ({ browser, page, stack }) => {
  test.setTimeout(120_000);
  // Short times, to watch it happen (serve runs routing's timers every 5 s).
  const ws = await stack.admin<Workstream>('GET', '/admin/v1/workstreams/support');
  await stack.admin('PATCH', '/admin/v1/workstreams/support', {
    distribution: { ...ws.distribution, first_response_alert_seconds: 10, reclaim_after_seconds: 30 },
  });
  // Only anna is there to take it.
  await stack.presence('carl', 'offline');
  await stack.presence('bo', 'away');

  await signInLive(page, stack.base, await stack.agentToken('anna'));
  await stack.customerSays(CUSTOMER, 'Hello, where is my parcel?');
  await acceptOffer(page, 'where is my parcel');

  // A supervisor in another browser sees the alert once 10 s have passed.
  const supervisorContext = await browser.newContext();
  const supervisor = await supervisorContext.newPage();
  await signInLive(supervisor, stack.base, await stack.agentToken('carl', true));
  await supervisor.getByRole('button', { name: 'Supervisor', exact: true }).click();
  const alerts = supervisor.locator('.first-response-alerts');
  await expect(alerts.locator('[data-alert]')).toContainText('Anna Jensen accepted it and has not answered', { timeout: 20_000 });
  await expect(alerts.locator('[data-alert]')).toContainText('Taken back in');
  await expectAccessible(supervisor, 'supervisor-first-response-alert');

  // Bo comes back; anna's 30 s run out: the conversation is his offer now.
  await stack.presence('bo', 'available');
  const bo = await stack.agentToken('bo');
  const id = (await alerts.locator('[data-alert]').getAttribute('data-alert')) ?? '';
  expect(id).toMatch(/^cv_/);
  await expect
    .poll(
      async () => {
        const list = await stack.asAgent<{ conversations: { id: string; state: string }[] }>(bo, 'GET', '/agent/v1/conversations');
        return list.conversations.find((c) => c.id === id)?.state ?? 'not his';
      },
      { timeout: 45_000 },
    )
    .toBe('offered');

  // Anna's console tells her, and no longer shows it as hers.
  const notice = page.locator('.taken-back');
  await expect(notice).toContainText('went to the next agent');
  await expect(page.locator('.conversation[data-state="assigned"]')).toHaveCount(0);
  await expectAccessible(page, 'agent-taken-back');
  await notice.getByRole('button', { name: /^Dismiss the notice about/ }).click();
  await expect(notice).toHaveCount(0);

  // The supervisor's alert is gone, and the reason is on the transcript.
  await expect(alerts.locator('[data-alert]')).toHaveCount(0);
  await expect(supervisor.locator('tr[data-agent="bo"]')).toContainText(id);
  await supervisor.locator('tr[data-agent="bo"]').getByRole('button', { name: `Open ${id}` }).click();
  await expect(supervisor.locator('.drill-in .transcript')).toContainText('reclaimed: anna accepted it 30 s ago and has not replied');
  // Today's service levels count it (read again on opening the view).
  await supervisor.reload();
  await expect(supervisor.getByRole('heading', { name: 'Service levels today' })).toBeVisible();
  await expect(supervisor.getByTestId('reclaimed-all')).toHaveText('1');
  await expect(supervisor.getByTestId('reclaimed-general')).toHaveText('1');
  await expect(supervisor.getByTestId('handed-off-all')).toHaveText('0');
  await expectAccessible(supervisor, 'supervisor-service-levels');
  await supervisorContext.close();
});

test('an agent who signs out holding a waiting customer hands them on', async ({ page, stack }) => {
  test.setTimeout(120_000);
  const ws = await stack.admin<Workstream>('GET', '/admin/v1/workstreams/support');
  await stack.admin('PATCH', '/admin/v1/workstreams/support', {
    distribution: { ...ws.distribution, handoff_after_seconds: 30 },
  });
  await stack.presence('carl', 'offline');
  await stack.presence('bo', 'away');
  await signInLive(page, stack.base, await stack.agentToken('anna'));
  await stack.customerSays('7700000000000452', 'Hi, my order never came');
  await acceptOffer(page, 'my order never came');
  const id = await page.locator('.conversation[data-state="assigned"]').getAttribute('data-conversation');

  // anna signs out with the customer's question unanswered: she is offline.
  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page.getByLabel('Token')).toBeVisible();
  const anna = await stack.admin<{ presence: { status: string } }>('GET', '/admin/v1/agents/anna');
  expect(anna.presence.status).toBe('offline');

  // bo is back; 30 s after she left, the customer is his offer.
  await stack.presence('bo', 'available');
  const bo = await stack.agentToken('bo');
  await expect
    .poll(
      async () => {
        const list = await stack.asAgent<{ conversations: { id: string; state: string }[] }>(bo, 'GET', '/agent/v1/conversations');
        return list.conversations.map((c) => c.state).join(',');
      },
      { timeout: 45_000 },
    )
    .toBe('offered');
  const timeline = await stack.admin<{ transcript: { text?: string | null }[] }>('GET', `/admin/v1/conversations/${id ?? ''}/timeline`);
  expect(timeline.transcript.map((e) => e.text ?? '').join('\n')).toContain('handed_off: anna has been offline for more than 30 s');
  const report = await stack.admin<{ total: { handed_off: number } }>('GET', '/admin/v1/reports/service-level');
  expect(report.total.handed_off).toBe(1);
});

test('a customer whose window closes within the hour unanswered goes to the top and shows to supervisors', async ({ browser, stack }) => {
  test.setTimeout(60_000);
  // Nobody is there to take it: it waits.
  for (const agent of ['anna', 'bo', 'carl']) await stack.presence(agent, 'offline');
  const newer = '7700000000000454';
  await stack.customerSays(newer, 'Hello, a question about my invoice');
  // The customer wrote 23 and a half hours ago (the message arrives late):
  // their window closes in half an hour, unanswered.
  await stack.customerSays('7700000000000453', 'Is my refund on its way?', Date.now() - 23.5 * 3600 * 1000);

  const supervisorContext = await browser.newContext();
  const supervisor = await supervisorContext.newPage();
  await signInLive(supervisor, stack.base, await stack.agentToken('carl', true));
  await supervisor.getByRole('button', { name: 'Supervisor', exact: true }).click();
  const alerts = supervisor.getByRole('region', { name: /Windows closing unanswered/ });
  await expect(alerts.locator('[data-window-alert]')).toContainText('Waiting at the top of general; the window closes in', { timeout: 20_000 });
  await expect(alerts.getByRole('heading')).toHaveText('Windows closing unanswered (1)');
  await expectAccessible(supervisor, 'supervisor-window-alert');

  // At the top of its queue, ahead of the customer who wrote after it.
  const id = await alerts.locator('[data-window-alert]').getAttribute('data-window-alert');
  const waiting = await stack.admin<{ waiting: { conversation_id: string; priority: number }[] }>('GET', '/admin/v1/queues/general/waiting');
  expect(waiting.waiting[0]).toMatchObject({ conversation_id: id, priority: 0 });
  expect(waiting.waiting.length).toBe(2);
  const timeline = await stack.admin<{ transcript: { text?: string | null }[] }>('GET', `/admin/v1/conversations/${id ?? ''}/timeline`);
  expect(timeline.transcript.map((e) => e.text ?? '').join('\n')).toContain("window_closing: the customer's last message is unanswered");
  await supervisorContext.close();
});
