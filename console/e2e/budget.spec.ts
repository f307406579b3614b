// The first-load budget: at most 250 KB of gzipped JavaScript. Time to
// interactive on loopback is measured and written down (not asserted).
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { test, expect } from './stack';

const DIST = resolve(import.meta.dirname, '..', 'dist');

test('first load: JavaScript within 250 KB gzipped; time to interactive recorded', async ({ page, stack }) => {
  const assets = join(DIST, 'assets');
  const js = readdirSync(assets).filter((f) => f.endsWith('.js'));
  const gzipped = js.reduce((n, f) => n + gzipSync(readFileSync(join(assets, f)), { level: 9 }).length, 0);
  expect(gzipped).toBeLessThanOrEqual(250 * 1024);

  await page.goto(stack.base);
  await expect(page.getByLabel('Token')).toBeEditable();
  const tti = await page.evaluate(() => performance.now());
  const loaded = await page.evaluate(() => performance.getEntriesByType('resource').filter((r) => r.name.endsWith('.js')).map((r) => r.name));
  expect(loaded.length).toBeGreaterThan(0);
  mkdirSync('test-results', { recursive: true });
  writeFileSync('test-results/first-load.json', JSON.stringify({ js_gzipped_bytes: gzipped, js_files: js, time_to_interactive_ms: Math.round(tti) }, null, 2));
});
