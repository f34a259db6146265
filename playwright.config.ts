// e2e tests in headless Chromium with WebGPU on SwiftShader (CPU Vulkan), so they
// run the same on a laptop and on a CI box without a GPU.
import { defineConfig } from '@playwright/test';

const port = 5174;

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  reporter: 'list',
  // SwiftShader runs every shader on the CPU.
  timeout: 120_000,
  forbidOnly: !!process.env.CI,
  workers: process.env.CI ? 1 : undefined,
  use: {
    browserName: 'chromium',
    headless: true,
    baseURL: `http://localhost:${port}`,
    screenshot: 'only-on-failure',
    launchOptions: {
      // Debian's chromium, never Playwright's download (no internet in CI).
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--no-sandbox',
        '--enable-unsafe-webgpu',
        // Same CPU adapter on every machine, whatever GPU it has.
        '--use-webgpu-adapter=swiftshader',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    },
  },
  webServer: {
    command: `npx vite --port ${port} --strictPort`,
    url: `http://localhost:${port}`,
    reuseExistingServer: !process.env.CI,
    timeout: 60_000,
  },
});
