// npm run golden -- <case-dir>... [--backend cpu|webgpu]
// Replays PyTorch golden cases and prints one line per case and quantity; exits 1 on any failure.
import { runGoldenCase, formatRow } from '../tools/golden/runner.js';
import { nodeGpu } from '../test/gpu-device.js';
import type { BackendName } from '../src/model/backend.js';

const args = process.argv.slice(2);
let backend: BackendName = 'cpu';
const dirs: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--backend') backend = args[++i] as BackendName;
  else if (args[i].startsWith('--backend=')) backend = args[i].slice(10) as BackendName;
  else dirs.push(args[i]);
}
if (backend !== 'cpu' && backend !== 'webgpu') {
  console.error(`--backend must be cpu or webgpu, got '${backend}'`);
  process.exit(2);
}
if (!dirs.length) {
  console.error('usage: npm run golden -- <case-dir>... [--backend cpu|webgpu]');
  process.exit(2);
}
const gpu = backend === 'webgpu' ? await nodeGpu() : undefined;
let failed = 0;
let total = 0;
for (const dir of dirs) {
  try {
    const rows = await runGoldenCase(dir, backend, gpu);
    for (const r of rows) {
      console.log(formatRow(r));
      total++;
      if (!r.ok) failed++;
    }
  } catch (e) {
    failed++;
    console.log(`FAIL ${dir}: ${(e as Error).name}: ${(e as Error).message}`);
  }
}
console.log(`${backend}: ${dirs.length} case(s), ${total} quantities, ${failed} failure(s)`);
process.exit(failed ? 1 : 0);
