// Dev server for the browser bench page (bench/browser/), started by bench/browser.ts. The page
// imports webrnn from ../../src and TF.js from node_modules (the wasm binaries as ?url assets),
// so the server may read the whole repository. TF.js is pre-bundled at start-up, so the page
// is not reloaded mid-run by Vite discovering it.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

export default defineConfig({
  root: fileURLToPath(new URL('./browser', import.meta.url)),
  publicDir: false,
  // Its own pre-bundle cache, apart from the demo server's node_modules/.vite.
  cacheDir: fileURLToPath(new URL('../node_modules/.vite-bench', import.meta.url)),
  logLevel: 'warn',
  clearScreen: false,
  server: {
    host: 'localhost',
    port: 5176,
    fs: { allow: [repoRoot] },
    // A bench loads the sources once: no file watching, no reload mid-run when a file changes.
    hmr: false,
    watch: null,
  },
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm'],
  },
});
