// npm run bench:bundle: bench/bench.ts as one plain-JS file, bench/dist/bench.mjs, for the GPU
// machine (../shared/device/README.md), which has Node and Dawn but no node_modules. Everything
// is inlined (webrnn's sources, the WGSL shaders through ?raw) except `webgpu`, which
// .gpu/activate.sh unpacks there into node_modules/webgpu. The browser half is left out: the
// define below makes bench.ts skip it, and its dynamic import is dropped as dead code.
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  logLevel: 'warn',
  define: { __WEBRNN_BENCH_BUNDLE__: 'true' },
  ssr: { noExternal: true, external: ['webgpu'] },
  build: {
    ssr: 'bench/bench.ts',
    outDir: 'bench/dist',
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    rollupOptions: {
      external: ['webgpu'],
      output: { format: 'es', entryFileNames: 'bench.mjs' },
    },
  },
});
