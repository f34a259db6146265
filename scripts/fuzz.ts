// npm run fuzz -- [N] [--webgpu]: N hostile calls, N calls valid but for one field, N hostile
// safetensors files and N hostile writer inputs (default 100,000 each) against the property of
// test/fuzz.ts; prints the first failures and exits 1 on any. --webgpu also fuzzes N / 20 calls of
// each of the first two kinds on the WebGPU backend.
import { fuzzCalls, fuzzFields, fuzzModel, fuzzSafetensors, fuzzWriter, type FuzzReport } from '../test/fuzz.js';
import { nodeGpu } from '../test/gpu-device.js';

const args = process.argv.slice(2);
const n = Number(args.find((a) => /^\d+$/.test(a)) ?? 100000);
const seed = Date.now() >>> 0;
const report: FuzzReport = { calls: 0, rejected: 0, failures: [] };
const t0 = performance.now();
const m = await fuzzModel('cpu');
await fuzzCalls(m, n, seed, report);
await fuzzFields(m, n, seed + 4, report);
await fuzzSafetensors(m, n, seed + 1, report);
m.dispose();
fuzzWriter(n, seed + 2, report);
if (args.includes('--webgpu')) {
  const g = await fuzzModel('webgpu', { gpu: await nodeGpu() });
  await fuzzCalls(g, Math.ceil(n / 20), seed + 3, report);
  await fuzzFields(g, Math.ceil(n / 20), seed + 5, report);
  g.dispose();
}
console.log(`seed ${seed}: ${report.calls} calls, ${report.rejected} rejected, ${report.failures.length} failures, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
for (const f of report.failures.slice(0, 20)) console.log(`FAIL ${f}`);
process.exit(report.failures.length ? 1 : 0);
