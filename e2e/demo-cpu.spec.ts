// The demo in a Chromium without WebGPU (no flags: navigator.gpu exists, but offers no adapter):
// the page says so plainly and trains on the CPU reference instead.
import { expect, test } from '@playwright/test';

test.use({ launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ['--no-sandbox'] } });

test('without WebGPU the page says so plainly and trains on the CPU', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto('/?task=forecast&cell=gru&hidden=16&batch=4&seq=16');
  await expect(page.getByTestId('status')).toHaveAttribute('data-state', 'paused', { timeout: 60_000 });
  await expect(page.getByTestId('backend')).toHaveText('cpu');
  await expect(page.getByTestId('adapter')).toHaveText('CPU (float64 reference)');
  await expect(page.getByTestId('gpu-warning')).toBeVisible();
  await expect(page.getByTestId('gpu-warning')).toContainText('No WebGPU here');
  await expect(page.getByTestId('backend-select').locator('option[value="webgpu"]')).toBeDisabled();

  await page.getByTestId('start').click();
  await expect(page.getByTestId('loss')).toHaveText(/^\d/, { timeout: 30_000 });
  const first = Number(await page.getByTestId('loss').textContent());
  await expect
    .poll(async () => Number(await page.getByTestId('loss').textContent()), { timeout: 60_000, intervals: [250] })
    .toBeLessThan(0.7 * first);
  // a new learning rate and clip mid-training go to the running optimizer
  await page.getByTestId('lr').fill('-2.5');
  await page.getByTestId('clip').fill('0.5');
  const step = Number(await page.getByTestId('step').textContent());
  await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 30_000 }).toBeGreaterThan(step + 20);
  await expect(page.getByTestId('error')).toHaveText('');
  await page.getByTestId('pause').click();
  await expect(page.getByTestId('status')).toHaveAttribute('data-state', 'paused', { timeout: 30_000 });
  expect(errors).toEqual([]);
});
