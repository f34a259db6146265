// The published package: `npm run build`'s two steps produce an ESM bundle with the shaders
// inlined and .d.ts types, and the bundle works when imported like an outside app would.
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nodeGpu } from './gpu-device.js';

describe('the library build', () => {
  it('emits an ESM bundle with inlined shaders and type declarations that an app can use', async () => {
    const out = mkdtempSync(join(tmpdir(), 'webrnn-dist-'));
    try {
      const bin = (name: string) => join(process.cwd(), 'node_modules', '.bin', name);
      execFileSync(bin('vite'), ['build', '-c', 'vite.lib.config.ts', '--outDir', out, '--logLevel', 'error']);
      execFileSync(bin('tsc'), ['-p', 'tsconfig.build.json', '--outDir', out]);
      const js = readFileSync(join(out, 'index.js'), 'utf8');
      expect(js).toContain('@compute @workgroup_size'); // WGSL inlined, no ?raw import left
      expect(js).not.toMatch(/(import|from)\s*["'][^"']*\.wgsl\?raw/);
      expect(readFileSync(join(out, 'index.d.ts'), 'utf8')).toMatch(/RnnModel/);
      expect(existsSync(join(out, 'model', 'model.d.ts'))).toBe(true);

      const lib = (await import(pathToFileURL(join(out, 'index.js')).href)) as typeof import('../src/index.js');
      const model = await lib.RnnModel.create({ cell: 'gru', inputSize: 5, hiddenSize: 8, backend: 'webgpu', gpu: await nodeGpu(), seed: 3 });
      const f = await model.forward({ batch: 1, steps: 3, ids: Int32Array.from([1, 2, 3]) });
      expect(f.logits.length).toBe(15);
      expect(f.logits.every(Number.isFinite)).toBe(true);
      await expect(model.forward({ batch: 1, steps: 3, ids: Int32Array.from([1, 2, 9]) })).rejects.toBeInstanceOf(lib.TokenRangeError);
      model.dispose();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });
});
