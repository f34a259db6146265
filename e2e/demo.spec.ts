// The training demo in headless Chromium on SwiftShader WebGPU: for each task, training makes the
// shown loss fall, the task's own view updates, saving and loading a model gives back exactly its
// predictions, and the page keeps answering input while the worker trains. Each test saves a
// screenshot of its task under test-results/.
import { readFileSync } from 'node:fs';
import { expect, test, type Locator, type Page, type TestInfo } from '@playwright/test';

// up to 60 s of training, then more steps for the screenshot, then save / reset / load, on a
// SwiftShader that may share the machine's cores with other work
test.setTimeout(180_000);

/** Console errors and uncaught exceptions, collected for the whole test. */
function collectErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  return errors;
}

const status = (page: Page): Locator => page.getByTestId('status');

/** Opens the page on a task (small model settings in the query) and waits for its model. */
async function open(page: Page, query: string): Promise<void> {
  await page.goto(`/?${query}`);
  await expect(status(page)).toHaveAttribute('data-state', 'paused', { timeout: 60_000 });
  await expectNoPageError(page);
}

/** The page shows the worker's errors in a banner; a failing test should say what it said. */
async function expectNoPageError(page: Page): Promise<void> {
  expect(await page.getByTestId('error').textContent(), 'the page shows an error').toBe('');
}

async function lossNow(page: Page): Promise<number> {
  return Number(await page.getByTestId('loss').textContent());
}

/** Starts training and waits until the shown loss is below `factor` × the first loss shown. */
async function trainUntilLossFalls(page: Page, factor = 0.7): Promise<{ first: number; last: number }> {
  await page.getByTestId('start').click();
  await expect(status(page)).toHaveAttribute('data-state', 'running');
  // the first loss shown, or the error the page shows instead
  const lossOrError = async (): Promise<string | null> =>
    (await page.getByTestId('error').textContent()) || (await page.getByTestId('loss').textContent());
  await expect.poll(lossOrError, { timeout: 30_000 }).toMatch(/^\d/);
  const first = await lossNow(page);
  expect(first).toBeGreaterThan(0);
  await expect.poll(() => lossNow(page), { timeout: 60_000, intervals: [250] }).toBeLessThan(factor * first);
  await expectNoPageError(page);
  return { first, last: await lossNow(page) };
}

/** Trains on to `steps` (when the loss fell early), so the screenshot shows a model that learned something. */
async function trainToStep(page: Page, steps: number): Promise<void> {
  await expect.poll(async () => Number(await page.getByTestId('step').textContent()), { timeout: 60_000 }).toBeGreaterThanOrEqual(steps);
}

async function pause(page: Page): Promise<void> {
  await page.getByTestId('pause').click();
  await expect(status(page)).toHaveAttribute('data-state', 'paused', { timeout: 30_000 });
}

/**
 * Saves the model (the page's download), resets to a fresh model, checks `prediction` changed,
 * loads the file, and checks `prediction` is back exactly.
 */
async function saveResetLoad(page: Page, info: TestInfo, prediction: Locator): Promise<string> {
  const trained = await prediction.textContent();
  expect(trained).toBeTruthy();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('save').click()]);
  expect(download.suggestedFilename()).toMatch(/\.safetensors$/);
  const file = info.outputPath(download.suggestedFilename());
  await download.saveAs(file);

  await page.getByTestId('reset').click();
  await expect(status(page)).toHaveAttribute('data-state', 'paused', { timeout: 30_000 });
  await expect(page.getByTestId('step')).toHaveText('0');
  await expect(prediction).not.toHaveText(trained!);

  await page.getByTestId('load').setInputFiles(file);
  await expect(prediction).toHaveText(trained!, { timeout: 30_000 });
  return file;
}

/** Types `name` into the names box and waits for the paused model's top 3 for it (a fresh answer). */
async function ask(page: Page, name: string): Promise<void> {
  const prediction = page.getByTestId('prediction');
  // a different name first, so a shown answer for `name` is one given now
  const other = name === '?' ? '??' : '?';
  await page.getByTestId('name-input').fill(other);
  await expect(prediction).toHaveAttribute('data-name', other);
  await page.getByTestId('name-input').fill(name);
  await expect(prediction).toHaveAttribute('data-name', name);
  await expect(prediction.locator('li')).toHaveCount(3);
  await expect(page.getByTestId('error')).toBeHidden();
}

/** The file as PyTorch's safetensors.torch.save_file writes it: same tensors, no webrnn config. */
function asPyTorchFile(saved: Buffer): Buffer {
  const n = Number(saved.readBigUInt64LE(0));
  const header = JSON.parse(saved.subarray(8, 8 + n).toString('utf8')) as Record<string, unknown>;
  header.__metadata__ = { format: 'pt' };
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, Buffer.from(json, 'utf8'), saved.subarray(8 + n)]);
}

async function screenshot(page: Page, info: TestInfo, name: string): Promise<void> {
  const path = info.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await info.attach(name, { path, contentType: 'image/png' });
}

test('text: the loss falls, samples refresh while training, and a saved model loads back', async ({ page }, info) => {
  const errors = collectErrors(page);
  await open(page, 'task=text&cell=gru&hidden=32&layers=1&batch=8&seq=16&lr=0.01&clip=5');
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  await expect(page.getByTestId('adapter')).not.toHaveText(/^(…|)$/);
  await expect(page.getByTestId('sample')).not.toBeEmpty();
  const untrained = await page.getByTestId('sample').textContent();

  const { first, last } = await trainUntilLossFalls(page);
  info.annotations.push({ type: 'loss', description: `${first} → ${last}` });
  // the sample is generated again as training goes on: non-empty, and not the one before
  await expect(page.getByTestId('sample')).not.toHaveText(untrained!, { timeout: 20_000 });
  const during = await page.getByTestId('sample').textContent();
  expect(during!.length).toBeGreaterThan(50);
  await expect(page.getByTestId('sample')).not.toHaveText(during!, { timeout: 20_000 });

  // the temperature slider reaches the sampler
  await page.getByTestId('temperature').fill('0.5');
  await expect(page.getByTestId('temperature-value')).toHaveText('0.50');
  await trainToStep(page, 400);
  // tiny-shakespeare: below the text's unigram entropy, 3.313 nats (what a model of letter
  // frequencies alone would reach)
  expect(await lossNow(page)).toBeLessThan(3.313);
  await pause(page);
  await expect(page.getByTestId('data-info')).toHaveText(/^tiny-shakespeare: 1,115,394 characters, vocabulary 65/);
  await expect(page.getByTestId('argmax')).toHaveText(/^The [\s\S]{50}/);
  await screenshot(page, info, 'demo-text');

  await saveResetLoad(page, info, page.getByTestId('argmax'));

  // pasted text: a new vocabulary, so a new model
  await page.getByText('Train on your own text').click();
  await page.getByTestId('user-text').fill('abc cab bac '.repeat(60));
  await page.getByTestId('use-text').click();
  await expect(page.getByTestId('data-info')).toHaveText(/^your text: 720 characters, vocabulary 4/);
  await expect(status(page)).toHaveAttribute('data-state', 'paused');
  expect(errors).toEqual([]);
});

test('classify: the loss falls, the confusion matrix fills, and a saved model predicts the same', async ({ page }, info) => {
  const errors = collectErrors(page);
  await open(page, 'task=classify&cell=tutorial&hidden=64&batch=16');
  await expect(page.getByTestId('task-classify')).toHaveAttribute('aria-selected', 'true');
  await trainUntilLossFalls(page);
  await trainToStep(page, 300);
  await pause(page);

  const cells = page.getByTestId('confusion').locator('td');
  await expect(cells).toHaveCount(18 * 18); // the tutorial's 18 languages
  const counted = (await cells.allTextContents()).reduce((a, c) => a + Number(c), 0);
  // "61.3 % of 3081": every held-out name is counted once
  const [accuracy, heldOut] = (await page.getByTestId('accuracy').textContent())!.match(/[\d.]+/g)!.map(Number);
  expect(counted).toBe(heldOut);
  expect(heldOut).toBe(3081); // the 15 % split of 20,074 names
  expect(accuracy).toBeGreaterThan(3 * (100 / 18)); // well above a guess

  // any typed name gets an answer: letters outside ASCII (reduced as the tutorial does), none at
  // all, a very long one
  const prediction = page.getByTestId('prediction');
  for (const name of ['Ñúñez', '李', 'x'.repeat(500)]) await ask(page, name);
  await expectNoPageError(page);

  // the tutorial's own example. Batches are drawn at random, so after 300 steps of 16 names
  // Smirnov may still rank English first (seen once in CI); train on in short rounds until the
  // paused model ranks it Russian, within a bound
  const russianFirst = async (): Promise<boolean> => {
    await ask(page, 'Smirnov');
    return (await prediction.locator('li').first().textContent())!.startsWith('Russian');
  };
  const deadline = Date.now() + 90_000;
  while (!(await russianFirst())) {
    expect(Date.now(), 'the model still ranks Smirnov other than Russian after 90 s more training').toBeLessThan(deadline);
    const step = Number(await page.getByTestId('step').textContent());
    await page.getByTestId('start').click();
    await expect(status(page)).toHaveAttribute('data-state', 'running');
    await trainToStep(page, step + 100);
    await pause(page);
  }
  await screenshot(page, info, 'demo-classify');

  await saveResetLoad(page, info, prediction);

  // a file that is not safetensors: a plain message on the page, the model left as it was
  const before = await prediction.textContent();
  await page.getByTestId('load').setInputFiles({ name: 'notes.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from('not a model') });
  await expect(page.getByTestId('error')).toBeVisible();
  await expect(page.getByTestId('error')).toContainText('Safetensors');
  await expect(prediction).toHaveText(before!);
  await expect(status(page)).toHaveAttribute('data-state', 'paused');
  expect(errors).toEqual([]);
});

test('forecast: the loss falls, the plot draws the series and the forecast, and a saved model forecasts the same', async ({ page }, info) => {
  const errors = collectErrors(page);
  await open(page, 'task=forecast&cell=gru&hidden=32&batch=8&seq=32');
  await trainUntilLossFalls(page);
  // a new learning rate mid-training goes to the running optimizer (Adam's moments kept)
  await page.getByTestId('lr').fill('-2.5');
  await expect(page.getByTestId('lr-value')).toHaveText('0.0032');
  await trainToStep(page, 300);
  await expectNoPageError(page);
  await pause(page);
  await expect(page.getByTestId('forecast-values')).toHaveText(/^-?\d+\.\d{4}(, -?\d+\.\d{4}){4}$/);

  // the plot's canvas holds the grey series, the blue one-step line and the orange forecast
  const colours = await page.getByTestId('forecast-plot').locator('canvas').evaluate((c: HTMLCanvasElement) => {
    const { data } = c.getContext('2d')!.getImageData(0, 0, c.width, c.height);
    const near = (r: number, g: number, b: number): number => {
      let n = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - r) < 40 && Math.abs(data[i + 1] - g) < 40 && Math.abs(data[i + 2] - b) < 40 && data[i + 3] > 200) n++;
      }
      return n;
    };
    return { series: near(0x9a, 0xa3, 0xb2), oneStep: near(0x2f, 0x6f, 0xde), forecast: near(0xe8, 0x77, 0x2e) };
  });
  expect(colours.series).toBeGreaterThan(200);
  expect(colours.oneStep).toBeGreaterThan(200);
  expect(colours.forecast).toBeGreaterThan(100);
  await screenshot(page, info, 'demo-forecast');

  const values = page.getByTestId('forecast-values');
  const file = await saveResetLoad(page, info, values);
  const trained = await values.textContent();

  // the same weights without webrnn's config, as PyTorch saves them: the cell, size and layers
  // are read off the tensor shapes (a GRU's weight_ih_l0 is [3H, I]), even with LSTM selected
  await page.getByTestId('cell').selectOption('lstm');
  await expect(values).not.toHaveText(trained!, { timeout: 30_000 });
  await page.getByTestId('load').setInputFiles({ name: 'from-pytorch.safetensors', mimeType: 'application/octet-stream', buffer: asPyTorchFile(readFileSync(file)) });
  await expect(values).toHaveText(trained!, { timeout: 30_000 });
  await expect(page.getByTestId('cell')).toHaveValue('gru');

  // a CSV upload becomes the series (its last numeric column)
  const csv = ['date,value', ...Array.from({ length: 120 }, (_, t) => `2024-01-${t},${(5 + Math.sin(t / 3)).toFixed(3)}`)].join('\n');
  await page.getByTestId('csv').setInputFiles({ name: 'daily.csv', mimeType: 'text/csv', buffer: Buffer.from(csv) });
  await expect(page.getByTestId('data-info')).toHaveText('daily.csv: 120 values, training on the first 96');
  await expect(values).toHaveText(/^\d+\.\d{4}/);
  expect(errors).toEqual([]);
});

test('switching the backend moves the trained model: the CPU reference forecasts the same', async ({ page }) => {
  const errors = collectErrors(page);
  await open(page, 'task=forecast&cell=gru&hidden=32&batch=8&seq=32');
  await trainUntilLossFalls(page);
  await pause(page);
  const numbers = async (): Promise<number[]> => (await page.getByTestId('forecast-values').textContent())!.split(', ').map(Number);
  const onGpu = await numbers();

  const version = Number(await page.getByTestId('forecast-values').getAttribute('data-version'));
  await page.getByTestId('backend-select').selectOption('cpu');
  await expect(page.getByTestId('backend')).toHaveText('cpu');
  await expect(page.getByTestId('adapter')).toHaveText('CPU (float64 reference)');
  // the page asks the moved model for a new forecast
  await expect(page.getByTestId('forecast-values')).toHaveAttribute('data-version', String(version + 1), { timeout: 30_000 });
  const onCpu = await numbers();
  // float32 on the GPU, float64 on the CPU: equal to within rounding
  onCpu.forEach((v, i) => expect(Math.abs(v - onGpu[i])).toBeLessThan(2e-3));

  await page.getByTestId('backend-select').selectOption('webgpu');
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  expect(errors).toEqual([]);
});

test('while the worker trains, the page answers input within 100 ms', async ({ page }, info) => {
  const errors = collectErrors(page);
  await open(page, 'task=text&cell=gru&hidden=32&layers=1&batch=8&seq=16&lr=0.01&clip=5');
  await page.getByTestId('start').click();
  await expect(page.getByTestId('step')).not.toHaveText('0', { timeout: 30_000 });

  // 1. the main thread's event loop: a 10 ms timer, for 3 s, is never late by 100 ms
  const lag = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        let worst = 0;
        let last = performance.now();
        const id = setInterval(() => {
          const now = performance.now();
          worst = Math.max(worst, now - last - 10);
          last = now;
        }, 10);
        setTimeout(() => {
          clearInterval(id);
          resolve(worst);
        }, 3000);
      }),
  );
  expect(lag).toBeLessThan(100);

  // 2. real key presses on the temperature slider: from the event to the frame that shows it
  await page.evaluate(() => {
    const w = window as unknown as { latencies: number[] };
    w.latencies = [];
    const slider = document.querySelector('[data-testid="temperature"]')!;
    const shown = document.querySelector('[data-testid="temperature-value"]')!;
    slider.addEventListener('keydown', (e) => {
      const before = shown.textContent;
      const check = (t: number): void => {
        if (shown.textContent !== before) w.latencies.push(t - e.timeStamp);
        else requestAnimationFrame(check);
      };
      requestAnimationFrame(check);
    });
  });
  await page.getByTestId('temperature').focus();
  for (let i = 0; i < 10; i++) {
    await page.keyboard.press(i % 2 ? 'ArrowLeft' : 'ArrowRight');
    await page.waitForTimeout(150);
  }
  const latencies = await page.evaluate(() => (window as unknown as { latencies: number[] }).latencies);
  expect(latencies).toHaveLength(10);
  expect(Math.max(...latencies)).toBeLessThan(100);
  info.annotations.push({ type: 'responsiveness', description: `worst timer lag ${lag.toFixed(1)} ms; key to frame ${latencies.map((l) => l.toFixed(0)).join(', ')} ms` });
  console.log(`responsiveness while training: worst timer lag ${lag.toFixed(1)} ms; key to frame ${latencies.map((l) => l.toFixed(0)).join(', ')} ms`);
  // and it was still training throughout
  await expect(status(page)).toHaveAttribute('data-state', 'running');
  expect(errors).toEqual([]);
});

test('a lost GPU: the page says so, the model comes back from its snapshot, and training goes on', async ({ page }) => {
  const errors = collectErrors(page);
  await open(page, 'task=text&cell=lstm&hidden=32&layers=1&batch=8&seq=16&lr=0.01&clip=5');
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  await page.getByTestId('start').click();
  await expect(status(page)).toHaveAttribute('data-state', 'running');
  await trainToStep(page, 120); // past two snapshots (every 50 steps)
  await page.getByTestId('lose-device').click();
  const notice = page.getByTestId('notice');
  await expect(notice).toBeVisible({ timeout: 30_000 });
  await expect(notice).toHaveText(/The GPU device was lost \(destroyed\) at step \d+: the model came back on a new device from its snapshot of step \d+/);
  const [, lostAt, from] = (await notice.textContent())!.match(/at step (\d+): .* snapshot of step (\d+)/)!.map(Number);
  // snapshots are 50 optimizer steps apart (a few steps are in flight when the device goes)
  expect(from).toBeLessThan(lostAt);
  expect(lostAt - from).toBeLessThanOrEqual(50 + 16);
  // training goes on from there, still on the GPU, and learns
  await trainToStep(page, from + 60);
  await expect(status(page)).toHaveAttribute('data-state', 'running');
  await expect(page.getByTestId('backend')).toHaveText('webgpu');
  await expect(page.getByTestId('error')).toBeHidden();
  expect(Number.isFinite(await lossNow(page))).toBe(true);
  await pause(page);
  // Chromium logs the destroyed device itself; nothing else may appear
  expect(errors.filter((e) => !/destroy|lost/i.test(e))).toEqual([]);
});
