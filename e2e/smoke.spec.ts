// The page gets a WebGPU adapter in headless Chromium, logs no errors, and a
// compute shader run in it returns exactly what it should.
import { expect, test, type ConsoleMessage } from '@playwright/test';
import { doubleOnGpu, expectDoubled, randomF32s } from '../test/gpu-doubling.js';

test('the demo page finds a WebGPU adapter and logs no console errors', async ({ page }) => {
  const errors: string[] = [];
  page.on('console', (msg: ConsoleMessage) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));

  await page.goto('/');
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  await expect(page.getByTestId('adapter')).not.toHaveText(/^(no WebGPU|…)$/);
  expect(errors).toEqual([]);
});

test('a WGSL compute shader in the page doubles 1000 random floats exactly', async ({ page }) => {
  await page.goto('/');
  const input = randomF32s(1000);
  // page.evaluate sends the function's source; in the page it uses navigator.gpu.
  expectDoubled(input, await page.evaluate(doubleOnGpu, input));
});
