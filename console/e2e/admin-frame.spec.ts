// The admin console's frame: the admin token opens it, every section is one
// click (and one address) away, and the place survives a reload.
import { test, expect } from './stack';
import { expectAccessible } from './axe';
import { signIn } from './agent';

test('the admin token opens the admin console; each section has its address', async ({ page, stack }) => {
  await signIn(page, stack.base, stack.adminToken);
  const nav = page.getByRole('navigation', { name: 'Administration' });
  await expect(nav.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');
  await expect(page).toHaveURL(/\/manage\/overview$/);
  await expect(page.getByRole('heading', { name: 'Live queues' })).toBeVisible();

  await nav.getByRole('link', { name: 'Routing rules' }).click();
  await expect(page).toHaveURL(/\/manage\/routing$/);
  await page.reload();
  await expect(nav.getByRole('link', { name: 'Routing rules' })).toHaveAttribute('aria-current', 'page');
  await page.goBack();
  await expect(nav.getByRole('link', { name: 'Overview' })).toHaveAttribute('aria-current', 'page');

  await nav.getByRole('button', { name: /alerts$/ }).click();
  await expect(page.getByRole('region', { name: 'Alerts' })).toBeVisible();
  await expectAccessible(page, 'admin-frame');
});
