// One config for the demo (dev server and build:demo) and for vitest.
// The demo's root is demo/, but it imports the library from ../src, so the dev
// server may read the whole repository; tests are found from the repository root.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const repoRoot = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: 'demo',
  // The demo imports the library by its package name, like any outside app would.
  resolve: {
    alias: { webrnn: fileURLToPath(new URL('./src/index.ts', import.meta.url)) },
  },
  // The training worker is an ES module (it imports webrnn); 'es' keeps it one in build:demo too.
  worker: { format: 'es' },
  server: {
    host: 'localhost',
    port: 5173,
    fs: { allow: [repoRoot] },
  },
  build: {
    outDir: '../demo-dist',
    emptyOutDir: true,
  },
  test: {
    root: repoRoot,
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    exclude: ['e2e/**', 'node_modules/**', 'dist/**', 'demo-dist/**'],
    passWithNoTests: false,
    // after each file: no WebGPU error escaped the calls' error scopes
    setupFiles: ['test/setup.ts'],
    // SwiftShader runs WGSL on the CPU: a GPU parity test can take many seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Dawn is a native addon; a process per test file keeps one file's device
    // (or a crash in it) away from the others.
    pool: 'forks',
  },
});
