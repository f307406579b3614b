// Configuration as code from the browser: download the configuration (the
// file apply reads, no secrets), upload it (no changes), upload an edited
// file (its diff, applied; the second apply shows no changes), a broken
// file (the API's problem, nothing applied), and the section in Danish.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { diff, download, openConfiguration, upload } from './configuration-steps';

test('download the configuration, upload it, edit it, apply it: the second apply changes nothing', async ({ page, stack }) => {
  await openConfiguration(page, stack.base, stack.adminToken);
  await expectAccessible(page, 'configuration');

  const file = await download(page);
  expect(file.name).toBe('switchboard.yaml');
  for (const wanted of ['id: acme', 'app_id:', "page_id: '104857600000001'", 'id: support', 'id: billing', 'id: anna', 'id: classify', 'shortcut: hej']) {
    expect(file.text).toContain(wanted);
  }
  for (const secret of ['local-dev-app-secret', 'local-dev-page-token', 'local-dev-verify-token']) {
    expect(file.text).not.toContain(secret);
  }

  // The file just downloaded changes nothing.
  await upload(page, 'switchboard.yaml', file.text);
  await expect(diff(page, 'switchboard.yaml')).toContainText('No changes');
  await expect(page.getByRole('button', { name: 'Apply' })).toHaveCount(0);

  // An edited file: a new queue and the workstream in Danish.
  const edited = file.text.replace('queues:\n', 'queues:\n- id: vip\n  name: VIP\n  priority: 0\n').replace('locale: en\n', 'locale: da\n');
  await upload(page, 'edited.yaml', edited);
  const changes = diff(page, 'edited.yaml');
  await expect(changes.getByRole('region', { name: 'Created (1)' })).toContainText('create queue vip');
  await expect(changes.getByRole('region', { name: 'Changed (1)' })).toContainText('update workstream support');
  await expect(changes.getByRole('region', { name: /Removed/ })).toHaveCount(0);
  await expectAccessible(page, 'configuration-diff');
  expect((await stack.admin<{ queues: { id: string }[] }>('GET', '/admin/v1/queues')).queues.map((q) => q.id)).not.toContain('vip');

  await page.getByRole('button', { name: 'Apply' }).click();
  const report = page.getByRole('region', { name: 'Applied edited.yaml' });
  await expect(report).toContainText('create queue vip');
  await expect(report).toContainText('update workstream support');
  expect((await stack.admin<{ queues: { id: string }[] }>('GET', '/admin/v1/queues')).queues.map((q) => q.id)).toContain('vip');
  expect((await stack.admin<{ locale: string }>('GET', '/admin/v1/workstreams/support')).locale).toBe('da');

  // The same file again: nothing to do.
  await upload(page, 'edited.yaml', edited);
  await expect(diff(page, 'edited.yaml')).toContainText('No changes');
});

test('a broken file shows the problem and applies nothing; the section in Danish', async ({ page, stack }) => {
  await openConfiguration(page, stack.base, stack.adminToken);
  const before = await stack.admin<unknown>('GET', '/admin/v1/export');

  await upload(page, 'broken.yaml', 'queues:\n  - id: vip\n    name: VIP\n    colour: red\n');
  const alert = page.getByRole('alert');
  await expect(alert).toContainText('unknown field `colour`');
  await expect(alert).toContainText('Line 4, column 5.');
  await expect(alert).toContainText('Nothing was changed.');

  // A new account without its secret: the API names it.
  await upload(page, 'new-account.yaml', 'accounts:\n  - { id: globex, name: Globex, app_id: "900000000000002" }\n');
  await expect(alert).toContainText('account globex is new');
  await expect(alert).toContainText('Concerns accounts.globex.app_secret.');
  expect(await stack.admin<unknown>('GET', '/admin/v1/export')).toEqual(before);
  await expectAccessible(page, 'configuration-problem');

  await page.evaluate(() => localStorage.setItem('switchboard.lang', 'da'));
  await page.reload();
  await expect(page.getByRole('heading', { name: 'Konfiguration', level: 1 })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Hent konfigurationen' })).toBeVisible();
  await expect(page.getByLabel('Konfigurationsfil')).toBeVisible();
});

test('a new account from a file: its verify token is shown once, with a copy button', async ({ page, stack }) => {
  await openConfiguration(page, stack.base, stack.adminToken);
  const file = await download(page);
  const secret = 'globex-app-secret-0123456789';
  const withGlobex = file.text.replace('accounts:\n', `accounts:\n- id: globex\n  name: Globex\n  app_id: '900000000000002'\n  app_secret: ${secret}\n  pages: []\n`);
  await upload(page, 'globex.yaml', withGlobex);
  await expect(diff(page, 'globex.yaml').getByRole('region', { name: 'Created (1)' })).toContainText('create account globex');
  await page.getByRole('button', { name: 'Apply' }).click();
  const report = page.getByRole('region', { name: 'Applied globex.yaml' });
  await expect(report.getByRole('heading', { name: 'Verify tokens of new accounts' })).toBeVisible();
  await expect(report.getByRole('button', { name: 'Copy verify token of globex' })).toBeVisible();
  const token = (await report.locator('.config-verify code').textContent()) ?? '';
  expect(token.length).toBeGreaterThanOrEqual(16);
  await expect(page.locator('body')).not.toContainText(secret);
  await expectAccessible(page, 'configuration-report');

  // Checked again: nothing to do, and the token is not shown again.
  await upload(page, 'globex.yaml', withGlobex);
  await expect(diff(page, 'globex.yaml')).toContainText('No changes');
  await expect(page.locator('body')).not.toContainText(token);
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
  for (const hidden of [secret, token]) expect(stored).not.toContain(hidden);
  const again = await download(page);
  for (const hidden of [secret, token]) expect(again.text).not.toContain(hidden);
  expect(again.text).toContain('id: globex');
});
