// Library build: src/index.ts -> dist/index.js (ESM). WGSL files imported with
// `?raw` are inlined as strings, so dist/ needs no loader for them. Types come
// from `tsc -p tsconfig.build.json` (see the "build" script).
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: true,
    minify: false,
    target: 'es2022',
    lib: {
      entry: 'src/index.ts',
      formats: ['es'],
      fileName: 'index',
    },
  },
});
