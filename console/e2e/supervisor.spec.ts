// A supervisor (an agent token issued with supervisor) watches, reassigns and
// reads the survey results.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { signInLive } from './agent';

const ADA = '7700000000000042';

test('a supervisor reassigns a conversation read-only and sees survey averages', async ({ page, stack }) => {
  const anna = await stack.agentToken('anna');
  const carl = await stack.agentToken('carl', true);
  await signInLive(page, stack.base, carl);
  await page.getByRole('button', { name: 'Supervisor', exact: true }).click();
  await expect(page.getByRole('heading', { name: 'Live agents' })).toBeVisible();

  // Anna takes a billing conversation; the supervisor opens it and moves it to Bo.
  await stack.customerSays(ADA, 'Hej, min faktura er forkert');
  const row = page.locator('tr[data-agent="anna"]');
  const open = row.getByRole('button', { name: /^Open cv_/ });
  await expect(open).toBeVisible();
  const id = ((await open.textContent()) ?? '').trim();
  await stack.asAgent(anna, 'POST', `/agent/v1/conversations/${id}/accept`);
  await expect(page.getByTestId('load-anna')).toHaveText('1/2');
  await open.click();
  const drill = page.locator('.drill-in');
  await expect(drill.locator('.transcript')).toContainText('Hej, min faktura er forkert');
  await expect(drill.getByLabel('Reply')).toBeDisabled();
  await expect(drill.locator('.reply-disabled .reason')).toContainText('Read-only');
  await drill.getByRole('button', { name: 'Reassign' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Transfer to Bo Nielsen' }).click();
  await expect(page.locator('tr[data-agent="bo"]')).toContainText(id);
  await expect(page.getByTestId('load-anna')).toHaveText('0/2');

  // Bo answers and closes; the customer rates 4; the period's averages show it.
  const bo = await stack.agentToken('bo');
  await stack.asAgent(bo, 'POST', `/agent/v1/conversations/${id}/accept`);
  await stack.asAgent(bo, 'POST', `/agent/v1/conversations/${id}/close`);
  let payload = '';
  await expect
    .poll(async () => {
      const survey = (await stack.sentMessages()).find((m) => m.message?.quick_replies?.some((q) => q.payload.startsWith(`SURVEY:${id}:`)));
      payload = survey?.message?.quick_replies?.find((q) => q.payload.startsWith(`SURVEY:${id}:4:`))?.payload ?? '';
      return payload;
    })
    .not.toBe('');
  await stack.customerTaps(ADA, '4', payload);
  const surveys = page.locator('.surveys');
  await expect
    .poll(async () => {
      await surveys.getByRole('button', { name: 'Show' }).click();
      return surveys.locator('tr').filter({ hasText: 'bo' }).first().textContent();
    })
    .toContain('4.00');
  await expectAccessible(page, 'supervisor-agent');
});
