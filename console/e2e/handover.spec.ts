// Passing work on and finishing it: transfer to a colleague in a second
// browser, end and close with the survey, the supervisor watching.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { acceptOffer, offerCard, signIn, signInLive } from './agent';

const ADA = '7700000000000042';

test('transfer to another agent, who sees it in a second browser context', async ({ browser, page, stack }) => {
  const anna = await stack.agentToken('anna');
  const bo = await stack.agentToken('bo');
  await signInLive(page, stack.base, anna);
  const boContext = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const boPage = await boContext.newPage();
  try {
    await signInLive(boPage, stack.base, bo);
    await stack.customerSays(ADA, 'Hi, my order has not arrived yet.');
    await acceptOffer(page, 'Hi, my order has not arrived yet.');
    await page.getByRole('button', { name: 'Transfer', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Transfer the conversation' });
    await expect(dialog.getByRole('button', { name: 'Transfer to Bo Nielsen' })).toBeEnabled();
    await expectAccessible(page, 'transfer-dialog');
    await dialog.getByRole('button', { name: 'Transfer to Bo Nielsen' }).click();

    await acceptOffer(boPage, 'Hi, my order has not arrived yet.');
    await expect(boPage.locator('.conversation .transcript')).toContainText('Hi, my order has not arrived yet.');
    await expectAccessible(boPage, 'workspace-tablet');
    await expect(page.locator('.conversation')).toHaveCount(0);
  } finally {
    await boContext.close();
  }
});

test('end and close: the survey goes out', async ({ page, stack }) => {
  const survey = async (psid: string) =>
    (await stack.sentMessages()).some((m) => m.recipient?.id === psid && (m.message?.quick_replies?.some((q) => q.payload.startsWith('SURVEY:')) ?? false));
  await stack.presence('bo', 'offline');
  await stack.presence('carl', 'offline');
  const anna = await stack.agentToken('anna');
  await signInLive(page, stack.base, anna);

  // End: wrap-up when the workstream has one (then Close), else closed at once.
  await stack.customerSays(ADA, 'Hi, my order has not arrived yet.');
  await acceptOffer(page, 'Hi, my order has not arrived yet.');
  await page.getByRole('button', { name: 'End', exact: true }).click();
  await expect(page.locator('.conversation[data-state="wrap_up"], .conversation[data-state="closed"]')).toBeVisible();
  if ((await page.locator('.conversation[data-state="wrap_up"]').count()) > 0) await page.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page.locator('.conversation[data-state="closed"]')).toBeVisible();
  await expect(page.getByLabel('Reply')).toBeDisabled();
  await expect.poll(() => survey(ADA)).toBe(true);

  // Close straight from an active conversation.
  const BEN = '7700000000000043';
  await stack.customerSays(BEN, 'Can I change my delivery address?');
  await acceptOffer(page, 'Can I change my delivery address?');
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  await expect(page.locator('.conversation[data-state="closed"]')).toBeVisible();
  await expect.poll(() => survey(BEN)).toBe(true);
});

test('the supervisor sees queues and agents’ load change, opens a conversation read-only with its routing', async ({ page, stack }) => {
  await signIn(page, stack.base, stack.adminToken);
  await expect(page.getByRole('heading', { name: 'Live queues' })).toBeVisible();
  await expect(page.getByTestId('load-anna')).toHaveText('0/2');
  await stack.customerSays(ADA, 'Hej, min faktura er forkert');
  await expect(page.getByTestId('load-anna')).toHaveText('1/2');
  const open = page.locator('tr[data-agent="anna"]').getByRole('button', { name: /^Open cv_/ });
  await open.click();
  await expect(page.getByRole('heading', { name: 'Routing diagnostics' })).toBeVisible();
  await expect(page.locator('.routing')).toContainText('billing');
  await expect(page.locator('.verdicts')).toContainText('chosen');
  await expectAccessible(page, 'supervisor');

  // The admin token reassigns too (choices from the overview), and stays signed in.
  const id = ((await open.textContent()) ?? '').trim();
  await page.locator('.drill-in').getByRole('button', { name: 'Reassign' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Transfer to Carl Smith' }).click();
  await expect(page.locator('tr[data-agent="carl"]')).toContainText(id);
  await expect(page.getByTestId('load-anna')).toHaveText('0/2');
  await expect(page.getByRole('heading', { name: 'Live queues' })).toBeVisible();
});

test('Danish: the interface switches and remembers', async ({ page, stack }) => {
  await page.goto(stack.base);
  await page.getByLabel('Language').selectOption('da');
  await expect(page.getByRole('button', { name: 'Log ind' })).toBeVisible();
  await page.reload();
  await expect(page.getByRole('button', { name: 'Log ind' })).toBeVisible();
  const anna = await stack.agentToken('anna');
  await page.getByLabel('Token').fill(anna);
  await page.getByRole('button', { name: 'Log ind' }).click();
  await stack.customerSays(ADA, 'Hej, min faktura er forkert');
  await expect(offerCard(page, 'Hej, min faktura er forkert').getByRole('button', { name: 'Acceptér' })).toBeVisible();
  await expectAccessible(page, 'workspace-danish');
});
