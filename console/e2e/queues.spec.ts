// The queues section: live waiting counts in the list; create a queue with
// weekday hours in Europe/Copenhagen, a holiday, an overflow rule and a
// member; an empty name is refused beside the field with the draft kept.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { field, openSection } from './workstreams-steps';

interface Queue {
  priority: number;
  assignment: string;
  hours?: { time_zone: string; weekly: Record<string, { from: string; to: string }[]>; holidays: string[] };
  overflow: unknown;
}

test('queues show who is waiting, live; a new queue gets hours, a holiday, an overflow rule and a member', async ({ page, stack }) => {
  for (const a of ['anna', 'bo', 'carl']) await stack.presence(a, 'away');
  await openSection(page, stack, 'Queues');
  const general = page.getByTestId('queues-waiting-general');
  await expect(general).toHaveText('0 waiting');
  await expect(page.getByRole('row', { name: /Billing/ })).toContainText('Anna Jensen, Bo Nielsen');
  await expectAccessible(page, 'queues-list');

  // Nobody is available: a customer's message waits in General (the fallback queue).
  await stack.customerSays('7700000000000077', 'Hello, is anyone there?');
  await expect(general).toHaveText('1 waiting');

  await page.getByRole('button', { name: 'New queue' }).click();
  await field(page, 'Id').fill('nordic');
  await field(page, 'Priority').fill('3');
  await field(page, 'Assignment method').selectOption({ label: 'Round robin' });
  await page.getByLabel('Open only at set hours').check();
  await field(page, 'Time zone').selectOption('Europe/Copenhagen');
  await page.getByLabel('Monday, span 1: from').fill('08:00');
  await page.getByLabel('Open on Friday').uncheck();
  await page.getByLabel('Holiday', { exact: true }).fill('2026-12-24');
  await page.getByRole('button', { name: 'Add holiday' }).click();
  const ooh = page.getByRole('group', { name: 'Outside operating hours' });
  await ooh.getByLabel('Then').selectOption('transfer');
  await ooh.getByLabel('Queue to transfer to').selectOption({ label: 'General' });
  await page.getByLabel(/Anna Jensen/).check();

  // No name: the API's detail beside the field; everything else kept.
  await page.getByRole('button', { name: 'Create queue' }).click();
  const name = field(page, 'Name');
  await expect(name).toHaveAttribute('aria-invalid', 'true');
  await expect(name).toHaveAccessibleDescription(/name must be 1 to 200 characters/);
  await expect(field(page, 'Priority')).toHaveValue('3');
  await expect(page.getByLabel('Monday, span 1: from')).toHaveValue('08:00');
  await expect(page.getByText('2026-12-24')).toBeVisible();
  await expect(page.getByLabel(/Anna Jensen/)).toBeChecked();

  await name.fill('Nordic');
  await page.getByRole('button', { name: 'Create queue' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Queue Nordic' })).toBeVisible();
  await expect(page.getByText('Saved.')).toBeVisible();
  await expect(page.locator('.queues-live')).toContainText('0 waiting');
  const q = await stack.admin<Queue>('GET', '/admin/v1/queues/nordic');
  expect(q.priority).toBe(3);
  expect(q.assignment).toBe('round_robin');
  const day = [{ from: '09:00', to: '17:00' }];
  expect(q.hours).toEqual({
    time_zone: 'Europe/Copenhagen',
    weekly: { monday: [{ from: '08:00', to: '17:00' }], tuesday: day, wednesday: day, thursday: day },
    holidays: ['2026-12-24'],
  });
  expect(q.overflow).toEqual({ out_of_hours: { action: 'transfer', queue: 'general' } });
  const anna = await stack.admin<{ queues: string[] }>('GET', '/admin/v1/agents/anna');
  expect(anna.queues).toContain('nordic');
  await expectAccessible(page, 'queue-editor');

  await page.getByRole('button', { name: 'Back to the queues' }).click();
  const row = page.getByRole('row', { name: /Nordic/ });
  await expect(row).toContainText('Set hours (Europe/Copenhagen)');
  await expect(row).toContainText('Anna Jensen');
  await expect(page.getByTestId('queues-waiting-nordic')).toHaveText('0 waiting');
  await expect(general).toHaveText('1 waiting');

  // Deleting a queue an agent still works is refused, with the reason; free, it goes.
  await row.getByRole('button', { name: 'Edit Nordic' }).click();
  await page.getByRole('button', { name: 'Delete queue' }).click();
  const dialog = page.getByRole('dialog', { name: 'Delete queue Nordic?' });
  await dialog.getByRole('button', { name: 'Delete queue' }).click();
  await expect(dialog.getByRole('alert')).toContainText('agent anna');
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await page.getByLabel(/Anna Jensen/).uncheck();
  await page.getByRole('button', { name: 'Save queue' }).click();
  await expect(page.getByText('Saved.')).toBeVisible();
  await page.getByRole('button', { name: 'Delete queue' }).click();
  await dialog.getByRole('button', { name: 'Delete queue' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Queues' })).toBeVisible();
  await expect(page.getByRole('row', { name: /Nordic/ })).toHaveCount(0);
});

test('the queue list and editor in Danish', async ({ page, stack }) => {
  await openSection(page, stack, 'Queues');
  await page.getByRole('combobox', { name: 'Language' }).selectOption('da');
  await expect(page.getByRole('heading', { level: 1, name: 'Køer' })).toBeVisible();
  await page.getByRole('button', { name: 'Rediger Billing' }).click();
  await expect(page.getByRole('heading', { name: 'Åbningstider' })).toBeVisible();
  await page.getByLabel('Kun åben på faste tider').check();
  await expect(page.getByLabel('Åben om mandagen')).toBeChecked();
  await expectAccessible(page, 'queue-editor-da');
});
